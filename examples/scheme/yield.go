package main

import (
	"context"
	"slices"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
)

// sourceYield is what one collecting organization's records became in a
// round: records it collected, those cited as evidence in the analysing
// department's lists, and the entries that cite them.
type sourceYield struct {
	Org       string `json:"org"`
	Submitted uint64 `json:"collected"`
	Evidence  int    `json:"evidence"`
	Entries   int    `json:"entries"`
}

// yields reads each list entry's evidence from the analysing hub's store
// to find its source, and sets it against what each source collected in
// the round.
func (w *world) yields(ctx context.Context, analyst string, products []schema.Product, collected map[string]int) ([]sourceYield, error) {
	store := w.hub(analyst).Store
	by := map[string]*sourceYield{}
	get := func(org string) *sourceYield {
		y, ok := by[org]
		if !ok {
			y = &sourceYield{Org: org}
			by[org] = y
		}
		return y
	}
	for org, n := range collected {
		get(org).Submitted = uint64(n)
	}
	cited := map[string]bool{}
	for _, p := range products {
		for _, e := range p.Entries {
			seen := map[string]bool{}
			for _, id := range e.EvidenceIDs {
				env, err := store.Get(ctx, id)
				if err != nil {
					continue // evidence held elsewhere, or purged
				}
				y := get(env.Source)
				if !cited[id] {
					cited[id] = true
					y.Evidence++
				}
				if !seen[env.Source] {
					seen[env.Source] = true
					y.Entries++
				}
			}
		}
	}
	out := make([]sourceYield, 0, len(by))
	for _, y := range by {
		out = append(out, *y)
	}
	slices.SortFunc(out, func(a, b sourceYield) int {
		if a.Evidence != b.Evidence {
			return b.Evidence - a.Evidence
		}
		if a.Org < b.Org {
			return -1
		}
		return 1
	})
	return out, nil
}

// since is what each client did after before was taken.
func since(now, before map[string]submit.ClientStats) map[string]submit.ClientStats {
	out := map[string]submit.ClientStats{}
	for org, s := range now {
		b := before[org]
		d := submit.ClientStats{
			Delivered: s.Delivered - b.Delivered, Duplicate: s.Duplicate - b.Duplicate,
			Rejected: s.Rejected - b.Rejected, Retries: s.Retries - b.Retries, BatchesSent: s.BatchesSent - b.BatchesSent,
			DeadLettered: s.DeadLettered - b.DeadLettered, Commits: s.Commits - b.Commits,
		}
		if d.BatchesSent > 0 {
			out[org] = d
		}
	}
	return out
}
