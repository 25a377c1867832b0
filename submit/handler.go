package submit

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/time/rate"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// Handler is the receiving side of the protocol (docs/protocol.md), an
// http.Handler a department embeds:
//
//	POST /v1/submissions        a batch of envelopes, NDJSON
//	GET  /v1/submissions/{id}   the receipt again, for its sender only
//	GET  /v1/limits             the Limits, so clients size their batches
//
// A submission is checked in this order; the first failure answers
// (docs/protocol.md has the whole list). Admission (admission.go) runs
// before a byte of the body is read, and all but the last step before
// the request holds any shared resource:
//
//  1. singleton headers sent once, else 400 malformed;
//  2. authentication by the Authenticator (a bearer token by default;
//     see TLSIdentity and SignatureVerifier), else 401 or 403, or 429
//     once the client's address has
//     failed AuthFailures times in AuthWindow;
//  3. the organization may submit some kind this hub receives, else 403;
//  4. the organization's rate limit has a token left, else 429;
//  5. Content-Encoding and Content-Type (415), Idempotency-Key (400
//     bad-idempotency), Content-Digest (400 digest-mismatch), a
//     Content-Length within Limits.MaxBodyBytes (413);
//  6. a slot: below MaxInFlightPerOrg for the organization, then below
//     MaxInFlight, else 503 overloaded.
//
// Framing (framing.go): the body within Limits.MaxBodyBytes (413) and
// at MinBodyRate after BodyGrace (408 slow-body); the digest (400); the
// key (the stored answer, or 409); decompression and the record count
// (413, 400). Records (records.go, provenance.go): each line on its own
// (schemas, source, kind, handling on relay, collected_at skew,
// provenance, a purpose's issuer), then the batch (duplicates and
// conflicts by source and id), then purpose, retention and revisions.
// Receipts (receipts.go): nothing accepted, 422 and nothing kept;
// otherwise the Sink (durable), the purposes learnt, and the receipt
// committed to the Ledger, then 200. A Sink that is the Ledger's own
// Store (Ledger.Store) is written in that commit, and a Log in the
// Ledger's file (Ledger.OpenLog) gets the receipt's leaf there too: one
// transaction per batch.
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
	trace    tracing
	met      hubMetrics
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
	h.trace = newTracing(cfg.TracerProvider, cfg.Propagator)
	if h.validate == nil {
		v, err := schema.NewValidator(schema.WithMaxBytes(cfg.Limits.MaxLineBytes), schema.WithMaxDepth(cfg.Limits.MaxDepth))
		if err != nil {
			return nil, fmt.Errorf("submit: handler: %w", err)
		}
		h.validate = v
	}
	if h.purposes == nil {
		p, err := NewPurposeRegistry(cfg.Ledger.(*Ledger), cfg.Clock) // Validate: a *Ledger when Purposes is nil
		if err != nil {
			return nil, fmt.Errorf("submit: handler: %w", err)
		}
		h.purposes = p
	}
	var sizes []sizer
	for _, v := range []any{cfg.Ledger, cfg.Sink} {
		if s, ok := v.(sizer); ok {
			sizes = append(sizes, s)
		}
	}
	met, err := newHubMetrics(cfg.Metrics, cfg.Org, sizes...)
	if err != nil {
		return nil, err
	}
	h.met = met
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
	h.met.request(routeLimits, http.StatusOK, "")
	writeBody(w, http.StatusOK, MediaJSON, body)
}

func (h *Handler) submit(w http.ResponseWriter, r *http.Request) {
	ctx := h.trace.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := h.trace.tracer.Start(ctx, SpanHubSubmission, trace.WithSpanKind(trace.SpanKindServer))
	defer span.End()
	r = r.WithContext(ctx)
	var read bool
	status, body, media, f := h.serveSubmission(r, w, &read)
	if f != nil {
		span.SetAttributes(attribute.Int("http.response.status_code", f.p.Status), attribute.String("sicollab.problem", f.p.Type))
		span.SetStatus(codes.Error, f.p.Type)
		if !read && r.ContentLength != 0 {
			// The body was refused unread: close the connection rather
			// than let the server drain it, at whatever pace the client
			// sends it.
			w.Header().Set("Connection", "close")
		}
		h.writeFailure(w, r, f)
		return
	}
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	problem := ""
	if status == http.StatusUnprocessableEntity {
		problem = ProblemNothingValid
	}
	h.met.request(routeSubmit, status, problem)
	writeBody(w, status, media, body)
}

// storeInLedger reports whether the Sink is the Store of the Ledger's
// own file (Ledger.Store).
func (h *Handler) storeInLedger() bool {
	s, ok := h.cfg.Sink.(*Store)
	l, isLedger := h.cfg.Ledger.(*Ledger)
	return ok && isLedger && s.db == l.db
}

// commit is the Ledger's Commit; before runs first in its transaction
// when the Ledger is a *Ledger (see Ledger.commitWith). Another
// LedgerStore is never given before: the store and the log are then in
// files of their own (storeInLedger and logInLedger are false).
// Concurrent requests share a *Ledger's transaction, in which before and
// finish may run twice (ledger_gather.go); both are safe to (they
// recompute everything from the batch and the transaction), but a
// handler with a Log commits alone: its finish appends to the log. With
// a CommitWindow the commit may wait that long for other requests.
func (h *Handler) commit(ctx context.Context, cr CommitRequest, finish FinishFunc, before func(tx *bolt.Tx) error) (*LedgerAnswer, error) {
	if l, ok := h.cfg.Ledger.(*Ledger); ok {
		var win *ledgerWindow
		if h.cfg.CommitWindow > 0 {
			win = &ledgerWindow{d: h.cfg.CommitWindow, at: h.cfg.Clock(), clock: h.cfg.Clock, newTimer: h.cfg.NewTimer}
		}
		return l.commitWith(ctx, cr, finish, before, h.cfg.Log != nil, win)
	}
	return h.cfg.Ledger.Commit(ctx, cr, finish)
}

// storeTx returns, when the Sink is the Ledger's Store, what the
// ledger's commit writes first: the records of b accepted so far, as
// validated. A record the commit then finds accepted meanwhile by
// another request was stored by that request, in its own commit, and
// is skipped (first write wins), so the store holds what the ledger
// marks as seen, no more.
func (h *Handler) storeTx(inLedger bool, b *inBatch) func(tx *bolt.Tx) error {
	if !inLedger {
		return nil
	}
	recs := b.acceptedRecords()
	return func(tx *bolt.Tx) error {
		vals, err := encodeRecords(recs)
		if err != nil {
			return err
		}
		return putRecordsTx(tx, recs, vals)
	}
}

// serveSubmission runs the checks of a POST in the documented order.
// It returns the answer (status, body, media type) or a failure.
// It sets *read once it has read the body.
func (h *Handler) serveSubmission(r *http.Request, w http.ResponseWriter, read *bool) (int, []byte, string, *failure) {
	ctx := r.Context()
	now := h.cfg.Clock()
	mark := now // the start of the current stage
	next := func(stage string) {
		t := h.cfg.Clock()
		h.met.stage(stage, mark, t)
		mark = t
	}
	if f := checkSingletons(r.Header); f != nil {
		return 0, nil, "", f
	}
	org, f := h.admit(r)
	if f != nil {
		return 0, nil, "", f
	}
	trace.SpanFromContext(ctx).SetAttributes(attribute.String("sicollab.org", org.ID))
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
	next(stageAdmission)
	rr := &rateReader{r: http.MaxBytesReader(w, r.Body, max), rc: http.NewResponseController(w), clock: h.cfg.Clock,
		start: now, grace: h.cfg.BodyGrace, minRate: float64(h.cfg.MinBodyRate)}
	// The body is hashed as it arrives: the digest costs no time after
	// the last byte.
	hash := sha256.New()
	body, err := readBody(io.TeeReader(rr, hash), r.ContentLength)
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
	var sum [sha256.Size]byte
	hash.Sum(sum[:0])
	if sum != want {
		return 0, nil, "", fail(http.StatusBadRequest, ProblemDigestMismatch,
			"Content-Digest does not match the body as sent ("+contentDigestOf(sum)+"); compute it over the compressed bytes when gzip is used")
	}
	digest := contentDigestOf(sum) // the body is hashed once
	next(stageRead)

	unlock, err := h.cfg.Ledger.Lock(ctx, org.ID, key)
	if err != nil {
		return 0, nil, "", h.unavailable("waiting for the same idempotency key failed", err, "org", org.ID, "key", key)
	}
	defer unlock()
	prior, answer, found, err := h.cfg.Ledger.Idempotent(ctx, org.ID, key)
	if err != nil {
		return 0, nil, "", h.unavailable("reading the ledger failed", err, "org", org.ID)
	}
	if found {
		if prior != digest {
			return 0, nil, "", fail(http.StatusConflict, ProblemConflict,
				"Idempotency-Key "+key+" was used with another body; use a new key for a new batch")
		}
		h.log.Debug("replay", "org", org.ID, "key", key)
		return answer.Status, answer.Body(), mediaOf(answer.Status), nil
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
	b, f := h.decodeBatch(r.Context(), src, org, now, sizeHint)
	if b.records > 0 {
		lim.ReserveN(now, b.records) // records <= MaxRecords <= Burst (Validate), so it succeeds; a debt delays the next request
	}
	if f != nil {
		return 0, nil, "", f
	}
	if f := h.dedupe(ctx, b); f != nil {
		return 0, nil, "", f
	}
	h.checkPurposes(b, now)
	next(stageValidate)
	accepted := b.accepted()
	if len(accepted) == 0 && !b.anyDuplicate() {
		// Nothing was accepted: nothing is kept, not even the key, so a
		// junk request leaves no trace on disk (nor in the log). A replay
		// is judged afresh.
		h.logOutcome(ctx, org.ID, "", http.StatusUnprocessableEntity, b, nil, now)
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
	logged := h.startLog(ctx, b, org.ID, key, digest, sub, now) // the log's leaf, while the Sink writes
	// A Store in the ledger's file (Ledger.Store) is written in the
	// ledger's commit below: one transaction, one fsync.
	inLedger := h.storeInLedger()
	if len(accepted) > 0 && !inLedger {
		if err := h.put(ctx, b, len(accepted)); err != nil {
			return 0, nil, "", h.unavailable("storing the records failed", err, "org", org.ID, "records", len(accepted))
		}
	}
	if len(accepted) > 0 {
		if l, ok := h.purposes.(Learner); ok {
			if err := l.Learn(ctx, accepted); err != nil {
				return 0, nil, "", h.unavailable("learning purposes failed", err, "org", org.ID)
			}
		}
	}

	next(stageStore)
	pre, err := logged()
	if err != nil {
		return 0, nil, "", h.unavailable("appending to the transparency log failed", err, "org", org.ID)
	}
	var committed []RecordResult // every result as committed, before the receipt summarizes them
	rc := &Receipt{SubmissionID: sub, IdempotencyKey: key, Org: org.ID, ReceivedAt: now.UTC(), BodyDigest: digest}
	// A log in the ledger's file takes the receipt's leaf in the commit.
	var logDigests map[string]string
	var tx *bolt.Tx
	var logDone func(committed bool)
	logIn := h.logInLedger()
	if logIn {
		if logDigests, err = payloadDigests(b); err != nil {
			return 0, nil, "", h.unavailable("digesting the payloads failed", err, "org", org.ID)
		}
	}
	storeFn := h.storeTx(inLedger, b)
	cr := CommitRequest{Org: org.ID, Key: key, Digest: digest, SubmissionID: sub, At: now, Retention: h.cfg.Retention}
	a, err := h.commit(ctx, cr, func(seen func(RecordKey) (SeenRecord, bool)) (*Receipt, int, []byte, []AcceptedRecord, error) {
		rc.Counts = Counts{}
		r, status, resp, acc, err := h.finish(b, seen, rc, &committed)
		if err == nil && status == http.StatusOK {
			if logIn {
				logDone, err = h.inLedgerLog(tx, r, logDigests)
			} else {
				err = h.attachLog(ctx, r, pre)
			}
		}
		return r, status, resp, acc, err
	}, func(t *bolt.Tx) error {
		tx = t
		if storeFn != nil {
			return storeFn(t)
		}
		return nil
	})
	if logDone != nil {
		logDone(err == nil) // the checkpoint moves once the leaf is durable
	}
	if errors.Is(err, ErrKeyConflict) {
		return 0, nil, "", fail(http.StatusConflict, ProblemConflict,
			"Idempotency-Key "+key+" was used with another body; use a new key for a new batch")
	}
	if err != nil {
		return 0, nil, "", h.unavailable("committing the receipt failed", err, "org", org.ID)
	}
	if a.Submission != sub {
		// Another hub committed the key first: its answer is the answer.
		h.log.Debug("key committed by another request", "org", org.ID, "key", key)
		return a.Status, a.Body(), mediaOf(a.Status), nil
	}
	next(stageReceipt)
	w.Header().Set("Location", PathSubmissions+"/"+sub)
	h.logOutcome(ctx, org.ID, sub, a.Status, b, committed, now)
	return a.Status, a.Body(), mediaOf(a.Status), nil
}

// put gives the accepted records of b to the Sink (putAccepted) inside
// a SpanHubSink span, so that a
// Relay's forwarding shows as its child.
func (h *Handler) put(ctx context.Context, b *inBatch, accepted int) error {
	ctx, span := h.trace.tracer.Start(ctx, SpanHubSink, trace.WithAttributes(attribute.Int("sicollab.records", accepted)))
	defer span.End()
	err := putAccepted(ctx, h.cfg.Sink, b)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	return err
}
