package boltdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// CompactTxBytes bounds the bytes Compact copies in one transaction of the
// new file, so that compacting a large file does not hold it all in one
// commit.
const CompactTxBytes = 64 << 20

// CompactSuffix ends the name of the file Compact writes beside the
// database before it takes its place. One left by a crash is removed by
// the next Compact; the database itself is never in a half-written state.
const CompactSuffix = ".compact"

// CompactStats says what one Compact did to the file's size on disk.
type CompactStats struct {
	Before, After int64 // bytes of the file before and after
}

// Compact rewrites the file with bbolt's own compaction (bolt.Compact):
// every bucket and key copied into a new file beside it, which is synced
// and then renamed over the old one, so the pages a purge freed are given
// back to the file system. The database stays open: Compact waits for the
// transactions under way, holds off new ones while it runs (they wait,
// they do not fail), and reopens the new file with the options of
// OpenDB. If the copy fails, the old file stays in use and the partial
// copy is removed. If the new file cannot be reopened after the rename,
// the DB is closed (its methods return the closed sentinel) and the error
// says so; the data is in the file, whole.
func (d *DB) Compact(ctx context.Context) (CompactStats, error) {
	var st CompactStats
	if err := ctx.Err(); err != nil {
		return st, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done {
		return st, d.closed
	}
	before, err := fileSize(d.path)
	if err != nil {
		return st, err
	}
	st.Before = before
	tmp := d.path + CompactSuffix
	if err := copyCompact(d.db, tmp, d.opts); err != nil {
		os.Remove(tmp)
		return st, fmt.Errorf("compact %s: %w; the file in use is unchanged", d.path, err)
	}
	if err := d.closeHandle(); err != nil {
		os.Remove(tmp)
		d.done = true
		return st, fmt.Errorf("compact %s: close before the swap: %w", d.path, err)
	}
	if err := os.Rename(tmp, d.path); err != nil {
		// The old file is whole: open it again.
		os.Remove(tmp)
		err = fmt.Errorf("compact %s: rename: %w; the old file stays", d.path, err)
		return st, errors.Join(err, d.reopen())
	}
	if err := syncDir(filepath.Dir(d.path)); err != nil {
		return st, errors.Join(fmt.Errorf("compact %s: sync directory: %w", d.path, err), d.reopen())
	}
	if err := d.reopen(); err != nil {
		return st, err
	}
	st.After, err = fileSize(d.path)
	return st, err
}

// reopen opens d.path again after Compact closed it; on failure d is
// marked closed.
func (d *DB) reopen() error {
	db, err := Open(d.path, d.opts)
	if err != nil {
		d.done = true
		return fmt.Errorf("reopen %s after compaction: %w; the database is closed, its data is in the file: restart the program", d.path, err)
	}
	d.db = db
	d.pages -= d.handlePages()
	return nil
}

// copyCompact writes a compacted copy of src to the new file path.
func copyCompact(src *bolt.DB, path string, opts Options) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove a stale %s: %w", path, err)
	}
	dst, err := Open(path, Options{NoFreelistSync: opts.NoFreelistSync})
	if err != nil {
		return err
	}
	if err := bolt.Compact(dst, src, CompactTxBytes); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// Size returns the size in bytes of the file on disk.
func (d *DB) Size() (int64, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.done {
		return 0, d.closed
	}
	return fileSize(d.path)
}

// Path returns the file the DB was opened at.
func (d *DB) Path() string { return d.path }

// Backup writes a consistent copy of the database to the new file path
// from one read transaction (bbolt's Tx.WriteTo), while writers go on:
// the copy holds every transaction committed before Backup began, and
// none begun after. The copy is written beside path, synced, and renamed
// into place, so path is either the whole copy or absent. It returns the
// bytes written. path must not be the database's own file.
func (d *DB) Backup(ctx context.Context, path string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if same, err := sameFile(d.path, path); err != nil {
		return 0, err
	} else if same {
		return 0, fmt.Errorf("backup to %s: that is the database itself; name a file elsewhere", path)
	}
	var n int64
	err := d.View(func(tx *bolt.Tx) error {
		var err error
		n, err = BackupTx(tx, path)
		return err
	})
	return n, err
}

// BackupTx writes the database as tx sees it to the file path, through a
// temporary file beside it that is synced and renamed into place. A
// caller holding a raw *bolt.DB uses it from db.View.
func BackupTx(tx *bolt.Tx, path string) (int64, error) {
	tmp := path + ".part"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, fmt.Errorf("backup to %s: %w", path, err)
	}
	n, err := tx.WriteTo(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("backup to %s: %w", path, err)
	}
	return n, nil
}

// WriteTo writes a consistent copy of the database to w from one read
// transaction, as Backup does, for a copy that goes elsewhere than a
// local file (a socket, an archive).
func (d *DB) WriteTo(w io.Writer) (int64, error) {
	var n int64
	err := d.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

func fileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// sameFile reports whether b names the file a (which exists); a b that
// does not exist is not a.
func sameFile(a, b string) (bool, error) {
	fb, err := os.Stat(b)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
