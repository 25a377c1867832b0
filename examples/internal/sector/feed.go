package sector

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"
	"time"

	"github.com/sicollab/sicollab/examples/internal/synth"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// Generate returns n synthetic records of sources (every collecting
// organization when nil) over the last Days days, with one planted
// instance of each pattern, and the ground truth of the planted ones.
func Generate(n int, seed uint64, purpose schema.Purpose, sources []string, patterns ...synth.Pattern) (iter.Seq[schema.Envelope], []synth.Truth, error) {
	g, err := synth.New(synth.Config{
		Seed: seed, Sources: sources, Purpose: purpose, Population: 2000,
		Start: synth.StartBefore(time.Now(), Days), Days: Days,
	})
	if err != nil {
		return nil, nil, err
	}
	return g.Scenario(n, patterns...)
}

// Feed has the social forces that collected records process and submit
// them, each in a pipeline of its own (Force.Process, no assessment),
// then waits for their receipts. Records routed to a hub this process
// does not reach are left out and counted under "unrouted". It holds the
// records in memory: for the examples' sizes.
func (s *Scheme) Feed(ctx context.Context, records iter.Seq[schema.Envelope]) (stage.Stats, error) {
	byOrg := map[string][]schema.Envelope{}
	total := stage.Stats{}
	unrouted := uint64(0)
	for env := range records {
		to, err := s.Dir.Route(env.Source, env.Kind)
		if err != nil {
			return total, err
		}
		if len(to) == 0 || !all(to, s.Reaches) {
			unrouted++
			continue
		}
		byOrg[env.Source] = append(byOrg[env.Source], env)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []error
	for _, org := range slices.Sorted(mapKeys(byOrg)) {
		wg.Go(func() {
			st, err := Force{Org: org}.Process(ctx, s, slices.Values(byOrg[org]), "")
			mu.Lock()
			defer mu.Unlock()
			total.Collected += st.Collected
			total.Delivered += st.Delivered
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", org, err))
			}
		})
	}
	wg.Wait()
	total.Collected += unrouted
	total.Steps = []stage.StepStats{{Name: "route", In: total.Collected, Dropped: map[string]uint64{"unrouted": unrouted}}}
	if err := errors.Join(errs...); err != nil {
		return total, err
	}
	return total, s.Flush(ctx, slices.Collect(mapKeys(byOrg))...)
}

func all(xs []string, f func(string) bool) bool {
	for _, x := range xs {
		if !f(x) {
			return false
		}
	}
	return true
}
