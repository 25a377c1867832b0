package submit

import (
	"context"
	"sync/atomic"
	"time"
)

// The group committer: Submit calls hand their records to one goroutine,
// which gathers the calls waiting and commits them in one transaction,
// so one fsync covers many calls. With a gather window
// (ClientConfig.CommitWindow) it also waits, after the first call of a
// group, for calls that have not arrived yet: a commit then writes the
// right-hand leaf, the branch pages and the meta page once for more
// records.

// gatherPolicy is how long the committer waits for more calls after the
// first of a group, and what ends that wait early.
type gatherPolicy struct {
	window   time.Duration // 0: commit what is waiting at once
	records  int           // commit early once this many records wait (a batch's worth)
	bytes    int64         // or this many record bytes
	clock    func() time.Time
	newTimer timerFunc
	cut      <-chan struct{} // closed once no window may start or go on (Client.Close)
}

// States of an enqueueReq, changed only by compare-and-swap: the
// committer takes a waiting request into a transaction, or its caller
// withdraws it when ctx ends first.
const (
	reqWaiting int32 = iota
	reqTaken
	reqWithdrawn
)

type enqueueReq struct {
	recs  [][]byte
	at    time.Time
	wait  bool         // may wait in a gather window; false ends the window (a Relay's forward)
	state atomic.Int32 // reqWaiting, then reqTaken or reqWithdrawn
	err   error
	done  chan struct{} // closed once the transaction that took it has committed or failed
}

// enqueue hands recs to the committer and waits for their transaction;
// the committer may hold them for its gather window.
func (o *outbox) enqueue(ctx context.Context, recs [][]byte, at time.Time) error {
	return o.put(ctx, &enqueueReq{recs: recs, at: at, wait: true})
}

// enqueueAtOnce is enqueue for records that must not wait a gather
// window; their arrival ends a window in progress.
func (o *outbox) enqueueAtOnce(ctx context.Context, recs [][]byte, at time.Time) error {
	return o.put(ctx, &enqueueReq{recs: recs, at: at})
}

func (o *outbox) put(ctx context.Context, r *enqueueReq) error {
	if len(r.recs) == 0 {
		return nil
	}
	r.done = make(chan struct{})
	select {
	case o.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-o.quit:
		return ErrClientClosed
	}
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		// Still waiting (in the channel or in a window): nothing of it
		// is written.
		if r.state.CompareAndSwap(reqWaiting, reqWithdrawn) {
			return ctx.Err()
		}
		<-r.done // in a transaction, which cannot be cancelled halfway: wait for its outcome
		return r.err
	}
}

// runCommitter is the group committer: it takes the first waiting
// request, gathers the others (see gather), and commits them all in one
// transaction. While a commit is in progress the next group gathers.
func (o *outbox) runCommitter() {
	defer close(o.committerDone)
	group := make([]*enqueueReq, 0, 64)
	for {
		select {
		case r := <-o.reqs:
			group = o.gather(append(group[:0], r))
		case <-o.quit:
			return
		}
		taken := group[:0]
		for _, r := range group {
			if r.state.CompareAndSwap(reqWaiting, reqTaken) {
				taken = append(taken, r)
			}
		}
		if len(taken) > 0 {
			if o.testBeforeCommit != nil {
				o.testBeforeCommit(len(taken))
			}
			o.commit(taken)
			for _, r := range taken {
				close(r.done)
			}
		}
		clear(group[:cap(group)])
	}
}

// gather adds to group (its first request) every request already
// waiting, up to the group limits. With a window, it then waits for more
// until the window, counted from the first request's queued-at time,
// ends; it commits early once a batch's worth of records waits, the
// group limits are reached, a request that may not wait arrives, or the
// outbox closes.
func (o *outbox) gather(group []*enqueueReq) []*enqueueReq {
	records, bytes, wait := 0, int64(0), true
	add := func(r *enqueueReq) {
		records += len(r.recs)
		for _, rec := range r.recs {
			bytes += int64(len(rec))
		}
		wait = wait && r.wait
	}
	add(group[0])
	fullAt := func(g []*enqueueReq) bool { return len(g) >= maxGroupReqs || records >= maxGroupRecords }
	full := func() bool { return fullAt(group) }
	group = takeWaiting(o.reqs, group, add, fullAt)
	p := &o.policy
	enough := func() bool {
		return !wait || full() || records >= p.records || bytes >= p.bytes
	}
	if p.window <= 0 || enough() || isClosed(p.cut) {
		return group
	}
	d := group[0].at.Add(p.window).Sub(p.clock())
	if d <= 0 {
		return group
	}
	timer, stop := p.newTimer(d)
	defer stop()
	if o.testInWindow != nil {
		o.testInWindow(len(group))
	}
	for !enough() {
		select {
		case r := <-o.reqs:
			group = append(group, r)
			add(r)
			if o.testInWindow != nil {
				o.testInWindow(len(group))
			}
		case <-timer:
			return group
		case <-p.cut:
			return group
		case <-o.quit:
			return group
		}
	}
	return group
}

// takeWaiting appends to group what ch holds now, one at a time until
// full(group), calling took with each: the part of a group commit that
// waits for nothing (the outbox's and the ledger's committers).
func takeWaiting[T any](ch <-chan T, group []T, took func(T), full func([]T) bool) []T {
	for !full(group) {
		select {
		case x := <-ch:
			group = append(group, x)
			if took != nil {
				took(x)
			}
		default:
			return group
		}
	}
	return group
}
