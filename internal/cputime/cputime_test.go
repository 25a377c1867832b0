//go:build unix

package cputime_test

import (
	"crypto/sha256"
	"testing"

	"github.com/sicollab/sicollab/internal/cputime"
)

// Work done in this process moves the clock forward, and it never moves
// back. The loop is bounded by work, not time, so a loaded machine only
// makes it take longer.
func TestProcessAdvances(t *testing.T) {
	before := cputime.Process()
	if before <= 0 {
		t.Fatalf("Process() = %v before any work; want the CPU the test binary has used so far", before)
	}
	sum := sha256.Sum256(nil)
	for i := 0; cputime.Process() == before; i++ {
		if i == 1e8 {
			t.Fatalf("Process() stayed at %v over 1e8 hashes", before)
		}
		sum = sha256.Sum256(sum[:])
	}
	if after := cputime.Process(); after < before {
		t.Fatalf("Process() went back from %v to %v", before, after)
	}
}
