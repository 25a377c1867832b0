package submit

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	// RetryAfter is the wait a 503 asks for; 0: DefaultRetryAfter. It is
	// sent in whole seconds, at least 1.
	RetryAfter time.Duration
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
	if c.RetryAfter == 0 {
		c.RetryAfter = DefaultRetryAfter
	}
	if c.Clock == nil {
		c.Clock = time.Now
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
	if c.RetryAfter < 0 {
		bad("RetryAfter is %s; it must not be negative", c.RetryAfter)
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
//  2. the Authenticator names an organization of the directory (by
//     default a bearer token; see TLSIdentity and SignatureVerifier),
//     else 401, or 403 for a certificate naming no acceptable
//     organization;
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

	mu       sync.Mutex
	limiters map[string]*rate.Limiter // by org id: at most one per organization of the directory
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
		limiters: map[string]*rate.Limiter{},
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

// problemTitles are the fixed titles of the problem types.
var problemTitles = map[string]string{
	ProblemMalformed:        "Malformed request",
	ProblemDigestMismatch:   "Content-Digest missing or wrong",
	ProblemBadIdempotency:   "Idempotency-Key missing or not a UUID",
	ProblemUnauthenticated:  "Not authenticated",
	ProblemForbidden:        "Organization may submit nothing here",
	ProblemNotFound:         "Not found",
	ProblemConflict:         "Idempotency-Key used with another body",
	ProblemTooLarge:         "Request too large",
	ProblemUnsupportedMedia: "Unsupported media type or encoding",
	ProblemNothingValid:     "No record was accepted",
	ProblemRateLimited:      "Rate limit exceeded",
	ProblemOverloaded:       "Hub overloaded",
	ProblemUnavailable:      "Hub cannot store the submission now",
	ProblemMethodNotAllowed: "Method not allowed",
	ProblemIdentityRefused:  "Identity not accepted",
}

// failure is a whole-request error on its way to a problem document.
type failure struct {
	p          Problem
	retryAfter time.Duration // > 0: send Retry-After
	header     [2]string     // an extra header, if any
}

func fail(status int, typ, detail string) *failure {
	return &failure{p: Problem{Type: typ, Title: problemTitles[typ], Status: status, Detail: detail}}
}

func tooLarge(limit, detail string) *failure {
	f := fail(http.StatusRequestEntityTooLarge, ProblemTooLarge, detail)
	f.p.Limit = limit
	return f
}

// retrySeconds is d in whole seconds, rounded up, at least 1.
func retrySeconds(d time.Duration) string {
	s := int64(math.Ceil(d.Seconds()))
	return strconv.FormatInt(max(s, 1), 10)
}

func (h *Handler) writeFailure(w http.ResponseWriter, r *http.Request, f *failure) {
	f.p.Instance = r.URL.Path
	body, err := json.Marshal(&f.p)
	if err != nil { // a Problem always encodes
		body = []byte(`{"type":"` + f.p.Type + `","status":` + strconv.Itoa(f.p.Status) + `}`)
	}
	hd := w.Header()
	if f.retryAfter > 0 {
		hd.Set(HeaderRetryAfter, retrySeconds(f.retryAfter))
	}
	if f.header[0] != "" {
		hd.Set(f.header[0], f.header[1])
	}
	writeBody(w, f.p.Status, MediaProblem, body)
}

func writeBody(w http.ResponseWriter, status int, media string, body []byte) {
	hd := w.Header()
	hd.Set("Content-Type", media)
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body) // the connection's problem if this fails
}

// unavailable logs err and returns the 503 the sender retries after.
func (h *Handler) unavailable(msg string, err error, attrs ...any) *failure {
	h.log.Error(msg, append(attrs, "err", err)...)
	f := fail(http.StatusServiceUnavailable, ProblemUnavailable, msg+"; retry later")
	f.retryAfter = h.cfg.RetryAfter
	return f
}

// authenticate returns the organization the Authenticator finds.
func (h *Handler) authenticate(r *http.Request) (collab.Org, *failure) {
	org, err := h.cfg.Authenticator.Authenticate(r, h.dir())
	if err != nil {
		return collab.Org{}, authFailure(err)
	}
	return org, nil
}

// dir is the directory in use.
func (h *Handler) dir() *collab.Directory {
	if h.cfg.DirectorySource != nil {
		return h.cfg.DirectorySource.Directory()
	}
	return h.cfg.Directory
}

// limiter returns org's rate limiter, made on first use. Only
// authenticated organizations get one, so the map holds at most one per
// organization of the directory.
func (h *Handler) limiter(org string) *rate.Limiter {
	h.mu.Lock()
	defer h.mu.Unlock()
	l := h.limiters[org]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(h.cfg.Limits.RecordsPerSecond), h.cfg.Limits.Burst)
		h.limiters[org] = l
	}
	return l
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	allow := ""
	switch p := r.URL.Path; {
	case p == PathSubmissions:
		allow = http.MethodPost
	case p == PathLimits, strings.HasPrefix(p, PathSubmissions+"/") && !strings.Contains(p[len(PathSubmissions)+1:], "/"):
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

func (h *Handler) receipt(w http.ResponseWriter, r *http.Request) {
	org, f := h.authenticate(r)
	if f != nil {
		h.writeFailure(w, r, f)
		return
	}
	raw, err := h.cfg.Ledger.receiptBytes(r.Context(), org.ID, r.PathValue("id"))
	switch {
	case errors.Is(err, ErrReceiptNotFound):
		h.writeFailure(w, r, fail(http.StatusNotFound, ProblemNotFound, "no submission with this id from your organization"))
	case err != nil:
		h.writeFailure(w, r, h.unavailable("reading the receipt failed", err, "org", org.ID))
	default:
		writeBody(w, http.StatusOK, MediaJSON, raw)
	}
}

// maySubmitHere reports whether org may submit some kind the hub takes in.
func (h *Handler) maySubmitHere(org collab.Org) bool {
	return slices.ContainsFunc(org.Submits, h.hub.CanReceive)
}

func (h *Handler) submit(w http.ResponseWriter, r *http.Request) {
	select {
	case h.inflight <- struct{}{}:
		defer func() { <-h.inflight }()
	default:
		f := fail(http.StatusServiceUnavailable, ProblemOverloaded,
			fmt.Sprintf("%d submissions are in progress, the most this hub takes at once", h.cfg.MaxInFlight))
		f.retryAfter = h.cfg.RetryAfter
		h.writeFailure(w, r, f)
		return
	}
	status, body, media, f := h.serveSubmission(r, w)
	if f != nil {
		h.writeFailure(w, r, f)
		return
	}
	writeBody(w, status, media, body)
}

// serveSubmission runs the checks of a POST in the documented order.
// It returns the answer (status, body, media type) or a failure.
func (h *Handler) serveSubmission(r *http.Request, w http.ResponseWriter) (int, []byte, string, *failure) {
	ctx := r.Context()
	now := h.cfg.Clock()
	org, f := h.authenticate(r)
	if f != nil {
		return 0, nil, "", f
	}
	if !h.maySubmitHere(org) {
		return 0, nil, "", fail(http.StatusForbidden, ProblemForbidden,
			fmt.Sprintf("%q may submit no kind that %q takes in", org.ID, h.hub.ID))
	}
	lim := h.limiter(org.ID)
	if tokens := lim.TokensAt(now); tokens < 1 {
		f := fail(http.StatusTooManyRequests, ProblemRateLimited,
			fmt.Sprintf("%s may submit %g records per second (burst %d)", org.ID, h.cfg.Limits.RecordsPerSecond, h.cfg.Limits.Burst))
		f.retryAfter = time.Duration((1 - tokens) / h.cfg.Limits.RecordsPerSecond * float64(time.Second))
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
	body, err := readBody(http.MaxBytesReader(w, r.Body, max), r.ContentLength)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return 0, nil, "", tooLarge("max_body_bytes", fmt.Sprintf("body is more than %d bytes", max))
		}
		return 0, nil, "", fail(http.StatusBadRequest, ProblemMalformed, "reading the body failed: "+err.Error())
	}
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

	id, err := uuid.NewV7()
	if err != nil {
		return 0, nil, "", h.unavailable("making a submission id failed", err)
	}
	sub := id.String()
	a, err := h.cfg.Ledger.commit(org.ID, key, digest, sub, func(seen func(string) (seenBy, bool)) (*Receipt, int, []byte, error) {
		rc := &Receipt{SubmissionID: sub, IdempotencyKey: key, Org: org.ID, ReceivedAt: now.UTC(), BodyDigest: digest}
		rc.Results = make([]RecordResult, len(b.results))
		for i, res := range b.results {
			if res.Status == StatusAccepted {
				if s, ok := seen(res.ID); ok { // accepted meanwhile, through another key
					res = seenResult(res, s, org.ID)
				}
			}
			rc.Results[i] = res
			rc.Counts.add(res.Status)
		}
		if rc.Counts.Accepted+rc.Counts.Duplicate > 0 {
			return rc, http.StatusOK, nil, nil
		}
		p := Problem{
			Type: ProblemNothingValid, Title: problemTitles[ProblemNothingValid], Status: http.StatusUnprocessableEntity,
			Detail:   fmt.Sprintf("all %d records were rejected; the results say why", rc.Counts.Records),
			Instance: PathSubmissions + "/" + sub, Results: rc.Results,
		}
		if len(p.Results) == 0 {
			p.Detail = "the body holds no record"
		}
		resp, err := json.Marshal(&p)
		return rc, http.StatusUnprocessableEntity, resp, err
	})
	if err != nil {
		return 0, nil, "", h.unavailable("committing the receipt failed", err, "org", org.ID)
	}
	w.Header().Set("Location", PathSubmissions+"/"+sub)
	h.logOutcome(ctx, org.ID, sub, a, b, now)
	return a.Status, a.body(), mediaOf(a.Status), nil
}

func mediaOf(status int) string {
	if status == http.StatusOK {
		return MediaJSON
	}
	return MediaProblem
}

func (c *Counts) add(s Status) {
	c.Records++
	switch s {
	case StatusAccepted:
		c.Accepted++
	case StatusDuplicate:
		c.Duplicate++
	case StatusRejected:
		c.Rejected++
	}
}

// logOutcome logs the submission and appends it to the journal.
func (h *Handler) logOutcome(ctx context.Context, org, sub string, a *ledgerAnswer, b *inBatch, now time.Time) {
	var c Counts
	for _, res := range b.results {
		c.add(res.Status)
	}
	h.log.Info("submission", "org", org, "submission", sub, "status", a.Status,
		"records", c.Records, "accepted", c.Accepted, "duplicate", c.Duplicate, "rejected", c.Rejected)
	if h.cfg.Journal == nil {
		return
	}
	var rc Receipt
	if err := json.Unmarshal(a.Receipt, &rc); err == nil {
		c = rc.Counts
	}
	data, _ := json.Marshal(collab.RecordsOutcome{Submitted: c.Records, Accepted: c.Accepted, Rejected: c.Rejected, Duplicate: c.Duplicate})
	_, err := h.cfg.Journal.Append(ctx, collab.Entry{
		At: now.UTC(), Kind: collab.EntryRecordsOutcome, Interaction: collab.InteractionSubmission,
		Org: org, Counterpart: h.hub.ID, Ref: sub, Data: data,
	})
	if err != nil {
		h.log.Error("journal append failed; the submission stands", "org", org, "submission", sub, "err", err)
	}
}

// contentEncoding accepts no encoding, identity or gzip.
func contentEncoding(hd http.Header) (gz bool, f *failure) {
	var codings []string
	for _, v := range hd.Values("Content-Encoding") {
		for c := range strings.SplitSeq(v, ",") {
			if c = strings.ToLower(strings.TrimSpace(c)); c != "" && c != "identity" {
				codings = append(codings, c)
			}
		}
	}
	switch {
	case len(codings) == 0:
		return false, nil
	case len(codings) == 1 && codings[0] == "gzip":
		return true, nil
	}
	return false, fail(http.StatusUnsupportedMediaType, ProblemUnsupportedMedia,
		fmt.Sprintf("Content-Encoding %q is not supported; send gzip or none", strings.Join(codings, ", ")))
}

// contentType accepts application/x-ndjson, with charset utf-8 at most.
func contentType(v string) *failure {
	mt, params, err := mime.ParseMediaType(v)
	if err == nil && mt == MediaNDJSON {
		cs, has := params["charset"]
		if len(params) == 0 || (len(params) == 1 && has && strings.EqualFold(cs, "utf-8")) {
			return nil
		}
	}
	return fail(http.StatusUnsupportedMediaType, ProblemUnsupportedMedia,
		fmt.Sprintf("Content-Type %q is not supported; send %s (UTF-8)", v, MediaNDJSON))
}

// idempotencyKey accepts a UUID in its 36-character form and returns it
// in lower case.
func idempotencyKey(v string) (string, bool) {
	if len(v) != 36 {
		return "", false
	}
	u, err := uuid.Parse(v)
	if err != nil {
		return "", false
	}
	return u.String(), true
}

// gzipRatioHint guesses a gzip body's size once inflated, to size the
// read buffer once: records compress about 6× at gzip.BestSpeed, so 8×
// rarely needs a second growth.
const gzipRatioHint = 8

// capReader fails with errDecompressedTooLarge once more than the limit
// (r.N - 1 bytes) has been read.
type capReader struct{ r io.LimitedReader }

var errDecompressedTooLarge = errors.New("submit: decompressed body too large")

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.r.N <= 0 {
		return 0, errDecompressedTooLarge
	}
	return n, err
}

// errTooManyRecords stops eachLine at MaxRecords+1 records.
var errTooManyRecords = errors.New("submit: too many records")

// eachLine calls fn with each line of r, numbered from 1, without its
// line end (\n or \r\n). A line longer than maxLine is not kept: fn gets
// tooLong and an empty line. An error of r or fn stops it.
func eachLine(r io.Reader, maxLine int, fn func(n int, line []byte, tooLong bool) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var acc []byte
	for n := 1; ; n++ {
		acc = acc[:0]
		tooLong := false
		var chunk []byte
		var err error
		for {
			chunk, err = br.ReadSlice('\n')
			if err != bufio.ErrBufferFull {
				break
			}
			if !tooLong {
				acc = append(acc, chunk...)
				if len(acc) > maxLine+2 { // longer than any line end could explain
					tooLong, acc = true, acc[:0]
				}
			}
		}
		if err != nil && err != io.EOF {
			return err
		}
		line := chunk
		if tooLong {
			line = acc
		} else if len(acc) > 0 {
			acc = append(acc, chunk...)
			line = acc
		}
		last := err == io.EOF
		if last && len(line) == 0 && !tooLong {
			return nil
		}
		if !tooLong {
			line = bytes.TrimSuffix(line, []byte{'\n'})
			line = bytes.TrimSuffix(line, []byte{'\r'})
			tooLong = len(line) > maxLine
		}
		if err := fn(n, line, tooLong); err != nil {
			return err
		}
		if last {
			return nil
		}
	}
}

// inBatch is a batch being decoded, the hub's side of the client's
// outBatch: one result per record, and for each result the envelope when
// it passed so far.
type inBatch struct {
	sender  string
	records int
	results []RecordResult
	envs    []*schema.Envelope // per result; nil once rejected
	srcs    []collab.Org       // per result: the organization that collected it
}

func (b *inBatch) accepted() []schema.Envelope {
	var out []schema.Envelope
	for i, e := range b.envs {
		if e != nil && b.results[i].Status == StatusAccepted {
			out = append(out, *e)
		}
	}
	return out
}

func (b *inBatch) reject(i int, reason Reason, vs ...schema.Violation) {
	b.results[i].Status = StatusRejected
	b.results[i].Reason = reason
	b.results[i].Errors = vs
	b.envs[i] = nil
}

// decodeBatch reads the records of src and runs the checks each record
// has on its own: schemas, source, directory. Every non-blank line gets
// exactly one result.
//
// The lines are read first and checked afterwards, on up to GOMAXPROCS
// goroutines: validation is most of a hub's work, and one client sending
// one batch at a time should not leave all but one core idle. Reading
// first costs no more memory than MaxDecompressedBytes, and a body that
// breaks a limit is refused before any record is validated.
func (h *Handler) decodeBatch(src io.Reader, sender collab.Org, now time.Time, sizeHint int) (*inBatch, *failure) {
	b := &inBatch{sender: sender.ID}
	maxRec := h.cfg.Limits.MaxRecords
	type rawLine struct {
		n          int
		start, end int // in buf
		tooLong    bool
	}
	var lines []rawLine
	buf := make([]byte, 0, sizeHint) // the lines, back to back
	err := eachLine(src, h.cfg.Limits.MaxLineBytes, func(n int, line []byte, tooLong bool) error {
		if !tooLong && len(bytes.TrimSpace(line)) == 0 {
			return nil
		}
		if b.records == maxRec {
			return errTooManyRecords
		}
		b.records++
		start := len(buf)
		if !tooLong {
			buf = append(buf, line...)
		}
		lines = append(lines, rawLine{n: n, start: start, end: len(buf), tooLong: tooLong})
		return nil
	})
	if err == nil {
		b.results = make([]RecordResult, len(lines))
		b.envs = make([]*schema.Envelope, len(lines))
		b.srcs = make([]collab.Org, len(lines))
		parallel(len(lines), func(i int) {
			l := lines[i]
			b.results[i], b.envs[i], b.srcs[i] = h.checkRecord(l.n, buf[l.start:l.end:l.end], l.tooLong, sender)
		})
	}
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, errTooManyRecords):
		return b, tooLarge("max_records", fmt.Sprintf("more than %d records; split the batch", maxRec))
	case errors.Is(err, errDecompressedTooLarge):
		return b, tooLarge("max_decompressed_bytes", fmt.Sprintf("body decompresses to more than %d bytes", h.cfg.Limits.MaxDecompressedBytes))
	default:
		return b, fail(http.StatusBadRequest, ProblemMalformed, "reading the gzip stream failed: "+err.Error())
	}
}

// readBody reads r to its end into a buffer sized by the request's
// Content-Length when it gives one (r bounds what is read).
func readBody(r io.Reader, contentLength int64) ([]byte, error) {
	if contentLength <= 0 {
		return io.ReadAll(r)
	}
	buf := bytes.NewBuffer(make([]byte, 0, contentLength+bytes.MinRead))
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// parallel calls fn(0) to fn(n-1) on up to GOMAXPROCS goroutines, in
// chunks big enough that handing them out costs little, and returns when
// all have returned.
func parallel(n int, fn func(i int)) {
	const chunk = 16
	workers := min(runtime.GOMAXPROCS(0), (n+chunk-1)/chunk)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				start := int(next.Add(chunk)) - chunk
				if start >= n {
					return
				}
				for i := start; i < min(start+chunk, n); i++ {
					fn(i)
				}
			}
		})
	}
	wg.Wait()
}

// checkRecord runs the checks of one line that need nothing but the line,
// the sender and the directory.
func (h *Handler) checkRecord(n int, line []byte, tooLong bool, sender collab.Org) (RecordResult, *schema.Envelope, collab.Org) {
	res := RecordResult{Line: n, Status: StatusRejected, Reason: ReasonInvalid}
	if tooLong {
		res.Errors = []schema.Violation{{Keyword: "size",
			Message: fmt.Sprintf("record is more than %d bytes, the hub's max_line_bytes", h.cfg.Limits.MaxLineBytes)}}
		return res, nil, collab.Org{}
	}
	env, err := h.validate.Validate(line)
	if err != nil {
		if ve, ok := errors.AsType[*schema.ValidationError](err); ok {
			res.Errors = ve.Violations
			if !errors.Is(err, schema.ErrSyntax) && !errors.Is(err, schema.ErrTooDeep) && !errors.Is(err, schema.ErrDuplicateKey) {
				res.ID = peekID(line)
			}
		} else {
			res.Errors = []schema.Violation{{Keyword: "schema", Message: err.Error()}}
		}
		return res, nil, collab.Org{}
	}
	res.ID = env.ID
	src, ok := h.source(&env, sender)
	if !ok {
		res.Reason = ReasonSourceMismatch
		res.Errors = []schema.Violation{{Pointer: "/source", Keyword: "source",
			Message: fmt.Sprintf("source %q is not the authenticated organization %q", env.Source, sender.ID)}}
		return res, nil, collab.Org{}
	}
	if !sender.CanSubmit(env.Kind) || !h.hub.CanReceive(env.Kind) {
		res.Reason = ReasonKindNotAllowed
		msg := fmt.Sprintf("%q may not submit %q", sender.ID, env.Kind)
		if sender.CanSubmit(env.Kind) {
			msg = fmt.Sprintf("%q does not take in %q", h.hub.ID, env.Kind)
		}
		res.Errors = []schema.Violation{{Pointer: "/kind", Keyword: "kind", Message: msg}}
		return res, nil, collab.Org{}
	}
	res.Status, res.Reason = StatusAccepted, ""
	return res, &env, src
}

// source returns the organization that collected env, if the sender may
// send it: the sender itself, or, for a relayed record, a collector
// whose route for the kind leads to the sender, which stamped the newest
// provenance hop.
func (h *Handler) source(env *schema.Envelope, sender collab.Org) (collab.Org, bool) {
	if env.Source == sender.ID {
		return sender, true
	}
	if len(env.Provenance) == 0 || env.Provenance[len(env.Provenance)-1].Org != sender.ID {
		return collab.Org{}, false
	}
	next, err := h.dir().Route(env.Source, env.Kind)
	if err != nil || !slices.Contains(next, sender.ID) {
		return collab.Org{}, false
	}
	return h.dir().Org(env.Source)
}

// peekID reads the id of a record the schemas refused, if it has one
// that looks like a UUID.
func peekID(line []byte) string {
	var v struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(line, &v) != nil || len(v.ID) != 36 {
		return ""
	}
	return v.ID
}

// uniqueViolation is the error of a record whose id another organization
// got accepted first.
var uniqueViolation = schema.Violation{Pointer: "/id", Keyword: "unique",
	Message: "id is not unique at this hub; give every record a new UUID v7"}

// seenResult turns a result into a duplicate of what s accepted, or a
// rejection if s was another organization.
func seenResult(res RecordResult, s seenBy, org string) RecordResult {
	if s.org == org {
		res.Status = StatusDuplicate
		return res
	}
	res.Status, res.Reason, res.Errors = StatusRejected, ReasonInvalid, []schema.Violation{uniqueViolation}
	return res
}

// dedupe marks records accepted before (in the ledger) or earlier in the
// batch as duplicates. It runs before the purpose check: a record
// accepted before stays a success even if its purpose lapsed since.
func (h *Handler) dedupe(b *inBatch) *failure {
	var ids []string
	for i, e := range b.envs {
		if e != nil {
			ids = append(ids, b.results[i].ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	seen, err := h.cfg.Ledger.seen(ids)
	if err != nil {
		return h.unavailable("reading the ledger failed", err)
	}
	first := make(map[string]bool, len(ids))
	for i, e := range b.envs {
		if e == nil {
			continue
		}
		id := b.results[i].ID
		if s, ok := seen[id]; ok {
			b.results[i] = seenResult(b.results[i], s, b.sender)
			b.envs[i] = nil
			continue
		}
		if first[id] {
			b.results[i].Status = StatusDuplicate
			b.envs[i] = nil
			continue
		}
		first[id] = true
	}
	return nil
}

// checkPurposes applies purpose and retention to the records still
// accepted.
func (h *Handler) checkPurposes(b *inBatch, now time.Time) {
	for i, e := range b.envs {
		if e == nil || b.results[i].Status != StatusAccepted {
			continue
		}
		if reason, ok := h.purposes.Check(*e, b.srcs[i]); !ok {
			b.reject(i, reason, schema.Violation{Pointer: "/purpose", Keyword: "purpose", Message: purposeMessage(reason)})
			continue
		}
		if !now.Before(e.RetainUntil) {
			b.reject(i, ReasonExpired, schema.Violation{Pointer: "/retain_until", Keyword: "retention",
				Message: "retain_until " + e.RetainUntil.UTC().Format(time.RFC3339) + " has passed; the record must be deleted, not shared"})
		}
	}
}

func purposeMessage(r Reason) string {
	switch r {
	case ReasonPurposeUnknown:
		return "no requirement or task with this id is known at this hub"
	case ReasonPurposeInactive:
		return "the purpose is not active now (closed, suspended, superseded, expired or not yet valid)"
	case ReasonPurposeNotCovered:
		return "the purpose's scope does not cover this kind, the collecting organization's sector or region, or its assignees"
	}
	return "the purpose does not allow this record"
}
