//go:build linux

package boltdb

import "syscall"

// release drops size bytes of the map at data from the process's
// resident set: the pages stay in the page cache, and the next read of
// one faults it back in from there.
func release(data uintptr, size int) error {
	if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, data, uintptr(size), syscall.MADV_DONTNEED); e != 0 {
		return e
	}
	return nil
}
