//go:build !unix

package submit

import "time"

// processCPU is 0 where getrusage is missing: the CPU ratios read 0.
func processCPU() time.Duration { return 0 }
