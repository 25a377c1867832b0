package boltdb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

var bucketT = []byte("t")

func fill(t *testing.T, db *DB, from, n int) {
	t.Helper()
	val := make([]byte, 1024)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		for i := from; i < from+n; i++ {
			if err := tx.Bucket(bucketT).Put(SeqKey(uint64(i)), val); err != nil {
				return err
			}
		}
		return nil
	}))
}

func count(t *testing.T, db *bolt.DB) int {
	t.Helper()
	var n int
	require.NoError(t, db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bucketT).Stats().KeyN; return nil }))
	return n
}

// TestCompactShrinks: after most keys are deleted the file keeps its
// size; Compact gives the freed pages back, keeps every key left, and the
// DB goes on working (reads and writes) on the new file.
func TestCompactShrinks(t *testing.T) {
	closed := errors.New("closed")
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := OpenDB(path, Options{NoFreelistSync: true}, closed, bucketT)
	require.NoError(t, err)
	defer db.Close()
	fill(t, db, 0, 4000)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		for i := 0; i < 3900; i++ {
			if err := tx.Bucket(bucketT).Delete(SeqKey(uint64(i))); err != nil {
				return err
			}
		}
		return nil
	}))
	full, err := db.Size()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path+CompactSuffix, []byte("a stale copy a crash left"), 0o600))

	st, err := db.Compact(context.Background())
	require.NoError(t, err)
	assert.Equal(t, full, st.Before)
	assert.Less(t, st.After, st.Before/4, "compaction gives the freed pages back")
	got, err := db.Size()
	require.NoError(t, err)
	assert.Equal(t, st.After, got)
	assert.NoFileExists(t, path+CompactSuffix)

	assert.Equal(t, 100, count(t, db.db))
	fill(t, db, 5000, 10)
	assert.Equal(t, 110, count(t, db.db))

	require.NoError(t, db.Close())
	_, err = db.Compact(context.Background())
	assert.Equal(t, closed, err)
}

// TestBackupDuringWrites: writers commit without pause while Backup runs;
// the copy opens and holds every key acknowledged before Backup began.
func TestBackupDuringWrites(t *testing.T) {
	dir := t.TempDir()
	db, err := OpenDB(filepath.Join(dir, "live.db"), Options{}, errors.New("closed"), bucketT)
	require.NoError(t, err)
	defer db.Close()
	fill(t, db, 0, 500)

	var acked atomic.Int64 // keys 0..acked-1 are committed
	acked.Store(500)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 500; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketT).Put(SeqKey(uint64(i)), []byte("v")) })
			if err != nil {
				t.Error(err)
				return
			}
			acked.Store(int64(i + 1))
		}
	}()
	before := acked.Load()
	backup := filepath.Join(dir, "backup.db")
	n, err := db.Backup(context.Background(), backup)
	close(stop)
	wg.Wait()
	require.NoError(t, err)
	assert.Positive(t, n)
	assert.NoFileExists(t, backup+".part")

	b, err := Open(backup, Options{})
	require.NoError(t, err)
	defer b.Close()
	require.NoError(t, b.View(func(tx *bolt.Tx) error {
		for i := int64(0); i < before; i++ {
			if tx.Bucket(bucketT).Get(SeqKey(uint64(i))) == nil {
				return fmt.Errorf("key %d acknowledged before the backup began is missing", i)
			}
		}
		return nil
	}))
	assert.GreaterOrEqual(t, int64(count(t, b)), before)
}

// TestBackupRefusesItself: a backup over the live file is refused.
func TestBackupRefusesItself(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.db")
	db, err := OpenDB(path, Options{}, errors.New("closed"), bucketT)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Backup(context.Background(), path)
	assert.ErrorContains(t, err, "that is the database itself")
	_, err = db.Backup(context.Background(), filepath.Join(t.TempDir(), "no", "such", "dir.db"))
	assert.Error(t, err)
}
