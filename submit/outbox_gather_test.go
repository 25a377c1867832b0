package submit

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// windowTimer is a gather window's timer that fires only when the test
// says: no test here depends on how fast the machine is.
type windowTimer struct {
	started chan time.Duration // each timer asked for, with its duration
	fire    chan time.Time
	stopped atomic.Int32
	joined  chan int // the requests in the window, as each joins (testInWindow)
}

func newWindowTimer() *windowTimer {
	return &windowTimer{started: make(chan time.Duration, 16), fire: make(chan time.Time, 1)}
}

func (w *windowTimer) newTimer(d time.Duration) (<-chan time.Time, func() bool) {
	w.started <- d
	return w.fire, func() bool { w.stopped.Add(1); return true }
}

// gatherOutbox opens an outbox whose committer waits window (on w, at a
// clock standing at clientT0) for up to records records, and counts the
// requests of each commit.
func gatherOutbox(t *testing.T, w *windowTimer, window time.Duration, records int) (*outbox, chan int) {
	t.Helper()
	o, err := openOutboxWith(t.TempDir()+"/outbox.db", 1000, 1<<30, func() {}, gatherPolicy{
		window: window, records: records, bytes: 1 << 30,
		clock: func() time.Time { return clientT0 }, newTimer: w.newTimer, cut: make(chan struct{}),
	})
	require.NoError(t, err)
	t.Cleanup(func() { o.close() })
	groups := make(chan int, 16)
	o.testBeforeCommit = func(n int) { groups <- n }
	w.joined = make(chan int, 64)
	o.testInWindow = func(n int) { w.joined <- n }
	return o, groups
}

// enqueueAsync enqueues n records in a goroutine; the channel gets its
// result, and the commits counted when it returned.
type enqueued struct {
	err     error
	commits uint64
}

func enqueueAsync(t *testing.T, ctx context.Context, o *outbox, n int, atOnce bool) chan enqueued {
	recs := clientRecords(t, n)
	out := make(chan enqueued, 1)
	go func() {
		put := o.enqueue
		if atOnce {
			put = o.enqueueAtOnce
		}
		err := put(ctx, recs, clientT0)
		out <- enqueued{err, o.commits.Load()}
	}()
	return out
}

// inWindow waits until the window holds n requests.
func (w *windowTimer) inWindow(t *testing.T, n int) {
	t.Helper()
	for got := range w.joined {
		if got == n {
			return
		}
		require.Less(t, got, n, "requests in the window")
	}
}

func pendingResult(t *testing.T, chans ...chan enqueued) {
	t.Helper()
	for i, ch := range chans {
		select {
		case r := <-ch:
			t.Fatalf("call %d returned before its window ended: %+v", i, r)
		default:
		}
	}
}

// TestCommitWindowGathers: calls that arrive during the window share the
// first one's transaction, and none returns before it has committed.
func TestCommitWindowGathers(t *testing.T) {
	w := newWindowTimer()
	o, groups := gatherOutbox(t, w, 20*time.Millisecond, 500)
	ctx := context.Background()
	a := enqueueAsync(t, ctx, o, 1, false)
	assert.Equal(t, 20*time.Millisecond, <-w.started, "the window, from the first call's queued-at time")
	b, c := enqueueAsync(t, ctx, o, 2, false), enqueueAsync(t, ctx, o, 3, false)
	w.inWindow(t, 3)
	pendingResult(t, a, b, c)
	assert.EqualValues(t, 0, o.commits.Load())

	w.fire <- clientT0.Add(20 * time.Millisecond)
	for _, ch := range []chan enqueued{a, b, c} {
		r := <-ch
		require.NoError(t, r.err)
		assert.EqualValues(t, 1, r.commits, "returned after the one commit")
	}
	assert.Equal(t, 3, <-groups, "three calls in one transaction")
	assert.EqualValues(t, 6, o.count().records)

	t.Run("fills early", func(t *testing.T) {
		// A batch's worth of records ends the window without its timer.
		w := newWindowTimer()
		o, groups := gatherOutbox(t, w, time.Second, 5)
		a := enqueueAsync(t, ctx, o, 3, false)
		<-w.started
		w.inWindow(t, 1)
		pendingResult(t, a)
		b := enqueueAsync(t, ctx, o, 2, false)
		require.NoError(t, (<-a).err)
		require.NoError(t, (<-b).err)
		assert.Equal(t, 2, <-groups)
		assert.EqualValues(t, 1, o.commits.Load())
		assert.EqualValues(t, 1, w.stopped.Load(), "the timer stopped")

		// A call of a batch's worth on its own waits for nothing.
		require.NoError(t, o.enqueue(ctx, clientRecords(t, 5), clientT0))
		assert.Equal(t, 1, <-groups)
		assert.Empty(t, w.started, "no window for a full batch")
	})

	t.Run("forwarded records end it", func(t *testing.T) {
		w := newWindowTimer()
		o, groups := gatherOutbox(t, w, time.Second, 500)
		a := enqueueAsync(t, ctx, o, 1, false)
		<-w.started
		w.inWindow(t, 1)
		b := enqueueAsync(t, ctx, o, 4, true)
		require.NoError(t, (<-a).err)
		require.NoError(t, (<-b).err)
		assert.Equal(t, 2, <-groups, "the call waiting went with the forwarded batch")

		require.NoError(t, o.enqueueAtOnce(ctx, clientRecords(t, 1), clientT0))
		assert.Equal(t, 1, <-groups)
		assert.Empty(t, w.started, "a forwarded batch starts no window")
	})

	t.Run("past its end", func(t *testing.T) {
		// The window counts from the first call's queued-at time: a call
		// queued longer ago than the window (while the previous commit
		// ran) waits no more.
		w := newWindowTimer()
		o, groups := gatherOutbox(t, w, 20*time.Millisecond, 500)
		require.NoError(t, o.enqueue(ctx, clientRecords(t, 1), clientT0.Add(-time.Second)))
		assert.Equal(t, 1, <-groups)
		assert.Empty(t, w.started)
	})
}

// TestCommitWindowReturnsAfterSync: once the window ends, Submit still
// waits for its transaction: held before the commit, it has not
// returned.
func TestCommitWindowReturnsAfterSync(t *testing.T) {
	w := newWindowTimer()
	o, _ := gatherOutbox(t, w, 20*time.Millisecond, 500)
	entered, release := make(chan int), make(chan struct{})
	o.testBeforeCommit = func(n int) { entered <- n; <-release }
	a := enqueueAsync(t, context.Background(), o, 2, false)
	<-w.started
	w.fire <- clientT0
	assert.Equal(t, 1, <-entered)
	pendingResult(t, a)
	assert.EqualValues(t, 0, o.count().records)
	close(release)
	r := <-a
	require.NoError(t, r.err)
	assert.EqualValues(t, 1, r.commits)
	assert.EqualValues(t, 2, o.count().records)
}

// TestCommitWindowCancel: a call whose ctx ends during the window
// returns ctx's error at once and writes nothing; the others commit when
// the window ends.
func TestCommitWindowCancel(t *testing.T) {
	w := newWindowTimer()
	o, groups := gatherOutbox(t, w, 20*time.Millisecond, 500)
	ctx, cancel := context.WithCancel(context.Background())
	a := enqueueAsync(t, ctx, o, 3, false)
	<-w.started
	b := enqueueAsync(t, context.Background(), o, 2, false)
	w.inWindow(t, 2)
	cancel()
	r := <-a
	require.ErrorIs(t, r.err, context.Canceled)
	assert.EqualValues(t, 0, r.commits)
	pendingResult(t, b)

	w.fire <- clientT0
	require.NoError(t, (<-b).err)
	assert.Equal(t, 1, <-groups, "the withdrawn call is not in the transaction")
	assert.EqualValues(t, 2, o.count().records, "only the other call's records")
	assert.EqualValues(t, 2, o.lastSeq())

	t.Run("a window of only withdrawn calls commits nothing", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		a := enqueueAsync(t, ctx, o, 1, false)
		<-w.started
		w.inWindow(t, 1)
		cancel()
		require.ErrorIs(t, (<-a).err, context.Canceled)
		w.fire <- clientT0
		require.NoError(t, o.enqueueAtOnce(context.Background(), clientRecords(t, 1), clientT0))
		assert.Equal(t, 1, <-groups, "the next commit is the next call's")
		assert.EqualValues(t, 2, o.commits.Load())
		assert.EqualValues(t, 3, o.count().records)
	})
}

// TestCommitWindowClose: Close ends a window in progress: the Submit
// waiting in it commits and returns, and Close delivers it. The timers
// never fire, so only Close can end the window.
func TestCommitWindowClose(t *testing.T) {
	hub := newClientHub(t)
	cfg := clientConfig(t, hub.srv.URL, t.TempDir())
	cfg.CommitWindow = MaxCommitWindow
	windows := make(chan time.Duration, 16)
	cfg.NewTimer = func(d time.Duration) (<-chan time.Time, func() bool) {
		if d > cfg.Linger {
			windows <- d
		}
		return make(chan time.Time), func() bool { return true }
	}
	c, err := NewClient(cfg)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- c.Submit(context.Background(), clientEnv(t, clientTestOrg, 0)) }()
	<-windows
	select {
	case err := <-done:
		t.Fatalf("Submit returned during its window: %v", err)
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))
	require.NoError(t, <-done)
	assert.EqualValues(t, 1, c.Stats().Commits)
	assert.EqualValues(t, 1, c.Stats().Delivered)
	distinct, _ := hub.Stored()
	assert.Equal(t, 1, distinct)
}

// TestCommitWindowClient: concurrent Submits of a Client with a window
// share one commit, which the window's timer (the client's NewTimer)
// ends.
func TestCommitWindowClient(t *testing.T) {
	hub := newClientHub(t)
	cfg := clientConfig(t, hub.srv.URL, t.TempDir())
	cfg.CommitWindow = 500 * time.Millisecond
	fire := make(chan time.Time, 1)
	cfg.NewTimer = func(d time.Duration) (<-chan time.Time, func() bool) {
		if d > cfg.Linger { // the window's; lingers never end here but by Flush
			return fire, func() bool { return true }
		}
		return make(chan time.Time), func() bool { return true }
	}
	c := clientNew(t, cfg)
	joined := make(chan int, 16)
	c.ob.testInWindow = func(n int) { joined <- n }
	const n = 3
	envs := clientEnvs(t, n)
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- c.Submit(context.Background(), envs[i]) }()
	}
	for got := range joined {
		if got == n {
			break
		}
	}
	assert.Empty(t, errs, "no Submit returned during the window")
	fire <- time.Now()
	for range n {
		require.NoError(t, <-errs)
	}
	assert.EqualValues(t, 1, c.Stats().Commits, "%d Submits, one transaction", n)
	clientFlush(t, c)
	assert.EqualValues(t, n, c.Stats().Delivered)
}
