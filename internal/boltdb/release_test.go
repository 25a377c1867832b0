package boltdb

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// TestRelease: after Release the file reads the same, the pages read
// before it leave the process's resident set (Linux), and after Close
// it returns the owner's sentinel.
func TestRelease(t *testing.T) {
	mine := errors.New("mine: closed")
	db, err := OpenDB(filepath.Join(t.TempDir(), "x.db"), Options{}, mine, []byte("a"))
	require.NoError(t, err)
	const n, size = 2048, 4000 // about 8 MB, one value a page
	val := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, size) }
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("a"))
		for i := range n {
			if err := b.Put(SeqKey(uint64(i)), val(i)); err != nil {
				return err
			}
		}
		return nil
	}))
	readAll := func() {
		require.NoError(t, db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("a"))
			for i := range n {
				require.Equal(t, val(i), b.Get(SeqKey(uint64(i))))
			}
			return nil
		}))
	}
	readAll()
	before := rssFile(t)
	require.NoError(t, db.Release())
	after := rssFile(t)
	if runtime.GOOS == "linux" {
		require.Less(t, after, before-n*size/2, "the pages read left the resident set (RssFile %d -> %d bytes)", before, after)
	}
	readAll()
	require.NoError(t, db.Close())
	require.Equal(t, mine, db.Release())
}

// rssFile is the process's RssFile in bytes, 0 where /proc is not.
func rssFile(t *testing.T) int {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "RssFile:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			require.NoError(t, err)
			return kb << 10
		}
	}
	return 0
}
