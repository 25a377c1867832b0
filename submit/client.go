package submit

import (
	"context"
	"crypto/tls"
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

	"golang.org/x/time/rate"

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

// GzipMode says when batches are compressed.
type GzipMode int

// Gzip modes. The level is gzip.BestSpeed: on finance.transaction
// records it compresses 6.3x where the default level does 7.2x, at 4.2
// instead of 7.3 µs a record (BenchmarkGzipLevel): compression is paid
// on the senders' goroutines, bandwidth is rarely the limit.
const (
	// GzipAuto compresses unless the endpoint's host is a loopback
	// address or "localhost", where compressing costs more than it saves.
	GzipAuto GzipMode = iota
	// GzipNever sends batches uncompressed.
	GzipNever
	// GzipAlways compresses every batch.
	GzipAlways
)

// RetryPolicy is the backoff between attempts to send one batch:
// exponential, with full jitter, never shorter than a Retry-After the hub
// sent. Zero fields take the defaults named.
type RetryPolicy struct {
	// InitialInterval is the backoff after the first failure (500ms).
	InitialInterval time.Duration
	// MaxInterval caps the backoff (30s); Retry-After may exceed it.
	MaxInterval time.Duration
	// Multiplier grows the backoff after each failure (2).
	Multiplier float64
	// DisableJitter makes each wait the full backoff instead of a uniform
	// draw in [0, backoff) ("full jitter"). For tests.
	DisableJitter bool
	// MaxAttempts, if positive, gives up on a batch after that many failed
	// attempts in this process: its records go to the dead letters with
	// CauseGaveUp. 0 retries for ever: the outbox is durable and the hub
	// deduplicates, so waiting out an outage costs nothing but disk.
	MaxAttempts int
	// MaxElapsed, if positive, gives up on a batch that has been retried
	// for that long since it was formed (across restarts). 0: no limit.
	MaxElapsed time.Duration
}

// ClientConfig configures a Client. Zero fields take the defaults named;
// Validate reports every field out of range.
type ClientConfig struct {
	// Endpoint is the hub's base URL, e.g. "https://hub.example:8443";
	// the client appends PathSubmissions and PathLimits. Required.
	Endpoint string
	// Org is the organization id the client submits as: every envelope's
	// Source must equal it (unless Relay) and the client stamps its hop
	// with it. Required.
	Org string
	// Token is the bearer token the hub authenticates Org by. Required
	// unless Signer or a client certificate in TLS is set; sent only if
	// not empty.
	Token string
	// Signer, if set, signs every request attempt (RFC 9421; see
	// HTTPSigner) after its headers are set.
	Signer RequestSigner
	// TLS configures the client's own transport when HTTPClient is nil:
	// for mutual TLS, see ClientTLSConfig. With HTTPClient set, it must be
	// nil: configure that client's transport instead.
	TLS *tls.Config
	// OutboxPath is the bbolt file of the durable outbox; it is created if
	// missing. One client at a time may open it. Required.
	OutboxPath string

	// Validator checks every envelope before it is queued
	// (default schema.NewValidator()).
	Validator *schema.Validator
	// HTTPClient sends the requests (default: a client of its own, never
	// http.DefaultClient, with dial, TLS and idle timeouts).
	HTTPClient *http.Client
	// Logger receives what the client does (nil: silent).
	Logger *slog.Logger

	// Stage is the stage of the provenance hop the client stamps
	// (default schema.StageCollection, or schema.StageProcessing if Relay).
	Stage schema.Stage
	// Relay lets the client queue envelopes whose Source is another
	// organization: a department forwarding what it received upward.
	Relay bool

	// MaxBatchRecords caps the records of one request (500); the hub's
	// declared MaxRecords and the records burst cap it further.
	MaxBatchRecords int
	// MaxBatchBytes caps the NDJSON body of one request before
	// compression (1 MiB); the hub's declared MaxBodyBytes and
	// MaxDecompressedBytes and the bytes burst cap it further.
	MaxBatchBytes int
	// MaxInFlightBatches is how many batches may be sent at once (2). While the
	// hub validates and stores one batch, the next is on its way, so
	// neither side waits for the other's disk. Batches may then be
	// delivered out of the order their records were queued in; 1 keeps
	// that order. Each batch still has its own durable key, and the rate
	// limits count all of them together.
	MaxInFlightBatches int
	// Linger is how long a batch that is not full waits for more records
	// (200ms). Flush and Close do not wait it.
	Linger time.Duration

	// RecordsPerSecond limits the records sent per second, retries
	// included (0: unlimited). RecordsBurst is the most sent at once
	// (default: one second's worth, at least 1); batches never exceed it.
	RecordsPerSecond float64
	RecordsBurst     int
	// BytesPerSecond limits the bytes sent per second as they go on the
	// wire (0: unlimited). BytesBurst defaults to one second's worth, at
	// least MaxBatchBytes.
	BytesPerSecond float64
	BytesBurst     int

	// Gzip says when to compress batches (GzipAuto).
	Gzip GzipMode
	// RequestTimeout bounds one HTTP attempt (30s).
	RequestTimeout time.Duration
	// Retry is the backoff and give-up policy.
	Retry RetryPolicy

	// MaxOutboxRecords and MaxOutboxBytes bound the disk backlog
	// (4,000,000 records, 4 GiB of records). Past them Submit returns
	// ErrOutboxFull, or waits if BlockWhenFull.
	MaxOutboxRecords int64
	MaxOutboxBytes   int64
	// BlockWhenFull makes Submit and SubmitMany wait for room in a full
	// outbox until their ctx ends, instead of returning ErrOutboxFull.
	BlockWhenFull bool
	// DeadLetterRetention is how long a dead letter is kept before
	// PurgeDeadLetters deletes it (DefaultDeadLetterRetention, 30 days);
	// a Purger given the client runs that on its schedule.
	DeadLetterRetention time.Duration

	// OnReceipt, if set, is called with every receipt the hub returns,
	// a batch refused whole (422) included (its receipt is read from the
	// problem document), after the outbox has applied it (delivered records deleted,
	// rejected ones moved to the dead letters). It is called from a
	// sender goroutine, one receipt at a time (never concurrently, even
	// with several batches in flight): it must return promptly, since the
	// other senders wait for it, and must not call Flush or Close. To consume receipts as a
	// channel, send to a buffered channel from it.
	OnReceipt func(Receipt)

	// Clock returns the time (default time.Now). For tests.
	Clock func() time.Time
	// NewTimer returns a channel that receives after d and a function
	// that stops it (default: time.NewTimer). Every wait of the client —
	// linger, backoff, Retry-After, rate limits — uses it. For tests.
	NewTimer func(d time.Duration) (<-chan time.Time, func() bool)
}

// MaxInFlightBatchesLimit is the largest ClientConfig.MaxInFlightBatches.
const MaxInFlightBatchesLimit = 64

// Defaults of ClientConfig.
const (
	DefaultMaxBatchRecords    = 500
	DefaultMaxBatchBytes      = 1 << 20
	DefaultLinger             = 200 * time.Millisecond
	DefaultMaxInFlightBatches = 2
	DefaultRequestTimeout     = 30 * time.Second
	DefaultMaxOutboxRecords   = 4_000_000
	DefaultMaxOutboxBytes     = 4 << 30
	DefaultInitialInterval    = 500 * time.Millisecond
	DefaultMaxInterval        = 30 * time.Second
	DefaultMultiplier         = 2.0
	// DefaultDeadLetterRetention is ClientConfig.DeadLetterRetention's
	// default.
	DefaultDeadLetterRetention = 30 * 24 * time.Hour
)

// withDefaults returns c with every zero field set to its default.
func (c ClientConfig) withDefaults() (ClientConfig, error) {
	if c.Validator == nil {
		v, err := schema.NewValidator()
		if err != nil {
			return c, err
		}
		c.Validator = v
	}
	if c.HTTPClient == nil {
		c.HTTPClient = newHTTPClient(c.TLS)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Stage == "" {
		c.Stage = schema.StageCollection
		if c.Relay {
			c.Stage = schema.StageProcessing
		}
	}
	setDefault(&c.MaxBatchRecords, DefaultMaxBatchRecords)
	setDefault(&c.MaxBatchBytes, DefaultMaxBatchBytes)
	setDefault(&c.Linger, DefaultLinger)
	setDefault(&c.MaxInFlightBatches, DefaultMaxInFlightBatches)
	setDefault(&c.RequestTimeout, DefaultRequestTimeout)
	setDefault(&c.MaxOutboxRecords, DefaultMaxOutboxRecords)
	setDefault(&c.MaxOutboxBytes, DefaultMaxOutboxBytes)
	setDefault(&c.DeadLetterRetention, DefaultDeadLetterRetention)
	setDefault(&c.Retry.InitialInterval, DefaultInitialInterval)
	setDefault(&c.Retry.MaxInterval, DefaultMaxInterval)
	setDefault(&c.Retry.Multiplier, DefaultMultiplier)
	if c.RecordsPerSecond > 0 && c.RecordsBurst == 0 {
		c.RecordsBurst = max(1, int(c.RecordsPerSecond))
	}
	if c.BytesPerSecond > 0 && c.BytesBurst == 0 {
		c.BytesBurst = max(c.MaxBatchBytes, int(c.BytesPerSecond))
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.NewTimer == nil {
		c.NewTimer = func(d time.Duration) (<-chan time.Time, func() bool) {
			t := time.NewTimer(d)
			return t.C, t.Stop
		}
	}
	return c, nil
}

func setDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}

func newHTTPClient(tc *tls.Config) *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:       tc,
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: DefaultRequestTimeout,
		ExpectContinueTimeout: time.Second,
	}}
}

// Validate reports every field of c that is missing or out of range,
// naming the field and the value found, joined with errors.Join. Zero
// values that have defaults are valid.
func (c ClientConfig) Validate() error {
	var errs []error
	bad := func(field string, v any, want string) {
		errs = append(errs, fmt.Errorf("submit: ClientConfig.%s = %v: %s", field, v, want))
	}
	if u, err := url.Parse(c.Endpoint); c.Endpoint == "" {
		bad("Endpoint", `""`, "required")
	} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("Endpoint", fmt.Sprintf("%q", c.Endpoint), "must be an absolute http or https URL")
	}
	if c.Org == "" || strings.ContainsAny(c.Org, " \t\r\n/") {
		bad("Org", fmt.Sprintf("%q", c.Org), "required, an organization id")
	}
	if c.Token == "" && c.Signer == nil && (c.TLS == nil || (len(c.TLS.Certificates) == 0 && c.TLS.GetClientCertificate == nil)) {
		bad("Token", `""`, "required unless Signer or a client certificate in TLS is set")
	}
	if c.TLS != nil && c.HTTPClient != nil {
		bad("TLS", "set", "must be nil when HTTPClient is set; configure that client's transport")
	}
	if c.OutboxPath == "" {
		bad("OutboxPath", `""`, "required")
	}
	switch c.Stage {
	case "", schema.StagePlanning, schema.StageCollection, schema.StageProcessing,
		schema.StageAnalysis, schema.StageApplication, schema.StageFeedback:
	default:
		bad("Stage", fmt.Sprintf("%q", c.Stage), "not a stage of the cycle")
	}
	nonNeg := func(field string, v float64) {
		if v < 0 {
			bad(field, v, "must not be negative")
		}
	}
	nonNeg("MaxBatchRecords", float64(c.MaxBatchRecords))
	nonNeg("MaxBatchBytes", float64(c.MaxBatchBytes))
	nonNeg("Linger", float64(c.Linger))
	nonNeg("DeadLetterRetention", float64(c.DeadLetterRetention))
	if c.MaxInFlightBatches < 0 || c.MaxInFlightBatches > MaxInFlightBatchesLimit {
		bad("MaxInFlightBatches", c.MaxInFlightBatches, fmt.Sprintf("must be 0 (default) to %d", MaxInFlightBatchesLimit))
	}
	nonNeg("RecordsPerSecond", c.RecordsPerSecond)
	nonNeg("RecordsBurst", float64(c.RecordsBurst))
	nonNeg("BytesPerSecond", c.BytesPerSecond)
	nonNeg("BytesBurst", float64(c.BytesBurst))
	nonNeg("RequestTimeout", float64(c.RequestTimeout))
	nonNeg("MaxOutboxRecords", float64(c.MaxOutboxRecords))
	nonNeg("MaxOutboxBytes", float64(c.MaxOutboxBytes))
	nonNeg("Retry.InitialInterval", float64(c.Retry.InitialInterval))
	nonNeg("Retry.MaxInterval", float64(c.Retry.MaxInterval))
	nonNeg("Retry.MaxAttempts", float64(c.Retry.MaxAttempts))
	nonNeg("Retry.MaxElapsed", float64(c.Retry.MaxElapsed))
	if c.MaxBatchBytes > 0 && c.MaxBatchBytes < 1024 {
		bad("MaxBatchBytes", c.MaxBatchBytes, "must be at least 1024")
	}
	if c.Retry.Multiplier != 0 && c.Retry.Multiplier < 1 {
		bad("Retry.Multiplier", c.Retry.Multiplier, "must be at least 1")
	}
	if c.Retry.InitialInterval > 0 && c.Retry.MaxInterval > 0 && c.Retry.MaxInterval < c.Retry.InitialInterval {
		bad("Retry.MaxInterval", c.Retry.MaxInterval, fmt.Sprintf("must be at least Retry.InitialInterval (%v)", c.Retry.InitialInterval))
	}
	if c.Gzip < GzipAuto || c.Gzip > GzipAlways {
		bad("Gzip", int(c.Gzip), "not a GzipMode")
	}
	return errors.Join(errs...)
}

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
	cfg      ClientConfig
	log      *slog.Logger
	ob       *outbox
	endpoint string
	gzip     bool
	recLim   *rate.Limiter
	byteLim  *rate.Limiter

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

	gate      sync.Mutex // held by one sender from its rate reservation to the start of its request
	receiptMu sync.Mutex // one OnReceipt call at a time
	holdMu    sync.Mutex
	holdUntil time.Time // no request starts before it: the hub's latest Retry-After

	senderDone chan struct{} // closed once every sender has returned
	drainMu    sync.Mutex
	drainErr   error // the first error a sender stopped draining with

	st       clientStats
	refusals refusals // tells each Flush of the dead letters among its records
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
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.Endpoint)
	c := &Client{
		cfg:        cfg,
		log:        cfg.Logger.With("org", cfg.Org),
		endpoint:   strings.TrimRight(cfg.Endpoint, "/"),
		gzip:       cfg.Gzip == GzipAlways || (cfg.Gzip == GzipAuto && !isLoopback(u.Hostname())),
		shut:       make(chan struct{}),
		closing:    make(chan struct{}),
		wake:       make(chan struct{}, 1),
		resume:     make(chan struct{}),
		senderDone: make(chan struct{}),
	}
	if cfg.RecordsPerSecond > 0 {
		c.recLim = rate.NewLimiter(rate.Limit(cfg.RecordsPerSecond), cfg.RecordsBurst)
	}
	if cfg.BytesPerSecond > 0 {
		c.byteLim = rate.NewLimiter(rate.Limit(cfg.BytesPerSecond), cfg.BytesBurst)
	}
	ob, err := openOutbox(cfg.OutboxPath, cfg.MaxOutboxRecords, cfg.MaxOutboxBytes, c.signal)
	if err != nil {
		return nil, err
	}
	c.ob = ob
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

// holdFor keeps every sender from starting a request before until: a
// Retry-After is the hub's answer to the client, not to one batch.
func (c *Client) holdFor(until time.Time) {
	c.holdMu.Lock()
	defer c.holdMu.Unlock()
	if until.After(c.holdUntil) {
		c.holdUntil = until
	}
}

func (c *Client) heldUntil() time.Time {
	c.holdMu.Lock()
	defer c.holdMu.Unlock()
	return c.holdUntil
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
// Concurrent calls share one disk transaction (group commit). Submit
// returns ErrOutboxFull when the outbox is at its bounds (or waits, with
// BlockWhenFull), ErrClientClosed after Close, or ctx's error.
func (c *Client) Submit(ctx context.Context, env schema.Envelope) error {
	if err := c.enter(); err != nil {
		return err
	}
	defer c.submits.Done()
	rec, err := c.prepare(env)
	if err != nil {
		return err
	}
	return c.queue(ctx, [][]byte{rec})
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
	recs := make([][]byte, len(envs))
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
			recs[i], errs[i] = c.prepare(envs[i])
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
	return c.queue(ctx, recs)
}

// prepare checks the source, stamps and validates env, returning the
// record as it will be sent.
func (c *Client) prepare(env schema.Envelope) ([]byte, error) {
	if !c.cfg.Relay && env.Source != c.cfg.Org {
		return nil, fmt.Errorf("%w: source %q, client org %q", ErrForeignSource, env.Source, c.cfg.Org)
	}
	if n := len(env.Provenance); n == 0 || env.Provenance[n-1].Org != c.cfg.Org {
		if err := env.Stamp(c.cfg.Org, c.cfg.Stage, c.cfg.Clock()); err != nil {
			// The payload cannot be canonicalized: let the validator say why.
			if verr := c.cfg.Validator.ValidateEnvelope(env); verr != nil {
				return nil, verr
			}
			return nil, fmt.Errorf("submit: stamp provenance of %s: %w", env.ID, err)
		}
	}
	if err := c.cfg.Validator.ValidateEnvelope(env); err != nil {
		return nil, err
	}
	raw, err := env.AppendJSON(nil)
	if err != nil {
		return nil, fmt.Errorf("submit: encode envelope %s: %w", env.ID, err)
	}
	return raw, nil
}

// queue makes recs durable through the committer.
func (c *Client) queue(ctx context.Context, recs [][]byte) error {
	for {
		space := c.ob.spaceSignal()
		err := c.ob.enqueue(ctx, recs, c.cfg.Clock())
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
// ErrRefused) that counts them by cause and reason.
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
	var cause error
	select {
	case <-c.senderDone:
		c.drainMu.Lock()
		cause = c.drainErr
		c.drainMu.Unlock()
	case <-ctx.Done():
		cause = ctx.Err()
	}
	c.cancelRun()
	<-c.senderDone
	left := c.ob.count()
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

// Stats returns a snapshot of the client's state and counters.
func (c *Client) Stats() ClientStats {
	n := c.ob.count()
	c.st.mu.Lock()
	lastErr, lastAt, paused := c.st.lastErr, c.st.lastErrAt, c.st.credentials != nil
	c.st.mu.Unlock()
	return ClientStats{
		Queued:       n.records - n.inflight,
		InFlight:     n.inflight,
		OutboxBytes:  n.bytes,
		DeadLetters:  n.dead,
		Delivered:    c.st.delivered.Load(),
		Duplicate:    c.st.duplicate.Load(),
		Rejected:     c.st.rejected.Load(),
		DeadLettered: c.st.deadLettered.Load(),
		Retries:      c.st.retries.Load(),
		BatchesSent:  c.st.batches.Load(),
		Commits:      c.ob.commits.Load(),
		Paused:       paused,
		LastError:    lastErr,
		LastErrorAt:  lastAt,
	}
}
