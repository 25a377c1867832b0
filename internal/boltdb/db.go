package boltdb

import (
	"fmt"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// DB is an open bbolt file whose transactions and Close are ordered: Close
// waits for the transactions under way, and every View or Update begun
// after it returns the owner's closed sentinel rather than bbolt's error.
// Closing twice is not an error. A DB is safe for concurrent use.
type DB struct {
	db     *bolt.DB
	closed error
	path   string  // the file, for Compact
	opts   Options // how it was opened, for Compact's reopen

	mu   sync.RWMutex // held for reading by each transaction, for writing by Close
	done bool

	// What the write transactions wrote (Written): commits counts those
	// Update and Batch committed; pages, added to the current handle's
	// page bytes, gives theirs: it holds those of handles closed before
	// (Compact reopens the file) less what each handle wrote before it
	// was ours (Open's buckets). Guarded by mu, written with it held for
	// writing.
	commits  atomic.Uint64
	pageSize uint64
	pages    int64

	// batchTx is the last write transaction in which a Batch call
	// succeeded, so that the transaction's commit is counted once however
	// many calls share it. Only read and written inside bbolt's write
	// transactions, which its writer lock orders.
	batchTx *bolt.Tx
}

// OpenDB opens the file as Open does and returns it as a DB whose methods
// return closed after Close.
func OpenDB(path string, opts Options, closed error, buckets ...[]byte) (*DB, error) {
	db, err := Open(path, opts, buckets...)
	if err != nil {
		return nil, err
	}
	d := &DB{db: db, closed: closed, path: path, opts: opts, pageSize: uint64(db.Info().PageSize)}
	d.pages = -d.handlePages()
	return d, nil
}

// handlePages is the page bytes the current bbolt handle's write
// transactions allocated.
func (d *DB) handlePages() int64 {
	st := d.db.Stats()
	return int64(st.TxStats.GetPageAlloc())
}

// Owns reports whether db is the file d holds. Call it inside a
// transaction of d (Compact may change the file otherwise).
func (d *DB) Owns(db *bolt.DB) bool { return d.db == db }

// View runs fn in a read transaction, or returns the closed sentinel.
func (d *DB) View(fn func(*bolt.Tx) error) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.done {
		return d.closed
	}
	return d.db.View(fn)
}

// Update runs fn in a read-write transaction, durable when it returns nil,
// or returns the closed sentinel.
func (d *DB) Update(fn func(*bolt.Tx) error) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.done {
		return d.closed
	}
	err := d.db.Update(fn)
	if err == nil {
		d.commits.Add(1)
	}
	return err
}

// Batch runs fn in a read-write transaction that concurrent Batch calls
// may share, with one sync for all (bbolt's DB.Batch), or returns the
// closed sentinel. It returns once that transaction has committed, and
// nil only then: a nil return is as durable as Update's. The first call
// of a batch waits Options.MaxBatchDelay for others before the batch
// commits, or less once it holds Options.MaxBatchSize calls; a lone
// caller pays that wait, so Batch is for calls that arrive together.
//
// fn may run more than once, in a new transaction each time, so it must
// take what it writes from tx alone and leave outside tx only what its
// next run overwrites: when one call of a batch fails or panics, the
// transaction is rolled back, the others run again without it, and it
// runs again alone (a panic then reaches its caller), so that its error
// reaches its caller only. Close waits for the batches under way.
func (d *DB) Batch(fn func(*bolt.Tx) error) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.done {
		return d.closed
	}
	return d.db.Batch(func(tx *bolt.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if d.batchTx != tx {
			// The first call of this transaction to succeed counts its
			// commit, if it commits; one rolled back calls nothing.
			d.batchTx = tx
			tx.OnCommit(func() { d.commits.Add(1) })
		}
		return nil
	})
}

// WriteStats is what a file's write transactions wrote since it was
// opened.
type WriteStats struct {
	Commits uint64 // write transactions committed
	Bytes   uint64 // bytes they wrote: every page each allocated (bbolt's TxStats.PageAlloc) and its meta page
}

// Written returns what the write transactions committed through Update
// and Batch wrote since OpenDB, also after Close. A page rewritten in a later
// commit counts again, as the file system writes it again; the copy a
// Compact makes does not count.
func (d *DB) Written() WriteStats {
	d.mu.RLock()
	defer d.mu.RUnlock()
	n := d.commits.Load()
	pages := d.pages
	if !d.done {
		pages += d.handlePages()
	}
	return WriteStats{Commits: n, Bytes: uint64(max(pages, 0)) + n*d.pageSize}
}

// closeHandle closes the bbolt handle, keeping the page bytes it wrote
// for Written. The caller holds mu for writing.
func (d *DB) closeHandle() error {
	d.pages += d.handlePages()
	return d.db.Close()
}

// Release drops the pages of the file this process has read through
// bbolt's map from its resident set (on Linux; elsewhere it does
// nothing). They stay in the OS page cache and are faulted back in from
// there when read again; no data changes. A long read that calls it
// between pages keeps the process's resident memory bounded by what it
// reads between calls, not by the size of the file.
func (d *DB) Release() error {
	return d.View(func(tx *bolt.Tx) error {
		// The map cannot move while a transaction is open, and it is at
		// least as long as the file.
		if err := release(d.db.Info().Data, int(tx.Size())); err != nil {
			return fmt.Errorf("boltdb: release %s: %w", d.path, err)
		}
		return nil
	})
}

// Close closes the file once the transactions under way have ended.
func (d *DB) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done {
		return nil
	}
	d.done = true
	return d.closeHandle()
}

// Stats returns bbolt's statistics of the open file (a zero value after
// Close).
func (d *DB) Stats() bolt.Stats {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.done {
		return bolt.Stats{}
	}
	return d.db.Stats()
}
