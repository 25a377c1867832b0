package submit

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit/translog"
)

// Defaults of HandlerConfig.
const (
	// DefaultMaxInFlight bounds the submissions a Handler works on at once
	// when HandlerConfig.MaxInFlight is 0; beyond it requests get 503.
	DefaultMaxInFlight = 16
	// DefaultRetryAfter is what a 503 asks the sender to wait.
	DefaultRetryAfter = time.Second
	// DefaultMaxInFlightPerOrg is one organization's share of the
	// submissions in flight when HandlerConfig.MaxInFlightPerOrg is 0
	// (at most MaxInFlight).
	DefaultMaxInFlightPerOrg = 4
	// DefaultBodyGrace is how long a body may take before its rate is
	// judged, and the longest a single read of it may wait.
	DefaultBodyGrace = 10 * time.Second
	// DefaultMinBodyRate is the slowest a body may arrive after the
	// grace, in bytes per second.
	DefaultMinBodyRate = 4 << 10
	// DefaultAuthFailures is how many failed authentications one client
	// address may make per DefaultAuthWindow before it gets 429.
	DefaultAuthFailures = 20
	// DefaultAuthWindow is the window failed authentications are counted in.
	DefaultAuthWindow = time.Minute
	// DefaultMaxClockSkew is how far ahead of the hub's clock a record's
	// collected_at (or a provenance hop's time) may be.
	DefaultMaxClockSkew = 5 * time.Minute
	// DefaultRetention is how long receipts and idempotency keys are
	// kept.
	DefaultRetention = 7 * 24 * time.Hour
	// DefaultPruneEvery is how often RunPruner prunes the ledger.
	DefaultPruneEvery = time.Hour
	// DefaultMaxRefusedDetails is how many rejected records a receipt
	// lists one by one; the rest are summarized in runs.
	DefaultMaxRefusedDetails = 16
)

// HandlerConfig configures a Handler. Zero values take the defaults named
// on each field; Validate says what is wrong with the rest.
type HandlerConfig struct {
	// Org is the id of the hub's own organization; it must be in
	// Directory. The hub accepts only kinds Org receives.
	Org string
	// Directory authenticates senders and says what each may submit.
	// Required unless DirectorySource is set.
	Directory *collab.Directory
	// DirectorySource, if set, gives the directory in use for each
	// request instead of Directory (a *collab.DirectoryFile, reloaded
	// without a restart). The hub's own entry is read once, at start.
	DirectorySource DirectorySource
	// Authenticator says which organization sent a request. Nil:
	// BearerTokens, for loopback and tests; across a network use
	// AllOf(TLSIdentity, RefuseTokens, SignatureVerifier).
	Authenticator Authenticator
	// Sink keeps the accepted records (a *Store, a *Relay, ...).
	// Required.
	Sink Sink
	// Ledger keeps idempotency keys, receipts and accepted record ids:
	// a *Ledger (OpenLedger) for one hub, or a store every hub behind one
	// address shares (package submit/jetstream). Required.
	Ledger LedgerStore
	// Purposes checks each record's purpose. Nil: a PurposeRegistry kept
	// in Ledger, with Clock; required when Ledger is not a *Ledger.
	Purposes Purposes
	// Limits are what the hub accepts. Each zero field takes its value
	// from DefaultLimits.
	Limits Limits
	// Validator checks each record. Nil: one made with
	// Limits.MaxLineBytes and Limits.MaxDepth; a Validator given must
	// have those limits.
	Validator *schema.Validator
	// MaxInFlight bounds the submissions worked on at once; 0:
	// DefaultMaxInFlight. Requests beyond it get 503 at once: nothing
	// queues.
	MaxInFlight int
	// MaxInFlightPerOrg is one organization's share of MaxInFlight; 0:
	// DefaultMaxInFlightPerOrg, or MaxInFlight if that is smaller. One
	// organization's slow or heavy requests cannot hold more.
	MaxInFlightPerOrg int
	// RetryAfter is the wait a 503 asks for; 0: DefaultRetryAfter. It is
	// sent in whole seconds, at least 1.
	RetryAfter time.Duration
	// BodyGrace is how long a body may take before MinBodyRate applies,
	// and the longest one read of it may wait (real time); 0:
	// DefaultBodyGrace.
	BodyGrace time.Duration
	// MinBodyRate is the slowest a body may arrive after BodyGrace, in
	// bytes per second; 0: DefaultMinBodyRate. A slower body is cut
	// with 408 and its slot freed.
	MinBodyRate int64
	// AuthFailures is how many failed authentications a client address
	// may make in AuthWindow; beyond, its unauthenticated requests get
	// 429. 0: DefaultAuthFailures.
	AuthFailures int
	// AuthWindow is the window of AuthFailures; 0: DefaultAuthWindow.
	AuthWindow time.Duration
	// MaxClockSkew is how far ahead of Clock a collected_at or a hop's
	// time may be; 0: DefaultMaxClockSkew.
	MaxClockSkew time.Duration
	// Retention is how long receipts and idempotency keys are kept
	// (accepted record ids are kept until their retain_until); 0:
	// DefaultRetention. A client retrying a batch older than this is
	// answered as for a new batch.
	Retention time.Duration
	// PruneEvery is how often RunPruner prunes; 0: DefaultPruneEvery.
	PruneEvery time.Duration
	// MaxRefusedDetails is how many rejected records a receipt lists one
	// by one; the others are summarized (Receipt.Refused). 0:
	// DefaultMaxRefusedDetails.
	MaxRefusedDetails int
	// HopVerifier, if set, verifies each record's provenance after the
	// chain check: a *SealVerifier checks signed hops (and, configured
	// so, requires them); nil: the chain's structure and the last hop's
	// digest are checked, nothing more.
	HopVerifier HopVerifier
	// Journal, if set, gets one collab.EntryRecordsOutcome entry per
	// submission (not per replay). A journal error is logged; the
	// submission stands.
	Journal collab.Journal
	// Log, if set, is the hub's transparency log: each receipt of an
	// accepted batch gets its leaf, inclusion proof and checkpoint
	// (Receipt.Log), appended before the receipt is committed.
	Log *translog.Log
	// Logger gets one line per submission, per receipt read, per
	// refused authentication or authorization, and every internal
	// error. Nil: silent.
	Logger *slog.Logger
	// TracerProvider makes the hub's SpanHubSubmission span of each POST,
	// a child of the request's trace context, which the Sink's Put gets in
	// its ctx: a Relay keeps the trace in the hop it stamps, and its
	// client carries it to the next hub (default otel.GetTracerProvider(),
	// a no-op unless the program installed one).
	TracerProvider trace.TracerProvider
	// Propagator reads the trace context of each request (default
	// propagation.TraceContext: the W3C traceparent header).
	Propagator propagation.TextMapPropagator
	// Metrics, if set, gets the hub's metrics (metrics.go; listed in
	// docs/operations.md), each with the constant label hub=Org. Nil: no
	// metrics. Nothing is registered anywhere else. A Handler has no
	// Close: its metrics stay registered, so a second Handler of the same
	// Org needs a registry of its own (NewHandler says so).
	Metrics prometheus.Registerer
	// Clock gives the time receipts, rate limits, retention and purposes
	// are judged at. Nil: time.Now.
	Clock func() time.Time
	// CommitWindow is how long the commit of a request to a *Ledger may
	// wait, after the first request of a group commit, for concurrent
	// ones to share its transaction (0, the default: none; at most
	// MaxCommitWindow). Requests that arrive while a commit runs share
	// the next one in any case; the window lets those that arrive a
	// little later share it too: fewer pages written and synced per
	// record, at the cost of up to CommitWindow more latency for every
	// request that accepts records. A Handler with a Log commits each
	// request alone, without a window; a Ledger other than a *Ledger
	// commits as it does and ignores it.
	CommitWindow time.Duration
	// NewTimer returns a channel that receives after d and a function
	// that stops it (default: time.NewTimer); the CommitWindow is timed
	// with it and Clock. For tests.
	NewTimer func(d time.Duration) (<-chan time.Time, func() bool)

	// newTicker makes RunPruner's ticker (nil: realTicker); onPrune, if
	// set, is told of every prune. Tests set both.
	newTicker func(time.Duration) (<-chan time.Time, func())
	onPrune   func(PruneStats, error)
}

// withDefaults fills the zero fields.
func (c HandlerConfig) withDefaults() HandlerConfig {
	d := DefaultLimits()
	l := &c.Limits
	if l.MaxBodyBytes == 0 {
		l.MaxBodyBytes = d.MaxBodyBytes
	}
	if l.MaxDecompressedBytes == 0 {
		l.MaxDecompressedBytes = d.MaxDecompressedBytes
	}
	if l.MaxRecords == 0 {
		l.MaxRecords = d.MaxRecords
	}
	if l.MaxLineBytes == 0 {
		l.MaxLineBytes = d.MaxLineBytes
	}
	if l.MaxDepth == 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.RecordsPerSecond == 0 {
		l.RecordsPerSecond = d.RecordsPerSecond
	}
	if l.Burst == 0 {
		l.Burst = d.Burst
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.MaxInFlightPerOrg == 0 {
		c.MaxInFlightPerOrg = min(DefaultMaxInFlightPerOrg, c.MaxInFlight)
	}
	if c.RetryAfter == 0 {
		c.RetryAfter = DefaultRetryAfter
	}
	if c.BodyGrace == 0 {
		c.BodyGrace = DefaultBodyGrace
	}
	if c.MinBodyRate == 0 {
		c.MinBodyRate = DefaultMinBodyRate
	}
	if c.AuthFailures == 0 {
		c.AuthFailures = DefaultAuthFailures
	}
	if c.AuthWindow == 0 {
		c.AuthWindow = DefaultAuthWindow
	}
	if c.MaxClockSkew == 0 {
		c.MaxClockSkew = DefaultMaxClockSkew
	}
	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
	if c.PruneEvery == 0 {
		c.PruneEvery = DefaultPruneEvery
	}
	if c.MaxRefusedDetails == 0 {
		c.MaxRefusedDetails = DefaultMaxRefusedDetails
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.newTicker == nil {
		c.newTicker = realTicker
	}
	if c.NewTimer == nil {
		c.NewTimer = realTimer
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.DirectorySource != nil {
		c.Directory = c.DirectorySource.Directory()
	}
	if c.Authenticator == nil {
		c.Authenticator = BearerTokens{}
	}
	return c
}

// Validate reports every problem of c after defaults, each naming the
// field and the value found, joined with errors.Join.
func (c HandlerConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("submit: HandlerConfig."+format, a...)) }
	if c.Directory == nil {
		bad("Directory is nil; load one with collab.LoadDirectory")
	} else if _, ok := c.Directory.Org(c.Org); !ok {
		bad("Org %q is not in the directory (version %d)", c.Org, c.Directory.Version())
	}
	if c.Sink == nil {
		bad("Sink is nil; use a *Store (OpenStore) or a *Relay")
	}
	if l, ok := c.Ledger.(*Ledger); c.Ledger == nil || ok && l == nil {
		bad("Ledger is nil; open one with OpenLedger")
	} else if !ok && c.Purposes == nil {
		bad("Purposes is nil with a Ledger of type %T; give one (NewMemoryPurposeRegistry, or the store's shared purposes)", c.Ledger)
	}
	l := c.Limits
	if l.MaxBodyBytes < 1 {
		bad("Limits.MaxBodyBytes is %d; it must be positive", l.MaxBodyBytes)
	}
	if l.MaxDecompressedBytes < l.MaxBodyBytes {
		bad("Limits.MaxDecompressedBytes is %d; it must be at least MaxBodyBytes (%d)", l.MaxDecompressedBytes, l.MaxBodyBytes)
	}
	if l.MaxRecords < 1 {
		bad("Limits.MaxRecords is %d; it must be positive", l.MaxRecords)
	}
	if l.MaxLineBytes < 1 {
		bad("Limits.MaxLineBytes is %d; it must be positive", l.MaxLineBytes)
	}
	if l.MaxDepth < 8 {
		bad("Limits.MaxDepth is %d; it must be at least 8 (valid envelopes nest 7 deep)", l.MaxDepth)
	}
	if !(l.RecordsPerSecond > 0) || math.IsInf(l.RecordsPerSecond, 0) {
		bad("Limits.RecordsPerSecond is %v; it must be positive and finite", l.RecordsPerSecond)
	}
	if l.Burst < l.MaxRecords {
		bad("Limits.Burst is %d; it must be at least MaxRecords (%d), or a full batch could never pass", l.Burst, l.MaxRecords)
	}
	if v := c.Validator; v != nil {
		if v.MaxBytes() != l.MaxLineBytes {
			bad("Validator.MaxBytes() is %d; it must equal Limits.MaxLineBytes (%d)", v.MaxBytes(), l.MaxLineBytes)
		}
		if v.MaxDepth() != l.MaxDepth {
			bad("Validator.MaxDepth() is %d; it must equal Limits.MaxDepth (%d)", v.MaxDepth(), l.MaxDepth)
		}
	}
	if c.MaxInFlight < 1 {
		bad("MaxInFlight is %d; it must be positive", c.MaxInFlight)
	}
	if c.MaxInFlightPerOrg < 1 || c.MaxInFlightPerOrg > c.MaxInFlight {
		bad("MaxInFlightPerOrg is %d; it must be in 1..MaxInFlight (%d)", c.MaxInFlightPerOrg, c.MaxInFlight)
	}
	if c.RetryAfter < 0 {
		bad("RetryAfter is %s; it must not be negative", c.RetryAfter)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"BodyGrace", c.BodyGrace}, {"AuthWindow", c.AuthWindow}, {"MaxClockSkew", c.MaxClockSkew}, {"Retention", c.Retention}, {"PruneEvery", c.PruneEvery}} {
		if d.v < 0 {
			bad("%s is %s; it must be positive", d.name, d.v)
		}
	}
	if c.CommitWindow < 0 || c.CommitWindow > MaxCommitWindow {
		bad("CommitWindow is %s; it must be 0 (none) to %s", c.CommitWindow, MaxCommitWindow)
	}
	if c.MinBodyRate < 0 {
		bad("MinBodyRate is %d; it must be positive", c.MinBodyRate)
	}
	if c.AuthFailures < 0 {
		bad("AuthFailures is %d; it must be positive", c.AuthFailures)
	}
	if c.MaxRefusedDetails < 0 {
		bad("MaxRefusedDetails is %d; it must be positive", c.MaxRefusedDetails)
	}
	return errors.Join(errs...)
}
