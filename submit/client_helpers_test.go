package submit

// Helpers of the client's tests. Names start with "client" so that they
// stay apart from the receiving side's test helpers in this package.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
)

const (
	clientTestOrg   = "bank-north-01"
	clientTestToken = "token-bank-north-01"
)

var clientT0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// clientEnv returns a valid finance.transaction envelope from org with a
// fresh id; pad grows the reference to make larger records.
func clientEnv(tb testing.TB, org string, pad int) schema.Envelope {
	tb.Helper()
	ref := "TX-000017"
	if pad > 0 {
		ref = "TX-" + string(bytes.Repeat([]byte("7"), min(pad, 60)))
	}
	tx := schema.FinanceTransaction{
		Reference:  ref,
		ExecutedAt: clientT0,
		Amount:     schema.Money{Amount: "9500.00", Currency: "EUR"},
		Type:       schema.FinanceTxCashDeposit,
		Channel:    schema.FinanceChannelBranch,
		Beneficiary: &schema.FinanceAccount{Account: schema.Subject{
			Pseudonym: "5d1f5c0e4a0b7a3f8c2e1d9b6a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f",
			IDType:    schema.IDAccount, KeyID: "k-2026-01",
		}},
		Indicators: []schema.FinanceIndicator{"structuring"},
	}
	env := schema.Envelope{
		ID:            uuid.Must(uuid.NewV7()).String(),
		Kind:          schema.KindFinanceTransaction,
		SchemaVersion: 1,
		Source:        org,
		CollectedAt:   clientT0,
		Purpose:       schema.Purpose{RequirementID: "01950a00-0000-7000-8000-000000000001"},
		LegalBasis:    "synthetic test basis",
		Handling:      schema.HandlingAmber,
		RetainUntil:   clientT0.AddDate(1, 0, 0),
	}
	require.NoError(tb, env.SetPayload(tx))
	return env
}

func clientEnvs(tb testing.TB, n int) []schema.Envelope {
	out := make([]schema.Envelope, n)
	for i := range out {
		out[i] = clientEnv(tb, clientTestOrg, 0)
	}
	return out
}

// clientHub is a small fake hub: it checks what the protocol asks of a
// client (token, Idempotency-Key, Content-Digest, NDJSON, gzip), answers
// a receipt per protocol.go, replays receipts by key and deduplicates by
// record id. Fault lets a test answer a request itself.
type clientHub struct {
	tb     testing.TB
	srv    *httptest.Server
	limits Limits

	mu       sync.Mutex
	receipts map[string]clientHubEntry // by idempotency key
	ids      map[uuid.UUID]int         // record id -> times accepted
	posts    []clientHubPost           // every POST, faults included
	limitsN  int
	// Fault, if set, may answer a POST (return true) before the hub does.
	Fault func(n int, w http.ResponseWriter, r *http.Request, records int) bool
	// Reject, if set, rejects records for which it returns a reason.
	Reject func(id string) Reason
	// Clock stamps posts (default time.Now).
	Clock func() time.Time
	// AfterStore, if set, runs after a new receipt is stored and before
	// it is answered (with the hub's lock released).
	AfterStore func(n int)
	bodies     [][]byte // NDJSON of every new submission, unless DropBodies
	// DropBodies keeps neither bodies nor per-record results (memory
	// tests: the hub shares the test's heap).
	DropBodies bool
}

type clientHubEntry struct {
	digest  string
	receipt Receipt
}

type clientHubPost struct {
	Key      string
	Records  int
	Bytes    int // body as sent
	Gzip     bool
	Replay   bool
	Status   int
	At       time.Time
	Received []string // record ids
	// Traceparent is the request's W3C trace context header, if any.
	Traceparent string
}

func newClientHub(tb testing.TB) *clientHub {
	h := &clientHub{tb: tb, limits: DefaultLimits(), receipts: map[string]clientHubEntry{}, ids: map[uuid.UUID]int{}}
	h.srv = httptest.NewServer(h)
	tb.Cleanup(h.srv.Close)
	return h
}

func (h *clientHub) problem(w http.ResponseWriter, status int, typ string, extra func(*Problem)) {
	p := Problem{Type: typ, Title: http.StatusText(status), Status: status}
	if extra != nil {
		extra(&p)
	}
	w.Header().Set("Content-Type", MediaProblem)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p)
}

func (h *clientHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+clientTestToken {
		h.problem(w, http.StatusUnauthorized, ProblemUnauthenticated, nil)
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == PathLimits {
		h.mu.Lock()
		h.limitsN++
		l := h.limits
		h.mu.Unlock()
		w.Header().Set("Content-Type", MediaJSON)
		json.NewEncoder(w).Encode(l)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != PathSubmissions {
		h.problem(w, http.StatusNotFound, ProblemNotFound, nil)
		return
	}
	sent, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	key := r.Header.Get(HeaderIdempotencyKey)
	body := sent
	gz := r.Header.Get("Content-Encoding") == "gzip"
	if gz {
		zr, err := gzip.NewReader(bytes.NewReader(sent))
		if err == nil {
			body, err = io.ReadAll(zr)
		}
		if err != nil {
			h.problem(w, http.StatusBadRequest, ProblemMalformed, nil)
			return
		}
	}
	lines := bytes.Count(body, []byte("\n"))
	h.mu.Lock()
	n := len(h.posts)
	at := time.Now()
	if h.Clock != nil {
		at = h.Clock()
	}
	h.posts = append(h.posts, clientHubPost{Key: key, Records: lines, Bytes: len(sent), Gzip: gz, At: at, Traceparent: r.Header.Get("Traceparent")})
	post := &h.posts[n]
	fault, reject, limits := h.Fault, h.Reject, h.limits
	h.mu.Unlock()
	status := func(s int) { h.mu.Lock(); post.Status = s; h.mu.Unlock() }
	if fault != nil {
		rec := httptest.NewRecorder()
		if fault(n, rec, r, lines) {
			status(rec.Code)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
	}
	if _, err := uuid.Parse(key); err != nil {
		status(400)
		h.problem(w, http.StatusBadRequest, ProblemBadIdempotency, nil)
		return
	}
	sum := sha256.Sum256(sent)
	digest := "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
	if r.Header.Get(HeaderContentDigest) != digest {
		status(400)
		h.problem(w, http.StatusBadRequest, ProblemDigestMismatch, nil)
		return
	}
	if r.Header.Get("Content-Type") != MediaNDJSON {
		status(415)
		h.problem(w, http.StatusUnsupportedMediaType, ProblemUnsupportedMedia, nil)
		return
	}
	if int64(len(sent)) > limits.MaxBodyBytes || lines > limits.MaxRecords {
		status(413)
		h.problem(w, http.StatusRequestEntityTooLarge, ProblemTooLarge, func(p *Problem) { p.Limit = "max_records" })
		return
	}
	h.mu.Lock()
	if e, ok := h.receipts[key]; ok {
		defer h.mu.Unlock()
		if e.digest != digest {
			post.Status = 409
			h.problem(w, http.StatusConflict, ProblemConflict, nil)
			return
		}
		post.Replay, post.Status = true, 200
		w.Header().Set("Content-Type", MediaJSON)
		json.NewEncoder(w).Encode(e.receipt)
		return
	}
	rc := Receipt{SubmissionID: uuid.Must(uuid.NewV7()).String(), IdempotencyKey: key, Org: clientTestOrg,
		ReceivedAt: at.UTC(), BodyDigest: digest}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 8<<20)
	line := 0
	for sc.Scan() {
		line++
		var head struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &head); err != nil || head.ID == "" {
			h.tb.Errorf("clientHub: line %d of %s is not an envelope: %v", line, key, err)
			continue
		}
		post.Received = append(post.Received, head.ID)
		res := RecordResult{Line: line, ID: head.ID, Status: StatusAccepted}
		if reject != nil {
			if reason := reject(head.ID); reason != "" {
				res.Status, res.Reason = StatusRejected, reason
				res.Errors = []schema.Violation{{Pointer: "/purpose", Keyword: "purpose", Message: "no such purpose"}}
			}
		}
		id, err := uuid.Parse(head.ID)
		if err != nil {
			h.tb.Errorf("clientHub: line %d of %s: id %q: %v", line, key, head.ID, err)
			continue
		}
		if res.Status == StatusAccepted && h.ids[id] > 0 {
			res.Status = StatusDuplicate
		}
		switch res.Status {
		case StatusAccepted:
			h.ids[id]++
			rc.Counts.Accepted++
		case StatusDuplicate:
			rc.Counts.Duplicate++
		case StatusRejected:
			rc.Counts.Rejected++
		}
		rc.Counts.Records++
		rc.Results = append(rc.Results, res)
	}
	if !h.DropBodies {
		h.bodies = append(h.bodies, body)
		h.receipts[key] = clientHubEntry{digest: digest, receipt: rc}
	} else {
		// Lean, for large runs: keep counts only (the client takes a
		// receipt without results and nothing rejected as all accepted).
		lean := rc
		lean.Results = nil
		h.receipts[key] = clientHubEntry{digest: digest, receipt: lean}
	}
	post.Status = 200
	after := h.AfterStore
	h.mu.Unlock()
	if after != nil {
		after(n)
	}
	w.Header().Set("Content-Type", MediaJSON)
	json.NewEncoder(w).Encode(rc)
}

func (h *clientHub) Posts() []clientHubPost {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]clientHubPost(nil), h.posts...)
}

// Stored returns how many distinct records were accepted, and how many
// ids were accepted more than once (never, if the client is right).
func (h *clientHub) Stored() (distinct, twice int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range h.ids {
		if n > 1 {
			twice++
		}
	}
	return len(h.ids), twice
}

func (h *clientHub) setFault(f func(n int, w http.ResponseWriter, r *http.Request, records int) bool) {
	h.mu.Lock()
	h.Fault = f
	h.mu.Unlock()
}

// clientClock is a fake clock. In auto mode every timer fires at once and
// moves the clock on by its duration; otherwise timers fire on Advance.
// Every requested wait is recorded.
type clientClock struct {
	mu     sync.Mutex
	now    time.Time
	auto   bool
	waits  []time.Duration
	timers []*clientTimer
	newT   chan time.Duration
}

type clientTimer struct {
	at      time.Time
	ch      chan time.Time
	stopped bool
}

func newClientClock(auto bool) *clientClock {
	return &clientClock{now: clientT0, auto: auto, newT: make(chan time.Duration, 1024)}
}

func (f *clientClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *clientClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waits = append(f.waits, d)
	t := &clientTimer{at: f.now.Add(d), ch: make(chan time.Time, 1)}
	if f.auto {
		f.now = t.at
		t.ch <- f.now
	} else {
		f.timers = append(f.timers, t)
	}
	select {
	case f.newT <- d:
	default:
	}
	return t.ch, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// Advance moves the clock on and fires the timers that are due.
func (f *clientClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	kept := f.timers[:0]
	for _, t := range f.timers {
		if !t.stopped && !t.at.After(f.now) {
			t.ch <- f.now
			continue
		}
		if !t.stopped {
			kept = append(kept, t)
		}
	}
	f.timers = kept
}

func (f *clientClock) Waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

// clientConfig returns a config for hub with an outbox in dir, fast
// retries and no jitter.
func clientConfig(tb testing.TB, endpoint, dir string) ClientConfig {
	return ClientConfig{
		Endpoint:   endpoint,
		Org:        clientTestOrg,
		Token:      clientTestToken,
		OutboxPath: filepath.Join(dir, "outbox.db"),
		Linger:     time.Millisecond,
		Retry:      RetryPolicy{InitialInterval: time.Millisecond, MaxInterval: 10 * time.Millisecond, DisableJitter: true},
	}
}

func clientNew(tb testing.TB, cfg ClientConfig) *Client {
	tb.Helper()
	c, err := NewClient(cfg)
	require.NoError(tb, err)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		c.Close(ctx)
	})
	return c
}

func clientFlush(tb testing.TB, c *Client) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(tb, c.Flush(ctx))
}

// clientFlushRefused flushes c and requires the *RefusedError that says
// n records of the flush were dead-lettered with cause.
func clientFlushRefused(tb testing.TB, c *Client, cause DeadCause, n int) *RefusedError {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := c.Flush(ctx)
	require.ErrorIs(tb, err, ErrRefused)
	var re *RefusedError
	require.ErrorAs(tb, err, &re)
	require.Equal(tb, n, re.Refused, "records refused")
	require.Equal(tb, n, re.ByCause[cause], "records refused with cause %s: %v", cause, re.ByCause)
	require.Len(tb, re.Samples, min(n, maxRefusalSamples))
	for _, s := range re.Samples {
		require.NotZero(tb, s.ID, "a sample names its dead letter")
		require.Nil(tb, s.Record, "a sample carries no record bytes")
	}
	return re
}

// clientRecords returns n records as the outbox holds them (stamped,
// marshalled envelopes), without going through Submit.
func clientRecords(tb testing.TB, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		env := clientEnv(tb, clientTestOrg, 0)
		require.NoError(tb, env.Stamp(clientTestOrg, schema.StageCollection, clientT0))
		b, err := json.Marshal(env)
		require.NoError(tb, err)
		out[i] = b
	}
	return out
}

// clientSent returns the envelopes of every new submission the hub
// stored, by id.
func clientSent(t *testing.T, hub *clientHub) map[string]schema.Envelope {
	t.Helper()
	out := map[string]schema.Envelope{}
	hub.mu.Lock()
	bodies := hub.bodies
	hub.mu.Unlock()
	for _, b := range bodies {
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var env schema.Envelope
			require.NoError(t, json.Unmarshal([]byte(line), &env))
			out[env.ID] = env
		}
	}
	return out
}
