package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/examples/internal/synth"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
)

// world is the whole scheme in one process: a hub (receiving handler and
// embedded store) per department on loopback, a submit client per
// organization and upstream hub, one journal and one product catalog per
// department.
type world struct {
	dir     *collab.Directory
	data    string
	journal *collab.BoltJournal
	log     *slog.Logger
	now     func() time.Time

	hubs map[string]*hub

	mu      sync.Mutex
	clients map[[2]string]*submit.Client // (org, hub) -> client
	rate    float64
}

// hub is one department's receiving side.
type hub struct {
	org     string
	store   *submit.Store
	ledger  *submit.Ledger
	catalog *collab.BoltCatalog
	server  *http.Server
	url     string
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

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
	w := &world{
		dir: synth.Directory(), data: data, journal: j, log: log, now: time.Now,
		hubs: map[string]*hub{}, clients: map[[2]string]*submit.Client{}, rate: rate,
	}
	for _, o := range departments(w.dir) {
		if err := w.startHub(o); err != nil {
			w.close(context.Background())
			return nil, fmt.Errorf("start hub of %s: %w", o.ID, err)
		}
	}
	return w, nil
}

// startHub opens a department's store, ledger and catalog and serves its
// handler on a loopback port. A general business department's sink keeps
// each record and relays it to the specialized departments its route names.
func (w *world) startHub(o collab.Org) error {
	dir := filepath.Join(w.data, o.ID)
	h := &hub{org: o.ID}
	var err error
	if h.store, err = submit.OpenStore(dir + "-store.db"); err != nil {
		return err
	}
	if h.ledger, err = submit.OpenLedger(dir + "-ledger.db"); err != nil {
		return err
	}
	if h.catalog, err = collab.OpenBoltCatalog(dir + "-catalog.db"); err != nil {
		return err
	}
	var sink submit.Sink = h.store
	if o.Tier == collab.GeneralBusinessDepartment {
		// A ministry keeps what it receives and relays it upward.
		if sink, err = submit.NewRelay(h.store, upstream{w: w, org: o.ID}, o.ID, w.now); err != nil {
			return err
		}
	}
	handler, err := submit.NewHandler(submit.HandlerConfig{
		Org: o.ID, Directory: w.dir, Sink: sink, Ledger: h.ledger, Journal: w.journal, Logger: w.log,
		Limits: submit.Limits{RecordsPerSecond: 1e6, Burst: 2e6},
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	h.server = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	h.url = "http://" + ln.Addr().String()
	go h.server.Serve(ln)
	w.hubs[o.ID] = h
	return nil
}

// upstream is a general business department's submit.BatchForwarder: it
// queues each record its hub relays with the client towards every
// specialized department the directory routes the record's kind to, one
// outbox commit per department and batch.
type upstream struct {
	w   *world
	org string
}

func (u upstream) Submit(ctx context.Context, env schema.Envelope) error {
	return u.SubmitMany(ctx, []schema.Envelope{env})
}

func (u upstream) SubmitMany(ctx context.Context, envs []schema.Envelope) error {
	byHub := map[string][]schema.Envelope{}
	for _, env := range envs {
		next, err := u.w.dir.Route(u.org, env.Kind)
		if err != nil {
			return err
		}
		for _, to := range next {
			byHub[to] = append(byHub[to], env)
		}
	}
	for to, batch := range byHub {
		c, err := u.w.client(u.org, to, true)
		if err != nil {
			return err
		}
		if err := c.SubmitMany(ctx, batch); err != nil {
			return fmt.Errorf("relay %d records to %s: %w", len(batch), to, err)
		}
	}
	return nil
}

// client returns the client of org towards the hub of to, made on first
// use. relay lets it forward records other organizations collected.
func (w *world) client(org, to string, relay bool) (*submit.Client, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.clients[[2]string{org, to}]; ok {
		return c, nil
	}
	h, ok := w.hubs[to]
	if !ok {
		return nil, fmt.Errorf("%s runs no hub", to)
	}
	c, err := submit.NewClient(submit.ClientConfig{
		Endpoint: h.url, Org: org, Token: synth.Token(org), Relay: relay,
		OutboxPath:       filepath.Join(w.data, "outbox-"+org+"-to-"+to+".db"),
		RecordsPerSecond: w.rate, Linger: 50 * time.Millisecond, Logger: w.log,
		Retry: submit.RetryPolicy{InitialInterval: 50 * time.Millisecond, MaxInterval: time.Second},
	})
	if err != nil {
		return nil, err
	}
	w.clients[[2]string{org, to}] = c
	return c, nil
}

// flush sends what the clients of orgs hold and waits for the receipts.
func (w *world) flush(ctx context.Context, orgs func(collab.Org) bool) error {
	w.mu.Lock()
	var cs []*submit.Client
	for k, c := range w.clients {
		if o, ok := w.dir.Org(k[0]); ok && orgs(o) {
			cs = append(cs, c)
		}
	}
	w.mu.Unlock()
	var errs []error
	for _, c := range cs {
		errs = append(errs, c.Flush(ctx))
	}
	return errors.Join(errs...)
}

// stats sums the client counters of each organization.
func (w *world) stats() map[string]submit.ClientStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]submit.ClientStats{}
	for k, c := range w.clients {
		s, t := c.Stats(), out[k[0]]
		t.Delivered += s.Delivered
		t.Duplicate += s.Duplicate
		t.Rejected += s.Rejected
		t.DeadLettered += s.DeadLettered
		t.Retries += s.Retries
		t.BatchesSent += s.BatchesSent
		out[k[0]] = t
	}
	return out
}

// send submits a collaboration message from org to the hub of each of to.
func (w *world) send(ctx context.Context, org string, env schema.Envelope, to ...string) error {
	for _, t := range to {
		c, err := w.client(org, t, false)
		if err != nil {
			return err
		}
		if err := c.Submit(ctx, env); err != nil {
			return fmt.Errorf("%s sends %s to %s: %w", org, env.Kind, t, err)
		}
	}
	return nil
}

// message wraps a collaboration payload in an envelope from org.
func (w *world) message(org, kind string, purpose schema.Purpose, payload any) (schema.Envelope, error) {
	now := w.now().UTC().Truncate(time.Second)
	env := schema.Envelope{
		ID: newID(), Kind: kind, SchemaVersion: 1, Source: org, CollectedAt: now,
		Purpose: purpose, LegalBasis: "synthetic demonstration of the collaboration scheme",
		Handling: schema.HandlingAmber, RetainUntil: now.AddDate(1, 0, 0),
	}
	return env, env.SetPayload(payload)
}

// close stops the clients (sending what they can until ctx ends), then the
// servers, then the stores.
func (w *world) close(ctx context.Context) error {
	var errs []error
	w.mu.Lock()
	for _, c := range w.clients {
		errs = append(errs, c.Close(ctx))
	}
	w.mu.Unlock()
	for _, id := range slices.Sorted(mapsKeys(w.hubs)) {
		h := w.hubs[id]
		errs = append(errs, h.server.Shutdown(ctx), h.store.Close(), h.ledger.Close(), h.catalog.Close())
	}
	errs = append(errs, w.journal.Close())
	return errors.Join(errs...)
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
