package stagetest_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
	"github.com/sicollab/sicollab/stage/stagetest"
)

// CheckCollector returns what is wrong with a collector, for use outside
// tests; in a test, call TestCollector. This collector forgets to emit.
func ExampleCheckCollector() {
	lazy := func() stage.Collector {
		return stage.CollectorFunc(func(ctx context.Context, emit func(schema.Envelope) error) error { return nil })
	}
	err := stagetest.CheckCollector(lazy, stagetest.CollectorOptions{})
	fmt.Println(strings.Split(err.Error(), "\n")[0])
	// Output:
	// stagetest: collector: complete run: emitted no record
}
