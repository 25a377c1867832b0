package submit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The ledger's group committer: Commit calls (the Handler's, one per
// request that accepts records) hand themselves to one goroutine, which
// takes the calls already waiting and runs them in one transaction, one
// after the other, so that one commit rewrites the meta page, the branch
// pages and the right-hand leaves once, and one fsync covers them all. A
// lone call is taken at once: there is no window, and while a commit
// runs the next group gathers.
//
// With a window (HandlerConfig.CommitWindow) the committer also waits,
// after the first call of a group, for calls that have not arrived yet:
// requests then wait up to the window for their answer, and a commit
// holds more of them.
//
// A later call of a group sees the writes of the earlier ones, as it
// would had they committed first: a record two of them carry is stored
// and marked seen by the first (first write wins) and answered
// duplicate to the second. When one call's closures fail, the
// transaction rolls back and the others run again together without it;
// it runs again alone, and fails alone. So a call's before and finish
// may run twice: they must compute what they write from the transaction
// and their own arguments only (the Handler's do: storeTx encodes the
// batch's accepted records afresh and skips those already stored;
// Handler.finish rebuilds the receipt from the batch's results and
// seen). A call is answered once the transaction holding it committed
// and synced.

// maxLedgerGroup bounds the calls of one group commit (a Handler has at
// most MaxInFlight requests at once).
const maxLedgerGroup = 256

// ledgerCall is one Commit waiting for, or in, a group commit.
type ledgerCall struct {
	c      CommitRequest
	finish FinishFunc
	before func(tx *bolt.Tx) error
	// alone: run in a transaction of its own. A Handler with a Log
	// asks for it: its finish appends to the log, out of the
	// transaction (undone by no rollback), or in it holding the log's
	// lock until the commit (which a second append in the same
	// transaction would wait for).
	alone bool
	// win is the gather window the call allows, counted from its
	// hand-over; nil: none.
	win   *ledgerWindow
	state atomic.Int32 // reqWaiting, then reqTaken or reqWithdrawn (outbox_gather.go)
	a     *LedgerAnswer
	err   error
	done  chan struct{} // closed once the transaction that took it committed or failed
}

// ledgerWindow is a Handler's gather window: its length, the time the
// call was handed over, and the Handler's clock and timers.
type ledgerWindow struct {
	d        time.Duration
	at       time.Time
	clock    func() time.Time
	newTimer timerFunc
}

// panicked is a panic of a call's closure, caught in the committer and
// raised again in the caller's goroutine.
type panicked struct{ reason any }

func (p panicked) Error() string { return fmt.Sprintf("panic in a ledger commit: %v", p.reason) }

// startCommitter starts the group committer; Close stops it.
func (l *Ledger) startCommitter() {
	l.calls = make(chan *ledgerCall, maxLedgerGroup)
	l.quit = make(chan struct{})
	l.committerDone = make(chan struct{})
	go l.runCommitter()
}

// stopCommitter stops the committer once the group it runs, if any, is
// done; calls it has not taken get ErrLedgerClosed.
func (l *Ledger) stopCommitter() {
	l.closing.Do(func() { close(l.quit) })
	<-l.committerDone
}

// call hands call to the committer and waits for its transaction. If
// ctx ends before the committer took it, nothing of it is written and
// ctx's error is returned.
func (l *Ledger) call(ctx context.Context, call *ledgerCall) (*LedgerAnswer, error) {
	call.done = make(chan struct{})
	select {
	case l.calls <- call:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.quit:
		return nil, fmt.Errorf("submit: ledger: commit: %w", ErrLedgerClosed)
	}
	if l.testQueued != nil {
		l.testQueued()
	}
	select {
	case <-call.done:
	case <-ctx.Done():
		// Still waiting (queued or in a window): nothing of it is
		// written.
		if call.state.CompareAndSwap(reqWaiting, reqWithdrawn) {
			return nil, ctx.Err()
		}
		<-call.done // in a transaction, which cannot be cancelled halfway: wait for its outcome
	case <-l.committerDone:
		// Closed with the call queued: the committer will not take it.
		if call.state.CompareAndSwap(reqWaiting, reqWithdrawn) {
			return nil, fmt.Errorf("submit: ledger: commit: %w", ErrLedgerClosed)
		}
		<-call.done
	}
	if p, ok := errors.AsType[panicked](call.err); ok {
		panic(p.reason)
	}
	if call.err != nil {
		return nil, fmt.Errorf("submit: ledger: commit: %w", ledgerErr(call.err))
	}
	return call.a, nil
}

// runCommitter takes the first call waiting and every other one already
// waiting, and commits them (see commitGroup).
func (l *Ledger) runCommitter() {
	defer close(l.committerDone)
	group := make([]*ledgerCall, 0, maxLedgerGroup)
	for {
		select {
		case <-l.quit: // before the calls queued, which then get ErrLedgerClosed
			return
		default:
		}
		select {
		case c := <-l.calls:
			group = append(group[:0], c)
		case <-l.quit:
			return
		}
		var closed bool
		group, closed = l.gather(group)
		taken := group[:0]
		for _, c := range group {
			if c.state.CompareAndSwap(reqWaiting, reqTaken) {
				taken = append(taken, c)
			}
		}
		if closed {
			// Closed in a window: nothing of these calls was written.
			for _, c := range taken {
				c.err = ErrLedgerClosed
				close(c.done)
			}
			taken = taken[:0]
		}
		if len(taken) > 0 {
			if l.testBeforeCommit != nil {
				l.testBeforeCommit(len(taken))
			}
			l.commitGroup(taken)
			for _, c := range taken {
				close(c.done)
			}
		}
		clear(group[:cap(group)])
	}
}

// gather adds to group (its first call) every call already waiting. If
// the first call allows a window, it then waits for more until the
// window ends, the group is full, or a call that must be alone arrives;
// closed is true when Close ended the window.
func (l *Ledger) gather(group []*ledgerCall) (_ []*ledgerCall, closed bool) {
	fullAt := func(g []*ledgerCall) bool { return len(g) >= maxLedgerGroup }
	full := func() bool { return fullAt(group) }
	group = takeWaiting(l.calls, group, nil, fullAt)
	w := group[0].win
	if w == nil || full() || slices.ContainsFunc(group, func(c *ledgerCall) bool { return c.alone }) {
		return group, false
	}
	d := w.at.Add(w.d).Sub(w.clock())
	if d <= 0 {
		return group, false
	}
	timer, stop := w.newTimer(d)
	defer stop()
	if l.testInWindow != nil {
		l.testInWindow(len(group))
	}
	for !full() {
		select {
		case c := <-l.calls:
			group = append(group, c)
			if c.alone {
				return group, false
			}
			if l.testInWindow != nil {
				l.testInWindow(len(group))
			}
		case <-timer:
			return group, false
		case <-l.quit:
			return group, true
		}
	}
	return group, false
}

// commitGroup commits calls in their order: each run of calls that may
// share a transaction in one, each call that must be alone in its own.
func (l *Ledger) commitGroup(calls []*ledgerCall) {
	start := 0
	for i, c := range calls {
		if c.alone {
			l.commitTogether(calls[start:i])
			l.commitAlone(c)
			start = i + 1
		}
	}
	l.commitTogether(calls[start:])
}

// commitTogether runs calls in one transaction. When a call's closures
// fail, the transaction is rolled back, the others are tried again
// without it, and it runs alone afterwards (seeing their writes, as it
// did in the group): its failure is its own. A failed commit fails them
// all.
func (l *Ledger) commitTogether(calls []*ledgerCall) {
	var failed []*ledgerCall
	for len(calls) > 1 {
		bad := -1
		err := l.db.Update(func(tx *bolt.Tx) error {
			for i, c := range calls {
				a, err := runCall(tx, c)
				if err != nil {
					bad = i
					return err
				}
				c.a = a
			}
			return nil
		})
		if bad < 0 {
			for _, c := range calls {
				if c.err = err; err != nil {
					c.a = nil
				}
			}
			calls = nil
			break
		}
		for _, c := range calls {
			c.a = nil
		}
		failed = append(failed, calls[bad])
		calls = append(calls[:bad:bad], calls[bad+1:]...)
	}
	if len(calls) == 1 {
		l.commitAlone(calls[0])
	}
	for _, c := range failed {
		l.commitAlone(c)
	}
}

// commitAlone runs c in a transaction of its own.
func (l *Ledger) commitAlone(c *ledgerCall) {
	c.a = nil
	c.err = l.db.Update(func(tx *bolt.Tx) error {
		a, err := runCall(tx, c)
		c.a = a
		return err
	})
	if c.err != nil {
		c.a = nil
	}
}

// runCall runs c's closures and writes in tx; a panic of one is
// returned as a panicked error (the committer must not die of it).
func runCall(tx *bolt.Tx, c *ledgerCall) (a *LedgerAnswer, err error) {
	defer func() {
		if p := recover(); p != nil {
			a, err = nil, panicked{p}
		}
	}()
	return commitIn(tx, c.c, c.finish, c.before)
}
