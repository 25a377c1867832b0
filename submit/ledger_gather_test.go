package submit

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// ledgerProbe watches a Ledger's group committer: the size of each group
// as it is about to commit, each call queued, and each call joining a
// window. With hold set, the first group waits in its hook until release
// is closed, so that the calls made meanwhile queue behind it.
type ledgerProbe struct {
	l       *Ledger
	path    string
	groups  chan int
	queued  chan struct{}
	joined  chan int
	held    atomic.Bool
	release chan struct{}
}

func newLedgerProbe(t *testing.T, hold bool) *ledgerProbe {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	l, err := OpenLedger(path)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	p := &ledgerProbe{l: l, path: path, groups: make(chan int, 64), queued: make(chan struct{}, 64), joined: make(chan int, 64), release: make(chan struct{})}
	l.testBeforeCommit = func(n int) {
		p.groups <- n
		if hold && p.held.CompareAndSwap(false, true) {
			<-p.release
		}
	}
	l.testQueued = func() { p.queued <- struct{}{} }
	l.testInWindow = func(n int) { p.joined <- n }
	return p
}

// waitQueued waits until n more calls are queued for the committer.
func (p *ledgerProbe) waitQueued(n int) {
	for range n {
		<-p.queued
	}
}

// ledgerCommit is one Commit under test: the records it carries, how
// often its closures ran, and what it fails with, if anything.
type ledgerCommit struct {
	org, sub string
	keys     []RecordKey
	fail     error // finish returns it
	panics   bool  // finish panics
	win      *ledgerWindow
	finishes atomic.Int32
	befores  atomic.Int32
	tx       atomic.Pointer[bolt.Tx] // the transaction that committed it
}

func newLedgerCommit(t *testing.T, ids ...string) *ledgerCommit {
	c := &ledgerCommit{org: testBank, sub: newID(t)}
	for _, id := range ids {
		c.keys = append(c.keys, RecordKey{Source: testBank, ID: id})
	}
	return c
}

// before writes a marker of the call in the transaction, so a test can
// count what a rollback and a run again left.
func (c *ledgerCommit) before(tx *bolt.Tx) error {
	c.befores.Add(1)
	tx.OnCommit(func() { c.tx.Store(tx) })
	return tx.Bucket(bucketTasks).Put([]byte("marker-"+c.sub), []byte("x"))
}

func (c *ledgerCommit) finish(seen func(RecordKey) (SeenRecord, bool)) (*Receipt, int, []byte, []AcceptedRecord, error) {
	c.finishes.Add(1)
	if c.panics {
		panic("finish of " + c.sub)
	}
	if c.fail != nil {
		return nil, 0, nil, nil, c.fail
	}
	rc := &Receipt{SubmissionID: c.sub, Org: c.org, ReceivedAt: testNow}
	var acc []AcceptedRecord
	for _, k := range c.keys {
		rc.Counts.Records++
		if _, ok := seen(k); ok {
			rc.Counts.Duplicate++
			continue
		}
		rc.Counts.Accepted++
		acc = append(acc, AcceptedRecord{Key: k, Seen: SeenRecord{Org: c.org, Submission: c.sub,
			Digest: digestPrefix + strings.Repeat("ab", 32), RetainUntil: testNow.AddDate(1, 0, 0)}})
	}
	return rc, 200, nil, acc, nil
}

type commitResult struct {
	a     *LedgerAnswer
	err   error
	panic any
}

// start runs the commit in a goroutine; the channel gets its outcome.
func (c *ledgerCommit) start(ctx context.Context, l *Ledger) chan commitResult {
	out := make(chan commitResult, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				out <- commitResult{panic: p}
			}
		}()
		cr := CommitRequest{Org: c.org, Key: newIDString(), Digest: "sha-256=:x:", SubmissionID: c.sub, At: testNow}
		a, err := l.commitWith(ctx, cr, c.finish, c.before, false, c.win)
		out <- commitResult{a: a, err: err}
	}()
	return out
}

func newIDString() string { return fmt.Sprintf("key-%d", keySeq.Add(1)) }

var keySeq atomic.Int64

// receiptCounts returns the counts of c's stored receipt, and false
// when none is stored.
func receiptCounts(t *testing.T, l *Ledger, c *ledgerCommit) (Counts, bool) {
	t.Helper()
	rc, err := l.Receipt(t.Context(), c.org, c.sub)
	if errors.Is(err, ErrReceiptNotFound) {
		return Counts{}, false
	}
	require.NoError(t, err)
	return rc.Counts, true
}

func markers(t *testing.T, l *Ledger) int {
	t.Helper()
	n := 0
	require.NoError(t, l.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTasks).ForEach(func(k, _ []byte) error {
			if strings.HasPrefix(string(k), "marker-") {
				n++
			}
			return nil
		})
	}))
	return n
}

func pendingCommits(t *testing.T, chans ...chan commitResult) {
	t.Helper()
	for i, ch := range chans {
		select {
		case r := <-ch:
			t.Fatalf("commit %d returned before its group committed: %+v", i, r)
		default:
		}
	}
}

// TestLedgerGroupCommit: without a window, a lone call commits at once,
// and the calls that queue while a commit runs share the next
// transaction, each answered after it committed. A record two of them
// carry is accepted by the first and a duplicate for the second.
func TestLedgerGroupCommit(t *testing.T) {
	p := newLedgerProbe(t, true)
	ctx := t.Context()
	a := newLedgerCommit(t, newID(t))
	ra := a.start(ctx, p.l)
	assert.Equal(t, 1, <-p.groups, "a lone call commits at once")
	p.waitQueued(1)

	shared := newID(t)
	b, c, d := newLedgerCommit(t, shared, newID(t)), newLedgerCommit(t, shared), newLedgerCommit(t, newID(t))
	rb, rc, rd := b.start(ctx, p.l), c.start(ctx, p.l), d.start(ctx, p.l)
	p.waitQueued(3)
	pendingCommits(t, ra, rb, rc, rd)
	close(p.release)
	require.NoError(t, (<-ra).err)
	assert.Equal(t, 3, <-p.groups, "the three calls queued meanwhile in one group")
	results := map[*ledgerCommit]commitResult{b: <-rb, c: <-rc, d: <-rd}
	for lc, r := range results {
		require.NoError(t, r.err)
		assert.Equal(t, lc.sub, r.a.Submission)
		assert.EqualValues(t, 1, lc.finishes.Load(), "finish ran once")
	}
	got := map[*ledgerCommit]Counts{}
	for _, lc := range []*ledgerCommit{a, b, c, d} {
		counts, ok := receiptCounts(t, p.l, lc)
		require.True(t, ok)
		got[lc] = counts
	}
	// b and c carried the same record: the first of the group in queue
	// order accepted it.
	assert.Equal(t, 2, got[b].Accepted+got[c].Accepted, "b's own record and the shared one, once")
	assert.Equal(t, 1, got[b].Duplicate+got[c].Duplicate, "the shared record is a duplicate for exactly one")
	org, sub, ok, err := p.l.SeenBy(ctx, testBank, shared)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, testBank, org)
	assert.Contains(t, []string{b.sub, c.sub}, sub)
	assert.Equal(t, Counts{Records: 1, Accepted: 1}, got[d])
	assert.Equal(t, 4, markers(t, p.l))
	require.NotNil(t, b.tx.Load())
	assert.True(t, b.tx.Load() == c.tx.Load() && c.tx.Load() == d.tx.Load(), "one transaction")
	assert.NotSame(t, a.tx.Load(), b.tx.Load())
}

// TestLedgerGroupBound: more calls queued than maxLedgerGroup commit in
// groups of at most maxLedgerGroup, every one of them.
func TestLedgerGroupBound(t *testing.T) {
	p := newLedgerProbe(t, true)
	p.groups = make(chan int, maxLedgerGroup+8)
	p.queued = make(chan struct{}, 2*maxLedgerGroup)
	ctx := t.Context()
	first := newLedgerCommit(t, newID(t)).start(ctx, p.l)
	require.Equal(t, 1, <-p.groups)
	p.waitQueued(1)
	const n = maxLedgerGroup + 10
	outs := make([]chan commitResult, n)
	for i := range outs {
		outs[i] = newLedgerCommit(t, newID(t)).start(ctx, p.l)
	}
	// The committer's channel holds maxLedgerGroup; the rest wait to be
	// queued until it drains.
	p.waitQueued(maxLedgerGroup)
	close(p.release)
	require.NoError(t, (<-first).err)
	for _, out := range outs {
		require.NoError(t, (<-out).err)
	}
	total := 0
	for total < n {
		g := <-p.groups
		assert.LessOrEqual(t, g, maxLedgerGroup)
		total += g
	}
	assert.Equal(t, n, total)
	assert.Equal(t, n+1, markers(t, p.l))
}

// TestLedgerGroupIsolation: a call whose closure fails, or panics, fails
// alone; the others of its group run again without it and commit, and
// what the failed transaction wrote is gone.
func TestLedgerGroupIsolation(t *testing.T) {
	for _, panics := range []bool{false, true} {
		t.Run(fmt.Sprintf("panics=%v", panics), func(t *testing.T) {
			p := newLedgerProbe(t, true)
			ctx := t.Context()
			first := newLedgerCommit(t, newID(t))
			r0 := first.start(ctx, p.l)
			<-p.groups
			p.waitQueued(1)

			b, bad, d := newLedgerCommit(t, newID(t)), newLedgerCommit(t, newID(t)), newLedgerCommit(t, newID(t))
			wantErr := errors.New("finish refused")
			bad.fail, bad.panics = wantErr, panics
			rb := b.start(ctx, p.l)
			p.waitQueued(1)
			rbad := bad.start(ctx, p.l)
			p.waitQueued(1)
			rd := d.start(ctx, p.l)
			p.waitQueued(1)
			close(p.release)
			require.NoError(t, (<-r0).err)
			assert.Equal(t, 3, <-p.groups)

			for _, r := range []commitResult{<-rb, <-rd} {
				require.NoError(t, r.err)
				require.Nil(t, r.panic)
			}
			r := <-rbad
			if panics {
				assert.Equal(t, "finish of "+bad.sub, r.panic, "the panic is raised again in the caller")
			} else {
				require.ErrorIs(t, r.err, wantErr)
				assert.ErrorContains(t, r.err, "submit: ledger: commit: finish refused")
			}
			// b ran before the failure and again; d only again; bad
			// in the group and alone.
			assert.EqualValues(t, 2, b.finishes.Load())
			assert.EqualValues(t, 1, d.finishes.Load())
			assert.EqualValues(t, 2, bad.finishes.Load())
			for _, lc := range []*ledgerCommit{b, d} {
				counts, ok := receiptCounts(t, p.l, lc)
				require.True(t, ok)
				assert.Equal(t, Counts{Records: 1, Accepted: 1}, counts)
			}
			_, ok := receiptCounts(t, p.l, bad)
			assert.False(t, ok, "nothing of the failed call")
			_, _, seen, err := p.l.SeenBy(ctx, testBank, bad.keys[0].ID)
			require.NoError(t, err)
			assert.False(t, seen)
			assert.Equal(t, 3, markers(t, p.l), "first, b and d: before's writes of the rolled-back transaction are gone, its run again wrote once")
			require.NotNil(t, b.tx.Load())
			assert.Same(t, b.tx.Load(), d.tx.Load(), "b and d again in one transaction")
			assert.Nil(t, bad.tx.Load())
		})
	}
}

// TestLedgerCommitCancel: a call whose ctx ends while it is queued, or
// in a window, returns ctx's error at once and nothing of it is written.
func TestLedgerCommitCancel(t *testing.T) {
	t.Run("queued", func(t *testing.T) {
		p := newLedgerProbe(t, true)
		first := newLedgerCommit(t, newID(t))
		r0 := first.start(t.Context(), p.l)
		<-p.groups
		p.waitQueued(1)
		ctx, cancel := context.WithCancel(t.Context())
		b := newLedgerCommit(t, newID(t))
		rb := b.start(ctx, p.l)
		p.waitQueued(1)
		cancel()
		r := <-rb
		require.ErrorIs(t, r.err, context.Canceled)
		pendingCommits(t, r0)
		close(p.release)
		require.NoError(t, (<-r0).err)
		c := newLedgerCommit(t, newID(t))
		require.NoError(t, (<-c.start(t.Context(), p.l)).err)
		assert.Equal(t, 1, <-p.groups, "the withdrawn call is in no group")
		_, ok := receiptCounts(t, p.l, b)
		assert.False(t, ok)
		assert.Zero(t, b.finishes.Load())
	})
	t.Run("in a window", func(t *testing.T) {
		p := newLedgerProbe(t, false)
		w := newWindowTimer()
		win := &ledgerWindow{d: 20 * time.Millisecond, at: testNow, clock: func() time.Time { return testNow }, newTimer: w.newTimer}
		a, b := newLedgerCommit(t, newID(t)), newLedgerCommit(t, newID(t))
		a.win, b.win = win, win
		ra := a.start(t.Context(), p.l)
		assert.Equal(t, 20*time.Millisecond, <-w.started)
		ctx, cancel := context.WithCancel(t.Context())
		rb := b.start(ctx, p.l)
		waitJoined(t, p.joined, 2)
		cancel()
		require.ErrorIs(t, (<-rb).err, context.Canceled)
		pendingCommits(t, ra)
		w.fire <- testNow
		require.NoError(t, (<-ra).err)
		assert.Equal(t, 1, <-p.groups)
		_, ok := receiptCounts(t, p.l, b)
		assert.False(t, ok)
	})
}

func waitJoined(t *testing.T, joined chan int, n int) {
	t.Helper()
	for got := range joined {
		if got == n {
			return
		}
		require.Less(t, got, n, "calls in the window")
	}
}

// TestLedgerCommitWindow: calls that arrive during a window share the
// first one's transaction and none returns before it committed; a call
// that must commit alone ends the window and commits on its own.
func TestLedgerCommitWindow(t *testing.T) {
	p := newLedgerProbe(t, false)
	w := newWindowTimer()
	win := &ledgerWindow{d: 20 * time.Millisecond, at: testNow, clock: func() time.Time { return testNow }, newTimer: w.newTimer}
	calls := []*ledgerCommit{newLedgerCommit(t, newID(t)), newLedgerCommit(t, newID(t)), newLedgerCommit(t, newID(t))}
	var rs []chan commitResult
	for i, c := range calls {
		c.win = win
		rs = append(rs, c.start(t.Context(), p.l))
		if i == 0 {
			<-w.started
		}
		waitJoined(t, p.joined, i+1)
	}
	pendingCommits(t, rs...)
	w.fire <- testNow
	for _, r := range rs {
		require.NoError(t, (<-r).err)
	}
	assert.Equal(t, 3, <-p.groups)
	require.NotNil(t, calls[0].tx.Load())
	assert.True(t, calls[0].tx.Load() == calls[1].tx.Load() && calls[1].tx.Load() == calls[2].tx.Load(), "one transaction")
	assert.EqualValues(t, 1, w.stopped.Load())

	// A call that must be alone ends the window: the waiting call
	// commits, then it, each in a transaction of its own.
	a := newLedgerCommit(t, newID(t))
	a.win = win
	ra := a.start(t.Context(), p.l)
	<-w.started
	waitJoined(t, p.joined, 1)
	alone := make(chan error, 1)
	go func() {
		lc := newLedgerCommit(t, newID(t))
		cr := CommitRequest{Org: lc.org, Key: newIDString(), Digest: "d", SubmissionID: lc.sub, At: testNow}
		_, err := p.l.commitWith(t.Context(), cr, lc.finish, nil, true, nil)
		alone <- err
	}()
	require.NoError(t, (<-ra).err)
	require.NoError(t, <-alone)
	assert.Equal(t, 2, <-p.groups, "one group, committed as two transactions")

	// A window that ended while the call queued waits no more.
	late := newLedgerCommit(t, newID(t))
	late.win = &ledgerWindow{d: 20 * time.Millisecond, at: testNow.Add(-time.Second), clock: win.clock, newTimer: w.newTimer}
	require.NoError(t, (<-late.start(t.Context(), p.l)).err)
	assert.Equal(t, 1, <-p.groups)
	assert.Empty(t, w.started)
}

// TestLedgerCloseWhileWaiting: Close lets the commit under way finish;
// a call queued behind it, or waiting in a window, gets an error wrapping
// ErrLedgerClosed and is not written, and so does every call after.
func TestLedgerCloseWhileWaiting(t *testing.T) {
	t.Run("queued", func(t *testing.T) {
		p := newLedgerProbe(t, true)
		a, b := newLedgerCommit(t, newID(t)), newLedgerCommit(t, newID(t))
		ra := a.start(t.Context(), p.l)
		<-p.groups
		p.waitQueued(1)
		rb := b.start(t.Context(), p.l)
		p.waitQueued(1)
		closed := make(chan error, 1)
		go func() { closed <- p.l.Close() }()
		<-p.l.quit
		close(p.release)
		require.NoError(t, (<-ra).err, "the commit under way ends")
		require.ErrorIs(t, (<-rb).err, ErrLedgerClosed)
		require.NoError(t, <-closed)
		_, err := p.l.Commit(t.Context(), CommitRequest{Org: testBank, Key: "k", SubmissionID: newID(t), At: testNow}, newLedgerCommit(t).finish)
		require.ErrorIs(t, err, ErrLedgerClosed)

		l, err := OpenLedger(p.path)
		require.NoError(t, err)
		defer l.Close()
		_, ok := receiptCounts(t, l, a)
		assert.True(t, ok)
		_, ok = receiptCounts(t, l, b)
		assert.False(t, ok)
		assert.Zero(t, b.finishes.Load())
	})
	t.Run("in a window", func(t *testing.T) {
		p := newLedgerProbe(t, false)
		w := newWindowTimer()
		a := newLedgerCommit(t, newID(t))
		a.win = &ledgerWindow{d: time.Second, at: testNow, clock: func() time.Time { return testNow }, newTimer: w.newTimer}
		ra := a.start(t.Context(), p.l)
		<-w.started
		waitJoined(t, p.joined, 1)
		require.NoError(t, p.l.Close())
		require.ErrorIs(t, (<-ra).err, ErrLedgerClosed)
		assert.Zero(t, a.finishes.Load())
		assert.Empty(t, p.groups)
	})
}

// TestHandlerGroupCommit: two requests to a hub whose Store is its
// Ledger's, gathered in a CommitWindow, share one transaction; the
// record both carry is stored once, accepted by one and a duplicate for
// the other. Neither is answered before the commit.
func TestHandlerGroupCommit(t *testing.T) {
	w := newWindowTimer()
	var armed atomic.Bool // until then (seeding the fixture), every window ends at once
	f := newFixture(t, func(f *fixture, c *HandlerConfig) {
		oneFile(f, c)
		c.CommitWindow = 20 * time.Millisecond
		c.NewTimer = func(d time.Duration) (<-chan time.Time, func() bool) {
			if !armed.Load() {
				ch := make(chan time.Time, 1)
				ch <- testNow
				return ch, func() bool { return true }
			}
			return w.newTimer(d)
		}
	})
	joined, groups := make(chan int, 16), make(chan int, 16)
	f.ledger.testInWindow = func(n int) { joined <- n }
	f.ledger.testBeforeCommit = func(n int) { groups <- n }
	armed.Store(true)
	before, err := f.store.Count()
	require.NoError(t, err)

	shared, id := f.validLine(testBank)
	other, otherID := f.validLine(testBank)
	send := func(body []byte) chan response {
		out := make(chan response, 1)
		go func() { out <- f.send(post{body: body}) }()
		return out
	}
	r1 := send(ndjson(shared, other))
	assert.Equal(t, 20*time.Millisecond, <-w.started)
	waitJoined(t, joined, 1)
	r2 := send(ndjson(shared))
	waitJoined(t, joined, 2)
	for _, ch := range []chan response{r1, r2} {
		select {
		case r := <-ch:
			t.Fatalf("answered before the commit: %d %s", r.status, r.body)
		default:
		}
	}
	w.fire <- testNow
	c1, c2 := (<-r1).receipt(t).Counts, (<-r2).receipt(t).Counts
	assert.Equal(t, 2, <-groups, "both requests in one transaction")
	assert.Equal(t, 1, c1.Duplicate+c2.Duplicate, "the shared record is a duplicate for exactly one")
	assert.Equal(t, 2, c1.Accepted+c2.Accepted, "the shared record once, the other once")
	after, err := f.store.Count()
	require.NoError(t, err)
	assert.Equal(t, before+2, after, "stored once each")
	for _, i := range []string{id, otherID} {
		_, err := f.store.Get(t.Context(), i)
		require.NoError(t, err)
	}
}

// TestHandlerCommitWindowValidate: CommitWindow is 0 to MaxCommitWindow.
func TestHandlerCommitWindowValidate(t *testing.T) {
	for _, d := range []time.Duration{-time.Millisecond, MaxCommitWindow + time.Millisecond} {
		require.ErrorContains(t, HandlerConfig{CommitWindow: d}.Validate(), "CommitWindow is "+d.String())
	}
	require.NotContains(t, HandlerConfig{CommitWindow: MaxCommitWindow}.Validate().Error(), "CommitWindow")
}
