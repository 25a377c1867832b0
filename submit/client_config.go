package submit

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/sicollab/sicollab/schema"
)

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
	// HTTPSigner) after its headers are set. A Signer that is also a
	// HopSealer (an *HTTPSigner is) seals the client's provenance hops,
	// one manifest per Submit or SubmitMany call (ManifestLeaves hops at
	// most each).
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
	// MaxInFlightBatches is how many batches may be sent at once (4, the
	// hub's default MaxInFlightPerOrg). While the
	// hub validates and stores one batch, the next is on its way, so
	// neither side waits for the other's disk. Batches may then be
	// delivered out of the order their records were queued in; 1 keeps
	// that order. Each batch still has its own durable key, and the rate
	// limits count all of them together.
	MaxInFlightBatches int
	// Linger is how long a batch that is not full waits for more records
	// (200ms). Flush and Close do not wait it.
	Linger time.Duration
	// CommitWindow is how long the outbox's group commit may wait, after
	// the first Submit of a group, for more calls to share its transaction
	// (0, the default: none; at most MaxCommitWindow). It ends early once
	// a batch's worth of records (MaxBatchRecords, or MaxBatchBytes of
	// them) waits, and at Close. Each transaction rewrites the outbox's
	// last leaf, its branch pages and its meta page, so when records
	// arrive a few at a time, waiting writes fewer bytes per record; the
	// cost is latency: a Submit returns up to CommitWindow later (never
	// before its transaction is synced), and a caller that submits one
	// record at a time is slowed by it on every call. For many concurrent
	// callers; records a Relay forwards never wait it.
	CommitWindow time.Duration

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

	// Metrics, if set, gets the client's metrics (client_metrics.go;
	// listed in docs/operations.md), each with the constant label
	// org=Org, until Close. Nil: no metrics. Nothing is registered
	// anywhere else.
	Metrics prometheus.Registerer

	// TracerProvider makes the client's spans: SpanSubmit for each
	// Submit and SubmitMany call, SpanSendBatch for each attempt to send
	// a batch (default otel.GetTracerProvider(), a no-op unless the
	// program installed one; nothing is exported by this package). The
	// trace id of the ctx given to Submit (or of its SpanSubmit span) is
	// kept in the hop the client stamps (schema.Hop.TraceID), unless the
	// previous hop has one: a record stays in the trace it started in.
	TracerProvider trace.TracerProvider
	// Propagator writes the trace context of each attempt into its
	// request (default propagation.TraceContext: the W3C traceparent
	// header, with the trace of the batch's first record).
	Propagator propagation.TextMapPropagator

	// Clock returns the time (default time.Now). For tests.
	Clock func() time.Time
	// NewTimer returns a channel that receives after d and a function
	// that stops it (default: time.NewTimer). Every wait of the client —
	// linger, backoff, Retry-After, rate limits — uses it. For tests.
	NewTimer func(d time.Duration) (<-chan time.Time, func() bool)
}

// MaxInFlightBatchesLimit is the largest ClientConfig.MaxInFlightBatches.
const MaxInFlightBatchesLimit = 64

// MaxCommitWindow is the largest ClientConfig.CommitWindow and
// HandlerConfig.CommitWindow: a Submit or a request held longer than
// that waits on the window, not on the disk.
const MaxCommitWindow = time.Second

// Defaults of ClientConfig.
const (
	DefaultMaxBatchRecords    = 500
	DefaultMaxBatchBytes      = 1 << 20
	DefaultLinger             = 200 * time.Millisecond
	DefaultMaxInFlightBatches = 4
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
		c.NewTimer = realTimer
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
	if c.CommitWindow < 0 || c.CommitWindow > MaxCommitWindow {
		bad("CommitWindow", c.CommitWindow, fmt.Sprintf("must be 0 (none) to %v", MaxCommitWindow))
	}
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
