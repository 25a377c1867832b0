package jetstream_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	js "github.com/nats-io/nats.go/jetstream"

	"github.com/sicollab/sicollab/internal/natstest"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/jetstream"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() time.Time        { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) add(d time.Duration)   { c.ns.Add(int64(d)) }
func newClock(t time.Time) *fakeClock      { c := &fakeClock{}; c.ns.Store(t.UnixNano()); return c }
func receiptOf(sub string) *submit.Receipt { return &submit.Receipt{SubmissionID: sub, Org: "bank-01"} }
func commitReq(sub string) submit.CommitRequest {
	return submit.CommitRequest{Org: "bank-01", Key: "0190e2a0-0000-7000-8000-000000000001", Digest: "sha-256=:AAAA:",
		SubmissionID: sub, At: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), Retention: time.Hour}
}

// finishWith returns a FinishFunc accepting recs, counting its calls.
func finishWith(sub string, calls *int, recs ...submit.AcceptedRecord) submit.FinishFunc {
	return func(seen func(submit.RecordKey) (submit.SeenRecord, bool)) (*submit.Receipt, int, []byte, []submit.AcceptedRecord, error) {
		*calls++
		var acc []submit.AcceptedRecord
		for _, r := range recs {
			if _, ok := seen(r.Key); !ok {
				acc = append(acc, r)
			}
		}
		return receiptOf(sub), http.StatusOK, nil, acc, nil
	}
}

func record(id, sub string) submit.AcceptedRecord {
	return submit.AcceptedRecord{Key: submit.RecordKey{Source: "bank-01", ID: id}, Seen: submit.SeenRecord{
		Org: "bank-01", Submission: sub, Digest: "sha-256:" + strings.Repeat("ab", 32), Handling: "AMBER",
		RetainUntil: time.Now().Add(time.Hour)}}
}

// TestLedgerClaimsSettleRaces: a claim left by a request that failed
// holds the key for ClaimLease (a second request waits, and gives up
// with its context), then is taken over; another body with the key is
// refused; a record another submission holds is given to finish, which
// runs again; replays and receipts come from the bucket.
func TestLedgerClaimsSettleRaces(t *testing.T) {
	c := natstest.StartServer(t)
	nc := c.Connect(t)
	ctx := context.Background()
	clock := newClock(time.Now())
	l, err := jetstream.NewLedger(ctx, nc, jetstream.LedgerConfig{ClaimLease: time.Minute, Clock: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	const s1, s2 = "0190e2a0-0000-7000-8000-0000000000a1", "0190e2a0-0000-7000-8000-0000000000a2"
	// A Commit that fails releases its claim: the next is judged afresh.
	boom := errors.New("boom")
	failing := commitReq(s1)
	failing.Key = "0190e2a0-0000-7000-8000-0000000000e1"
	_, err = l.Commit(ctx, failing, func(func(submit.RecordKey) (submit.SeenRecord, bool)) (*submit.Receipt, int, []byte, []submit.AcceptedRecord, error) {
		return nil, 0, nil, nil, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("failing finish: %v", err)
	}
	var n int
	failing.SubmissionID = s2
	if a, err := l.Commit(ctx, failing, finishWith(s2, &n)); err != nil || a.Submission != s2 {
		t.Fatalf("commit after a failed one: %+v %v", a, err)
	}
	// A Commit whose request ends while it claims records releases them.
	cctx, ccancel := context.WithCancel(ctx)
	ended := commitReq(s1)
	ended.Key = "0190e2a0-0000-7000-8000-0000000000e2"
	var recs []submit.AcceptedRecord
	var rkeys []submit.RecordKey
	for i := range 50 {
		recs = append(recs, record(fmt.Sprintf("rel-%02d", i), s1))
		rkeys = append(rkeys, recs[i].Key)
	}
	_, err = l.Commit(cctx, ended, func(seen func(submit.RecordKey) (submit.SeenRecord, bool)) (*submit.Receipt, int, []byte, []submit.AcceptedRecord, error) {
		ccancel()
		return receiptOf(s1), http.StatusOK, nil, recs, nil
	})
	if err == nil {
		t.Fatal("commit whose context ended: no error")
	}
	if seen, err := l.Seen(ctx, rkeys); err != nil || len(seen) != 0 {
		t.Fatalf("after a failed commit %d of its records are still held (%v)", len(seen), err)
	}
	ended.SubmissionID = s2
	n = 0
	if a, err := l.Commit(ctx, ended, finishWith(s2, &n, recs...)); err != nil || a.Submission != s2 || n != 1 {
		t.Fatalf("retry after a failed commit: %+v %v, %d finishes", a, err, n)
	}
	if seen, err := l.Seen(ctx, rkeys); err != nil || len(seen) != len(rkeys) {
		t.Fatalf("the retry holds %d of %d records (%v)", len(seen), len(rkeys), err)
	}
	// A claim left by a hub that died (written as its Commit writes it).
	j, err := js.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := j.KeyValue(ctx, jetstream.DefaultLedgerBucket)
	if err != nil {
		t.Fatal(err)
	}
	stale := `{"state":"pending","digest":"sha-256=:AAAA:","submission":"` + s1 + `","at":"` + clock.now().Format(time.RFC3339Nano) + `"}`
	if _, err := kv.Create(ctx, "k.bank-01."+commitReq(s1).Key, []byte(stale)); err != nil {
		t.Fatal(err)
	}
	if _, _, found, err := l.Idempotent(ctx, "bank-01", commitReq(s1).Key); found || err != nil {
		t.Fatalf("a claim not committed is found (%v, %v)", found, err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	var calls int
	_, err = l.Commit(short, commitReq(s2), finishWith(s2, &calls))
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("commit while the claim holds: %v; want the context's deadline", err)
	}
	other := commitReq(s2)
	other.Digest = "sha-256=:BBBB:"
	if _, err := l.Commit(ctx, other, finishWith(s2, &calls)); !errors.Is(err, submit.ErrKeyConflict) {
		t.Fatalf("commit with another digest: %v; want ErrKeyConflict", err)
	}

	// Record r1 is held by another submission already.
	var otherCalls int
	if _, err := l.Commit(ctx, submit.CommitRequest{Org: "bank-01", Key: "0190e2a0-0000-7000-8000-0000000000ff", Digest: "sha-256=:CCCC:",
		SubmissionID: "0190e2a0-0000-7000-8000-0000000000b1", At: clock.now(), Retention: time.Hour},
		finishWith("0190e2a0-0000-7000-8000-0000000000b1", &otherCalls, record("r1", "0190e2a0-0000-7000-8000-0000000000b1"))); err != nil {
		t.Fatal(err)
	}
	clock.add(time.Minute)
	calls = 0
	a, err := l.Commit(ctx, commitReq(s2), finishWith(s2, &calls, record("r1", s2), record("r2", s2)))
	if err != nil {
		t.Fatalf("commit after the lease: %v", err)
	}
	if a.Submission != s2 || calls != 2 {
		t.Fatalf("answer of %s after %d finishes; want %s's after 2 (r1 held by another)", a.Submission, calls, s2)
	}
	seen, err := l.Seen(ctx, []submit.RecordKey{{Source: "bank-01", ID: "r1"}, {Source: "bank-01", ID: "r2"}, {Source: "bank-01", ID: "r3"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[submit.RecordKey{Source: "bank-01", ID: "r2"}].Submission != s2 ||
		seen[submit.RecordKey{Source: "bank-01", ID: "r1"}].Submission == s2 {
		t.Fatalf("seen %+v", seen)
	}
	_, replay, found, err := l.Idempotent(ctx, "bank-01", commitReq(s2).Key)
	if err != nil || !found || string(replay.Receipt) != string(a.Receipt) {
		t.Fatalf("replay: %v %v %+v", found, err, replay)
	}
	if raw, err := l.ReceiptBytes(ctx, "bank-01", s2); err != nil || string(raw) != string(a.Receipt) {
		t.Fatalf("receipt: %s %v", raw, err)
	}
	if _, err := l.ReceiptBytes(ctx, "bank-02", s2); !errors.Is(err, submit.ErrReceiptNotFound) {
		t.Fatalf("another org's receipt: %v; want ErrReceiptNotFound", err)
	}
}

func TestLedgerConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  jetstream.LedgerConfig
		want string
	}{
		{jetstream.LedgerConfig{}, ""},
		{jetstream.LedgerConfig{Bucket: "a.b"}, "LedgerConfig.Bucket"},
		{jetstream.LedgerConfig{Replicas: 7}, "LedgerConfig.Replicas"},
		{jetstream.LedgerConfig{ClaimLease: -time.Second}, "LedgerConfig.ClaimLease"},
		{jetstream.LedgerConfig{MaxInFlight: -1}, "LedgerConfig.MaxInFlight"},
	} {
		err := tc.cfg.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Validate(%+v) = %v; want %q", tc.cfg, err, tc.want)
		}
	}
}

// TestLedgerKeysOfAnyBytes: sources and ids with bytes a key may not hold
// are escaped, so each still has an entry of its own.
func TestLedgerKeysOfAnyBytes(t *testing.T) {
	c := natstest.StartServer(t)
	l, err := jetstream.NewLedger(context.Background(), c.Connect(t), jetstream.LedgerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	const sub = "0190e2a0-0000-7000-8000-0000000000c1"
	var recs []submit.AcceptedRecord
	var keys []submit.RecordKey
	for _, src := range []string{"org.with.dots", "org with space", "org/slash", "org=eq", "", "ünïcode", "org.with=2Edots"} {
		r := record("r1", sub)
		r.Key.Source = src
		recs = append(recs, r)
		keys = append(keys, r.Key)
	}
	var n int
	cr := commitReq(sub)
	if _, err := l.Commit(context.Background(), cr, finishWith(sub, &n, recs...)); err != nil {
		t.Fatal(err)
	}
	seen, err := l.Seen(context.Background(), keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(keys) || n != 1 {
		t.Fatalf("%d of %d records seen after %d finishes: %+v", len(seen), len(keys), n, seen)
	}
}
