package submit

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/time/rate"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
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
	// Required.
	Directory *collab.Directory
	// Sink keeps the accepted records (a *Store, a *Relay, ...).
	// Required.
	Sink Sink
	// Ledger keeps idempotency keys, receipts and accepted record ids.
	// Required; see OpenLedger.
	Ledger *Ledger
	// Purposes checks each record's purpose. Nil: a PurposeRegistry kept
	// in Ledger, with Clock.
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
	// HopVerifier, if set, verifies each provenance hop after the chain
	// check (signatures); nil: the chain's structure and the last hop's
	// digest are checked, nothing more.
	HopVerifier HopVerifier
	// Journal, if set, gets one collab.EntryRecordsOutcome entry per
	// submission (not per replay). A journal error is logged; the
	// submission stands.
	Journal collab.Journal
	// Logger gets one line per submission and every internal error. Nil:
	// silent.
	Logger *slog.Logger
	// Clock gives the time receipts, rate limits, retention and purposes
	// are judged at. Nil: time.Now.
	Clock func() time.Time

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
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
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
	if c.Ledger == nil {
		bad("Ledger is nil; open one with OpenLedger")
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

// Handler is the receiving side of the protocol (docs/protocol.md), an
// http.Handler a department embeds:
//
//	POST /v1/submissions        a batch of envelopes, NDJSON
//	GET  /v1/submissions/{id}   the receipt again, for its sender only
//	GET  /v1/limits             the Limits, so clients size their batches
//
// A submission is checked in this order; the first failure answers:
//
//  1. requests in flight below MaxInFlight, else 503 overloaded;
//  2. a bearer token the directory knows, else 401;
//  3. the organization may submit some kind this hub receives, else 403;
//  4. the organization's rate limit has a token left, else 429. The
//     organization is known only after step 2: authentication is one
//     SHA-256 and a map lookup, no I/O, so it runs before the limit to
//     make the limit per organization, and both run before a byte of the
//     body is read;
//  5. Content-Type application/x-ndjson and Content-Encoding gzip or
//     identity, else 415; an Idempotency-Key that is a UUID, else 400
//     bad-idempotency; a Content-Digest with sha-256, else 400
//     digest-mismatch;
//  6. the body within Limits.MaxBodyBytes, else 413;
//  7. the digest matches the body as sent (compressed), else 400;
//  8. the key: used before with this body, the same answer again, byte
//     for byte; with another body, 409;
//  9. decompressed, within Limits.MaxDecompressedBytes, else 413; a
//     broken gzip stream is 400; at most Limits.MaxRecords non-blank
//     lines, else 413;
//  10. each line on its own: the schemas (a line longer than
//     Limits.MaxLineBytes, deeper than Limits.MaxDepth, with a duplicate
//     key or not JSON at all is rejected as invalid), the source, the
//     directory, a duplicate of an accepted id, the purpose, retention;
//  11. the accepted records go to the Sink (durable), purposes are
//     learnt, and the receipt is committed to the Ledger with the ids;
//     then 200 with the receipt, or 422 if no record was accepted or a
//     duplicate.
//
// The records of a request are counted against the organization's rate
// limit once decoded: a large batch may take the limiter below zero, and
// the next request waits (429) until it is paid back.
type Handler struct {
	cfg      HandlerConfig
	hub      collab.Org
	validate *schema.Validator
	purposes Purposes
	log      *slog.Logger
	mux      *http.ServeMux
	inflight chan struct{}

	authFails authThrottle

	mu          sync.Mutex
	limiters    map[string]*rate.Limiter // by org id: at most one per organization of the directory
	orgInFlight map[string]int           // by org id: requests holding a slot
}

// NewHandler returns a Handler for cfg, or cfg.Validate's error.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	h := &Handler{
		cfg: cfg, validate: cfg.Validator, purposes: cfg.Purposes, log: cfg.Logger,
		inflight: make(chan struct{}, cfg.MaxInFlight),
		limiters: map[string]*rate.Limiter{}, orgInFlight: map[string]int{},
		authFails: authThrottle{limit: cfg.AuthFailures, window: cfg.AuthWindow, addrs: map[string]*authCount{}},
	}
	h.hub, _ = cfg.Directory.Org(cfg.Org)
	if h.validate == nil {
		v, err := schema.NewValidator(schema.WithMaxBytes(cfg.Limits.MaxLineBytes), schema.WithMaxDepth(cfg.Limits.MaxDepth))
		if err != nil {
			return nil, fmt.Errorf("submit: handler: %w", err)
		}
		h.validate = v
	}
	if h.purposes == nil {
		p, err := NewPurposeRegistry(cfg.Ledger, cfg.Clock)
		if err != nil {
			return nil, fmt.Errorf("submit: handler: %w", err)
		}
		h.purposes = p
	}
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("POST "+PathSubmissions, h.submit)
	h.mux.HandleFunc("GET "+PathSubmissions+"/{id}", h.receipt)
	h.mux.HandleFunc("GET "+PathLimits, h.limits)
	h.mux.HandleFunc("/", h.notFound)
	return h, nil
}

// Limits returns the limits the handler applies (after defaults).
func (h *Handler) Limits() Limits { return h.cfg.Limits }

// Purposes returns the Purposes the handler checks records with: the
// one configured, or the PurposeRegistry it made.
func (h *Handler) Purposes() Purposes { return h.purposes }

// ServeHTTP routes the protocol's endpoints.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	allow := ""
	switch p := r.URL.Path; {
	case p == PathSubmissions:
		allow = http.MethodPost
	case p == PathLimits:
		allow = "GET, HEAD"
	case strings.HasPrefix(p, PathSubmissions+"/") && p != PathSubmissions+"/" && !strings.Contains(p[len(PathSubmissions)+1:], "/"):
		allow = "GET, HEAD"
	}
	if allow != "" {
		f := fail(http.StatusMethodNotAllowed, ProblemMethodNotAllowed, r.Method+" is not allowed here; use "+allow)
		f.header = [2]string{"Allow", allow}
		h.writeFailure(w, r, f)
		return
	}
	h.writeFailure(w, r, fail(http.StatusNotFound, ProblemNotFound, "no such endpoint"))
}

func (h *Handler) limits(w http.ResponseWriter, r *http.Request) {
	body, _ := json.Marshal(h.cfg.Limits) // plain numbers; RecordsPerSecond is finite (Validate)
	writeBody(w, http.StatusOK, MediaJSON, body)
}

func (h *Handler) submit(w http.ResponseWriter, r *http.Request) {
	var read bool
	status, body, media, f := h.serveSubmission(r, w, &read)
	if f != nil {
		if !read && r.ContentLength != 0 {
			// The body was refused unread: close the connection rather
			// than let the server drain it, at whatever pace the client
			// sends it.
			w.Header().Set("Connection", "close")
		}
		h.writeFailure(w, r, f)
		return
	}
	writeBody(w, status, media, body)
}

// serveSubmission runs the checks of a POST in the documented order.
// It returns the answer (status, body, media type) or a failure.
// It sets *read once it has read the body.
func (h *Handler) serveSubmission(r *http.Request, w http.ResponseWriter, read *bool) (int, []byte, string, *failure) {
	ctx := r.Context()
	now := h.cfg.Clock()
	if f := checkSingletons(r.Header); f != nil {
		return 0, nil, "", f
	}
	org, f := h.admit(r)
	if f != nil {
		return 0, nil, "", f
	}
	lim, f := h.authorize(org, now)
	if f != nil {
		return 0, nil, "", f
	}
	gz, f := contentEncoding(r.Header)
	if f != nil {
		return 0, nil, "", f
	}
	if f := contentType(r.Header.Get("Content-Type")); f != nil {
		return 0, nil, "", f
	}
	key, ok := idempotencyKey(r.Header.Get(HeaderIdempotencyKey))
	if !ok {
		return 0, nil, "", fail(http.StatusBadRequest, ProblemBadIdempotency,
			"send Idempotency-Key: a UUID (8-4-4-4-12 hex digits) chosen once per batch and kept across retries")
	}
	want, ok := parseContentDigest(r.Header.Values(HeaderContentDigest))
	if !ok {
		return 0, nil, "", fail(http.StatusBadRequest, ProblemDigestMismatch,
			"send Content-Digest: sha-256=:<base64 of the SHA-256 of the body as sent>:")
	}
	max := h.cfg.Limits.MaxBodyBytes
	if r.ContentLength > max {
		return 0, nil, "", tooLarge("max_body_bytes", fmt.Sprintf("body is %d bytes, limit is %d", r.ContentLength, max))
	}

	release, f := h.acquire(org.ID)
	if f != nil {
		return 0, nil, "", f
	}
	defer release()
	rr := &rateReader{r: http.MaxBytesReader(w, r.Body, max), rc: http.NewResponseController(w), clock: h.cfg.Clock,
		start: now, grace: h.cfg.BodyGrace, minRate: float64(h.cfg.MinBodyRate)}
	body, err := readBody(rr, r.ContentLength)
	*read = err == nil
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return 0, nil, "", tooLarge("max_body_bytes", fmt.Sprintf("body is more than %d bytes", max))
		}
		if errors.Is(err, errSlowBody) {
			h.log.Warn("slow body cut", "org", org.ID, "addr", clientAddr(r), "bytes", rr.n)
			return 0, nil, "", h.slowBody(w, rr.n)
		}
		return 0, nil, "", fail(http.StatusBadRequest, ProblemMalformed, "reading the body failed: "+err.Error())
	}
	http.NewResponseController(w).SetReadDeadline(time.Time{}) //nolint:errcheck // the body is read; lift the per-read deadline
	sum := sha256.Sum256(body)
	if sum != want {
		return 0, nil, "", fail(http.StatusBadRequest, ProblemDigestMismatch,
			"Content-Digest does not match the body as sent ("+ContentDigest(body)+"); compute it over the compressed bytes when gzip is used")
	}
	digest := ContentDigest(body)

	unlock, err := h.cfg.Ledger.lockKey(ctx, org.ID, key)
	if err != nil {
		return 0, nil, "", h.unavailable("waiting for the same idempotency key failed", err, "org", org.ID, "key", key)
	}
	defer unlock()
	prior, answer, found, err := h.cfg.Ledger.idempotent(org.ID, key)
	if err != nil {
		return 0, nil, "", h.unavailable("reading the ledger failed", err, "org", org.ID)
	}
	if found {
		if prior != digest {
			return 0, nil, "", fail(http.StatusConflict, ProblemConflict,
				"Idempotency-Key "+key+" was used with another body; use a new key for a new batch")
		}
		h.log.Debug("replay", "org", org.ID, "key", key)
		return answer.Status, answer.body(), mediaOf(answer.Status), nil
	}

	var src io.Reader = bytes.NewReader(body)
	if gz {
		zr, err := gzip.NewReader(src)
		if err != nil {
			return 0, nil, "", fail(http.StatusBadRequest, ProblemMalformed, "body is not gzip: "+err.Error())
		}
		defer zr.Close()
		src = &capReader{r: io.LimitedReader{R: zr, N: h.cfg.Limits.MaxDecompressedBytes + 1}}
	}
	sizeHint := len(body)
	if gz {
		sizeHint = int(min(int64(len(body))*gzipRatioHint, h.cfg.Limits.MaxDecompressedBytes))
	}
	b, f := h.decodeBatch(src, org, now, sizeHint)
	if b.records > 0 {
		lim.ReserveN(now, b.records) // records <= MaxRecords <= Burst (Validate), so it succeeds; a debt delays the next request
	}
	if f != nil {
		return 0, nil, "", f
	}
	if f := h.dedupe(b); f != nil {
		return 0, nil, "", f
	}
	h.checkPurposes(b, now)
	accepted := b.accepted()
	if len(accepted) > 0 {
		if err := h.cfg.Sink.Put(ctx, accepted); err != nil {
			return 0, nil, "", h.unavailable("storing the records failed", err, "org", org.ID, "records", len(accepted))
		}
		if l, ok := h.purposes.(Learner); ok {
			if err := l.Learn(ctx, accepted); err != nil {
				return 0, nil, "", h.unavailable("learning purposes failed", err, "org", org.ID)
			}
		}
	}

	if len(accepted) == 0 && !b.anyDuplicate() {
		// Nothing was accepted: nothing is kept, not even the key, so a
		// junk request leaves no trace on disk. A replay is judged
		// afresh.
		h.logOutcome(ctx, org.ID, "", http.StatusUnprocessableEntity, b.counts(), now)
		resp, err := json.Marshal(h.nothingValid(h.summarize(b.results)))
		if err != nil {
			return 0, nil, "", h.unavailable("encoding the answer failed", err)
		}
		return http.StatusUnprocessableEntity, resp, MediaProblem, nil
	}
	id, err := uuid.NewV7()
	if err != nil {
		return 0, nil, "", h.unavailable("making a submission id failed", err)
	}
	sub := id.String()
	rc := &Receipt{SubmissionID: sub, IdempotencyKey: key, Org: org.ID, ReceivedAt: now.UTC(), BodyDigest: digest}
	a, err := h.cfg.Ledger.commit(org.ID, key, digest, sub, now, func(seen func(recordKey) (seenBy, bool)) (*Receipt, int, []byte, []acceptedRecord, error) {
		rc.Counts = Counts{}
		return h.finish(b, seen, rc)
	})
	if err != nil {
		return 0, nil, "", h.unavailable("committing the receipt failed", err, "org", org.ID)
	}
	w.Header().Set("Location", PathSubmissions+"/"+sub)
	h.logOutcome(ctx, org.ID, sub, a.Status, rc.Counts, now)
	return a.Status, a.body(), mediaOf(a.Status), nil
}
