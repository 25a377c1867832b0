package translog

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sicollab/sicollab/internal/boltdb"
)

// TestAppendTx: a log opened in another store's file appends in that
// store's transaction. A committed append moves the checkpoint, proves
// its leaf and survives a reopen; a rolled-back one leaves neither leaf
// nor checkpoint; Append and AppendTx share the file without deadlock;
// Close leaves the owner's file open.
func TestAppendTx(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	db, err := boltdb.OpenDB(path, boltdb.Options{}, errors.New("closed"))
	require.NoError(t, err)
	defer db.Close()
	cfg := testConfig(t, "unused")
	cfg.Path = ""
	l, err := OpenIn(db, cfg)
	require.NoError(t, err)

	// Committed, with a write of the owner's own in the same transaction.
	var a Appended
	var proof tlog.RecordProof
	var done func(bool)
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("owner"))
		if err != nil {
			return err
		}
		if err := b.Put([]byte("receipt"), []byte("r1")); err != nil {
			return err
		}
		a, proof, done, err = l.AppendTx(tx, batchLeaf(0, 3))
		return err
	})
	done(err == nil)
	require.NoError(t, err)
	require.Equal(t, int64(0), a.First)
	require.Equal(t, int64(1), l.Checkpoint().Size)
	enc, err := batchLeaf(0, 3).Encode()
	require.NoError(t, err)
	require.NoError(t, tlog.CheckRecord(proof, a.Checkpoint.Size, a.Checkpoint.Hash, a.First, tlog.RecordHash(enc)))

	// Rolled back: nothing stays, the checkpoint does not move.
	boom := errors.New("the owner's commit fails")
	err = db.Update(func(tx *bolt.Tx) error {
		_, _, done, err = l.AppendTx(tx, batchLeaf(1, 2))
		require.NoError(t, err)
		return boom
	})
	done(false)
	require.ErrorIs(t, err, boom)
	require.Equal(t, int64(1), l.Checkpoint().Size)

	// Append of its own, in its own transaction of the same file.
	got := appendN(t, l, 1, 2)
	require.Equal(t, int64(1), got.First)
	require.Equal(t, int64(3), l.Checkpoint().Size)

	// A transaction of another file is refused.
	other, err := boltdb.OpenDB(filepath.Join(t.TempDir(), "other.db"), boltdb.Options{}, errors.New("closed"))
	require.NoError(t, err)
	defer other.Close()
	require.NoError(t, other.Update(func(tx *bolt.Tx) error {
		_, _, _, err := l.AppendTx(tx, batchLeaf(9, 1))
		require.ErrorContains(t, err, "not of the log's file")
		return nil
	}))

	// The owner compacts and backs up its file, not the log.
	_, err = l.Compact(t.Context())
	require.ErrorIs(t, err, errShared)
	// Close leaves the file open; a reopen finds the same checkpoint.
	cp := l.Checkpoint()
	require.NoError(t, l.Close())
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		require.Equal(t, "r1", string(tx.Bucket([]byte("owner")).Get([]byte("receipt"))))
		return nil
	}))
	l2, err := OpenIn(db, cfg)
	require.NoError(t, err)
	require.Equal(t, cp, l2.Checkpoint())
	require.NoError(t, l2.Verify(t.Context()))
}
