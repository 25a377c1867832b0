package collab

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/schema"
)

// Retention defaults of what a purge takes from the bbolt journal and
// catalog (see submit.Purger, which applies them on a schedule).
const (
	// DefaultJournalRetention is how long a journal entry keeps its
	// payload (Data); afterwards it keeps its digest and who, what and
	// when (Entry.Digest).
	DefaultJournalRetention = 2 * 365 * 24 * time.Hour
	// DefaultProductRetention is how long a catalog keeps a product after
	// its produced_at.
	DefaultProductRetention = 365 * 24 * time.Hour
)

// purgeBatch bounds the items of one write transaction of a purge, and
// so the ids one PurgeHook call is given.
const purgeBatch = 1000

// PurgeHook is told of the ids of what a purge is about to delete, one
// write transaction at a time (at most 1000 ids, sorted), before it
// deletes them. A transparency log appends them as a purge leaf here
// (submit.Purger). An error stops the purge; that transaction's items
// stay.
type PurgeHook func(ctx context.Context, ids []string) error

// CompactStats says what a Compact did to a file's size on disk.
type CompactStats struct {
	Before, After int64 // bytes
}

// WriteStats is what the write transactions of a bbolt file wrote since
// it was opened: what the store costs the disk. A page rewritten by a
// later transaction counts again, as the file system writes it again;
// the copy a Compact makes does not count.
type WriteStats struct {
	Commits uint64 `json:"commits"` // write transactions committed
	Bytes   uint64 `json:"bytes"`   // bytes they wrote: every page they allocated, and a meta page each
}

// EntryDigest returns the digest of journal entry e as its transparency
// log leaf holds it: "sha-256:<hex>" over the RFC 8785 canonical JSON of
// the entry (Seq and Data included). For an entry whose payload was
// purged it returns the digest the entry kept (Entry.Digest).
func EntryDigest(e Entry) (string, error) {
	if e.Digest != "" {
		return e.Digest, nil
	}
	raw, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("encode journal entry %d: %w", e.Seq, err)
	}
	c, err := schema.Canonical(raw)
	if err != nil {
		return "", fmt.Errorf("canonicalize journal entry %d: %w", e.Seq, err)
	}
	s := sha256.Sum256(c)
	return "sha-256:" + hex.EncodeToString(s[:]), nil
}

// PurgeData takes the payload of every entry that happened before before
// and still has one: the entry keeps its Seq, time, kind, organizations,
// ref and interaction, and its EntryDigest in Digest, so that its log
// leaf, and every proof over it, still holds; its Data is gone. It reads
// the journal in pages and writes at most 1000 entries per transaction;
// hook, if set, is given each transaction's sequence numbers (decimal)
// first. It returns how many entries lost their payload.
func (j *BoltJournal) PurgeData(ctx context.Context, before time.Time, hook PurgeHook) (int, error) {
	total := 0
	for next := uint64(1); ; {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var seqs []uint64
		done := false
		for len(seqs) < purgeBatch {
			page, err := j.page(next)
			if err != nil {
				return total, fmt.Errorf("collab: purge journal: %w", err)
			}
			for _, e := range page {
				next = e.Seq + 1
				if len(e.Data) > 0 && !e.Purged() && e.At.Before(before) {
					seqs = append(seqs, e.Seq)
				}
			}
			if len(page) < j.readPage {
				done = true
				break
			}
		}
		if len(seqs) > 0 {
			n, err := j.purgeSeqs(ctx, seqs, hook)
			total += n
			if err != nil {
				return total, err
			}
		}
		if done {
			return total, nil
		}
	}
}

// purgeSeqs replaces the entries seqs by their purged form.
func (j *BoltJournal) purgeSeqs(ctx context.Context, seqs []uint64, hook PurgeHook) (int, error) {
	if hook != nil {
		ids := make([]string, len(seqs))
		for i, s := range seqs {
			ids[i] = strconv.FormatUint(s, 10)
		}
		slices.Sort(ids)
		if err := hook(ctx, ids); err != nil {
			return 0, err
		}
	}
	n := 0
	err := j.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(journalBucket)
		for _, seq := range seqs {
			v := b.Get(seqKey(seq))
			if v == nil {
				continue
			}
			e, err := decodeEntry(seq, v)
			if err != nil {
				return err
			}
			if e.Purged() {
				continue
			}
			if e.Digest, err = EntryDigest(e); err != nil {
				return err
			}
			e.Data = nil
			raw, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if err := b.Put(seqKey(seq), raw); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err == ErrJournalClosed {
		return 0, err
	}
	if err != nil {
		return 0, fmt.Errorf("collab: purge journal: %w", err)
	}
	return n, nil
}

// PurgeProducts deletes, for good, every product produced before before,
// with its label and index entries, in write transactions of at most
// 1000 products; hook, if set, is given each transaction's product ids
// first. It returns how many went.
func (c *BoltCatalog) PurgeProducts(ctx context.Context, before time.Time, hook PurgeHook) (int, error) {
	limit := []byte(timeKey(before))
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var ids []string
		err := c.db.View(func(tx *bolt.Tx) error {
			cur := tx.Bucket(byTimeBucket).Cursor()
			for k, _ := cur.First(); k != nil && bytes.Compare(k, limit) < 0 && len(ids) < purgeBatch; k, _ = cur.Next() {
				_, id, ok := bytes.Cut(k, []byte{0})
				if !ok {
					return fmt.Errorf("collab: catalog corrupt: index %s key %q", byTimeBucket, k)
				}
				ids = append(ids, string(id))
			}
			return nil
		})
		if err != nil || len(ids) == 0 {
			if err != nil && err != ErrCatalogClosed {
				err = fmt.Errorf("collab: purge catalog: %w", err)
			}
			return total, err
		}
		slices.Sort(ids)
		if hook != nil {
			if err := hook(ctx, ids); err != nil {
				return total, err
			}
		}
		err = c.db.Update(func(tx *bolt.Tx) error {
			for _, id := range ids {
				if err := deleteProduct(tx, id); err != nil {
					return err
				}
			}
			return nil
		})
		if err == ErrCatalogClosed {
			return total, err
		}
		if err != nil {
			return total, fmt.Errorf("collab: purge catalog: %w", err)
		}
		total += len(ids)
	}
}

// deleteProduct removes product id and everything that names it.
func deleteProduct(tx *bolt.Tx, id string) error {
	products := tx.Bucket(productsBucket)
	raw := products.Get([]byte(id))
	if raw == nil {
		return nil
	}
	p, err := decodeStored(id, raw)
	if err != nil {
		return err
	}
	for bucket, keys := range indexKeys(p) {
		b := tx.Bucket([]byte(bucket))
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
	}
	succ := tx.Bucket(successorsBucket)
	if p.Supersedes != "" {
		if err := succ.Delete(successorKey(p.Supersedes, p.ID)); err != nil {
			return err
		}
	}
	prefix := successorKey(p.ID, "")
	cur := succ.Cursor()
	for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Seek(prefix) {
		if err := cur.Delete(); err != nil {
			return err
		}
	}
	if err := tx.Bucket(labelsBucket).Delete([]byte(id)); err != nil {
		return err
	}
	return products.Delete([]byte(id))
}

// Compact rewrites the journal's file with bbolt's compaction so the
// pages a purge freed go back to the file system; appends and reads wait
// while it runs.
func (j *BoltJournal) Compact(ctx context.Context) (CompactStats, error) {
	st, err := j.db.Compact(ctx)
	return CompactStats(st), err
}

// Backup writes a consistent copy of the journal to the new file path
// while appends go on (bbolt's Tx.WriteTo); see internal/boltdb.
func (j *BoltJournal) Backup(ctx context.Context, path string) (int64, error) {
	return j.db.Backup(ctx, path)
}

// Written returns what the journal's appends and purges wrote to its
// file since it was opened, also after Close.
func (j *BoltJournal) Written() WriteStats { return WriteStats(j.db.Written()) }

// Written returns what the catalog's writes wrote to its file since it
// was opened, also after Close.
func (c *BoltCatalog) Written() WriteStats { return WriteStats(c.db.Written()) }

// Compact rewrites the catalog's file as BoltJournal.Compact does.
func (c *BoltCatalog) Compact(ctx context.Context) (CompactStats, error) {
	st, err := c.db.Compact(ctx)
	return CompactStats(st), err
}

// Backup writes a consistent copy of the catalog to the new file path
// while puts go on.
func (c *BoltCatalog) Backup(ctx context.Context, path string) (int64, error) {
	return c.db.Backup(ctx, path)
}
