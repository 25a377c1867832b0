package boltdb

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// batchDB opens a DB whose batches commit when they hold size calls: the
// delay is far longer than any test, so a batch never starts early and
// the calls of a test share one transaction whatever the machine's speed.
func batchDB(t *testing.T, size int) *DB {
	t.Helper()
	db, err := OpenDB(filepath.Join(t.TempDir(), "x.db"), Options{MaxBatchDelay: time.Hour, MaxBatchSize: size}, errors.New("closed"), []byte("b"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// putNext stores id under the bucket's next sequence and reports the
// sequence through seq; run again, it overwrites seq.
func putNext(id string, seq *uint64) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("b"))
		s, err := b.NextSequence()
		if err != nil {
			return err
		}
		*seq = s
		return b.Put(SeqKey(s), []byte(id))
	}
}

// stored reads the bucket back: sequence to value.
func stored(t *testing.T, db *DB) map[uint64]string {
	t.Helper()
	got := map[uint64]string{}
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("b")).ForEach(func(k, v []byte) error {
			s, ok := Seq(k)
			if !ok {
				return fmt.Errorf("key %x", k)
			}
			got[s] = string(v)
			return nil
		})
	}))
	return got
}

// TestBatchGathers: concurrent Batch calls share one commit, each sees
// the writes of those before it in the transaction, and each returns
// once the commit is done.
func TestBatchGathers(t *testing.T) {
	const n = 16
	db := batchDB(t, n)
	seqs := make([]uint64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { assert.NoError(t, db.Batch(putNext(fmt.Sprint("call-", i), &seqs[i]))) })
	}
	wg.Wait()

	w := db.Written()
	assert.Equal(t, uint64(1), w.Commits, "one transaction for all")
	assert.GreaterOrEqual(t, w.Bytes, 2*db.pageSize, "its leaf and its meta page")
	got := stored(t, db)
	require.Len(t, got, n)
	for i, s := range seqs {
		assert.Equal(t, fmt.Sprint("call-", i), got[s], "call %d returned the sequence it stored", i)
	}
	for s := uint64(1); s <= n; s++ {
		assert.Contains(t, got, s, "sequences 1..%d without a gap", n)
	}
}

// TestBatchFailsAlone: a call that fails in a batch gets its own error,
// after running once in the batch and once alone, and writes nothing; the
// others run again without it and commit together, as if it had never
// been there.
func TestBatchFailsAlone(t *testing.T) {
	const n = 8
	db := batchDB(t, n)
	mine := errors.New("mine")
	runs := make([]atomic.Int32, n)
	errs := make([]error, n)
	seqs := make([]uint64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			put := putNext(fmt.Sprint("call-", i), &seqs[i])
			errs[i] = db.Batch(func(tx *bolt.Tx) error {
				runs[i].Add(1)
				if err := put(tx); err != nil {
					return err
				}
				if i == 3 {
					return mine // after its write, which must be undone
				}
				return nil
			})
		})
	}
	wg.Wait()

	for i, err := range errs {
		if i == 3 {
			assert.Equal(t, mine, err, "its own error, not wrapped by another call's")
			continue
		}
		assert.NoError(t, err, "call %d", i)
	}
	for i := range runs {
		if i == 3 {
			assert.Equal(t, int32(2), runs[i].Load(), "in the batch, then alone")
			continue
		}
		// Those the batch ran before the failing call ran again.
		assert.Contains(t, []int32{1, 2}, runs[i].Load(), "call %d", i)
	}
	assert.Equal(t, uint64(1), db.Written().Commits, "the batch without it; its own run rolled back")
	got := stored(t, db)
	require.Len(t, got, n-1)
	for i, s := range seqs {
		if i != 3 {
			assert.Equal(t, fmt.Sprint("call-", i), got[s], "call %d", i)
		}
	}
	for s := uint64(1); s < n; s++ {
		assert.Contains(t, got, s, "no sequence lost to the failed call")
	}
}

// TestBatchClosed: after Close, Batch returns the owner's sentinel; the
// batch options outlive a Compact.
func TestBatchClosed(t *testing.T) {
	mine := errors.New("mine: closed")
	db, err := OpenDB(filepath.Join(t.TempDir(), "x.db"), Options{MaxBatchDelay: time.Millisecond, MaxBatchSize: 3}, mine, []byte("b"))
	require.NoError(t, err)
	var seq uint64
	require.NoError(t, db.Batch(putNext("lone", &seq)), "a lone call commits after the delay")
	assert.Equal(t, uint64(1), seq)
	assert.Equal(t, uint64(1), db.Written().Commits)

	_, err = db.Compact(context.Background())
	require.NoError(t, err)
	assert.Equal(t, time.Millisecond, db.db.MaxBatchDelay, "reopened with the same options")
	assert.Equal(t, 3, db.db.MaxBatchSize)

	require.NoError(t, db.Close())
	assert.Equal(t, mine, db.Batch(putNext("late", &seq)))
	assert.Equal(t, uint64(1), db.Written().Commits)
}
