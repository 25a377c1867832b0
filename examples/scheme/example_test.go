package main

import (
	"context"
	"fmt"
	"time"

	"github.com/sicollab/sicollab/examples/internal/synth"
	"github.com/sicollab/sicollab/schema"
)

// The scheme's analysis at its core, without the hubs around it: the
// synthetic records of 30 days with one instance of each planted pattern,
// read by one analyst per pattern as public security's run reads its
// hub, and each analyst's list checked against the ground truth. A whole
// run (run, at its smallest -records 1000 -days 21) takes several seconds
// and prints timings, so the example runs this part of it.
func Example() {
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	purpose := schema.Purpose{RequirementID: "01960000-0000-7000-8000-000000000001"}
	g, err := synth.New(synth.Config{Seed: 7, Start: start, Days: 30, Purpose: purpose})
	if err != nil {
		fmt.Println(err)
		return
	}
	patterns := []synth.Pattern{synth.PatternStructuring, synth.PatternCoTravel, synth.PatternPrecursor, synth.PatternEntryExit}
	records, truth, err := g.Scenario(1000, patterns...)
	if err != nil {
		fmt.Println(err)
		return
	}
	planted := map[synth.Pattern]string{} // pattern -> the key subject a detector must name
	for _, t := range truth {
		planted[t.Pattern] = t.Subjects[0].Pseudonym
	}
	ctx := context.Background()
	period := schema.Window{From: start, To: start.AddDate(0, 0, 31)}
	for _, p := range patterns {
		a := newAnalyst(p, "public-security", purpose, period, func() time.Time { return start })
		for env := range records {
			if err := a.Analyze(ctx, env, nil); err != nil {
				fmt.Println(err)
				return
			}
		}
		listed := map[string]bool{}
		for _, e := range a.entries() {
			listed[e.Subject.Pseudonym] = true
		}
		fmt.Printf("%-19s listed %d, the planted subject among them: %v\n", p, len(listed), listed[planted[p]])
	}
	// Output:
	// structuring         listed 1, the planted subject among them: true
	// co_travel           listed 1, the planted subject among them: true
	// precursor_purchase  listed 1, the planted subject among them: true
	// abnormal_entry_exit listed 1, the planted subject among them: true
}
