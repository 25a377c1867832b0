package collab

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/internal/boltdb"
)

// Defaults of the bbolt-backed journal and catalog.
const (
	// DefaultLockTimeout is how long OpenBoltJournal and OpenBoltCatalog
	// wait for the file lock another process (or another open in this
	// one) holds, before they fail.
	DefaultLockTimeout = boltdb.DefaultLockTimeout
	// DefaultReadPage is how many entries BoltJournal.Entries reads in one
	// read transaction.
	DefaultReadPage = 256
	// MaxReadPage is the largest read page WithReadPage accepts.
	MaxReadPage = 100_000
	// DefaultAppendWindow is how long an Append of BoltJournal that
	// finds another under way waits for more to share its commit (see
	// WithAppendWindow).
	DefaultAppendWindow = 2 * time.Millisecond
	// MaxAppendWindow is the longest window WithAppendWindow accepts.
	MaxAppendWindow = time.Second
)

// ErrInvalidBoltOption is wrapped by the error of a BoltOption whose value
// is out of range, and so by that of the open given it.
var ErrInvalidBoltOption = errors.New("collab: invalid bolt option")

// BoltOption configures OpenBoltJournal and OpenBoltCatalog. An option
// fails, and the open with it, when its value is out of range.
type BoltOption func(*boltConfig) error

type boltConfig struct {
	lockTimeout time.Duration
	readPage    int
	window      time.Duration
	windowSet   bool // window was given, 0 included
	batchMax    int  // calls a batch commits at once; 0 is bbolt's 1000 (tests set it)
}

// WithLockTimeout sets how long to wait for the file lock; it must be
// positive. The default is DefaultLockTimeout.
func WithLockTimeout(d time.Duration) BoltOption {
	return func(c *boltConfig) error {
		if d <= 0 {
			return fmt.Errorf("%w: lock timeout %v: must be positive", ErrInvalidBoltOption, d)
		}
		c.lockTimeout = d
		return nil
	}
}

// WithReadPage sets how many entries BoltJournal.Entries reads in one read
// transaction, from 1 to MaxReadPage; the default is DefaultReadPage.
// OpenBoltCatalog does not scan in pages and ignores it.
func WithReadPage(n int) BoltOption {
	return func(c *boltConfig) error {
		if n < 1 || n > MaxReadPage {
			return fmt.Errorf("%w: read page %d: must be 1-%d", ErrInvalidBoltOption, n, MaxReadPage)
		}
		c.readPage = n
		return nil
	}
}

// WithAppendWindow sets how long an Append of BoltJournal that finds
// another Append under way waits for more to join it, from 0 to
// MaxAppendWindow; the default is DefaultAppendWindow. The Appends
// gathered share one transaction and one sync to disk, and each returns
// once it has committed. An Append that finds none under way commits at
// once and pays no window, so a caller appending one entry after another
// is not slowed; 0 commits every Append alone. OpenBoltCatalog ignores it.
func WithAppendWindow(d time.Duration) BoltOption {
	return func(c *boltConfig) error {
		if d < 0 || d > MaxAppendWindow {
			return fmt.Errorf("%w: append window %v: must be 0-%v", ErrInvalidBoltOption, d, MaxAppendWindow)
		}
		c.window, c.windowSet = d, true
		return nil
	}
}

// openBolt applies the options (then the defaults) and opens the file
// with its buckets. A file another process holds is an error wrapping
// bbolt.ErrTimeout that says so.
func openBolt(path string, opts []BoltOption, closed error, buckets ...[]byte) (*boltdb.DB, boltConfig, error) {
	var c boltConfig
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, c, err
		}
	}
	if c.lockTimeout == 0 {
		c.lockTimeout = DefaultLockTimeout
	}
	if c.readPage == 0 {
		c.readPage = DefaultReadPage
	}
	if !c.windowSet {
		c.window = DefaultAppendWindow
	}
	bo := boltdb.Options{LockTimeout: c.lockTimeout, MaxBatchDelay: c.window, MaxBatchSize: c.batchMax}
	db, err := boltdb.OpenDB(path, bo, closed, buckets...)
	if err != nil {
		return nil, c, fmt.Errorf("collab: open %s: %w", path, err)
	}
	return db, c, nil
}

var journalBucket = []byte("journal")

// seqKey is the big-endian key of a seq, so that keys sort as seqs do.
func seqKey(seq uint64) []byte { return boltdb.SeqKey(seq) }

// BoltJournal is a durable Journal in one bbolt file: one bucket, the key
// of an entry its Seq as 8 big-endian bytes, the value the entry as JSON.
// It is safe for concurrent use; the file is locked against other
// processes while it is open.
//
// Append writes in an update transaction, which bbolt syncs to disk
// before it commits: an entry Append returned is on disk. Appends that
// run at the same time share a transaction and its sync
// (WithAppendWindow), their entries numbered in the order the
// transaction writes them. Entries reads in pages of WithReadPage
// entries, one short read transaction per page, and yields outside the
// transaction, so a long or slow scan neither holds a transaction open
// (which would keep bbolt from reusing freed pages and growing its
// memory map) nor blocks writers; entries appended during the scan are
// seen.
type BoltJournal struct {
	db       *boltdb.DB // its transactions end before Close
	readPage int
	gather   bool         // the window is not 0: Appends under way together use db.Batch
	running  atomic.Int64 // Appends under way
}

var _ Journal = (*BoltJournal)(nil)

// OpenBoltJournal opens, or creates, the journal in the bbolt file at
// path. Appends continue the Seq of what the file holds.
func OpenBoltJournal(path string, opts ...BoltOption) (*BoltJournal, error) {
	db, c, err := openBolt(path, opts, ErrJournalClosed, journalBucket)
	if err != nil {
		return nil, err
	}
	return &BoltJournal{db: db, readPage: c.readPage, gather: c.window > 0}, nil
}

// Append validates e, assigns it the next Seq and writes it, durably,
// before it returns. The Seq of e is ignored. It returns an error wrapping
// ErrInvalidEntry for an invalid entry (which takes no Seq and never
// joins other Appends' transaction), ErrJournalClosed after Close, and
// ctx.Err() if ctx is done before the write starts (a write under way,
// or waiting in a window for others, is not interrupted). An Append that
// fails in a transaction shared with others fails alone: the others
// commit without it.
func (j *BoltJournal) Append(ctx context.Context, e Entry) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := validateEntry(e); err != nil {
		return 0, err
	}
	e = normalizeEntry(e)
	// put may run more than once (boltdb.DB.Batch): each run numbers and
	// encodes e afresh from the transaction it is given.
	put := func(tx *bolt.Tx) error {
		b := tx.Bucket(journalBucket)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		key := seqKey(seq)
		if b.Get(key) != nil {
			// The bucket's sequence is behind its keys: never overwrite.
			return &CorruptEntryError{Seq: seq, Err: errors.New("already stored; the journal's sequence is behind its entries")}
		}
		e.Seq = seq
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		return b.Put(key, v)
	}
	var err error
	if alone := j.running.Add(1) == 1; alone || !j.gather {
		err = j.db.Update(put)
	} else {
		err = j.db.Batch(put)
	}
	j.running.Add(-1)
	if err == ErrJournalClosed {
		return 0, err
	}
	if err != nil {
		return 0, fmt.Errorf("collab: journal append: %w", err)
	}
	return e.Seq, nil
}

// Entries yields the entries with Seq >= from (from 0 reads from the
// start) in Seq order, reading them in pages (see BoltJournal). A stored
// entry that cannot be read back is yielded as a *CorruptEntryError
// naming its seq, and the iteration stops there. It yields
// ErrJournalClosed if the journal is or becomes closed, and ctx.Err() when
// ctx is done, then stops.
func (j *BoltJournal) Entries(ctx context.Context, from uint64) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		next := max(from, 1)
		for {
			if err := ctx.Err(); err != nil {
				yield(Entry{}, err)
				return
			}
			page, err := j.page(next)
			for _, e := range page {
				if cerr := ctx.Err(); cerr != nil {
					yield(Entry{}, cerr)
					return
				}
				if !yield(e, nil) {
					return
				}
				next = e.Seq + 1
			}
			if err != nil {
				yield(Entry{}, err)
				return
			}
			if len(page) < j.readPage {
				return
			}
		}
	}
}

// page reads up to readPage entries from seq next on, in one read
// transaction. It returns the entries read before a corrupt one and the
// error about it.
func (j *BoltJournal) page(next uint64) ([]Entry, error) {
	var out []Entry
	err := j.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(journalBucket).Cursor()
		want := next
		for k, v := c.Seek(seqKey(next)); k != nil && len(out) < j.readPage; k, v = c.Next() {
			if len(k) != 8 {
				return &CorruptEntryError{Seq: want, Err: fmt.Errorf("key %s is not 8 bytes", hex.EncodeToString(k))}
			}
			seq := binary.BigEndian.Uint64(k)
			if seq != want {
				return &CorruptEntryError{Seq: want, Err: fmt.Errorf("missing; the next stored entry is %d", seq)}
			}
			e, err := decodeEntry(seq, v)
			if err != nil {
				return err
			}
			out = append(out, e)
			want++
		}
		return nil
	})
	return out, err
}

// decodeEntry reads back the value stored under seq.
func decodeEntry(seq uint64, v []byte) (Entry, error) {
	var e Entry
	if err := json.Unmarshal(v, &e); err != nil {
		return Entry{}, &CorruptEntryError{Seq: seq, Err: fmt.Errorf("value is not a JSON entry: %w", err)}
	}
	if e.Seq != seq {
		return Entry{}, &CorruptEntryError{Seq: seq, Err: fmt.Errorf("value says seq %d", e.Seq)}
	}
	if err := validateEntry(e); err != nil {
		return Entry{}, &CorruptEntryError{Seq: seq, Err: err}
	}
	return e, nil
}

// Close closes the file after the transactions under way end: Append and
// Entries return ErrJournalClosed from then on. Closing twice is not an
// error.
func (j *BoltJournal) Close() error {
	if err := j.db.Close(); err != nil {
		return fmt.Errorf("collab: close journal: %w", err)
	}
	return nil
}
