package submit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/internal/boltdb"
)

// Record bytes in chunks.
//
// A Store keeps the bytes of the records one commit stores back to back
// in chunks of about bodyChunkPages pages, in a bucket of their own
// inside bodies, under the arrival sequence of its first record. A value of one record per
// key (the layout before chunks) fills a page with whole records only:
// records of 1.5 KB, a sealed hop's size, leave a quarter of each page
// empty, and every page is written and synced. A chunk is one run of
// overflow pages, full but for its last; a bucket per commit keeps a
// commit from rewriting the chunks of the one before (bbolt appends to
// the last leaf, which holds at least two values). The records bucket
// names a record's bytes by commit, chunk, offset and length (chunkRef);
// purging a record zeroes its bytes in its chunk, deletes the chunk once
// all of it is zero (a record line never holds a zero byte: JSON does
// not allow one unescaped) and the commit's bucket once it is empty.
// A commit of at most one page of bytes keeps a body per record in
// bodies itself, as before chunks: a bucket of its own would cost it a
// page more.

// Marks that begin a value of the records bucket naming the record's
// bytes; a value that is the envelope itself (files from before bodies)
// begins with '{'.
const (
	bodyRefMark   = 0 // then the key of a body holding this record alone (small commits, and files from before chunks)
	bodyChunkMark = 1 // then commit, chunk, offset and length (chunkRef)
)

// bodyChunkPages is the size of a chunk in pages.
const bodyChunkPages = 8

// chunkOverhead is what bbolt adds to a value alone in its page: the
// page header, the leaf element and the 2-byte key.
const chunkOverhead = 16 + 16 + 2

// chunkRefLen is the length of a chunkRef.
const chunkRefLen = 1 + 8 + 2 + 4 + 4

// chunkRef is the value of the records bucket of a record whose bytes
// are n bytes at off in chunk c of the commit with arrival sequence seq.
func chunkRef(seq uint64, c uint16, off, n int) []byte {
	b := make([]byte, chunkRefLen)
	b[0] = bodyChunkMark
	binary.BigEndian.PutUint64(b[1:], seq)
	binary.BigEndian.PutUint16(b[9:], c)
	binary.BigEndian.PutUint32(b[11:], uint32(off))
	binary.BigEndian.PutUint32(b[15:], uint32(n))
	return b
}

// chunkAt is where a chunkRef points.
type chunkAt struct {
	commit, chunk []byte // keys: the commit's bucket in bodies, the chunk in it
	off, n        int
}

// parseChunkRef reads a chunkRef; ok is false for any other value.
func parseChunkRef(v []byte) (at chunkAt, ok bool) {
	if len(v) != chunkRefLen || v[0] != bodyChunkMark {
		return at, false
	}
	return chunkAt{commit: v[1:9], chunk: v[9:11], off: int(binary.BigEndian.Uint32(v[11:])), n: int(binary.BigEndian.Uint32(v[15:]))}, true
}

// chunkWriter packs the bytes of one commit's records into chunks.
type chunkWriter struct {
	bodies *bolt.Bucket
	single bool         // a body per record: the commit is small
	commit *bolt.Bucket // nil until the first record
	max    int          // bytes of a chunk filling bodyChunkPages pages
	seq    uint64       // the commit's key: its first record's arrival sequence
	next   uint16       // the next chunk's key
	buf    []byte
}

// newChunkWriter returns the writer of a commit of at most total bytes.
func newChunkWriter(tx *bolt.Tx, total int) *chunkWriter {
	b := tx.Bucket(bucketBodies)
	b.FillPercent = 1 // keys always grow
	ps := tx.DB().Info().PageSize
	return &chunkWriter{bodies: b, single: total <= ps, max: bodyChunkPages*ps - chunkOverhead}
}

// add places val in the current chunk, or a new one when it does not
// fit, and returns the reference to it and the record's arrival number
// (a sequence of bodies, which the retention index orders by). A record
// longer than a chunk has one of its own.
func (w *chunkWriter) add(val []byte) (ref []byte, arrival uint64, err error) {
	if arrival, err = w.bodies.NextSequence(); err != nil {
		return nil, 0, err
	}
	if w.single {
		return append([]byte{bodyRefMark}, boltdb.SeqKey(arrival)...), arrival, w.bodies.Put(boltdb.SeqKey(arrival), val)
	}
	if w.buf != nil && len(w.buf)+len(val) > w.max {
		if err := w.flush(); err != nil {
			return nil, 0, err
		}
	}
	if w.commit == nil {
		if w.commit, err = w.bodies.CreateBucket(boltdb.SeqKey(arrival)); err != nil {
			return nil, 0, err
		}
		w.commit.FillPercent = 1
		w.seq = arrival
	}
	if w.buf == nil {
		if w.next == math.MaxUint16 {
			return nil, 0, errors.New("submit: store: more than 65535 chunks in one commit; put fewer records at a time")
		}
		w.buf = make([]byte, 0, max(w.max, len(val)))
	}
	off := len(w.buf)
	w.buf = append(w.buf, val...)
	return chunkRef(w.seq, w.next, off, len(val)), arrival, nil
}

// flush puts the current chunk. bbolt keeps the slice until the commit,
// so the next chunk gets a new one.
func (w *chunkWriter) flush() error {
	if w.buf == nil {
		return nil
	}
	var k [2]byte
	binary.BigEndian.PutUint16(k[:], w.next)
	err := w.commit.Put(k[:], w.buf)
	w.buf = nil
	w.next++
	return err
}

// recordBytes returns the stored bytes of a record whose value in the
// records bucket is v: the bytes v names in a chunk or a body, or v
// itself when it is the envelope (files from before bodies). Bytes v
// names that are missing yield nil.
func recordBytes(tx *bolt.Tx, v []byte) []byte {
	if len(v) == 0 {
		return v
	}
	switch v[0] {
	case bodyChunkMark:
		at, ok := parseChunkRef(v)
		if !ok {
			return nil
		}
		_, c := chunkOf(tx.Bucket(bucketBodies), at)
		if at.off+at.n > len(c) {
			return nil
		}
		return c[at.off : at.off+at.n : at.off+at.n]
	case bodyRefMark:
		return tx.Bucket(bucketBodies).Get(v[1:])
	}
	return v
}

// deleteBytes removes the bytes a record's value v names: the body of
// its own, or its bytes in a chunk (zeroed; the chunk deleted when
// nothing else is left in it). A value that is the envelope itself has
// nothing elsewhere.
func deleteBytes(tx *bolt.Tx, v []byte) error {
	if len(v) == 0 {
		return nil
	}
	bodies := tx.Bucket(bucketBodies)
	switch v[0] {
	case bodyRefMark:
		return bodies.Delete(v[1:])
	case bodyChunkMark:
		at, ok := parseChunkRef(v)
		if !ok {
			return fmt.Errorf("submit: store: a record's reference to its bytes is %d bytes, not %d: the file is damaged; restore it from a backup", len(v), chunkRefLen)
		}
		commit, c := chunkOf(bodies, at)
		if c == nil {
			return nil // gone already
		}
		if at.off+at.n > len(c) {
			return fmt.Errorf("submit: store: a record's bytes end at %d in a chunk of %d: the file is damaged; restore it from a backup", at.off+at.n, len(c))
		}
		rest := make([]byte, len(c))
		copy(rest, c)
		clear(rest[at.off : at.off+at.n])
		if slices.ContainsFunc(rest, func(b byte) bool { return b != 0 }) {
			return commit.Put(at.chunk, rest)
		}
		if err := commit.Delete(at.chunk); err != nil {
			return err
		}
		if k, _ := commit.Cursor().First(); k == nil {
			return bodies.DeleteBucket(at.commit)
		}
		return nil
	}
	return nil
}

// chunkOf returns the bucket of the commit at names and the chunk in it;
// nil for what is missing.
func chunkOf(bodies *bolt.Bucket, at chunkAt) (*bolt.Bucket, []byte) {
	commit := bodies.Bucket(at.commit)
	if commit == nil {
		return nil, nil
	}
	return commit, commit.Get(at.chunk)
}
