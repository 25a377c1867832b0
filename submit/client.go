package submit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/sicollab/sicollab/internal/boltdb"
	"github.com/sicollab/sicollab/schema"
)

// Errors of the Client. Each is returned wrapped, with the values that
// caused it; test with errors.Is.
var (
	// ErrClientClosed is returned by Submit, SubmitMany, Flush, Resubmit
	// and Close once Close has been called.
	ErrClientClosed = errors.New("submit: client closed")
	// ErrOutboxFull is returned by Submit and SubmitMany (and Resubmit)
	// when queueing the records would take the outbox past
	// MaxOutboxRecords or MaxOutboxBytes. Nothing of that call is queued.
	// With BlockWhenFull, Submit waits for room instead and returns
	// ErrOutboxFull joined with the context's error if ctx ends first.
	ErrOutboxFull = errors.New("submit: outbox full")
	// ErrForeignSource is returned by Submit and SubmitMany for an
	// envelope whose Source is not ClientConfig.Org (unless Relay is set).
	ErrForeignSource = errors.New("submit: envelope source is not the client's organization")
	// ErrCredentials is returned by Flush and Close, and reported in
	// ClientStats.LastError, once the hub answered 401 or 403: the hub
	// refused this organization or its token. The client stops sending
	// (every later batch would be refused the same way) and keeps every
	// record in the outbox: the records are not at fault. Fix the token
	// or the hub's directory, then call Resume or start a new client.
	ErrCredentials = errors.New("submit: hub refused the client's credentials")
	// ErrUndelivered is returned by Close when records remain in the
	// outbox (the hub was unreachable, refused, or ctx ended first).
	// They are durable and are sent by the next client opened over the
	// same OutboxPath.
	ErrUndelivered = errors.New("submit: records left undelivered in the outbox")
	// ErrNoDeadLetter is returned by Resubmit and Discard for an id that
	// is not in the dead-letter store.
	ErrNoDeadLetter = errors.New("submit: no such dead letter")
)

// IndexError says which envelope of a SubmitMany call was refused, and
// why. Err is the *schema.ValidationError, or wraps ErrForeignSource.
type IndexError struct {
	Index int   // position of the envelope in the SubmitMany call
	Err   error // why it was refused
}

// Error implements error.
func (e *IndexError) Error() string {
	return fmt.Sprintf("submit: envelope %d: %v", e.Index, e.Err)
}

// Unwrap returns the reason the envelope was refused.
func (e *IndexError) Unwrap() error { return e.Err }

// Client submits envelopes to a hub through a durable outbox.
//
// Submit validates an envelope, stamps this organization's provenance hop
// and returns once the record is durable on disk; a sender goroutine
// forms batches from the oldest records, sends them with rate limits and
// retries, and deletes records only once a receipt covers them. A crash
// or restart loses nothing: a new Client over the same OutboxPath resends
// the batch that was in flight with the same Idempotency-Key, so the hub
// answers with its stored receipt instead of storing a second copy.
//
// Memory does not grow with the backlog: the outbox is read one batch at
// a time by cursor. A Client is safe for concurrent use.
type Client struct {
	cfg   ClientConfig
	log   *slog.Logger
	ob    *outbox
	gzip  bool
	chain *sendChain // retry -> rate -> sign -> transport; see chain.go
	// ownHTTP is the HTTP client NewClient made when the config had
	// none; Close closes its idle connections (a server's Shutdown waits
	// for a connection dialed but never used).
	ownHTTP *http.Client
	settle  *settler // applies each batch's outcome
	trace   tracing

	mu        sync.Mutex
	closed    bool
	submits   sync.WaitGroup
	shut      chan struct{} // closed first by Close: Submit waiting for room gives up
	closing   chan struct{} // closed by Close once no Submit runs: stop retrying, drain
	runCtx    context.Context
	cancelRun context.CancelFunc
	wake      chan struct{} // records were queued
	flushing  atomic.Int32  // Flush calls waiting: skip linger
	resumeMu  sync.Mutex
	resume    chan struct{} // closed and replaced by Resume after ErrCredentials

	senderDone chan struct{} // closed once every sender has returned
	drainMu    sync.Mutex
	drainErr   error // the first error a sender stopped draining with

	st       clientStats
	met      *clientMetrics // nil without ClientConfig.Metrics
	refusals refusals       // tells each Flush of the dead letters among its records
}

// NewClient opens (or creates) the outbox at cfg.OutboxPath and starts
// the senders (cfg.MaxInFlightBatches). Batches that were in flight when a previous client stopped
// are sent first, with their persisted idempotency keys. The hub's
// limits are fetched (GET /v1/limits) before the first batch, not here:
// NewClient does not need the hub to be up.
func NewClient(cfg ClientConfig) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	given := cfg.HTTPClient
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.Endpoint)
	c := &Client{
		cfg:        cfg,
		log:        cfg.Logger.With("org", cfg.Org),
		gzip:       cfg.Gzip == GzipAlways || (cfg.Gzip == GzipAuto && !isLoopback(u.Hostname())),
		shut:       make(chan struct{}),
		closing:    make(chan struct{}),
		wake:       make(chan struct{}, 1),
		resume:     make(chan struct{}),
		senderDone: make(chan struct{}),
	}
	if given == nil {
		c.ownHTTP = cfg.HTTPClient
	}
	c.trace = newTracing(cfg.TracerProvider, cfg.Propagator)
	h := &hold{}
	c.chain = connectSenders(
		newRetrySender(cfg.Retry, cfg.Clock, cfg.NewTimer, h, c.noteErr, &c.st.retries, c.log),
		newRateSender(cfg, h),
		cfg.Signer,
		newTransportSender(strings.TrimRight(cfg.Endpoint, "/"), cfg, h, &c.st.batches, c.log, c.trace),
	)
	ob, err := openOutboxWith(cfg.OutboxPath, cfg.MaxOutboxRecords, cfg.MaxOutboxBytes, c.signal, gatherPolicy{
		window: cfg.CommitWindow, records: cfg.MaxBatchRecords, bytes: int64(cfg.MaxBatchBytes),
		clock: cfg.Clock, newTimer: cfg.NewTimer, cut: c.shut,
	})
	if err != nil {
		c.chain.shutdown()
		return nil, err
	}
	c.ob = ob
	c.settle = &settler{ob: ob, st: &c.st, refusals: &c.refusals, log: c.log, org: cfg.Org, clock: cfg.Clock, onReceipt: cfg.OnReceipt}
	if c.met, err = registerClientMetrics(cfg.Metrics, c); err != nil {
		c.chain.shutdown()
		ob.close()
		return nil, err
	}
	c.chain.rate.onWait = c.met.waited // before any sender runs
	c.runCtx, c.cancelRun = context.WithCancel(context.Background())
	senders := make([]*sender, cfg.MaxInFlightBatches)
	for i := range senders {
		senders[i] = &sender{c: c}
	}
	if n := len(ob.resumed); n > 0 {
		c.log.Info("submit: resuming batches in flight before the last stop", "batches", n)
	}
	for i, b := range ob.resumed { // oldest first, spread over the senders
		s := senders[i%len(senders)]
		s.queue = append(s.queue, b)
	}
	ob.resumed = nil
	var wg sync.WaitGroup
	for _, s := range senders {
		wg.Go(s.run)
	}
	go func() {
		wg.Wait()
		close(c.senderDone)
	}()
	return c, nil
}

// stopDraining records why a sender stopped draining; Close reports the
// first.
func (c *Client) stopDraining(err error) {
	c.drainMu.Lock()
	defer c.drainMu.Unlock()
	if c.drainErr == nil {
		c.drainErr = err
	}
}

// resumed returns a channel closed by the next Resume.
func (c *Client) resumed() <-chan struct{} {
	c.resumeMu.Lock()
	defer c.resumeMu.Unlock()
	return c.resume
}

func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *Client) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// enter registers a call that may queue records; Close waits for it.
func (c *Client) enter() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClientClosed
	}
	c.submits.Add(1)
	return nil
}

// Submit validates env, stamps this organization's provenance hop and
// queues it, returning once the record is durable in the outbox.
//
// An invalid envelope is refused at once with the validator's
// *schema.ValidationError and nothing is queued; so is one whose Source
// is not ClientConfig.Org (ErrForeignSource) unless Relay is set.
//
// The hop (Org, Stage, now, payload digest) is stamped unless the
// envelope's last hop is already this organization's: a pipeline that
// stamped its own processing hop, or a dead letter resubmitted, is not
// stamped twice. env is not modified.
//
// Concurrent calls share one disk transaction (group commit), which may
// wait up to ClientConfig.CommitWindow for more of them. Submit
// returns ErrOutboxFull when the outbox is at its bounds (or waits, with
// BlockWhenFull), ErrClientClosed after Close, or ctx's error: if ctx
// ends before the transaction begins, nothing is queued; once it has
// begun, Submit waits for its outcome.
func (c *Client) Submit(ctx context.Context, env schema.Envelope) error {
	if err := c.enter(); err != nil {
		return err
	}
	defer c.submits.Done()
	ctx, span := c.trace.tracer.Start(ctx, SpanSubmit, trace.WithSpanKind(trace.SpanKindProducer))
	defer span.End()
	prepared, err := c.prepare(env, traceIDOf(ctx))
	if err != nil {
		span.SetStatus(codes.Error, "envelope refused")
		return err
	}
	recs, err := c.records([]schema.Envelope{prepared})
	if err != nil {
		return err
	}
	return c.queue(ctx, recs, true)
}

// SubmitMany queues envs in one disk transaction, all or nothing: every
// envelope is validated and stamped first, as by Submit, and the first
// one refused is reported as an *IndexError (Index, and Err the
// *schema.ValidationError or ErrForeignSource) with nothing queued. The
// whole call must fit the outbox bounds, or nothing is queued
// (ErrOutboxFull). For bulk loads; calls of a few thousand envelopes
// keep the transaction's memory small. The envelopes are validated on up
// to GOMAXPROCS goroutines: validation is most of the client's work.
func (c *Client) SubmitMany(ctx context.Context, envs []schema.Envelope) error {
	if err := c.enter(); err != nil {
		return err
	}
	defer c.submits.Done()
	ctx, span := c.trace.tracer.Start(ctx, SpanSubmit, trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.Int("sicollab.records", len(envs))))
	defer span.End()
	tid := traceIDOf(ctx)
	prepared := make([]schema.Envelope, len(envs))
	errs := make([]error, len(envs))
	var firstBad atomic.Int64 // lowest index refused so far; later ones need no work
	firstBad.Store(int64(len(envs)))
	parallel(len(envs), func(i int) {
		if int64(i) > firstBad.Load() {
			return
		}
		if ctx.Err() != nil {
			errs[i] = ctx.Err()
		} else {
			prepared[i], errs[i] = c.prepare(envs[i], tid)
		}
		if errs[i] != nil {
			for {
				cur := firstBad.Load()
				if int64(i) >= cur || firstBad.CompareAndSwap(cur, int64(i)) {
					break
				}
			}
		}
	})
	if i := firstBad.Load(); i < int64(len(envs)) {
		if err := errs[i]; err == ctx.Err() {
			return err // the context ended, not the envelope
		}
		return &IndexError{Index: int(i), Err: errs[i]}
	}
	recs, err := c.records(prepared)
	if err != nil {
		return err
	}
	return c.queue(ctx, recs, true)
}

// prepare checks the source, stamps (with traceID, see
// schema.Envelope.TraceLastHop) and validates env, returning it as it
// will be sealed and sent (see records).
func (c *Client) prepare(env schema.Envelope, traceID string) (schema.Envelope, error) {
	if !c.cfg.Relay && env.Source != c.cfg.Org {
		return env, fmt.Errorf("%w: source %q, client org %q", ErrForeignSource, env.Source, c.cfg.Org)
	}
	if n := len(env.Provenance); n == 0 || env.Provenance[n-1].Org != c.cfg.Org {
		now := c.cfg.Clock()
		if (traceID == "" || schema.IsTraceID(traceID)) && c.cfg.Validator.QuickStamp(&env, c.cfg.Org, c.cfg.Stage, now) {
			env.TraceLastHop(traceID) // a valid id, or an earlier hop's, which QuickStamp checked
			return env, nil           // stamped and validated in one pass over the payload
		}
		if err := env.Stamp(c.cfg.Org, c.cfg.Stage, now); err != nil {
			// The payload cannot be canonicalized: let the validator say why.
			if verr := c.cfg.Validator.ValidateEnvelope(env); verr != nil {
				return env, verr
			}
			return env, fmt.Errorf("submit: stamp provenance of %s: %w", env.ID, err)
		}
		env.TraceLastHop(traceID)
	}
	if err := c.cfg.Validator.ValidateEnvelope(env); err != nil {
		return env, err
	}
	return env, nil
}

// queue makes recs durable through the committer; if mayWait, they may
// wait its gather window (ClientConfig.CommitWindow).
func (c *Client) queue(ctx context.Context, recs [][]byte, mayWait bool) error {
	enqueue := c.ob.enqueueAtOnce
	if mayWait {
		enqueue = c.ob.enqueue
	}
	for {
		space := c.ob.spaceSignal()
		err := enqueue(ctx, recs, c.cfg.Clock())
		if !errors.Is(err, ErrOutboxFull) || !c.cfg.BlockWhenFull {
			return err
		}
		select {
		case <-space:
		case <-c.shut:
			return ErrClientClosed
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		}
	}
}

// Flush sends every record queued when it is called, without waiting
// Linger, and returns once receipts cover them all (delivered, duplicate
// or dead-lettered), or with ctx's error. Records queued during Flush
// are sent too but not waited for. Retries go on as usual, bounded by
// ctx; Flush returns an error wrapping ErrCredentials if the hub refuses
// the client's credentials, and ErrClientClosed after Close. When every
// record is covered but some were dead-lettered (rejected by the hub, too
// large, given up on), Flush returns a *RefusedError (errors.Is
// ErrRefused) that counts them by cause and reason; it counts too the
// records dead-lettered before it was called that no earlier Flush
// reported (a full batch the hub refused before Flush was called).
func (c *Client) Flush(ctx context.Context) error {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return ErrClientClosed
	}
	target := c.ob.lastSeq()
	w := c.refusals.watch(target)
	c.flushing.Add(1)
	defer c.flushing.Add(-1)
	c.signal()
	for {
		progress := c.ob.progressSignal()
		if c.ob.coveredUpTo(target) {
			return c.refusals.done(w)
		}
		if err := c.st.credentialsErr(); err != nil {
			c.refusals.done(w)
			return err
		}
		select {
		case <-progress:
		case <-c.senderDone:
			if c.ob.coveredUpTo(target) {
				return c.refusals.done(w)
			}
			c.refusals.done(w)
			return ErrClientClosed
		case <-ctx.Done():
			c.refusals.done(w)
			return ctx.Err()
		}
	}
}

// Resume restarts sending after the hub refused the client's credentials
// (ErrCredentials), for when the hub's directory has been corrected. It
// does nothing otherwise.
func (c *Client) Resume() {
	c.st.clearCredentials()
	c.resumeMu.Lock()
	close(c.resume) // every sender waiting on credentials looks again
	c.resume = make(chan struct{})
	c.resumeMu.Unlock()
}

// Close shuts the client down, in this order:
//
//  1. Submit, SubmitMany, Flush and Resubmit return ErrClientClosed from
//     now on; calls already queueing finish (one waiting for room in a
//     full outbox returns ErrClientClosed).
//  2. Retrying stops, first, as in OpenTelemetry's exporterhelper: a
//     backoff in progress ends at once, so a hub that is down does not
//     hold Close for its retry policy.
//  3. The senders drain: every queued record is sent without linger
//     (rate limits still apply), each batch once, until the outbox is
//     empty, a batch fails (its records stay, with its key), or ctx ends
//     (the request in progress is abandoned; the hub may have stored it,
//     and the next start resends it under the same key).
//  4. The senders stop and the outbox is closed.
//
// Nothing is lost: whatever was not delivered stays in the outbox, and a
// new Client over the same OutboxPath sends it. Close returns nil when
// the outbox was drained, and otherwise an error wrapping ErrUndelivered
// and the cause (ctx's error, the first error a sender stopped draining
// with, or ErrCredentials).
// A second Close returns ErrClientClosed.
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClientClosed
	}
	c.closed = true
	c.mu.Unlock()
	close(c.shut)
	c.submits.Wait()
	close(c.closing)
	c.chain.stopRetrying()
	var cause error
	select {
	case <-c.senderDone:
		c.drainMu.Lock()
		cause = c.drainErr
		c.drainMu.Unlock()
	case <-ctx.Done():
		cause = ctx.Err()
	}
	c.chain.shutdown()
	c.cancelRun()
	<-c.senderDone
	if c.ownHTTP != nil {
		c.ownHTTP.CloseIdleConnections()
	}
	left := c.ob.count()
	c.met.unregister()
	c.ob.close()
	if left.records > 0 {
		if cause == nil {
			cause = errors.New("submit: sender stopped")
		}
		return fmt.Errorf("%w: %d records stay for the next start: %w", ErrUndelivered, left.records, cause)
	}
	return nil
}

// ClientStats is a snapshot of a Client's state and counters. Counters
// count since NewClient; Queued, InFlight, OutboxBytes and DeadLetters
// are what the outbox holds now.
type ClientStats struct {
	Queued      int64 // records in the outbox not yet in a batch
	InFlight    int64 // records in batches sent or about to be, awaiting a receipt
	OutboxBytes int64 // bytes of the records in the outbox
	DeadLetters int64 // records in the dead-letter store

	Delivered    uint64 // records the hub accepted
	Duplicate    uint64 // records the hub already had (a success)
	Rejected     uint64 // records the hub rejected (moved to the dead letters)
	DeadLettered uint64 // records moved to the dead letters, rejected ones included
	Retries      uint64 // attempts after a failed one
	BatchesSent  uint64 // HTTP attempts to send a batch
	Commits      uint64 // outbox write transactions that queued records (group commit)

	// OutboxWritten is what every write transaction of the outbox
	// (queueing, claiming, completing, dead-lettering) wrote to its file
	// since NewClient.
	OutboxWritten WriteStats

	Paused      bool      // sending stopped on ErrCredentials
	LastError   error     // the last send error, nil if none yet
	LastErrorAt time.Time // when it happened
}

type clientStats struct {
	delivered, duplicate, rejected, deadLettered, retries, batches atomic.Uint64

	mu          sync.Mutex
	lastErr     error
	lastErrAt   time.Time
	credentials error
}

func (s *clientStats) setErr(err error, at time.Time) {
	s.mu.Lock()
	s.lastErr, s.lastErrAt = err, at
	if errors.Is(err, ErrCredentials) {
		s.credentials = err
	}
	s.mu.Unlock()
}

func (s *clientStats) credentialsErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.credentials
}

func (s *clientStats) clearCredentials() {
	s.mu.Lock()
	s.credentials = nil
	s.mu.Unlock()
}

// noteErr records a send error; a credentials error also wakes Flush.
func (c *Client) noteErr(err error) {
	c.st.setErr(err, c.cfg.Clock())
	if errors.Is(err, ErrCredentials) {
		c.ob.released()
	}
}

// ReleaseMemory drops the pages of the outbox file that the client has
// read from the process's resident set (on Linux; elsewhere it does
// nothing), as Store.ReleaseMemory does for a store: a backlog of many
// records otherwise stays counted in RSS after it was sent. The pages
// stay in the OS page cache.
func (c *Client) ReleaseMemory() error {
	if err := c.ob.db.Release(); err != nil {
		return fmt.Errorf("submit: client: release memory: %w", boltdb.Closed(err, ErrClientClosed))
	}
	return nil
}

// Stats returns a snapshot of the client's state and counters.
func (c *Client) Stats() ClientStats {
	n := c.ob.count()
	c.st.mu.Lock()
	lastErr, lastAt, paused := c.st.lastErr, c.st.lastErrAt, c.st.credentials != nil
	c.st.mu.Unlock()
	return ClientStats{
		Queued:        n.records - n.inflight,
		InFlight:      n.inflight,
		OutboxBytes:   n.bytes,
		DeadLetters:   n.dead,
		Delivered:     c.st.delivered.Load(),
		Duplicate:     c.st.duplicate.Load(),
		Rejected:      c.st.rejected.Load(),
		DeadLettered:  c.st.deadLettered.Load(),
		Retries:       c.st.retries.Load(),
		BatchesSent:   c.st.batches.Load(),
		Commits:       c.ob.commits.Load(),
		OutboxWritten: WriteStats(c.ob.db.Written()),
		Paused:        paused,
		LastError:     lastErr,
		LastErrorAt:   lastAt,
	}
}
