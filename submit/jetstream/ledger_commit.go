package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	js "github.com/nats-io/nats.go/jetstream"

	"github.com/sicollab/sicollab/submit"
)

// Longest and first wait between two looks at a key another request
// holds pending.
const (
	firstPoll = 20 * time.Millisecond
	maxPoll   = time.Second
)

// Commit records a submission (see Ledger): it claims the key, claims
// the accepted records, writes the answer, then marks the key committed.
// It returns the answer stored for the key: its own, or that of the
// request that claimed the key first.
func (l *Ledger) Commit(ctx context.Context, c submit.CommitRequest, finish submit.FinishFunc) (*submit.LedgerAnswer, error) {
	ttl := c.Retention
	if ttl <= 0 {
		ttl = submit.DefaultRetention
	}
	ik := idemKey(c.Org, c.Key)
	claim, err := json.Marshal(keyEntry{State: statePending, Digest: c.Digest, Submission: c.SubmissionID, At: l.cfg.Clock().UTC()})
	if err != nil {
		return nil, err
	}
	rev, adopt, a, err := l.claimKey(ctx, c, ik, claim, ttl)
	if err != nil || a != nil {
		return a, err
	}
	mine := map[submit.RecordKey]uint64{} // the records this Commit created, with their revisions
	answer, err := l.claimRecords(ctx, c, adopt, finish, mine)
	if err != nil {
		l.release(c, ik, rev, mine)
		return nil, err
	}
	raw, err := json.Marshal(answer)
	if err != nil {
		return nil, err
	}
	rk := "r." + token(c.Org) + "." + token(c.SubmissionID)
	if _, err := l.js.PublishMsg(ctx, &nats.Msg{Subject: l.pre + rk, Data: raw}, js.WithMsgTTL(ttlOf(ttl))); err != nil {
		l.release(c, ik, rev, mine)
		return nil, fmt.Errorf("jetstream: ledger: write receipt %s: %w", c.SubmissionID, err)
	}
	done, err := json.Marshal(keyEntry{State: stateDone, Digest: c.Digest, Submission: c.SubmissionID, At: answer.At})
	if err != nil {
		return nil, err
	}
	if _, err := l.set(ctx, ik, done, rev, ttl); err != nil {
		if errors.Is(err, js.ErrKeyExists) {
			// Taken over while we worked (we outlived ClaimLease): the
			// other request's answer is the answer.
			l.cfg.Logger.WarnContext(ctx, "jetstream: ledger: idempotency key taken over before commit", "org", c.Org, "key", c.Key)
			if err := l.kv.Purge(ctx, rk, js.PurgeTTL(markerTTL)); err != nil {
				l.cfg.Logger.WarnContext(ctx, "jetstream: ledger: orphan receipt not deleted", "submission", c.SubmissionID, "err", err)
			}
			_, _, a, err := l.claimKey(ctx, c, ik, nil, ttl)
			return a, err
		}
		// The acknowledgement may be what was lost: if the key says done
		// with this submission, it is committed.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		e, _, gerr := l.keyEntry(lctx, c.Org, c.Key)
		cancel()
		if gerr == nil && e.State == stateDone && e.Submission == c.SubmissionID {
			return answer, nil
		}
		l.release(c, ik, rev, mine)
		return nil, fmt.Errorf("jetstream: ledger: commit idempotency key %s: %w", c.Key, err)
	}
	return answer, nil
}

// release undoes what a Commit that failed created, so that the
// sender's retry, at any hub, is judged afresh rather than wait for the
// claim's lease and find its own records held: each record entry and the
// key's claim are purged if still at the revision this Commit wrote.
// Best effort, on a context of its own (the request's may have ended);
// what it cannot undo is settled by the lease and the takeover.
func (l *Ledger) release(c submit.CommitRequest, ik string, rev uint64, mine map[submit.RecordKey]uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for k, r := range mine {
		if r == 0 { // published, acknowledgement not awaited: ours only if it says so
			e, err := l.kv.Get(ctx, seenKey(k))
			if err != nil || submit.DecodeSeen(e.Value()).Submission != c.SubmissionID {
				continue
			}
			r = e.Revision()
		}
		if err := l.kv.Purge(ctx, seenKey(k), js.LastRevision(r), js.PurgeTTL(markerTTL)); err != nil {
			l.cfg.Logger.Warn("jetstream: ledger: record of a failed commit not released", "record", k.ID, "source", k.Source, "err", err)
		}
	}
	if err := l.kv.Purge(ctx, ik, js.LastRevision(rev), js.PurgeTTL(markerTTL)); err != nil {
		l.cfg.Logger.Warn("jetstream: ledger: claim of a failed commit not released; it lapses after ClaimLease", "org", c.Org, "key", c.Key, "err", err)
	}
}

// claimKey claims ik for c, with claim as its value (nil: only wait for
// another's answer). It returns the revision claimed and, when it took a
// stale claim over, the submission id of that claim; or the answer of
// the request that committed the key, or ErrKeyConflict.
func (l *Ledger) claimKey(ctx context.Context, c submit.CommitRequest, ik string, claim []byte, ttl time.Duration) (rev uint64, adopt string, a *submit.LedgerAnswer, err error) {
	wait := firstPoll
	for {
		if claim != nil {
			// Create: over a marker too (a key released or expired).
			rev, err = l.kv.Create(ctx, ik, claim, js.KeyTTL(ttlOf(ttl)))
			if err == nil {
				return rev, "", nil, nil
			}
			if !errors.Is(err, js.ErrKeyExists) {
				return 0, "", nil, fmt.Errorf("jetstream: ledger: claim idempotency key %s: %w", c.Key, err)
			}
		}
		e, cur, err := l.keyEntry(ctx, c.Org, c.Key)
		switch {
		case errors.Is(err, js.ErrKeyNotFound):
			if claim == nil {
				return 0, "", nil, fmt.Errorf("jetstream: ledger: idempotency key %s vanished while taken over", c.Key)
			}
			continue // released or expired meanwhile: claim again
		case err != nil:
			return 0, "", nil, err
		case e.Digest != c.Digest:
			return 0, "", nil, fmt.Errorf("jetstream: ledger: key %s: %w", c.Key, submit.ErrKeyConflict)
		case e.State == stateDone:
			a, err := l.answer(ctx, c.Org, e.Submission)
			return 0, "", a, err
		case claim != nil && l.cfg.Clock().Sub(e.At) >= l.cfg.ClaimLease:
			rev, err := l.set(ctx, ik, claim, cur, ttl)
			if errors.Is(err, js.ErrKeyExists) {
				continue // another took it first
			}
			if err != nil {
				return 0, "", nil, fmt.Errorf("jetstream: ledger: take over idempotency key %s: %w", c.Key, err)
			}
			l.cfg.Logger.WarnContext(ctx, "jetstream: ledger: stale claim of an idempotency key taken over",
				"org", c.Org, "key", c.Key, "stale_submission", e.Submission, "claimed_at", e.At)
			return rev, e.Submission, nil, nil
		}
		// Pending at another request: wait for its answer.
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, "", nil, fmt.Errorf("jetstream: ledger: waiting for idempotency key %s: %w", c.Key, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, maxPoll)
	}
}

// claimRecords runs finish and claims the records it accepts, until
// finish accepts none another submission holds; it returns the answer.
// A record held by adopt (a stale claim of the same key and body) is
// taken over.
func (l *Ledger) claimRecords(ctx context.Context, c submit.CommitRequest, adopt string, finish submit.FinishFunc, mine map[submit.RecordKey]uint64) (*submit.LedgerAnswer, error) {
	others := map[submit.RecordKey]submit.SeenRecord{}
	seen := func(k submit.RecordKey) (submit.SeenRecord, bool) { s, ok := others[k]; return s, ok }
	for {
		r, status, resp, acc, err := finish(seen)
		if err != nil {
			return nil, err
		}
		var todo []submit.AcceptedRecord
		for _, ar := range acc {
			if _, ok := mine[ar.Key]; !ok {
				todo = append(todo, ar)
			}
		}
		held, err := l.createRecords(ctx, todo, c, adopt, mine)
		if err != nil {
			return nil, err
		}
		for _, ar := range todo {
			if s, ok := held[ar.Key]; ok {
				others[ar.Key] = s
			}
		}
		if len(held) > 0 {
			continue // finish again, with what others hold
		}
		raw, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		return &submit.LedgerAnswer{Org: c.Org, Submission: c.SubmissionID, Status: status, At: c.At.UTC(), Receipt: raw, Response: resp}, nil
	}
}

// createRecords creates s.<source>.<id> for each of recs, MaxInFlight
// at a time, and returns those another submission holds.
func (l *Ledger) createRecords(ctx context.Context, recs []submit.AcceptedRecord, c submit.CommitRequest, adopt string, mine map[submit.RecordKey]uint64) (map[submit.RecordKey]submit.SeenRecord, error) {
	type pending struct {
		i int
		f js.PubAckFuture
	}
	held := map[submit.RecordKey]submit.SeenRecord{}
	var exists []int
	var queue []pending
	var first error
	await := func() {
		p := queue[0]
		queue = queue[1:]
		select {
		case ack := <-p.f.Ok():
			mine[recs[p.i].Key] = ack.Sequence
		case err := <-p.f.Err():
			if wrongLast(err) {
				delete(mine, recs[p.i].Key) // another's, unless the look below says ours
				exists = append(exists, p.i)
			} else if first == nil {
				first = fmt.Errorf("jetstream: ledger: claim record %s: %w", recs[p.i].Key.ID, err)
			}
		}
		// Not ctx: each publish resolves within the acknowledgement
		// timeout, so that release knows what this Commit holds.
	}
	now := l.cfg.Clock()
	for i, ar := range recs {
		v := submit.EncodeSeen(ar.Seen)
		if v == nil {
			return nil, fmt.Errorf("jetstream: ledger: record %s from %s: digest %q is not sha-256", ar.Key.ID, ar.Key.Source, ar.Seen.Digest)
		}
		if ctx.Err() != nil {
			break // the rest unpublished; first is set to ctx's error below
		}
		if len(queue) == l.cfg.MaxInFlight {
			await()
		}
		m := &nats.Msg{Subject: l.pre + seenKey(ar.Key), Data: v}
		f, err := l.js.PublishMsgAsync(m, js.WithExpectLastSequencePerSubject(0), js.WithMsgTTL(ttlOf(ar.Seen.RetainUntil.Sub(now))))
		if err != nil {
			first = fmt.Errorf("jetstream: ledger: claim record %s: %w", ar.Key.ID, err)
			break
		}
		queue = append(queue, pending{i, f})
		if _, ok := mine[ar.Key]; !ok {
			mine[ar.Key] = 0 // published: release must look, should this Commit fail
		}
	}
	for len(queue) > 0 {
		await()
	}
	if first == nil {
		first = ctx.Err()
	}
	if first != nil {
		return nil, first
	}
	for _, i := range exists {
		ar := recs[i]
		e, err := l.kv.Get(ctx, seenKey(ar.Key))
		if errors.Is(err, js.ErrKeyNotFound) {
			// Expired, its marker in the way: create it over the marker.
			if r, err := l.kv.Create(ctx, seenKey(ar.Key), submit.EncodeSeen(ar.Seen), js.KeyTTL(ttlOf(ar.Seen.RetainUntil.Sub(now)))); err == nil {
				mine[ar.Key] = r
				continue
			}
			e, err = l.kv.Get(ctx, seenKey(ar.Key))
		}
		if err != nil {
			return nil, fmt.Errorf("jetstream: ledger: read record %s: %w", ar.Key.ID, err)
		}
		s := submit.DecodeSeen(e.Value())
		if adopt != "" && s.Submission == adopt && s.Org == c.Org {
			// Claimed by the stale attempt at this same batch: ours now.
			r, err := l.set(ctx, seenKey(ar.Key), submit.EncodeSeen(ar.Seen), e.Revision(), ar.Seen.RetainUntil.Sub(now))
			if err != nil {
				return nil, fmt.Errorf("jetstream: ledger: take over record %s: %w", ar.Key.ID, err)
			}
			mine[ar.Key] = r
			continue
		}
		if s.Submission == c.SubmissionID {
			mine[ar.Key] = e.Revision() // ours: a publish acknowledged twice
			continue
		}
		held[ar.Key] = s
	}
	return held, nil
}
