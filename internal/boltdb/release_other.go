//go:build !linux

package boltdb

// release does nothing where madvise is not used.
func release(uintptr, int) error { return nil }
