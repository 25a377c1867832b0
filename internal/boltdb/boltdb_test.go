package boltdb

import (
	"errors"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// TestOpenLocked: a second open of a file held open fails, after the lock
// timeout, with an error wrapping ErrLocked and bbolt's timeout, naming
// the file; the buckets of the first open exist.
func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := Open(path, Options{NoFreelistSync: true}, []byte("a"), []byte("b"))
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		for _, b := range []string{"a", "b"} {
			if tx.Bucket([]byte(b)) == nil {
				return errors.New("no bucket " + b)
			}
		}
		return nil
	}))

	_, err = Open(path, Options{LockTimeout: 10 * time.Millisecond})
	require.ErrorIs(t, err, ErrLocked)
	require.ErrorIs(t, err, bolt.ErrTimeout)
	assert.ErrorContains(t, err, path)
	assert.ErrorContains(t, err, "stop the other process")
}

func TestClosed(t *testing.T) {
	mine := errors.New("mine: closed")
	db, err := Open(filepath.Join(t.TempDir(), "x.db"), Options{}, []byte("a"))
	require.NoError(t, err)
	require.NoError(t, db.Close())
	err = db.View(func(*bolt.Tx) error { return nil })
	assert.Equal(t, mine, Closed(err, mine))
	other := errors.New("other")
	assert.Equal(t, other, Closed(other, mine))
	assert.NoError(t, Closed(nil, mine))
}

func TestKeysSortAsValues(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 3, 1, 8, 0, 0, 500, time.UTC),
		time.Date(2026, 3, 1, 8, 0, 0, 0, time.FixedZone("x", 3600)),
		time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
		time.Date(999, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	var keys []string
	for _, at := range times {
		keys = append(keys, TimeKey(at))
		assert.Equal(t, TimeKey(at), string(AppendTime(nil, at)))
	}
	sort.Strings(keys)
	for i := 1; i < len(keys); i++ {
		a, _ := time.Parse(TimeKeyLayout, keys[i-1])
		b, _ := time.Parse(TimeKeyLayout, keys[i])
		assert.False(t, b.Before(a), "%s sorts before %s", keys[i-1], keys[i])
	}
	for _, n := range []uint64{0, 1, 255, 256, 1 << 40} {
		got, ok := Seq(SeqKey(n))
		assert.True(t, ok)
		assert.Equal(t, n, got)
	}
	assert.Less(t, string(SeqKey(255)), string(SeqKey(256)))
	_, ok := Seq([]byte{1})
	assert.False(t, ok)
}

func TestLimit(t *testing.T) {
	n, err := Limit("Limit", 0, 100, 1000)
	require.NoError(t, err)
	assert.Equal(t, 100, n)
	n, err = Limit("Limit", 1000, 100, 1000)
	require.NoError(t, err)
	assert.Equal(t, 1000, n)
	for _, bad := range []int{-1, 1001} {
		_, err = Limit("Limit", bad, 100, 1000)
		assert.ErrorContains(t, err, "outside 1..1000")
	}
}

func TestCursor(t *testing.T) {
	bad := errors.New("pkg: bad cursor")
	pos := []byte("kind\x00" + TimeKey(time.Now()) + "\x00id")
	got, err := DecodeCursor(EncodeCursor(pos), bad)
	require.NoError(t, err)
	assert.Equal(t, pos, got)
	for _, c := range []string{"%%", "a b", "="} {
		_, err := DecodeCursor(c, bad)
		require.ErrorIs(t, err, bad, c)
		assert.ErrorContains(t, err, "start again without a cursor")
	}
}

// TestDBClosed: after Close, View and Update return the owner's sentinel,
// and a second Close is not an error.
func TestDBClosed(t *testing.T) {
	mine := errors.New("mine: closed")
	db, err := OpenDB(filepath.Join(t.TempDir(), "x.db"), Options{}, mine, []byte("a"))
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("a")).Put([]byte("k"), []byte("v")) }))
	var got []byte
	require.NoError(t, db.View(func(tx *bolt.Tx) error { got = append(got, tx.Bucket([]byte("a")).Get([]byte("k"))...); return nil }))
	assert.Equal(t, "v", string(got))
	require.NoError(t, db.Close())
	assert.Equal(t, mine, db.View(func(*bolt.Tx) error { return nil }))
	assert.Equal(t, mine, db.Update(func(*bolt.Tx) error { return nil }))
	assert.NoError(t, db.Close())
}
