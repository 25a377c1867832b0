package translog

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// editFile applies fn to the log's file with bbolt, outside the log.
func editFile(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: true})
	require.NoError(t, err)
	require.NoError(t, db.Update(fn))
	require.NoError(t, db.Close())
}

// flip changes one byte of bucket/key at pos and returns the old value.
func flip(t *testing.T, path string, bucket, key []byte, pos int) []byte {
	var old []byte
	editFile(t, path, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		old = bytes.Clone(b.Get(key))
		v := bytes.Clone(old)
		v[pos%len(v)] ^= 0x01
		return b.Put(key, v)
	})
	return old
}

func restore(t *testing.T, path string, bucket, key, v []byte) {
	editFile(t, path, func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(key, v) })
}

// detected opens the log and requires that opening, or Verify (if full)
// and check, report ErrTampered.
func detected(t *testing.T, cfg Config, what string, full bool, check func(l *Log) error) {
	t.Helper()
	l, err := Open(cfg)
	if err != nil {
		require.ErrorIs(t, err, ErrTampered, what)
		return
	}
	defer l.Close()
	if full {
		require.ErrorIs(t, l.Verify(t.Context()), ErrTampered, what)
	}
	if check != nil {
		require.ErrorIs(t, check(l), ErrTampered, what)
	}
}

// A single-byte edit of any stored leaf or tile, of the checkpoint, or a
// leaf removed, is detected: Open fails with ErrTampered, or reading the
// leaf, or a proof through the tile, does (and Verify, tried on every
// tile edit and every 25th leaf edit).
func TestSingleByteEditDetected(t *testing.T) {
	cfg := testConfig(t, "log.db")
	l := openTest(t, cfg)
	const n = 300 // one full level-0 tile, one partial, and a level-1 tile
	for i := 0; i < n; i += 50 {
		appendN(t, l, i, 50)
	}
	require.NoError(t, l.Close())

	for i := int64(0); i < n; i++ {
		k := indexKey(i)
		old := flip(t, cfg.Path, bucketLeaves, k, int(i)*7)
		detected(t, cfg, "leaf edit", i%25 == 0, func(l *Log) error { _, err := l.Leaf(t.Context(), i); return err })
		restore(t, cfg.Path, bucketLeaves, k, old)
	}

	tiles := tlog.NewTiles(TileHeight, 0, n)
	require.Len(t, tiles, 3)
	for _, tile := range tiles {
		k := tileKey(tile)
		for _, pos := range []int{0, tile.W*tlog.HashSize/2 + 5, tile.W*tlog.HashSize - 1} {
			old := flip(t, cfg.Path, bucketTiles, k, pos)
			detected(t, cfg, "tile "+tile.Path(), true, func(l *Log) error {
				if tile.L != 0 {
					return l.Verify(t.Context())
				}
				_, err := l.ProveInclusion(t.Context(), tile.N<<TileHeight, n)
				return err
			})
			restore(t, cfg.Path, bucketTiles, k, old)
		}
	}

	old := flip(t, cfg.Path, bucketMeta, keyCheckpoint, 20)
	_, err := Open(cfg)
	require.ErrorIs(t, err, ErrTampered, "checkpoint edit")
	restore(t, cfg.Path, bucketMeta, keyCheckpoint, old)

	// A leaf dropped from the middle, or from the end.
	for _, i := range []int64{17, n - 1} {
		k := indexKey(i)
		var v []byte
		editFile(t, cfg.Path, func(tx *bolt.Tx) error {
			v = bytes.Clone(tx.Bucket(bucketLeaves).Get(k))
			return tx.Bucket(bucketLeaves).Delete(k)
		})
		detected(t, cfg, "leaf dropped", true, func(l *Log) error { _, err := l.Leaf(t.Context(), i); return err })
		restore(t, cfg.Path, bucketLeaves, k, v)
	}

	// Restored, the file is whole again.
	l = openTest(t, cfg)
	require.NoError(t, l.Verify(t.Context()))
	require.Equal(t, int64(n), l.Checkpoint().Size)
}
