package boltdb

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DefaultLockTimeout is how long Open waits for the file lock another
// process (or another open in this one) holds, when Options.LockTimeout
// is zero.
const DefaultLockTimeout = time.Second

// ErrLocked: the file is held by another process (or by another open in
// this one) and its lock was not released within the lock timeout. The
// error Open returns wraps it and bbolt's own timeout error.
var ErrLocked = errors.New("database file is held by another process")

// Options configure Open.
type Options struct {
	// LockTimeout bounds the wait for the file lock; 0 means
	// DefaultLockTimeout.
	LockTimeout time.Duration
	// NoFreelistSync keeps the freelist out of each commit (one page less
	// to write and sync per commit; it is rebuilt when the file is
	// opened), with the map freelist.
	NoFreelistSync bool
	// MaxBatchDelay is how long DB.Batch gathers calls after the first
	// before it commits them (bbolt's DB.MaxBatchDelay); 0 means bbolt's
	// default, 10ms.
	MaxBatchDelay time.Duration
	// MaxBatchSize is how many calls DB.Batch gathers at most; the batch
	// commits at once when it has them (bbolt's DB.MaxBatchSize). 0 means
	// bbolt's default, 1000.
	MaxBatchSize int
}

// Open opens, or creates, the bbolt file at path (mode 0600) and creates
// buckets if they do not exist. When the lock is not had within the
// timeout, the error wraps ErrLocked and says what to do.
func Open(path string, opts Options, buckets ...[]byte) (*bolt.DB, error) {
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	bo := &bolt.Options{Timeout: timeout}
	if opts.NoFreelistSync {
		bo.NoFreelistSync, bo.FreelistType = true, bolt.FreelistMapType
	}
	db, err := bolt.Open(path, 0o600, bo)
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%w (%w): %s stayed locked for %v; stop the other process using it, or use another file", ErrLocked, err, path, timeout)
	}
	if err != nil {
		return nil, err
	}
	if opts.MaxBatchDelay > 0 {
		db.MaxBatchDelay = opts.MaxBatchDelay
	}
	if opts.MaxBatchSize > 0 {
		db.MaxBatchSize = opts.MaxBatchSize
	}
	if len(buckets) == 0 {
		return db, nil
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range buckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("bucket %s: %w", b, err)
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Closed returns closed if err is bbolt's closed-database error, and err
// otherwise: the caller's sentinel for "used after Close".
func Closed(err, closed error) error {
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return closed
	}
	return err
}

// TimeKeyLayout is a fixed-width UTC layout, nanoseconds always written:
// its strings sort as the times do (years 0000-9999), which RFC 3339 with
// trailing zeros cut would not.
const TimeKeyLayout = "2006-01-02T15:04:05.000000000Z"

// TimeKey returns t in TimeKeyLayout.
func TimeKey(t time.Time) string { return t.UTC().Format(TimeKeyLayout) }

// AppendTime appends t in TimeKeyLayout to dst.
func AppendTime(dst []byte, t time.Time) []byte { return t.UTC().AppendFormat(dst, TimeKeyLayout) }

// SeqKey is the 8-byte big-endian key of seq, so that keys sort as seqs
// do.
func SeqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

// Seq reads back a SeqKey; ok is false if k is not 8 bytes long.
func Seq(k []byte) (seq uint64, ok bool) {
	if len(k) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k), true
}

// Limit applies the pagination convention to a requested page size: 0
// means def; from 1 to max it is taken as is; a negative value or one
// above max is an error naming field and the range, never a silent
// truncation.
func Limit(field string, n, def, max int) (int, error) {
	switch {
	case n == 0:
		return def, nil
	case n < 0 || n > max:
		return 0, fmt.Errorf("%s %d is outside 1..%d (0 means %d); ask for at most %d and follow Next", field, n, max, def, max)
	}
	return n, nil
}

// EncodeCursor returns the opaque cursor of a page that ends at the
// position pos (the caller's bytes: a key, or an encoded position).
func EncodeCursor(pos []byte) string {
	return base64.RawURLEncoding.EncodeToString(pos)
}

// DecodeCursor reads back what EncodeCursor made. Any problem is an error
// of one shape: bad (the caller's ErrBadCursor) wrapped with why, and what
// to do.
func DecodeCursor(cursor string, bad error) ([]byte, error) {
	pos, err := base64.RawURLEncoding.DecodeString(cursor)
	switch {
	case err != nil:
		return nil, BadCursor(bad, "not base64url, so not a cursor this package handed out")
	case len(pos) == 0:
		return nil, BadCursor(bad, "no position")
	}
	return pos, nil
}

// BadCursor returns the one shape of a bad-cursor error: bad wrapped with
// why, and the advice to start again without a cursor.
func BadCursor(bad error, why string) error {
	return fmt.Errorf("%w: %s; start again without a cursor", bad, why)
}
