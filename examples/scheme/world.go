package main

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/examples/internal/sector"
	"github.com/sicollab/sicollab/submit"
)

// world is the whole scheme in one process: a hub (receiving handler,
// embedded store, catalog) per department on loopback, a submit client
// per organization and hub (sector.Scheme), and one durable journal.
type world struct {
	*sector.Scheme
	journal *collab.BoltJournal
	now     func() time.Time
	flows   *flows    // what reaches each hub, per round
	read    *readSide // the ministries' catalogs over TAXII
	// stopRelease stops the goroutine that keeps the mapped pages of the
	// stores and outboxes out of the resident set (releaseEvery).
	stopRelease func()
}

// releaseEvery is how often the pages of the stores and outboxes read
// are dropped from the process's resident set (Scheme.ReleaseMemory).
const releaseEvery = 2 * time.Second

// releaseMemory calls ReleaseMemory every releaseEvery until stop is
// called; stop waits for it to end.
func (w *world) releaseMemory() (stop func()) {
	return ticking(releaseEvery, func() {
		if err := w.Scheme.ReleaseMemory(); err != nil && w.Log != nil {
			w.Log.Warn("release memory", "err", err)
		}
	})
}

// departments are the organizations that run a hub: everyone but the
// leading group and the social forces.
func departments(dir *collab.Directory) []collab.Org {
	return append(dir.ByTier(collab.SpecializedDepartment), dir.ByTier(collab.GeneralBusinessDepartment)...)
}

func newWorld(data string, rate float64, log *slog.Logger) (*world, error) {
	j, err := collab.OpenBoltJournal(filepath.Join(data, "journal.db"))
	if err != nil {
		return nil, err
	}
	w := &world{Scheme: sector.NewScheme(data, rate), journal: j, now: time.Now, flows: newFlows(time.Now)}
	w.Journal, w.Log = j, log
	if sharedHubs != nil { // -nats (nats.go)
		sharedHubs(w.Scheme)
	}
	for _, o := range departments(w.Dir) {
		// A ministry keeps what it receives and relays it upward.
		specialized := o.Tier == collab.SpecializedDepartment
		sink := func(store *submit.Store) (submit.Sink, error) { return w.flows.sink(o.ID, specialized, store), nil }
		if o.Tier == collab.GeneralBusinessDepartment {
			sink = func(store *submit.Store) (submit.Sink, error) {
				up, err := w.Router(o.ID, true)
				if err != nil {
					return nil, err
				}
				r, err := submit.NewRelay(store, up, o.ID, w.now)
				return w.flows.sink(o.ID, specialized, verdictSink{w: w, org: o.ID, store: store, next: r}), err
			}
		}
		if _, err := w.StartHubWith(o.ID, sink); err != nil {
			w.close(context.Background())
			return nil, err
		}
	}
	if err := w.serveTAXII(); err != nil {
		w.close(context.Background())
		return nil, err
	}
	w.stopRelease = w.releaseMemory()
	return w, nil
}

// hub returns the hub of a department the world runs.
func (w *world) hub(org string) *sector.Hub {
	h, _ := w.Hub(org)
	return h
}

// flush sends what the clients of the organizations of tier hold and
// waits for the receipts.
func (w *world) flush(ctx context.Context, tier collab.Tier) error {
	var orgs []string
	for _, o := range w.Dir.ByTier(tier) {
		orgs = append(orgs, o.ID)
	}
	return w.Flush(ctx, orgs...)
}

// stats are the client counters of each organization that submitted.
func (w *world) stats() map[string]submit.ClientStats {
	out := map[string]submit.ClientStats{}
	for _, o := range w.Dir.Orgs() {
		if s := w.Stats(o.ID); s.BatchesSent > 0 {
			out[o.ID] = s
		}
	}
	return out
}

// close stops the clients (sending what they can until ctx ends), the
// hubs, then the journal.
func (w *world) close(ctx context.Context) error {
	if w.stopRelease != nil {
		w.stopRelease()
	}
	return errors.Join(w.read.close(ctx), w.Scheme.Close(ctx), w.journal.Close())
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
