package boltdb

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// TestWritten: Written counts the write transactions that committed and
// at least the bytes they put in pages, in whole pages; reads, failed
// transactions, Compact and Close change nothing of it.
func TestWritten(t *testing.T) {
	closed := errors.New("closed")
	db, err := OpenDB(filepath.Join(t.TempDir(), "x.db"), Options{NoFreelistSync: true}, closed, []byte("b"))
	require.NoError(t, err)
	page := uint64(db.db.Info().PageSize)
	assert.Equal(t, WriteStats{}, db.Written(), "nothing written since open")

	value := bytes.Repeat([]byte{'v'}, 10*int(page)) // an overflow value of ten pages
	put := func(key string) error {
		return db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("b")).Put([]byte(key), value) })
	}
	require.NoError(t, put("one"))
	one := db.Written()
	assert.Equal(t, uint64(1), one.Commits)
	assert.GreaterOrEqual(t, one.Bytes, uint64(len(value))+page, "the value's pages and the meta page")
	assert.Zero(t, one.Bytes%page, "whole pages")

	require.NoError(t, db.View(func(tx *bolt.Tx) error { tx.Bucket([]byte("b")).Get([]byte("one")); return nil }))
	failed := errors.New("no")
	require.ErrorIs(t, db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket([]byte("b")).Put([]byte("two"), value); err != nil {
			return err
		}
		return failed
	}), failed)
	assert.Equal(t, one, db.Written(), "a read and a rolled-back write add nothing")

	require.NoError(t, put("two"))
	two := db.Written()
	assert.Equal(t, uint64(2), two.Commits)
	assert.GreaterOrEqual(t, two.Bytes-one.Bytes, uint64(len(value))+page)

	_, err = db.Compact(context.Background())
	require.NoError(t, err)
	assert.Equal(t, two, db.Written(), "Compact's copy is not counted, and what came before stays")
	require.NoError(t, put("three"))
	three := db.Written()
	assert.Equal(t, uint64(3), three.Commits)
	assert.GreaterOrEqual(t, three.Bytes-two.Bytes, uint64(len(value))+page, "counted on the reopened file")

	require.NoError(t, db.Close())
	assert.Equal(t, three, db.Written(), "still there after Close")
}
