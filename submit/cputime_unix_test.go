//go:build unix

package submit

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used (user and system,
// all threads): on a machine shared with other work it measures what
// a benchmark's side costs better than the wall clock does.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
