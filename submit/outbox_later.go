package submit

import (
	"encoding/binary"
	"fmt"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// Deletions that wait for the next write transaction: a batch the hub
// accepted whole (see outbox.complete).

// doneLater is a batch the hub accepted whole, counted out of the outbox
// but still in its file until the next write transaction.
type doneLater struct {
	key  uuid.UUID
	seqs []uint64
}

// writeLater deletes, in tx, the batches complete left for the next
// write transaction. The caller holds wmu and calls wroteLater once tx
// has committed; until then they stay waiting (a failed transaction
// deletes nothing, and a crash resends them under their keys).
func (o *outbox) writeLater(tx *bolt.Tx) error {
	if len(o.later) == 0 {
		return nil
	}
	items, in := tx.Bucket(bucketItems), tx.Bucket(bucketInflight)
	for _, d := range o.later {
		for _, s := range d.seqs {
			if err := items.Delete(seqKey(s)); err != nil {
				return err
			}
		}
		if err := in.Delete(d.key[:]); err != nil {
			return err
		}
	}
	return nil
}

// wroteLater forgets the deletions a committed transaction wrote.
func (o *outbox) wroteLater() {
	o.later = o.later[:0]
	clear(o.gone)
}

// completeLater is complete for a batch whose deletion waits for the
// next write transaction. Every member of a batch claimed by this
// process is in the file (only complete and claim delete records, under
// wmu), so the counters drop by the batch's records and bytes. The
// caller holds wmu.
func (o *outbox) completeLater(b *outBatch, counted func()) error {
	if o.gone == nil {
		o.gone = map[uint64]struct{}{}
	}
	var size int64
	for i, s := range b.seqs {
		o.gone[s] = struct{}{}
		size += int64(len(b.record(i)))
	}
	o.later = append(o.later, doneLater{key: b.key, seqs: b.seqs})
	// The lowest record still in the outbox: the first in the file that
	// no deletion waiting holds (read only; at most the waiting batches
	// are skipped).
	var low uint64
	err := o.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketItems).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if s := binary.BigEndian.Uint64(k); !o.isGone(s) {
				low = s
				break
			}
		}
		return nil
	})
	if err != nil { // the deletion still waits; the counters stay as they were
		o.later = o.later[:len(o.later)-1]
		for _, s := range b.seqs {
			delete(o.gone, s)
		}
		return fmt.Errorf("submit: outbox: complete batch %s: %w", b.key, err)
	}
	o.mu.Lock()
	o.n.records -= int64(len(b.seqs))
	o.n.bytes -= size
	o.n.inflight -= int64(len(b.seqs))
	o.low = low
	if counted != nil {
		counted()
	}
	o.mu.Unlock()
	return nil
}

// isGone tells whether seq belongs to a batch whose deletion waits.
func (o *outbox) isGone(seq uint64) bool {
	_, ok := o.gone[seq]
	return ok
}
