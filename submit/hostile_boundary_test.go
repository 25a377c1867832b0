package submit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/internal/boltdb"
	"github.com/sicollab/sicollab/schema"
)

// The trust-boundary rules of issue 11 that need more than one request
// to show: each test here fails if its rule is removed.

// TestSlowUploadsDoNotStarveOthers: 16 uploads from one organization
// that send nothing take at most its share of the slots; the others are
// refused at once, a second organization is accepted while they hang,
// and once the fake clock passes the grace the next byte of each cuts
// it (408) and frees its slot.
func TestSlowUploadsDoNotStarveOthers(t *testing.T) {
	f := newFixture(t, nil)
	const slow = 16
	type upload struct {
		w    *io.PipeWriter
		resp chan response
	}
	ups := make([]upload, slow)
	for i := range ups {
		pr, pw := io.Pipe()
		ups[i] = upload{w: pw, resp: make(chan response, 1)}
		t.Cleanup(func() { pw.Close() })
		r := f.request(post{body: nil, digest: ContentDigest([]byte("x"))})
		r.Body, r.ContentLength = pr, -1 // chunked, and nothing comes
		go func() {
			resp, err := f.srv.Client().Do(r)
			if err != nil {
				ups[i].resp <- response{status: -1, body: []byte(err.Error())}
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			ups[i].resp <- response{resp.StatusCode, resp.Header, b}
		}()
	}
	// All but the organization's share are refused at once; which ones
	// is up to the scheduler.
	refused := map[int]bool{}
	for len(refused) < slow-DefaultMaxInFlightPerOrg {
		for i, u := range ups {
			select {
			case r := <-u.resp:
				require.Equal(t, http.StatusServiceUnavailable, r.status, "%s", r.body)
				require.Contains(t, string(r.body), "its share")
				refused[i] = true
			default:
			}
		}
	}
	// Meanwhile another organization is served as if nothing happened.
	for range 3 {
		l, _ := f.validLine(testBank2)
		rc := f.send(post{org: testBank2, body: ndjson(l)}).receipt(t)
		require.Equal(t, 1, rc.Counts.Accepted)
	}
	// The slow ones are still open: nothing answered them.
	for i, u := range ups {
		if !refused[i] {
			select {
			case r := <-u.resp:
				t.Fatalf("upload %d answered %d before its body came: %s", i, r.status, r.body)
			default:
			}
		}
	}
	// Past the grace, the next byte of each is too late: cut, 408.
	f.clock.Add(DefaultBodyGrace + time.Minute)
	for i, u := range ups {
		if refused[i] {
			continue
		}
		_, err := u.w.Write([]byte("x"))
		require.NoError(t, err)
		r := <-u.resp
		require.Equal(t, http.StatusRequestTimeout, r.status, "%s", r.body)
		var p Problem
		require.NoError(t, json.Unmarshal(r.body, &p))
		require.Equal(t, ProblemSlowBody, p.Type)
		require.Equal(t, "min_body_rate", p.Limit)
	}
	// Their slots are free again.
	for range DefaultMaxInFlightPerOrg {
		l, _ := f.validLine(testBank)
		require.Equal(t, 200, f.send(post{body: ndjson(l)}).status)
	}
	f.assertStoreClean()
}

// syncBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestFailedAuthThrottled: 2,000 requests with bad tokens from one
// address are throttled (429 with Retry-After) after AuthFailures, the
// valid organization at the same address is served throughout, the
// failures are logged with address and reason but never the token, and
// the window ends on the fake clock.
func TestFailedAuthThrottled(t *testing.T) {
	var logs syncBuffer
	f := newFixture(t, func(_ *fixture, c *HandlerConfig) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	const bad = 2000
	counts := map[int]int{}
	for i := range bad {
		r := f.send(post{auth: fmt.Sprintf("Bearer forged-%d-s3cr3t", i), body: nil})
		counts[r.status]++
		if r.status == http.StatusTooManyRequests {
			require.Equal(t, ProblemRateLimited, r.problem(t).Type)
			require.Equal(t, "60", r.header.Get(HeaderRetryAfter))
		}
		if i%250 == 0 {
			l, _ := f.validLine(testBank)
			require.Equal(t, 200, f.send(post{body: ndjson(l)}).status, "the valid organization is not throttled")
		}
	}
	require.Equal(t, map[int]int{401: DefaultAuthFailures, 429: bad - DefaultAuthFailures}, counts)
	out := logs.String()
	require.NotContains(t, out, "s3cr3t", "a token was logged")
	require.NotContains(t, out, "forged-")
	require.Equal(t, DefaultAuthFailures, strings.Count(out, `"msg":"authentication failed"`))
	require.Equal(t, 1, strings.Count(out, `"msg":"authentication throttled"`), "logged once per window")
	require.Contains(t, out, `"addr":"127.0.0.1"`)
	require.Contains(t, out, `"reason":"unknown token"`)
	// A new window: a bad token is 401 again.
	f.clock.Add(DefaultAuthWindow)
	require.Equal(t, 401, f.send(post{auth: "Bearer forged-again", body: nil}).status)
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Size()
}

// TestJunkBoundedOnDisk: what the hub keeps for a request is bounded by
// what it accepted. 20 requests of 5,000 junk lines (10 KB each) leave
// nothing on disk; 20 requests of one valid record and 4,999 junk lines
// each leave at most their own size (on the 200 path the receipt lists
// MaxRefusedDetails rejections and summarizes the rest in one run).
func TestJunkBoundedOnDisk(t *testing.T) {
	f := newFixture(t, func(_ *fixture, c *HandlerConfig) {
		c.Limits = Limits{RecordsPerSecond: 1e9, Burst: 1 << 30}
	})
	// In use: the pages of both files up to their high-water mark, less
	// those bbolt has freed and will reuse. (The files themselves grow
	// in doubling steps of bbolt's mmap, whatever is written.)
	used := func(db *boltdb.DB) int64 {
		var hw int64
		require.NoError(t, db.View(func(tx *bolt.Tx) error { hw = tx.Size(); return nil }))
		return hw - int64(db.Stats().FreeAlloc)
	}
	size := func() int64 { return used(f.ledger.db) + used(f.store.db) }
	files := func() int64 {
		return fileSize(t, filepath.Join(f.data, "ledger.db")) + fileSize(t, filepath.Join(f.data, "store.db"))
	}
	filesBefore := files()
	const requests = 20
	junk := bytes.Repeat([]byte("x\n"), 5000)

	before := size()
	for range requests {
		r := f.send(post{body: junk})
		require.Equal(t, 422, r.status)
		p := r.problem(t)
		require.Len(t, p.Results, DefaultMaxRefusedDetails)
		require.Equal(t, []RefusedRun{{FirstLine: DefaultMaxRefusedDetails + 1, LastLine: 5000, Records: 5000 - DefaultMaxRefusedDetails, Reason: ReasonInvalid}}, p.Refused)
	}
	grown := size() - before
	t.Logf("%d junk requests of %d bytes: disk grew %d bytes (%d per request)", requests, len(junk), grown, grown/requests)
	require.LessOrEqual(t, grown, int64(0), "a request of which nothing was accepted leaves nothing")
	require.Equal(t, filesBefore, files(), "not a byte written")

	before = size()
	var sent int64
	for range requests {
		l, _ := f.validLine(testBank)
		body := append(ndjson(l), junk[:len(junk)-2]...)
		sent += int64(len(body))
		rc := f.send(post{body: body}).receipt(t)
		require.Equal(t, 1, rc.Counts.Accepted)
		require.Equal(t, 4999, rc.Counts.Rejected)
		require.Len(t, rc.Results, 1+DefaultMaxRefusedDetails)
	}
	grown = size() - before
	t.Logf("%d mixed requests of %d bytes: disk grew %d bytes (%d per request)", requests, sent/requests, grown, grown/requests)
	require.LessOrEqual(t, grown, sent, "a request leaves at most its own size")
}

// TestRetentionOnFakeClock: the background pruner, ticked by hand,
// forgets receipts and idempotency keys after Retention, and accepted
// record ids only after their retain_until.
func TestRetentionOnFakeClock(t *testing.T) {
	tick := make(chan time.Time)
	pruned := make(chan PruneStats)
	f := newFixture(t, func(_ *fixture, c *HandlerConfig) {
		c.Retention = 24 * time.Hour
		c.newTicker = func(time.Duration) (<-chan time.Time, func()) { return tick, func() {} }
		c.onPrune = func(st PruneStats, err error) {
			if err == nil {
				pruned <- st
			}
		}
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- f.h.RunPruner(ctx) }()
	defer func() { cancel(); <-done }()
	prune := func() PruneStats { tick <- time.Time{}; return <-pruned }

	e := f.envelope(testBank, schema.KindFinanceTransaction)
	e.RetainUntil = testNow.Add(72 * time.Hour)
	f.valid[e.ID] = true
	key, body := newID(t), ndjson(line(t, e))
	rc := f.send(post{key: key, body: body}).receipt(t)
	require.Equal(t, StatusAccepted, rc.Results[0].Status)

	require.Equal(t, PruneStats{}, prune(), "nothing is old yet")
	require.Equal(t, 200, f.send(post{method: http.MethodGet, path: PathSubmissions + "/" + rc.SubmissionID}).status)

	f.clock.Add(25 * time.Hour)
	st := prune()
	require.Equal(t, 2, st.Receipts, "the seed's receipt and the record's")
	require.Zero(t, st.Records)
	require.Equal(t, 404, f.send(post{method: http.MethodGet, path: PathSubmissions + "/" + rc.SubmissionID}).status)
	// The key is forgotten, the record id is not: the same batch is a
	// new submission of a duplicate.
	again := f.send(post{key: key, body: body}).receipt(t)
	require.NotEqual(t, rc.SubmissionID, again.SubmissionID)
	require.Equal(t, StatusDuplicate, again.Results[0].Status)

	f.clock.Add(48 * time.Hour) // past retain_until
	st = prune()
	require.Equal(t, 1, st.Records)
	_, _, seen, err := f.ledger.SeenBy(t.Context(), testBank, e.ID)
	require.NoError(t, err)
	require.False(t, seen)
	late := f.send(post{body: body})
	require.Equal(t, 422, late.status, "an expired record is refused, so forgetting its id lets nothing in twice")
	require.Equal(t, ReasonExpired, late.problem(t).Results[0].Reason)
}

// TestRecordsPerSource: ids are unique per source. Another
// organization's id is accepted as its own record (the answer tells
// nothing about the first), both are kept; within one batch the same id
// with another payload is a conflict.
func TestRecordsPerSource(t *testing.T) {
	f := newFixture(t, nil)
	l, id := f.validLine(testBank)
	require.Equal(t, StatusAccepted, f.send(post{body: ndjson(l)}).receipt(t).Results[0].Status)
	other := envLine(f, testBank2, schema.KindFinanceTransaction, func(e *schema.Envelope) { e.ID = id })
	rc := f.send(post{org: testBank2, body: ndjson(other)}).receipt(t)
	require.Equal(t, StatusAccepted, rc.Results[0].Status, "%+v", rc.Results)
	for _, src := range []string{testBank, testBank2} {
		got, err := f.store.GetFrom(t.Context(), src, id)
		require.NoError(t, err)
		require.Equal(t, src, got.Source)
	}

	e := f.envelope(testBank, schema.KindFinanceTransaction)
	f.valid[e.ID] = true
	first := line(t, e)
	e.Payload = bytes.Replace(e.Payload, []byte(`"amount":"`), []byte(`"amount":"7`), 1)
	rc = f.send(post{body: ndjson(first, line(t, e))}).receipt(t)
	require.Equal(t, StatusAccepted, rc.Results[0].Status)
	require.Equal(t, StatusRejected, rc.Results[1].Status)
	require.Equal(t, ReasonConflict, rc.Results[1].Reason)
	require.Equal(t, "/payload", rc.Results[1].Errors[0].Pointer)
	f.assertStoreClean()
}

// TestRelayHandlingBetweenHubs: between two real hubs, AMBER+STRICT and
// RED records stay with the hub that received them, AMBER relays; and
// the upstream hub refuses RED and AMBER+STRICT records that arrive
// relayed.
func TestRelayHandlingBetweenHubs(t *testing.T) {
	up := newFixture(t, func(_ *fixture, c *HandlerConfig) { c.Org = "public-security" })
	down := newFixture(t, func(f *fixture, c *HandlerConfig) {
		r, err := NewRelay(f.store, &httpSubmitter{url: up.srv.URL, token: token(testHub), client: up.srv.Client()}, testHub, f.clock.Now)
		require.NoError(t, err)
		c.Sink = r
	})
	require.Equal(t, 200, up.send(post{org: testLeader, body: ndjson(down.seedLines...)}).status)
	for id := range down.valid {
		up.valid[id] = true // the seed
	}

	lines := map[schema.Handling][]byte{}
	ids := map[schema.Handling]string{}
	for _, hd := range []schema.Handling{schema.HandlingAmber, schema.HandlingAmberStrict, schema.HandlingRed} {
		e := down.envelope(testBank, schema.KindFinanceTransaction)
		e.Handling = hd
		down.valid[e.ID], up.valid[e.ID] = true, hd == schema.HandlingAmber
		lines[hd], ids[hd] = line(t, e), e.ID
	}
	rc := down.send(post{body: ndjson(lines[schema.HandlingAmber], lines[schema.HandlingAmberStrict], lines[schema.HandlingRed])}).receipt(t)
	require.Equal(t, 3, rc.Counts.Accepted, "%+v", rc.Results)
	_, err := up.store.GetFrom(t.Context(), testBank, ids[schema.HandlingAmber])
	require.NoError(t, err, "AMBER relays")
	for _, hd := range []schema.Handling{schema.HandlingAmberStrict, schema.HandlingRed} {
		_, err := up.store.GetFrom(t.Context(), testBank, ids[hd])
		require.ErrorIs(t, err, ErrRecordNotFound, "%s stays downstream", hd)
	}

	// A relaying hub that forwards them anyway is refused upstream.
	for _, hd := range []schema.Handling{schema.HandlingRed, schema.HandlingAmberStrict} {
		e := up.envelope(testBank, schema.KindFinanceTransaction)
		e.Handling = hd
		require.NoError(t, e.Stamp(testHub, schema.StageProcessing, testNow))
		r := up.send(post{org: testHub, body: ndjson(line(t, e))})
		require.Equal(t, 422, r.status, "%s", r.body)
		res := r.problem(t).Results[0]
		require.Equal(t, ReasonHandlingViolation, res.Reason, "%+v", res)
		require.Equal(t, "/handling", res.Errors[0].Pointer)
	}
	// The same relayed as AMBER is accepted: the rule is the handling.
	e := up.envelope(testBank, schema.KindFinanceTransaction)
	require.NoError(t, e.Stamp(testHub, schema.StageProcessing, testNow))
	up.valid[e.ID] = true
	require.Equal(t, StatusAccepted, up.send(post{org: testHub, body: ndjson(line(t, e))}).receipt(t).Results[0].Status)
	up.assertStoreClean()
	down.assertStoreClean()
}

// TestSupersedes: a correction is a new record naming the one it
// corrects; the store resolves it, and a record naming itself is
// refused.
func TestSupersedes(t *testing.T) {
	f := newFixture(t, nil)
	l, old := f.validLine(testBank)
	require.Equal(t, 200, f.send(post{body: ndjson(l)}).status)
	e := f.envelope(testBank, schema.KindFinanceTransaction)
	e.Supersedes = old
	f.valid[e.ID] = true
	rc := f.send(post{body: ndjson(line(t, e))}).receipt(t)
	require.Equal(t, StatusAccepted, rc.Results[0].Status, "%+v", rc.Results)
	got, err := f.store.GetFrom(t.Context(), testBank, e.ID)
	require.NoError(t, err)
	require.Equal(t, old, got.Supersedes)
	by, ok, err := f.store.SupersededBy(t.Context(), testBank, old)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, e.ID, by)
	_, ok, err = f.store.SupersededBy(t.Context(), testBank2, old)
	require.NoError(t, err)
	require.False(t, ok, "per source")

	self := envLine(f, testBank, schema.KindFinanceTransaction, func(e *schema.Envelope) { e.Supersedes = e.ID })
	r := f.send(post{body: ndjson(self)})
	require.Equal(t, 422, r.status)
	require.Equal(t, "/supersedes", r.problem(t).Results[0].Errors[0].Pointer)
	f.assertStoreClean()
}
