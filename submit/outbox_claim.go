package submit

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// claimLimits bound one batch.
type claimLimits struct {
	records int // most records
	bytes   int // most NDJSON bytes, newlines included; the first record may exceed it up to hard
	hard    int // the hub's body limit: a record whose line exceeds it can never be sent
	line    int // the hub's MaxLineBytes (0: none)
}

// full tells whether records pending, of bytes in all (as outbox.pending
// counts them), fill a batch of lim: the test a sender makes before it
// stops lingering.
func (lim claimLimits) full(records, bytes int64) bool {
	return records >= int64(lim.records) || bytes+records >= int64(lim.bytes)
}

// claimState is what claiming changes, read under wmu before a
// transaction and stored once it commits.
type claimState struct {
	n       outboxCounts
	claimed uint64
	deadSeq uint64
	nextAt  int64
	dead    bool // records were dead-lettered: low moves, the counters are written
}

// claimReq is a sender waiting for records. The committer claims a batch
// for it in the transaction that queues enough records to fill one (see
// commit), so that batch costs no transaction of its own.
type claimReq struct {
	lim  claimLimits
	gz   bool
	b    *outBatch
	dead []DeadLetter
	err  error
	done chan struct{} // closed once the committer has claimed for it
}

// await registers a sender waiting for a full batch of lim.
func (o *outbox) await(lim claimLimits, gz bool) *claimReq {
	r := &claimReq{lim: lim, gz: gz, done: make(chan struct{})}
	o.mu.Lock()
	o.waiters = append(o.waiters, r)
	o.mu.Unlock()
	return r
}

// withdraw removes r, and reports false if the committer took it first:
// then r.done closes with its batch (or error), which the caller must
// use, since the batch is durable in flight.
func (o *outbox) withdraw(r *claimReq) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	i := slices.Index(o.waiters, r)
	if i < 0 {
		return false
	}
	o.waiters = slices.Delete(o.waiters, i, i+1)
	return true
}

// takeWaiters removes and returns the waiters that records pending, of
// bytes in all, fill a batch for, at most one batch each, oldest first.
// The caller holds wmu.
func (o *outbox) takeWaiters(pending, bytes int64) []*claimReq {
	o.mu.Lock()
	defer o.mu.Unlock()
	var took []*claimReq
	for len(o.waiters) > 0 && o.waiters[0].lim.full(pending, bytes) {
		r := o.waiters[0]
		o.waiters = o.waiters[1:]
		took = append(took, r)
		pending -= int64(r.lim.records)
		bytes -= int64(r.lim.bytes)
		if pending <= 0 {
			break
		}
	}
	return took
}

// claim forms a batch from the oldest records not in a batch and
// persists its key and members before it is sent. The caller calls
// released if records were dead-lettered. Records that can never
// be sent (over the hub's line or body limit) are moved to the dead
// letters in the same transaction; they are returned for the log.
// It returns a nil batch if nothing is pending.
func (o *outbox) claim(lim claimLimits, now time.Time, gz bool) (*outBatch, []DeadLetter, error) {
	o.wmu.Lock()
	defer o.wmu.Unlock()
	o.mu.Lock()
	st := claimState{n: o.n, claimed: o.claimed, deadSeq: o.deadSeq}
	o.mu.Unlock()
	later := len(o.later) > 0
	var b *outBatch
	var dead []DeadLetter
	var low uint64
	err := o.db.Update(func(tx *bolt.Tx) error {
		if err := o.writeLater(tx); err != nil {
			return err
		}
		var err error
		if b, dead, err = o.claimTx(tx, &st, lim, now, gz); err != nil {
			return err
		}
		if !st.dead && !later {
			return nil
		}
		low = firstSeq(tx.Bucket(bucketItems))
		return o.putCounts(tx, st.n, o.seq, st.deadSeq)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("submit: outbox: claim a batch: %w", err)
	}
	o.wroteLater()
	o.mu.Lock()
	o.claimed, o.nextAt = st.claimed, st.nextAt
	if st.dead {
		o.n.records, o.n.bytes, o.n.dead = st.n.records, st.n.bytes, st.n.dead
		o.deadSeq, o.low = st.deadSeq, low
	}
	if b != nil {
		o.n.inflight += int64(len(b.seqs))
	}
	o.mu.Unlock()
	return b, dead, nil
}

// claimTx is claim within tx, from st, which it updates (inflight aside:
// the caller adds the batch's records once tx commits). It returns a nil
// batch if nothing is pending.
func (o *outbox) claimTx(tx *bolt.Tx, st *claimState, lim claimLimits, now time.Time, gz bool) (*outBatch, []DeadLetter, error) {
	b := &outBatch{key: newKey(), created: now, gzip: gz, fresh: true}
	// Size the body for a batch of records of the average size, within
	// the batch limits, rather than grow it record by record.
	if n := st.n; n.records > 0 {
		avg := n.bytes/n.records + 1
		b.body = make([]byte, 0, min(int64(lim.bytes), avg*int64(lim.records), n.bytes+n.records))
	}
	var dead []DeadLetter
	var deadBytes int64
	items, deadB := tx.Bucket(bucketItems), tx.Bucket(bucketDead)
	var drop [][]byte
	st.nextAt = 0
	c := items.Cursor()
	for k, v := c.Seek(seqKey(st.claimed + 1)); k != nil; k, v = c.Next() {
		seq, rec := binary.BigEndian.Uint64(k), v[8:]
		size := len(rec) + 1
		if (lim.line > 0 && len(rec) > lim.line) || (lim.hard > 0 && size > lim.hard) {
			dl := DeadLetter{
				Record: slices.Clone(rec), Cause: CauseTooLarge, At: now, seq: seq,
				Detail: fmt.Sprintf("record of %d bytes is over the hub's limits (line %d, body %d bytes)", len(rec), lim.line, lim.hard),
			}
			dl.fillFromRecord()
			st.deadSeq++
			if err := putDead(deadB, st.deadSeq, &dl); err != nil {
				return nil, nil, err
			}
			dead = append(dead, dl)
			deadBytes += int64(len(rec))
			drop = append(drop, slices.Clone(k))
			st.claimed = seq
			continue
		}
		if len(b.seqs) >= lim.records || (len(b.seqs) > 0 && len(b.body)+size > lim.bytes) {
			st.nextAt = int64(binary.BigEndian.Uint64(v))
			break
		}
		b.add(seq, rec)
		st.claimed = seq
	}
	for _, k := range drop {
		if err := items.Delete(k); err != nil {
			return nil, nil, err
		}
	}
	if len(b.seqs) > 0 {
		if err := tx.Bucket(bucketInflight).Put(b.key[:], b.encode()); err != nil {
			return nil, nil, err
		}
	} else {
		b = nil
	}
	if len(dead) > 0 {
		st.dead = true
		st.n.records -= int64(len(dead))
		st.n.bytes -= deadBytes
		st.n.dead += int64(len(dead))
	}
	return b, dead, nil
}
