package cputime_test

import (
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/sicollab/sicollab/internal/cputime"
)

// A benchmark takes the process's CPU before and after the work it
// measures, and divides the difference by what it did. The figure
// depends on the machine, so the example prints only that it was read.
func ExampleProcess() {
	before := cputime.Process()
	sum := sha256.Sum256(nil)
	for range 100_000 {
		sum = sha256.Sum256(sum[:])
	}
	used := cputime.Process() - before
	fmt.Println(used >= 0 && used < time.Hour)
	// Output: true
}
