// Package cputime reads the CPU time this process has used, user and
// system, all threads. The benchmarks report it beside wall time: on a
// machine shared with other work, CPU per record says what a path costs
// better than the wall clock does.
//
// Where the system has no getrusage (not unix), Process returns 0 and the
// CPU figures a benchmark derives from it read 0.
package cputime
