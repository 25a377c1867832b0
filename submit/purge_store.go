package submit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/boltdb"
	"github.com/sicollab/sicollab/schema"
)

// pruneBatch bounds the deletions of one write transaction (and so the
// ids of one purge leaf), so a large purge neither holds the writer for
// long nor holds many ids in memory.
const pruneBatch = 1000

// retainKey is the value of an entry of the retention index:
// retain_until \x00 ref, where ref names the record (indexRef).
// Values compare as the times do, so a purge compares them with now.
func retainKey(at time.Time, rec []byte) []byte {
	k := make([]byte, 0, len(sortableTime)+1+len(rec))
	k = boltdb.AppendTime(k, at)
	return append(append(k, 0), rec...)
}

// retainSpan is the width of the spans of retain_until that begin the
// retention index's keys: UTC weeks (from Monday). A batch's records
// collected over a few weeks touch a leaf per week; a purge reads past
// the entries of the current week that are not yet due.
const retainSpan = 7 * 24 * time.Hour

// retainIndexKey is the key of the retention index: the start of the
// span of at (in TimeKeyLayout), then seq, the arrival sequence of the
// record's body. The keys of one span sort by arrival, so a batch
// appends to the span's last leaf instead of landing among other
// senders' records.
func retainIndexKey(at time.Time, seq uint64) []byte {
	k := make([]byte, 0, len(sortableTime)+8)
	k = boltdb.AppendTime(k, at.UTC().Truncate(retainSpan))
	return append(k, boltdb.SeqKey(seq)...)
}

// buildRetainIndex makes the retention index of a store file from before
// it existed, once, and drops the index of before (by_retain): a file
// that has the bucket is left alone. A record whose bytes are in bodies
// is keyed by its body's sequence; one kept whole in the records index (files
// from before bodies) by a sequence drawn from bodies, which no body
// then takes.
func buildRetainIndex(tx *bolt.Tx) error {
	if tx.Bucket(bucketByRetain) != nil {
		return nil
	}
	if tx.Bucket(bucketByRetainOld) != nil {
		if err := tx.DeleteBucket(bucketByRetainOld); err != nil {
			return err
		}
	}
	idx, err := tx.CreateBucket(bucketByRetain)
	if err != nil {
		return err
	}
	bodies, r := tx.Bucket(bucketBodies), newBodyReader(tx)
	return tx.Bucket(bucketRecords).ForEach(func(k, v []byte) error {
		var head struct {
			RetainUntil time.Time `json:"retain_until"`
		}
		b, err := r.bytes(v)
		if err != nil {
			return fmt.Errorf("record %q: %w", k, err)
		}
		if err := json.Unmarshal(b, &head); err != nil {
			return fmt.Errorf("record %q: %w", k, err)
		}
		seq, ok := uint64(0), false
		if len(v) > 0 && v[0] == bodyRefMark {
			seq, ok = boltdb.Seq(v[1:])
		}
		if !ok {
			if seq, err = bodies.NextSequence(); err != nil {
				return err
			}
		}
		return idx.Put(retainIndexKey(head.RetainUntil, seq), retainKey(head.RetainUntil, recordKeyOf(k)))
	})
}

// PurgeRecords deletes, for good, every record whose retain_until is not
// after now (the hub refuses such a record on arrival, so none comes
// back), with its index entries. It walks the retention index in write
// transactions of at most 1000 records and returns how many went. A
// Purger calls it and logs each transaction's ids as a leaf first.
func (s *Store) PurgeRecords(ctx context.Context, now time.Time) (int, error) {
	return s.purge(ctx, now, nil)
}

// purge is PurgeRecords; hook, if set, is given each transaction's
// record ids (sorted) before they are deleted, and an error from it
// stops the purge with nothing of that transaction deleted.
func (s *Store) purge(ctx context.Context, now time.Time, hook collab.PurgeHook) (int, error) {
	limit := append(boltdb.AppendTime(nil, now), 1)                                 // values of retain_until <= now sort below
	spans := boltdb.AppendTime(nil, now.UTC().Truncate(retainSpan).Add(retainSpan)) // keys of the spans up to now's sort below
	var from []byte                                                                 // the last key taken: those before are gone or not due
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var keys, recKeys [][]byte // the index's keys, the records' keys
		var envs []schema.Envelope
		err := s.db.View(func(tx *bolt.Tx) error {
			recs, r := tx.Bucket(bucketRecords), newBodyReader(tx)
			c := tx.Bucket(bucketByRetain).Cursor()
			k, rk := c.First()
			if from != nil {
				k, rk = c.Seek(from)
			}
			for ; k != nil && bytes.Compare(k, spans) < 0 && len(keys) < pruneBatch; k, rk = c.Next() {
				if bytes.Compare(rk, limit) >= 0 || len(rk) <= len(sortableTime) {
					continue // due later in now's span (a shorter value cannot be stored)
				}
				var env schema.Envelope
				v, err := r.bytes(recs.Get(recordKeyOf(rk[len(sortableTime)+1:])))
				if err != nil {
					return fmt.Errorf("read %q: %w", k, err)
				}
				if v != nil {
					if err := json.Unmarshal(v, &env); err != nil {
						return fmt.Errorf("decode %q: %w", k, err)
					}
				}
				keys, recKeys, envs = append(keys, bytes.Clone(k)), append(recKeys, bytes.Clone(rk[len(sortableTime)+1:])), append(envs, env)
			}
			return nil
		})
		if err != nil || len(keys) == 0 {
			return total, wrapPurge("store", storeErr(err))
		}
		if hook != nil {
			ids := make([]string, 0, len(envs))
			for i := range envs {
				if envs[i].ID != "" { // else a stale index entry, deleted with the rest
					ids = append(ids, envs[i].ID)
				}
			}
			if len(ids) > 0 { // else only stale index entries: nothing to log
				if err := hook(ctx, sortedIDs(ids)); err != nil {
					return total, err
				}
			}
		}
		err = s.db.Update(func(tx *bolt.Tx) error {
			recs, byKind, sup, byRetain := tx.Bucket(bucketRecords), tx.Bucket(bucketByKind), tx.Bucket(bucketSuper), tx.Bucket(bucketByRetain)
			eraser := newBodyEraser(tx)
			for i, k := range keys {
				rec, e := recKeys[i], &envs[i]
				if e.ID != "" {
					if err := byKind.Delete(kindKey(e.Kind, e.Source, e.CollectedAt, e.ID)); err != nil {
						return err
					}
					if err := sup.Delete(orgKey(e.Source, e.ID)); err != nil {
						return err
					}
					if e.Supersedes != "" && string(sup.Get(orgKey(e.Source, e.Supersedes))) == e.ID {
						if err := sup.Delete(orgKey(e.Source, e.Supersedes)); err != nil {
							return err
						}
					}
				}
				rk := recordKeyOf(rec)
				if err := eraser.erase(recs.Get(rk)); err != nil {
					return err
				}
				if err := recs.Delete(rk); err != nil {
					return err
				}
				if err := byRetain.Delete(k); err != nil {
					return err
				}
			}
			return eraser.flush()
		})
		if err != nil {
			return total, wrapPurge("store", storeErr(err))
		}
		total += len(keys)
		from = keys[len(keys)-1]
	}
}

func wrapPurge(store string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("submit: purge %s: %w", store, err)
}

// sortedIDs sorts ids in place, as translog.DigestIDs wants them.
func sortedIDs(ids []string) []string {
	slices.Sort(ids)
	return ids
}

// PruneStats says what one Prune removed.
type PruneStats struct {
	Receipts int // receipts, with their idempotency keys
	Records  int // accepted record ids whose retain_until passed
}

// Prune deletes the receipts (and their idempotency keys) made before
// receivedBefore, and the accepted record ids whose retain_until is not
// after now. A record whose retain_until passed is refused as expired,
// so forgetting its id lets nothing in twice. Receipts are found through
// their time index; record ids by a scan of the ids, in write
// transactions of at most 1000 deletions, so a hub pays nothing per
// record for their expiry when it accepts them.
func (l *Ledger) Prune(ctx context.Context, receivedBefore, now time.Time) (PruneStats, error) {
	return l.prune(ctx, receivedBefore, now, nil, nil)
}

// prune is Prune; receipts and records, if set, are given each
// transaction's submission ids, and record ids, (sorted) before they are
// deleted; an error from either stops the prune with nothing of that
// transaction deleted.
func (l *Ledger) prune(ctx context.Context, receivedBefore, now time.Time, receipts, records collab.PurgeHook) (PruneStats, error) {
	var st PruneStats
	limit := receivedBefore.UTC().AppendFormat(nil, sortableTime)
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		var doomed [][]byte // keys of bucketReceived
		var ids []string
		err := l.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketReceived).Cursor()
			for k, _ := c.First(); k != nil && bytes.Compare(k, limit) < 0 && len(doomed) < pruneBatch; k, _ = c.Next() {
				_, rest, _ := bytes.Cut(k, []byte{0})
				_, sub, _ := bytes.Cut(rest, []byte{0})
				doomed, ids = append(doomed, bytes.Clone(k)), append(ids, string(sub))
			}
			return nil
		})
		if err != nil || len(doomed) == 0 {
			if err != nil {
				return st, fmt.Errorf("submit: ledger: prune: %w", ledgerErr(err))
			}
			break
		}
		if receipts != nil {
			if err := receipts(ctx, sortedIDs(ids)); err != nil {
				return st, err
			}
		}
		err = l.db.Update(func(tx *bolt.Tx) error {
			recv, recs, keys := tx.Bucket(bucketReceived), tx.Bucket(bucketReceipts), tx.Bucket(bucketIdempotency)
			for _, k := range doomed {
				key := recv.Get(k)
				if key == nil {
					continue // gone meanwhile
				}
				_, rest, _ := bytes.Cut(k, []byte{0})
				org, sub, _ := bytes.Cut(rest, []byte{0})
				if err := recs.Delete(orgKey(string(org), string(sub))); err != nil {
					return err
				}
				ik := orgKey(string(org), string(key))
				if iv := keys.Get(ik); iv != nil && bytes.HasSuffix(iv, append([]byte{0}, sub...)) {
					if err := keys.Delete(ik); err != nil {
						return err
					}
				}
				if err := recv.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return st, fmt.Errorf("submit: ledger: prune: %w", ledgerErr(err))
		}
		st.Receipts += len(doomed)
	}
	var after []byte
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		var doomed [][]byte
		var next []byte
		err := l.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketSeen).Cursor()
			k, v := c.First()
			if after != nil {
				k, v = c.Seek(after)
				if bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			for scanned := 0; k != nil; k, v = c.Next() {
				if len(v) >= seenFixed && int64(binary.BigEndian.Uint64(v[1+sha256.Size:])) <= now.Unix() {
					doomed = append(doomed, bytes.Clone(k))
				}
				if scanned++; scanned == 10*pruneBatch || len(doomed) == pruneBatch {
					next = bytes.Clone(k)
					return nil
				}
			}
			return nil
		})
		if err == nil && len(doomed) > 0 && records != nil {
			ids := make([]string, len(doomed))
			for i, k := range doomed {
				_, id, _ := bytes.Cut(k, []byte{0}) // source \x00 record id
				ids[i] = string(id)
			}
			if err := records(ctx, sortedIDs(ids)); err != nil {
				return st, err
			}
		}
		if err == nil && len(doomed) > 0 {
			err = l.db.Update(func(tx *bolt.Tx) error {
				b := tx.Bucket(bucketSeen)
				for _, k := range doomed {
					if err := b.Delete(k); err != nil {
						return err
					}
				}
				return nil
			})
		}
		if err != nil {
			return st, fmt.Errorf("submit: ledger: prune: %w", ledgerErr(err))
		}
		st.Records += len(doomed)
		if next == nil {
			return st, nil
		}
		after = next
	}
}
