// Package stagetest checks Collector and Processor implementations against
// the contracts of package stage, the way testing/slogtest checks a
// slog.Handler. Partners run it in their own CI:
//
//	func TestMyCollector(t *testing.T) {
//		stagetest.TestCollector(t, func() stage.Collector { return newMyCollector(testSource) },
//			stagetest.CollectorOptions{Want: 250})
//	}
//
// The checks count goroutines before and after each run, so the tests that
// call them must not run in parallel with others (no t.Parallel).
package stagetest
