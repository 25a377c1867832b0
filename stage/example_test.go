package stage_test

import (
	"context"
	"fmt"
	"time"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// A carrier's three-step pipeline: structure each record, check it against
// its schema, drop resubmissions, and hand what is left to a sink (in a
// real program, the submit client).
func Example() {
	s := newSynth(1)
	trip := s.passenger("rail-north-01", 7, 1, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	messy := trip
	messy.ID = s.id()
	messy.Handling = " amber" // normalized to AMBER
	records := []schema.Envelope{trip, trip, messy}

	dedupe, err := stage.NewDedupe(stage.DedupeConfig{Window: 1000})
	if err != nil {
		panic(err)
	}
	stats, err := stage.Run(context.Background(), stage.Config{
		Collector: sliceCollector(records),
		Steps: []stage.Step{
			{Name: "normalize", Processor: stage.Normalize()},
			{Name: "validate", Processor: stage.Validate(nil), OnError: stage.PolicyDrop, DropReason: "invalid"},
			{Name: "dedupe", Processor: dedupe},
		},
		Sink: stage.SubmitterFunc(func(ctx context.Context, env schema.Envelope) error {
			fmt.Println("submit", env.Kind, env.Handling)
			return nil
		}),
		Ordered: true,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("collected", stats.Collected, "delivered", stats.Delivered, "dropped", stats.Dropped())
	// Output:
	// submit transport.passenger AMBER
	// collected 3 delivered 1 dropped map[duplicate:1 duplicate_content:1]
}
