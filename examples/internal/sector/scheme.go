package sector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/examples/internal/synth"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
)

// Scheme is the part of the scheme a program runs in its own process:
// hubs on loopback, one submit client per (organization, hub), and one
// journal that every hub and decision writes to. Hubs it does not run
// can be named by URL (Remote).
type Scheme struct {
	Dir *collab.Directory
	// Journal is in memory unless replaced (collab.OpenBoltJournal)
	// before the first hub starts.
	Journal collab.Journal
	// Rate is the records per second each client may send.
	Rate float64
	Log  *slog.Logger

	// Shared, if set before the first hub starts, gives each hub what
	// it shares with others instead of its ledger file: the sink in
	// front of local (records kept on a cluster, then locally), the
	// LedgerStore, the Purposes, and what to close when the hub stops
	// (examples/scheme -nats).
	Shared func(org string, local submit.Sink) (submit.Sink, submit.LedgerStore, submit.Purposes, func() error, error)

	data      string
	validator func() (*schema.Validator, error)
	mu        sync.Mutex
	hubs      map[string]*Hub
	remote    map[string]string
	clients   map[[2]string]*submit.Client
}

// NewScheme returns a Scheme over the synthetic directory keeping its
// files (stores, ledgers, catalogs, outboxes) in data.
func NewScheme(data string, rate float64) *Scheme {
	return &Scheme{
		Dir: synth.Directory(), Journal: collab.NewMemJournal(), Rate: rate, Log: slog.New(slog.DiscardHandler),
		data: data, validator: sync.OnceValues(func() (*schema.Validator, error) { return schema.NewValidator() }),
		hubs: map[string]*Hub{}, remote: map[string]string{}, clients: map[[2]string]*submit.Client{},
	}
}

// Validator returns the validator the scheme's clients and pipelines
// share: compiling the embedded schemas once, not once per organization.
func (s *Scheme) Validator() (*schema.Validator, error) { return s.validator() }

// Hub is a department's receiving side: the submit handler over an
// embedded store, with its ledger (nil when Scheme.Shared gives it
// another) and product catalog, served on a loopback port.
type Hub struct {
	Org     string
	URL     string
	Store   *submit.Store
	Ledger  *submit.Ledger
	Catalog *collab.BoltCatalog
	server  *http.Server
	// closeShared closes what Scheme.Shared gave the hub.
	closeShared func() error
}

// Tee is handed the records a hub accepted once they are durable in its
// store (collaboration messages included). An error makes the hub answer
// 503 and the sender retry, so a Tee must be idempotent by record id.
type Tee func(ctx context.Context, envs []schema.Envelope) error

// StartHub starts the hub of org, a department of the directory, on a
// loopback port; tee, if not nil, gets what it accepts.
func (s *Scheme) StartHub(org string, tee Tee) (*Hub, error) {
	return s.StartHubWith(org, func(store *submit.Store) (submit.Sink, error) {
		if tee == nil {
			return store, nil
		}
		return teeSink{store, tee}, nil
	})
}

// StartHubWith starts the hub of org with the sink that sink makes over
// the hub's store: a submit.Relay for a department that forwards upward.
func (s *Scheme) StartHubWith(org string, sink func(*submit.Store) (submit.Sink, error)) (*Hub, error) {
	if o, ok := s.Dir.Org(org); !ok || o.Tier == collab.SocialForce || o.Tier == collab.LeadingGroup {
		return nil, fmt.Errorf("%q runs no hub: only departments do", org)
	}
	base := filepath.Join(s.data, org)
	h := &Hub{Org: org}
	var err error
	if s.Shared == nil {
		// One file: records, ids and receipt in one transaction per batch.
		if h.Ledger, err = submit.OpenLedger(base + "-ledger.db"); err != nil {
			return nil, err
		}
		h.Store = h.Ledger.Store()
	} else if h.Store, err = submit.OpenStore(base + "-store.db"); err != nil {
		return nil, err
	}
	if h.Catalog, err = collab.OpenBoltCatalog(base + "-catalog.db"); err != nil {
		h.close(context.Background())
		return nil, err
	}
	hubSink, err := sink(h.Store)
	var ledger submit.LedgerStore = h.Ledger
	var purposes submit.Purposes
	if err == nil && s.Shared != nil {
		hubSink, ledger, purposes, h.closeShared, err = s.Shared(org, hubSink)
	}
	var handler *submit.Handler
	if err == nil {
		// A commit window of the clients' 50ms linger lets a ledger's
		// transaction hold about 2.3 requests instead of 1.3, for 8%
		// fewer ledger pages (25ms: 4%, 100ms: 10%), at up to 50ms per
		// request (docs/performance.md). A shared ledger (-nats)
		// ignores it.
		handler, err = submit.NewHandler(submit.HandlerConfig{
			Org: org, Directory: s.Dir, Sink: hubSink, Ledger: ledger, Purposes: purposes, Journal: s.Journal, Logger: s.Log,
			Limits: submit.Limits{RecordsPerSecond: 1e5, Burst: 2e5}, CommitWindow: 50 * time.Millisecond,
		})
	}
	if err == nil {
		var ln net.Listener
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err == nil {
			h.URL = "http://" + ln.Addr().String()
			h.server = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
			go h.server.Serve(ln)
		}
	}
	if err != nil {
		h.close(context.Background())
		return nil, fmt.Errorf("hub of %s: %w", org, err)
	}
	s.mu.Lock()
	s.hubs[org] = h
	s.mu.Unlock()
	return h, nil
}

type teeSink struct {
	store *submit.Store
	tee   Tee
}

func (t teeSink) Put(ctx context.Context, envs []schema.Envelope) error {
	if err := t.store.Put(ctx, envs); err != nil {
		return err
	}
	return t.tee(ctx, envs)
}

func (h *Hub) close(ctx context.Context) error {
	var errs []error
	if h.server != nil {
		errs = append(errs, h.server.Shutdown(ctx))
	}
	if h.Catalog != nil {
		errs = append(errs, h.Catalog.Close())
	}
	if h.Ledger != nil {
		errs = append(errs, h.Ledger.Close())
	}
	if h.closeShared != nil {
		errs = append(errs, h.closeShared())
	}
	return errors.Join(append(errs, h.Store.Close())...)
}

// Hub returns the hub of org if this process runs it.
func (s *Scheme) Hub(org string) (*Hub, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.hubs[org]
	return h, ok
}

// Remote names the URL of a hub this process does not run.
func (s *Scheme) Remote(org, url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remote[org] = url
}

// Reaches reports whether the hub of org is running here or named.
func (s *Scheme) Reaches(org string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.hubs[org]
	_, remote := s.remote[org]
	return ok || remote
}

// Router returns the submit.Router that sends org's records to every
// next hop the directory routes them to, each through Client(org, hop,
// relay).
func (s *Scheme) Router(org string, relay bool) (*submit.Router, error) {
	return submit.NewRouter(submit.RouterConfig{
		Org: org, Routes: s.Dir,
		Hop: func(to string) (submit.Submitter, error) {
			c, err := s.Client(org, to, relay)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	})
}

// ReleaseMemory drops from the process's resident set the pages of
// every hub's store and every client's outbox the scheme has read
// (Store.ReleaseMemory, Client.ReleaseMemory): bbolt maps each file, and
// without this the RSS of a long run grows with the files.
func (s *Scheme) ReleaseMemory() error {
	s.mu.Lock()
	var stores []*submit.Store
	for _, h := range s.hubs {
		stores = append(stores, h.Store)
	}
	var clients []*submit.Client
	for _, c := range s.clients {
		clients = append(clients, c)
	}
	s.mu.Unlock()
	var errs []error
	for _, st := range stores {
		errs = append(errs, st.ReleaseMemory())
	}
	for _, c := range clients {
		errs = append(errs, c.ReleaseMemory())
	}
	return errors.Join(errs...)
}

// Client returns the client org submits to the hub of to with, made on
// first use with the scheme's rate limit and an outbox in the data
// folder. relay lets it forward records other organizations collected
// (a general business department relaying upward); the one client of a
// general business department relays whatever the first caller asked, as
// it carries the department's own records and its sector's alike.
func (s *Scheme) Client(org, to string, relay bool) (*submit.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[[2]string{org, to}]; ok {
		return c, nil
	}
	if o, ok := s.Dir.Org(org); ok && o.Tier == collab.GeneralBusinessDepartment {
		relay = true
	}
	url := s.remote[to]
	if h, ok := s.hubs[to]; ok {
		url = h.URL
	}
	if url == "" {
		return nil, fmt.Errorf("no hub of %s here: start it or name its URL", to)
	}
	v, err := s.validator()
	if err != nil {
		return nil, err
	}
	// The pipelines' Submits reach an outbox a few at a time: a commit
	// window of half the linger lets one transaction hold several times
	// more of them (docs/performance.md), at up to 25ms per Submit.
	c, err := submit.NewClient(submit.ClientConfig{
		Endpoint: url, Org: org, Token: synth.Token(org), Relay: relay, Validator: v,
		OutboxPath:       filepath.Join(s.data, "outbox-"+org+"-to-"+to+".db"),
		RecordsPerSecond: s.Rate, Linger: 50 * time.Millisecond, CommitWindow: 25 * time.Millisecond, Logger: s.Log,
		Retry: submit.RetryPolicy{InitialInterval: 50 * time.Millisecond, MaxInterval: time.Second},
	})
	if err != nil {
		return nil, err
	}
	s.clients[[2]string{org, to}] = c
	return c, nil
}

// Post sends a collaboration message from org to the hub of each of to.
func (s *Scheme) Post(ctx context.Context, org, kind string, purpose schema.Purpose, payload any, to ...string) error {
	env, err := Message(org, kind, purpose, payload)
	if err != nil {
		return err
	}
	for _, t := range to {
		c, err := s.Client(org, t, false)
		if err == nil {
			err = c.Submit(ctx, env)
		}
		if err != nil {
			return fmt.Errorf("%s sends %s to %s: %w", org, kind, t, err)
		}
	}
	return nil
}

// Flush sends what the clients of orgs hold and waits for the receipts.
func (s *Scheme) Flush(ctx context.Context, orgs ...string) error {
	var errs []error
	for _, c := range s.clientsOf(orgs...) {
		errs = append(errs, c.Flush(ctx))
	}
	return errors.Join(errs...)
}

// Written sums what the scheme's files wrote since they were opened, by
// kind of file: "ledgers" (with the store in each ledger's file),
// "stores" (a store in a file of its own, beside a shared ledger),
// "catalogs", "outboxes" and "journal" (a collab.BoltJournal).
func (s *Scheme) Written() map[string]submit.WriteStats {
	s.mu.Lock()
	hubs := slices.Collect(maps.Values(s.hubs))
	clients := slices.Collect(maps.Values(s.clients))
	s.mu.Unlock()
	out := map[string]submit.WriteStats{}
	add := func(kind string, w submit.WriteStats) {
		t := out[kind]
		t.Commits += w.Commits
		t.Bytes += w.Bytes
		out[kind] = t
	}
	for _, h := range hubs {
		if h.Ledger != nil {
			add("ledgers", h.Ledger.Written())
		} else {
			add("stores", h.Store.Written())
		}
		add("catalogs", h.Catalog.Written())
	}
	for _, c := range clients {
		add("outboxes", c.Stats().OutboxWritten)
	}
	if j, ok := s.Journal.(interface{ Written() collab.WriteStats }); ok {
		add("journal", j.Written())
	}
	return out
}

// Stats sums the counters of the clients of orgs.
func (s *Scheme) Stats(orgs ...string) submit.ClientStats {
	var t submit.ClientStats
	for _, c := range s.clientsOf(orgs...) {
		x := c.Stats()
		t.Delivered += x.Delivered
		t.Duplicate += x.Duplicate
		t.Rejected += x.Rejected
		t.DeadLettered += x.DeadLettered
		t.Retries += x.Retries
		t.BatchesSent += x.BatchesSent
		t.Commits += x.Commits
		t.Queued += x.Queued
		t.InFlight += x.InFlight
	}
	return t
}

func (s *Scheme) clientsOf(orgs ...string) []*submit.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*submit.Client
	for k, c := range s.clients {
		if slices.Contains(orgs, k[0]) {
			out = append(out, c)
		}
	}
	return out
}

// Close stops the clients (sending what they still hold until ctx
// ends; each closes its idle connections, which a hub's Shutdown would
// wait for), then stops the hubs.
func (s *Scheme) Close(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, c := range s.clients {
		errs = append(errs, c.Close(ctx))
	}
	for _, h := range s.hubs {
		errs = append(errs, h.close(ctx))
	}
	return errors.Join(errs...)
}

// Held counts what the hub holds, by kind.
func (h *Hub) Held(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	for _, k := range schema.Kinds() {
		err := h.Scan(ctx, k.Kind, func(schema.Envelope) error { out[k.Kind]++; return nil })
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Scan hands every record of kind the hub holds to fn, oldest first.
func (h *Hub) Scan(ctx context.Context, kind string, fn func(schema.Envelope) error) error {
	cursor := ""
	for {
		page, err := h.Store.Scan(ctx, submit.ScanQuery{Kind: kind, Limit: 1000, Cursor: cursor})
		if err != nil {
			return err
		}
		for _, env := range page.Records {
			if err := fn(env); err != nil {
				return err
			}
		}
		// What the page read leaves the resident set: RSS stays bounded
		// by a page, not by the store.
		if err := h.Store.ReleaseMemory(); err != nil {
			return err
		}
		if page.Next == "" {
			return nil
		}
		cursor = page.Next
	}
}

// PrintHeld writes what the hub holds, kind by kind, and returns the
// number of records (collaboration messages not counted).
func (h *Hub) PrintHeld(ctx context.Context, w io.Writer) (int, error) {
	held, err := h.Held(ctx)
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(w, "hub %s holds:\n", h.Org)
	records := 0
	for _, k := range slices.Sorted(mapKeys(held)) {
		fmt.Fprintf(w, "  %-26s %6d\n", k, held[k])
		if !collab.IsMessageKind(k) {
			records += held[k]
		}
	}
	return records, nil
}

// NewID returns a new UUID v7 (schema.NewID).
func NewID() string { return schema.NewID() }

// Message wraps a collaboration payload in an envelope from org.
func Message(org, kind string, purpose schema.Purpose, payload any) (schema.Envelope, error) {
	now := time.Now().UTC().Truncate(time.Second)
	env := schema.Envelope{
		ID: NewID(), Kind: kind, SchemaVersion: 1, Source: org, CollectedAt: now,
		Purpose: purpose, LegalBasis: "synthetic demonstration of the collaboration scheme",
		Handling: schema.HandlingAmber, RetainUntil: now.AddDate(1, 0, 0),
	}
	return env, env.SetPayload(payload)
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
