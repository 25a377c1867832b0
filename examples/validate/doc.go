// Command validate checks sicollab envelopes against the schemas embedded
// in package schema, the same check a hub makes before it accepts a record.
//
// Usage:
//
//	validate [-max-bytes N] [-q] [file ...]
//
// Each file is NDJSON (one envelope per line; blank lines are skipped) or a
// single JSON envelope spread over many lines. With no file, or with "-",
// it reads standard input. Every violation is printed on standard output
// as
//
//	<file>:<line>: <json pointer>: <message>
//
// and a summary "N records, N valid, N invalid" goes to standard error, so
// that standard output holds nothing but findings. The exit status is 0
// when every record is valid, 1 when any is invalid, and 2 on a usage
// error or a file that cannot be read (the other files are still checked).
package main
