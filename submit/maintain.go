package submit

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/boltdb"
)

// CompactStats says what a Compact did to a file's size on disk.
type CompactStats = collab.CompactStats

// WriteStats is what a file's write transactions wrote since it was
// opened (Store.Written, Ledger.Written, ClientStats.OutboxWritten).
type WriteStats = collab.WriteStats

// PurgeDeadLetters deletes, for good, the dead letters made more than
// ClientConfig.DeadLetterRetention ago, and returns how many went. A
// Purger given the client calls it on its schedule and logs them.
func (c *Client) PurgeDeadLetters(ctx context.Context) (int, error) {
	return c.purgeDeadLetters(ctx, c.cfg.Clock().Add(-c.cfg.DeadLetterRetention), nil)
}

// purgeDeadLetters deletes the dead letters made before before, in
// transactions of at most pruneBatch; hook, if set, is given each
// transaction's record ids (the dead letter's number when it has none)
// first.
func (c *Client) purgeDeadLetters(ctx context.Context, before time.Time, hook collab.PurgeHook) (int, error) {
	if err := c.enter(); err != nil {
		return 0, err
	}
	defer c.submits.Done()
	o := c.ob
	total := 0
	after := uint64(0)
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var doomed []uint64
		var ids []string
		next := uint64(0)
		err := o.db.View(func(tx *bolt.Tx) error {
			cur := tx.Bucket(bucketDead).Cursor()
			scanned := 0
			for k, v := cur.Seek(seqKey(after + 1)); k != nil; k, v = cur.Next() {
				id := binary.BigEndian.Uint64(k)
				if scanned++; scanned > 10*pruneBatch || len(doomed) == pruneBatch {
					next = id - 1
					return nil
				}
				var dl DeadLetter
				if json.Unmarshal(v, &dl) != nil || !dl.At.Before(before) {
					continue // a damaged entry stays for the operator to see
				}
				dl.fillFromRecord()
				doomed = append(doomed, id)
				if dl.RecordID != "" {
					ids = append(ids, dl.RecordID)
				} else {
					ids = append(ids, "dead-letter:"+strconv.FormatUint(id, 10))
				}
			}
			return nil
		})
		if err != nil {
			return total, wrapPurge("dead letters", err)
		}
		if len(doomed) > 0 {
			if hook != nil {
				slices.Sort(ids)
				if err := hook(ctx, ids); err != nil {
					return total, err
				}
			}
			n, err := o.deleteDead(doomed)
			total += n
			if err != nil {
				return total, wrapPurge("dead letters", err)
			}
		}
		if next == 0 {
			return total, nil
		}
		after = next
	}
}

// deleteDead deletes the dead letters ids that are still there, with the
// counters, in one transaction.
func (o *outbox) deleteDead(ids []uint64) (int, error) {
	o.wmu.Lock()
	defer o.wmu.Unlock()
	o.mu.Lock()
	n, seq := o.n, o.seq
	o.mu.Unlock()
	gone := 0
	err := o.db.Update(func(tx *bolt.Tx) error {
		if err := o.writeLater(tx); err != nil { // with the counters, which no longer count them
			return err
		}
		dead := tx.Bucket(bucketDead)
		for _, id := range ids {
			if dead.Get(seqKey(id)) == nil {
				continue
			}
			if err := dead.Delete(seqKey(id)); err != nil {
				return err
			}
			n.dead--
			gone++
		}
		return o.putCounts(tx, n, seq, o.deadSeq)
	})
	if err != nil {
		return 0, err
	}
	o.wroteLater()
	o.mu.Lock()
	o.n = n
	o.mu.Unlock()
	return gone, nil
}

// BackupOutbox writes a consistent copy of the client's outbox (queued
// records, batches in flight, dead letters) to the new file path while
// the client runs (bbolt's Tx.WriteTo). A restored copy resends what was
// queued, under the same idempotency keys.
func (c *Client) BackupOutbox(ctx context.Context, path string) (int64, error) {
	if err := c.enter(); err != nil {
		return 0, err
	}
	defer c.submits.Done()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if bytes.Equal([]byte(c.ob.db.Path()), []byte(path)) {
		return 0, fmt.Errorf("submit: backup outbox to %s: that is the outbox itself; name a file elsewhere", path)
	}
	var n int64
	err := c.ob.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = boltdb.BackupTx(tx, path)
		return err
	})
	return n, err
}

// CompactOutbox rewrites the client's outbox file with bbolt's
// compaction, so the pages of delivered records and purged dead letters
// go back to the file system. Submit and the senders wait while it runs.
func (c *Client) CompactOutbox(ctx context.Context) (CompactStats, error) {
	if err := c.enter(); err != nil {
		return CompactStats{}, err
	}
	defer c.submits.Done()
	st, err := c.ob.db.Compact(ctx)
	return CompactStats(st), err
}

// Compact rewrites the store's file with bbolt's compaction, so the
// pages a purge freed go back to the file system. Puts and reads wait
// while it runs (a hub answers them a little later, not with an error).
func (s *Store) Compact(ctx context.Context) (CompactStats, error) {
	st, err := s.db.Compact(ctx)
	return CompactStats(st), storeErr(err)
}

// Backup writes a consistent copy of the store to the new file path from
// one read transaction while the hub goes on accepting (bbolt's
// Tx.WriteTo): every record acknowledged before Backup began is in it.
func (s *Store) Backup(ctx context.Context, path string) (int64, error) {
	n, err := s.db.Backup(ctx, path)
	return n, storeErr(err)
}

// Written returns what the store's write transactions wrote to its file
// since it was opened, also after Close. For the Store of a Ledger
// (Ledger.Store) it is the ledger's file, as Ledger.Written.
func (s *Store) Written() WriteStats { return WriteStats(s.db.Written()) }

// Written returns what the ledger's write transactions (and those of its
// Store and log, which share its file) wrote to its file since it was
// opened, also after Close.
func (l *Ledger) Written() WriteStats { return WriteStats(l.db.Written()) }

// Compact rewrites the ledger's file as Store.Compact does.
func (l *Ledger) Compact(ctx context.Context) (CompactStats, error) {
	st, err := l.db.Compact(ctx)
	return CompactStats(st), ledgerErr(err)
}

// Backup writes a consistent copy of the ledger to the new file path,
// as Store.Backup does.
func (l *Ledger) Backup(ctx context.Context, path string) (int64, error) {
	n, err := l.db.Backup(ctx, path)
	return n, ledgerErr(err)
}
