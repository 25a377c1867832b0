package submit

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// -submit.backlog sets the records queued in TestBoundedMemory (default
// 200,000; 40,000 under the race detector); the full run is
// go test ./submit -run BoundedMemory -v -timeout 30m -args -submit.backlog=1000000.
var clientBacklog = flag.Int("submit.backlog", 200_000, "records queued while the hub is down in TestBoundedMemory")

func TestBatching(t *testing.T) {
	t.Run("by count", func(t *testing.T) {
		hub := newClientHub(t)
		cfg := clientConfig(t, hub.srv.URL, t.TempDir())
		cfg.MaxBatchRecords = 500
		c := clientNew(t, cfg)
		require.NoError(t, c.SubmitMany(context.Background(), clientEnvs(t, 1200)))
		clientFlush(t, c)
		var sizes []int
		for _, p := range hub.Posts() {
			sizes = append(sizes, p.Records)
		}
		slices.Sort(sizes) // several senders: batches may arrive in any order
		assert.Equal(t, []int{200, 500, 500}, sizes)
	})
	t.Run("by bytes", func(t *testing.T) {
		hub := newClientHub(t)
		cfg := clientConfig(t, hub.srv.URL, t.TempDir())
		cfg.MaxBatchBytes = 8 << 10
		c := clientNew(t, cfg)
		require.NoError(t, c.SubmitMany(context.Background(), clientEnvs(t, 100)))
		clientFlush(t, c)
		total := 0
		for _, p := range hub.Posts() {
			assert.LessOrEqual(t, p.Bytes, 8<<10)
			total += p.Records
		}
		assert.Equal(t, 100, total)
		assert.Greater(t, len(hub.Posts()), 5)
	})
	t.Run("by the hub's declared limits", func(t *testing.T) {
		hub := newClientHub(t)
		hub.limits.MaxRecords = 30
		c := clientNew(t, clientConfig(t, hub.srv.URL, t.TempDir()))
		require.NoError(t, c.SubmitMany(context.Background(), clientEnvs(t, 100)))
		clientFlush(t, c)
		for _, p := range hub.Posts() {
			assert.LessOrEqual(t, p.Records, 30)
		}
		assert.Len(t, hub.Posts(), 4)
	})
	t.Run("by linger", func(t *testing.T) {
		hub := newClientHub(t)
		clock := newClientClock(false)
		cfg := clientConfig(t, hub.srv.URL, t.TempDir())
		cfg.Linger = 200 * time.Millisecond
		cfg.Clock, cfg.NewTimer = clock.Now, clock.NewTimer
		c := clientNew(t, cfg)
		for range 3 {
			require.NoError(t, c.Submit(context.Background(), clientEnv(t, clientTestOrg, 0)))
		}
		// The sender waits for the linger timer; nothing is sent before.
		require.Eventually(t, func() bool {
			for _, w := range clock.Waits() {
				if w == 200*time.Millisecond {
					return true
				}
			}
			return false
		}, 5*time.Second, time.Millisecond)
		time.Sleep(20 * time.Millisecond)
		assert.Empty(t, hub.Posts(), "nothing sent before the linger")
		clock.Advance(200 * time.Millisecond)
		require.Eventually(t, func() bool { return c.Stats().Delivered == 3 }, 5*time.Second, time.Millisecond)
		posts := hub.Posts()
		require.Len(t, posts, 1)
		assert.Equal(t, 3, posts[0].Records)
	})
}

func TestSplitOn413(t *testing.T) {
	hub := newClientHub(t)
	// The hub declares large limits but refuses more than 8 records, and
	// any request holding the poison record.
	cfg := clientConfig(t, hub.srv.URL, t.TempDir())
	c := clientNew(t, cfg)
	envs := clientEnvs(t, 40)
	hub.setFault(func(_ int, w http.ResponseWriter, r *http.Request, records int) bool {
		if records > 8 {
			w.Header().Set("Content-Type", MediaProblem)
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			json.NewEncoder(w).Encode(Problem{Type: ProblemTooLarge, Status: 413, Limit: "max_records"})
			return true
		}
		return false
	})
	require.NoError(t, c.SubmitMany(context.Background(), envs))
	clientFlush(t, c)
	distinct, twice := hub.Stored()
	assert.Equal(t, 40, distinct)
	assert.Zero(t, twice)
	for _, p := range hub.Posts() {
		if p.Status == 200 {
			assert.LessOrEqual(t, p.Records, 8)
		}
	}

	t.Run("a single record too large goes to the dead letters", func(t *testing.T) {
		hub.setFault(func(_ int, w http.ResponseWriter, r *http.Request, records int) bool {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return true
		})
		require.NoError(t, c.SubmitMany(context.Background(), clientEnvs(t, 2)))
		clientFlushRefused(t, c, CauseTooLarge, 2)
		list, _, err := deadLetters(context.Background(), c, DeadLetterQuery{Limit: 10})
		require.NoError(t, err)
		require.Len(t, list, 2)
		for _, dl := range list {
			assert.Equal(t, CauseTooLarge, dl.Cause)
			assert.Equal(t, 413, dl.Status)
		}
	})
}

func TestRetryAfterHonoured(t *testing.T) {
	hub := newClientHub(t)
	clock := newClientClock(true)
	hub.Clock = clock.Now
	cfg := clientConfig(t, hub.srv.URL, t.TempDir())
	cfg.Clock, cfg.NewTimer = clock.Now, clock.NewTimer
	cfg.Retry = RetryPolicy{InitialInterval: 10 * time.Millisecond, MaxInterval: time.Second, Multiplier: 2, DisableJitter: true}
	c := clientNew(t, cfg)
	hub.setFault(func(n int, w http.ResponseWriter, r *http.Request, _ int) bool {
		switch n {
		case 0:
			w.Header().Set(HeaderRetryAfter, "7")
			w.WriteHeader(429)
		case 1:
			w.Header().Set(HeaderRetryAfter, "3")
			w.WriteHeader(503)
		case 2: // an HTTP-date, 90 s ahead of the (fake) clock
			w.Header().Set(HeaderRetryAfter, clock.Now().Add(90*time.Second).UTC().Format(http.TimeFormat))
			w.WriteHeader(429)
		default:
			return false
		}
		return true
	})
	require.NoError(t, c.SubmitMany(context.Background(), clientEnvs(t, 3)))
	clientFlush(t, c)
	posts := hub.Posts()
	require.Len(t, posts, 4)
	for i := 1; i < len(posts); i++ {
		gap := posts[i].At.Sub(posts[i-1].At)
		want := []time.Duration{7 * time.Second, 3 * time.Second, 89 * time.Second}[i-1]
		assert.GreaterOrEqual(t, gap, want, "attempt %d came %v after the one answered with Retry-After", i, gap)
		assert.Equal(t, posts[0].Key, posts[i].Key, "retries keep the key")
	}
	st := c.Stats()
	assert.EqualValues(t, 3, st.Retries)
	assert.EqualValues(t, 3, st.Delivered)
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	s := &retrySender{policy: RetryPolicy{InitialInterval: 100 * time.Millisecond, MaxInterval: time.Second, Multiplier: 2, DisableJitter: true}}
	var got []time.Duration
	for n := 1; n <= 6; n++ {
		got = append(got, s.backoff(n, errors.New("x")))
	}
	assert.Equal(t, []time.Duration{100, 200, 400, 800, 1000, 1000}, func() []time.Duration {
		out := make([]time.Duration, len(got))
		for i, d := range got {
			out[i] = d / time.Millisecond
		}
		return out
	}())
	assert.Equal(t, 5*time.Second, s.backoff(1, &sendError{retryAfter: 5 * time.Second}), "Retry-After is the minimum")
	assert.Equal(t, 7*time.Second, parseRetryAfter("7", clientT0))
	assert.Equal(t, time.Duration(0), parseRetryAfter("-1", clientT0))
	assert.Equal(t, time.Duration(0), parseRetryAfter("soon", clientT0))
	assert.Equal(t, 30*time.Second, parseRetryAfter(clientT0.Add(30*time.Second).Format(http.TimeFormat), clientT0))
}

// A batch refused before Flush is called (sent by linger, not by Flush)
// is still reported by the next Flush, and only by that one.
func TestFlushReportsRefusalsMadeBeforeIt(t *testing.T) {
	hub := newClientHub(t)
	hub.setFault(func(_ int, w http.ResponseWriter, r *http.Request, n int) bool {
		w.Header().Set("Content-Type", MediaProblem)
		w.WriteHeader(http.StatusConflict)
		json.NewEncoder(w).Encode(Problem{Type: ProblemConflict, Status: http.StatusConflict, Detail: "test"})
		return true
	})
	c := clientNew(t, clientConfig(t, hub.srv.URL, t.TempDir()))
	require.NoError(t, c.SubmitMany(context.Background(), clientEnvs(t, 3)))
	require.Eventually(t, func() bool { return c.Stats().DeadLetters == 3 }, 30*time.Second, time.Millisecond,
		"linger sends the batch and the hub refuses it")
	clientFlushRefused(t, c, CauseConflict, 3)
	clientFlush(t, c) // reported once
}

func TestPermanentErrorsNotRetried(t *testing.T) {
	tests := []struct {
		status int
		typ    string
		cause  DeadCause
	}{
		{400, ProblemMalformed, CauseBadRequest},
		{409, ProblemConflict, CauseConflict},
		{415, ProblemUnsupportedMedia, CauseUnsupportedMedia},
		{422, ProblemNothingValid, CauseRejected},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			hub := newClientHub(t)
			hub.setFault(func(_ int, w http.ResponseWriter, r *http.Request, n int) bool {
				p := Problem{Type: tt.typ, Status: tt.status, Detail: "test", Instance: PathSubmissions + "/sub-422"}
				if tt.status == 422 {
					for i := range n {
						p.Results = append(p.Results, RecordResult{Line: i + 1, Status: StatusRejected, Reason: ReasonPurposeInactive})
					}
				}
				w.Header().Set("Content-Type", MediaProblem)
				w.WriteHeader(tt.status)
				json.NewEncoder(w).Encode(p)
				return true
			})
			var receipts []Receipt // OnReceipt is never called concurrently
			cfg := clientConfig(t, hub.srv.URL, t.TempDir())
			cfg.OnReceipt = func(r Receipt) { receipts = append(receipts, r) }
			c := clientNew(t, cfg)
			require.NoError(t, c.SubmitMany(context.Background(), clientEnvs(t, 3)))
			clientFlushRefused(t, c, tt.cause, 3)
			if tt.status == 422 { // a 422 is the hub's answer: OnReceipt sees it
				require.Len(t, receipts, 1)
				rc := receipts[0]
				assert.Equal(t, "sub-422", rc.SubmissionID)
				assert.Equal(t, clientTestOrg, rc.Org)
				assert.Equal(t, Counts{Records: 3, Rejected: 3}, rc.Counts)
				require.Len(t, rc.Results, 3)
				assert.Equal(t, ReasonPurposeInactive, rc.Results[2].Reason)
				assert.NotEmpty(t, rc.IdempotencyKey)
				assert.NotEmpty(t, rc.BodyDigest)
			} else {
				assert.Empty(t, receipts, "no receipt: the hub refused the request")
			}
			assert.Len(t, hub.Posts(), 1, "not retried")
			st := c.Stats()
			assert.Zero(t, st.Retries)
			assert.EqualValues(t, 3, st.DeadLettered)
			assert.EqualValues(t, 3, st.DeadLetters)
			list, next, err := deadLetters(context.Background(), c, DeadLetterQuery{Limit: 10})
			require.NoError(t, err)
			assert.Empty(t, next)
			require.Len(t, list, 3)
			for _, dl := range list {
				assert.Equal(t, tt.cause, dl.Cause)
				assert.Equal(t, tt.status, dl.Status)
				assert.NotEmpty(t, dl.RecordID)
				assert.NotEmpty(t, dl.IdempotencyKey)
				if tt.status == 422 {
					assert.Equal(t, ReasonPurposeInactive, dl.Reason)
				}
			}
		})
	}
	for _, status := range []int{401, 403} {
		t.Run(http.StatusText(status)+" stops sending, keeps the records", func(t *testing.T) {
			hub := newClientHub(t)
			refuse := true
			var mu sync.Mutex
			hub.setFault(func(_ int, w http.ResponseWriter, r *http.Request, _ int) bool {
				mu.Lock()
				defer mu.Unlock()
				if refuse {
					w.WriteHeader(status)
				}
				return refuse
			})
			c := clientNew(t, clientConfig(t, hub.srv.URL, t.TempDir()))
			require.NoError(t, c.SubmitMany(context.Background(), clientEnvs(t, 3)))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := c.Flush(ctx)
			cancel()
			require.ErrorIs(t, err, ErrCredentials)
			time.Sleep(20 * time.Millisecond)
			assert.Len(t, hub.Posts(), 1, "sending stopped")
			st := c.Stats()
			assert.True(t, st.Paused)
			assert.ErrorIs(t, st.LastError, ErrCredentials)
			assert.EqualValues(t, 3, st.Queued+st.InFlight, "records kept")
			assert.Zero(t, st.DeadLettered)

			mu.Lock()
			refuse = false
			mu.Unlock()
			c.Resume()
			clientFlush(t, c)
			assert.EqualValues(t, 3, c.Stats().Delivered)
		})
	}
	t.Run("wrong token on limits", func(t *testing.T) {
		hub := newClientHub(t)
		cfg := clientConfig(t, hub.srv.URL, t.TempDir())
		cfg.Token = "wrong"
		c := clientNew(t, cfg)
		require.NoError(t, c.Submit(context.Background(), clientEnv(t, clientTestOrg, 0)))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.ErrorIs(t, c.Flush(ctx), ErrCredentials)
		assert.Empty(t, hub.Posts())
	})
}

func TestRetryableErrors(t *testing.T) {
	tests := []struct {
		name  string
		fault func(w http.ResponseWriter)
	}{
		{"500", func(w http.ResponseWriter) { w.WriteHeader(500) }},
		{"502", func(w http.ResponseWriter) { w.WriteHeader(502) }},
		{"503", func(w http.ResponseWriter) { w.WriteHeader(503) }},
		{"404", func(w http.ResponseWriter) { w.WriteHeader(404) }},
		{"200 not a receipt", func(w http.ResponseWriter) { w.WriteHeader(200); w.Write([]byte("{")) }},
		{"connection dropped", func(w http.ResponseWriter) { panic(http.ErrAbortHandler) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := newClientHub(t)
			hub.setFault(func(n int, w http.ResponseWriter, _ *http.Request, _ int) bool {
				if n < 2 {
					tt.fault(w)
					return true
				}
				return false
			})
			cfg := clientConfig(t, hub.srv.URL, t.TempDir())
			// One sender: with two, Go's transport may absorb both
			// dropped connections by retrying on the other idle one.
			cfg.MaxInFlightBatches = 1
			c := clientNew(t, cfg)
			require.NoError(t, c.SubmitMany(context.Background(), clientEnvs(t, 4)))
			clientFlush(t, c)
			st := c.Stats()
			assert.EqualValues(t, 4, st.Delivered)
			// Go's transport itself retries a request with an
			// Idempotency-Key once on a dropped reused connection.
			assert.True(t, st.Retries == 1 || st.Retries == 2, "retries %d", st.Retries)
			assert.Error(t, st.LastError)
			posts := hub.Posts()
			assert.Equal(t, posts[0].Key, posts[len(posts)-1].Key)
		})
	}
	t.Run("timeout", func(t *testing.T) {
		hub := newClientHub(t)
		hub.setFault(func(n int, w http.ResponseWriter, r *http.Request, _ int) bool {
			if n == 0 {
				<-r.Context().Done() // stall past the client's timeout
				return true
			}
			return false
		})
		cfg := clientConfig(t, hub.srv.URL, t.TempDir())
		cfg.RequestTimeout = 50 * time.Millisecond
		c := clientNew(t, cfg)
		require.NoError(t, c.Submit(context.Background(), clientEnv(t, clientTestOrg, 0)))
		clientFlush(t, c)
		assert.EqualValues(t, 1, c.Stats().Delivered)
		assert.ErrorIs(t, c.Stats().LastError, context.DeadlineExceeded)
	})
}

func TestGiveUp(t *testing.T) {
	hub := newClientHub(t)
	hub.setFault(func(_ int, w http.ResponseWriter, _ *http.Request, _ int) bool { w.WriteHeader(500); return true })
	cfg := clientConfig(t, hub.srv.URL, t.TempDir())
	cfg.Retry.MaxAttempts = 3
	c := clientNew(t, cfg)
	require.NoError(t, c.SubmitMany(context.Background(), clientEnvs(t, 2)))
	clientFlushRefused(t, c, CauseGaveUp, 2)
	assert.Len(t, hub.Posts(), 3)
	list, _, err := deadLetters(context.Background(), c, DeadLetterQuery{})
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, CauseGaveUp, list[0].Cause)
	assert.Contains(t, list[0].Detail, "gave up after 3 attempts")
}

// deadLetters is Client.DeadLetters returning the page's list and Next.
func deadLetters(ctx context.Context, c *Client, q DeadLetterQuery) ([]DeadLetter, string, error) {
	page, err := c.DeadLetters(ctx, q)
	return page.DeadLetters, page.Next, err
}

func TestDeadLetters(t *testing.T) {
	hub := newClientHub(t)
	envs := clientEnvs(t, 8)
	rejected := map[string]bool{}
	for _, e := range envs[:5] {
		rejected[e.ID] = true
	}
	var mu sync.Mutex
	hub.Reject = func(id string) Reason {
		mu.Lock()
		defer mu.Unlock()
		if rejected[id] {
			return ReasonPurposeUnknown
		}
		return ""
	}
	var receipts []Receipt
	cfg := clientConfig(t, hub.srv.URL, t.TempDir())
	cfg.OnReceipt = func(r Receipt) { receipts = append(receipts, r) }
	c := clientNew(t, cfg)
	ctx := context.Background()
	require.NoError(t, c.SubmitMany(ctx, envs))
	re := clientFlushRefused(t, c, CauseRejected, 5)
	assert.Equal(t, 5, re.ByReason[ReasonPurposeUnknown])
	st := c.Stats()
	assert.EqualValues(t, 3, st.Delivered)
	assert.EqualValues(t, 5, st.Rejected)
	assert.EqualValues(t, 5, st.DeadLetters)
	require.Len(t, receipts, 1)
	assert.Equal(t, 5, receipts[0].Counts.Rejected)

	// Page through them two at a time.
	var all []DeadLetter
	cursor := ""
	for {
		page, next, err := deadLetters(ctx, c, DeadLetterQuery{Limit: 2, Cursor: cursor})
		require.NoError(t, err)
		assert.LessOrEqual(t, len(page), 2)
		all = append(all, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	require.Len(t, all, 5)
	for i, dl := range all {
		assert.Equal(t, envs[i].ID, dl.RecordID, "in order")
		assert.Equal(t, CauseRejected, dl.Cause)
		assert.Equal(t, ReasonPurposeUnknown, dl.Reason)
		assert.NotEmpty(t, dl.Errors)
		assert.NotEmpty(t, dl.SubmissionID)
	}
	_, _, err := deadLetters(ctx, c, DeadLetterQuery{Limit: 2, Cursor: "nonsense"})
	assert.ErrorIs(t, err, ErrBadCursor)
	_, _, err = deadLetters(ctx, c, DeadLetterQuery{Cursor: "AQ"}) // base64url of one byte, not a position
	assert.ErrorIs(t, err, ErrBadCursor)
	_, _, err = deadLetters(ctx, c, DeadLetterQuery{Limit: MaxDeadLetterLimit + 1})
	assert.ErrorContains(t, err, "Limit 10001 is outside 1..10000", "a cap crossed is an error, not a silent cut")

	// The purpose becomes known: resubmit three, discard one.
	mu.Lock()
	clear(rejected)
	mu.Unlock()
	require.NoError(t, c.Resubmit(ctx, all[0].ID, all[1].ID, all[2].ID))
	require.NoError(t, c.Discard(ctx, all[3].ID))
	assert.ErrorIs(t, c.Discard(ctx, all[3].ID), ErrNoDeadLetter)
	assert.ErrorIs(t, c.Resubmit(ctx, all[4].ID, 9999), ErrNoDeadLetter)
	clientFlush(t, c)
	st = c.Stats()
	assert.EqualValues(t, 6, st.Delivered)
	assert.EqualValues(t, 1, st.DeadLetters)
	left, _, err := deadLetters(ctx, c, DeadLetterQuery{Limit: 10})
	require.NoError(t, err)
	require.Len(t, left, 1)
	assert.Equal(t, all[4].ID, left[0].ID)
	posts := hub.Posts()
	last := clientSent(t, hub)
	assert.Len(t, last, 8)
	for _, id := range []string{envs[0].ID, envs[1].ID, envs[2].ID} {
		assert.Len(t, last[id].Provenance, 1, "resubmitted records are not stamped again")
	}
	assert.Len(t, posts, 2)

	t.Run("resubmit re-validates", func(t *testing.T) {
		// Damage the stored record: the validator refuses it, nothing moves.
		require.NoError(t, c.ob.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketDead)
			var dl DeadLetter
			require.NoError(t, json.Unmarshal(b.Get(seqKey(left[0].ID)), &dl))
			dl.Record = json.RawMessage(`{"id":"x"}`)
			v, _ := json.Marshal(dl)
			return b.Put(seqKey(left[0].ID), v)
		}))
		err := c.Resubmit(ctx, left[0].ID)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "dead letter")
		assert.EqualValues(t, 1, c.Stats().DeadLetters)
	})
}

func TestCloseDrains(t *testing.T) {
	hub := newClientHub(t)
	cfg := clientConfig(t, hub.srv.URL, t.TempDir())
	cfg.Linger = time.Hour // Close does not wait for it
	c, err := NewClient(cfg)
	require.NoError(t, err)
	require.NoError(t, c.SubmitMany(context.Background(), clientEnvs(t, 1234)))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))
	distinct, _ := hub.Stored()
	assert.Equal(t, 1234, distinct)
	assert.ErrorIs(t, c.Flush(ctx), ErrClientClosed)
	_, _, err = deadLetters(ctx, c, DeadLetterQuery{Limit: 1})
	assert.ErrorIs(t, err, ErrClientClosed)

	t.Run("flush without linger", func(t *testing.T) {
		hub := newClientHub(t)
		cfg := clientConfig(t, hub.srv.URL, t.TempDir())
		cfg.Linger = time.Hour
		c := clientNew(t, cfg)
		require.NoError(t, c.Submit(context.Background(), clientEnv(t, clientTestOrg, 0)))
		clientFlush(t, c)
		assert.EqualValues(t, 1, c.Stats().Delivered)
	})
	t.Run("close is not held by a blocked Submit or a Flush", func(t *testing.T) {
		hub := newClientHub(t)
		hub.setFault(func(_ int, w http.ResponseWriter, _ *http.Request, _ int) bool { w.WriteHeader(503); return true })
		cfg := clientConfig(t, hub.srv.URL, t.TempDir())
		cfg.MaxOutboxRecords, cfg.BlockWhenFull = 1, true
		c, err := NewClient(cfg)
		require.NoError(t, err)
		require.NoError(t, c.Submit(context.Background(), clientEnv(t, clientTestOrg, 0)))
		blocked, flushed := make(chan error, 1), make(chan error, 1)
		go func() { blocked <- c.Submit(context.Background(), clientEnv(t, clientTestOrg, 0)) }()
		go func() { flushed <- c.Flush(context.Background()) }()
		time.Sleep(20 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.ErrorIs(t, c.Close(ctx), ErrUndelivered)
		require.NoError(t, ctx.Err(), "Close returned before its deadline")
		assert.ErrorIs(t, <-blocked, ErrClientClosed)
		assert.ErrorIs(t, <-flushed, ErrClientClosed)
	})
	t.Run("flush ends with ctx", func(t *testing.T) {
		hub := newClientHub(t)
		hub.setFault(func(_ int, w http.ResponseWriter, _ *http.Request, _ int) bool { w.WriteHeader(503); return true })
		c := clientNew(t, clientConfig(t, hub.srv.URL, t.TempDir()))
		require.NoError(t, c.Submit(context.Background(), clientEnv(t, clientTestOrg, 0)))
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		require.ErrorIs(t, c.Flush(ctx), context.DeadlineExceeded)
	})
}

func TestRateLimits(t *testing.T) {
	hub := newClientHub(t)
	clock := newClientClock(true)
	hub.Clock = clock.Now
	cfg := clientConfig(t, hub.srv.URL, t.TempDir())
	cfg.Clock, cfg.NewTimer = clock.Now, clock.NewTimer
	cfg.RecordsPerSecond, cfg.RecordsBurst = 1000, 100
	cfg.MaxBatchRecords = 500
	c := clientNew(t, cfg)
	start := clock.Now()
	require.NoError(t, c.SubmitMany(context.Background(), clientEnvs(t, 2000)))
	clientFlush(t, c)
	posts := hub.Posts()
	sent := 0
	for _, p := range posts {
		assert.LessOrEqual(t, p.Records, 100, "no batch above the burst")
		sent += p.Records
		// Never more than burst + rate*elapsed records by any post.
		elapsed := p.At.Sub(start).Seconds()
		assert.LessOrEqual(t, float64(sent), 100+1000*elapsed+1e-6)
	}
	assert.Equal(t, 2000, sent)
	elapsed := posts[len(posts)-1].At.Sub(start)
	assert.InDelta(t, 1.9, elapsed.Seconds(), 0.02, "(2000-100 burst)/1000 per second")

	t.Run("bytes, a record above the burst", func(t *testing.T) {
		hub := newClientHub(t)
		clock := newClientClock(true)
		hub.Clock = clock.Now
		cfg := clientConfig(t, hub.srv.URL, t.TempDir())
		cfg.Clock, cfg.NewTimer = clock.Now, clock.NewTimer
		cfg.MaxBatchBytes = 1024
		cfg.BytesPerSecond, cfg.BytesBurst = 500, 500 // below one record: WaitN would refuse; split
		c := clientNew(t, cfg)
		require.NoError(t, c.SubmitMany(context.Background(), clientEnvs(t, 4)))
		clientFlush(t, c)
		posts := hub.Posts()
		total := 0
		for _, p := range posts {
			total += p.Bytes
		}
		elapsed := posts[len(posts)-1].At.Sub(clientT0).Seconds()
		assert.GreaterOrEqual(t, elapsed, float64(total-posts[len(posts)-1].Bytes-500)/500)
		assert.EqualValues(t, 4, c.Stats().Delivered)
	})
}

func TestGzip(t *testing.T) {
	hub := newClientHub(t)
	cfg := clientConfig(t, hub.srv.URL, t.TempDir())
	cfg.Gzip = GzipAlways
	c := clientNew(t, cfg)
	require.NoError(t, c.SubmitMany(context.Background(), clientEnvs(t, 50)))
	clientFlush(t, c)
	posts := hub.Posts()
	require.NotEmpty(t, posts)
	assert.True(t, posts[0].Gzip)
	assert.EqualValues(t, 50, c.Stats().Delivered)
	assert.False(t, c2gzip(t, hub.srv.URL), "loopback: auto means off")
	assert.True(t, isLoopback("127.0.0.2") && isLoopback("::1") && isLoopback("localhost") && !isLoopback("hub.example"))
}

func c2gzip(t *testing.T, endpoint string) bool {
	c := clientNew(t, clientConfig(t, endpoint, t.TempDir()))
	return c.gzip
}

func TestOutboxRecovery(t *testing.T) {
	setup := func(t *testing.T) (string, string) {
		path := t.TempDir() + "/outbox.db"
		ob, err := openOutbox(path, 1000, 1<<30, func() {})
		require.NoError(t, err)
		require.NoError(t, ob.enqueue(context.Background(), clientRecords(t, 10), clientT0))
		b, _, err := ob.claim(claimLimits{records: 4, bytes: 1 << 20}, clientT0, false)
		require.NoError(t, err)
		require.NoError(t, ob.close())
		return path, b.key.String()
	}
	tests := []struct {
		name       string
		damage     func(tx *bolt.Tx) error
		wantErr    string
		wantQueued int64
	}{
		{"intact", func(*bolt.Tx) error { return nil }, "", 10},
		{"damaged batch entry", func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketInflight).Cursor()
			k, _ := c.First()
			return tx.Bucket(bucketInflight).Put(k, []byte{1, 0, 0xff})
		}, "", 10},
		{"batch key of the wrong length", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketInflight).Put([]byte("short"), []byte{1, 0})
		}, "", 10},
		{"counters lost", func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(metaCounts) }, "", 10},
		{"counters truncated", func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(metaCounts, []byte{1}) }, "", 10},
		{"member already gone", func(tx *bolt.Tx) error {
			k, _ := tx.Bucket(bucketItems).Cursor().First()
			return tx.Bucket(bucketItems).Delete(k)
		}, "", 9},
		{"another format", func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(metaVersion, []byte{9}) }, "format", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, _ := setup(t)
			db, err := bolt.Open(path, 0o600, nil)
			require.NoError(t, err)
			require.NoError(t, db.Update(tt.damage))
			require.NoError(t, db.Close())
			if tt.wantErr != "" {
				_, err := openOutbox(path, 1000, 1<<30, func() {})
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			hub := newClientHub(t)
			cfg := clientConfig(t, hub.srv.URL, "")
			cfg.OutboxPath = path
			c := clientNew(t, cfg)
			st := c.Stats()
			assert.Equal(t, tt.wantQueued, st.Queued+st.InFlight)
			clientFlush(t, c)
			distinct, twice := hub.Stored()
			assert.EqualValues(t, tt.wantQueued, distinct)
			assert.Zero(t, twice)
			assert.Zero(t, c.Stats().Queued+c.Stats().InFlight)
		})
	}
	t.Run("locked by another client", func(t *testing.T) {
		path, _ := setup(t)
		ob, err := openOutbox(path, 10, 1<<20, func() {})
		require.NoError(t, err)
		defer ob.close()
		_, err = openOutbox(path, 10, 1<<20, func() {})
		require.Error(t, err)
	})
	t.Run("batch encoding round trip", func(t *testing.T) {
		b := &outBatch{key: newKey(), seqs: []uint64{3, 4, 9, 1 << 40}, created: clientT0, gzip: true}
		got, err := decodeOutBatch(b.key[:], b.encode())
		require.NoError(t, err)
		assert.Equal(t, b.seqs, got.seqs)
		assert.True(t, got.gzip)
		assert.True(t, got.created.Equal(clientT0))
		for _, bad := range [][]byte{nil, {2, 0}, {1, 0, 0}, append(b.encode(), 0)} {
			_, err := decodeOutBatch(b.key[:], bad)
			assert.ErrorIs(t, err, errBatchFormat)
		}
	})
}

// TestBoundedMemory queues a large backlog while the hub is down (through
// the outbox directly: validation is not what is measured), then brings
// the hub up: the heap stays bounded while the backlog is held and sent.
func TestBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	n := *clientBacklog
	if clientRace && n == 200_000 {
		n = 40_000
	}
	dir := t.TempDir()
	hub := newClientHub(t)
	var up sync.Mutex
	down := true
	hub.setFault(func(_ int, w http.ResponseWriter, _ *http.Request, _ int) bool {
		up.Lock()
		defer up.Unlock()
		if down {
			w.Header().Set(HeaderRetryAfter, "0")
			w.WriteHeader(503)
		}
		return down
	})
	hub.limits.MaxRecords = 5000
	hub.DropBodies = true
	cfg := clientConfig(t, hub.srv.URL, dir)
	cfg.MaxBatchRecords = 5000
	cfg.MaxBatchBytes = 8 << 20
	// Each sender holds a batch while the hub is down, a constant the
	// bounds below count twice; what they test is growth with the backlog.
	cfg.MaxInFlightBatches = 2
	cfg.Retry = RetryPolicy{InitialInterval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond, DisableJitter: true}
	c := clientNew(t, cfg)
	recs := clientRecords(t, 1000)
	var peak uint64
	sample := func() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	sample()
	base := peak
	chunk := make([][]byte, 5000)
	for i := 0; i < n; i += len(chunk) {
		for j := range chunk {
			// distinct ids: the uuid's last 8 hex digits count up
			r := append([]byte(nil), recs[j%len(recs)]...)
			copy(r[len(`{"id":"`)+28:], fmt.Sprintf("%08x", i+j))
			chunk[j] = r
		}
		require.NoError(t, c.ob.enqueue(context.Background(), chunk[:min(len(chunk), n-i)], time.Now()))
		c.signal()
		if i%50_000 == 0 {
			sample()
		}
	}
	sample()
	queuedPeak := peak
	st := c.Stats()
	require.EqualValues(t, n, st.Queued+st.InFlight)
	up.Lock()
	down = false
	up.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		assert.NoError(t, c.Flush(ctx))
	}()
	for {
		select {
		case <-done:
		case <-time.After(200 * time.Millisecond):
			sample()
			continue
		}
		break
	}
	sample()
	distinct, twice := hub.Stored()
	assert.Equal(t, n, distinct)
	assert.Zero(t, twice)
	t.Logf("backlog %d records: heap in use at start %d MiB, peak while queued %d MiB, peak overall %d MiB (hub in the same process)",
		n, base>>20, queuedPeak>>20, peak>>20)
	assert.Less(t, queuedPeak-base, uint64(64<<20), "heap grows with the backlog")
	// Sending holds one batch (8 MiB here) on each side; the fake hub's
	// id set grows with n (about 40 bytes an id).
	assert.Less(t, peak-base, uint64(96<<20)+uint64(n)*64, "heap while sending")
}
