package submit

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/internal/boltdb"
)

// Record bytes in chunks.
//
// A Store keeps the bytes of the records one commit stores back to back
// in chunks of about bodyChunkPages pages, each chunk one value of the
// bodies bucket under a new arrival sequence. A value of one record per
// key (the layout before chunks) fills a page with whole records only:
// records of 1.5 KB, a sealed hop's size, leave a quarter of each page
// empty, and every page is written and synced. A chunk is one run of
// overflow pages, full but for its last. The records bucket names a
// record's bytes by chunk, offset and length (chunkRef); purging a
// record zeroes its bytes in its chunk and deletes the chunk once all of
// it is zero (a record line never holds a zero byte: JSON does not allow
// one unescaped).

// Marks that begin a value of the records bucket naming the record's
// bytes; a value that is the envelope itself (files from before bodies)
// begins with '{'.
const (
	bodyRefMark   = 0 // then the key of a body holding this record alone (files from before chunks)
	bodyChunkMark = 1 // then chunk key, offset and length (chunkRef)
)

// bodyChunkPages is the size of a chunk in pages.
const bodyChunkPages = 8

// chunkOverhead is what bbolt adds to a value alone in its page: the
// page header, the leaf element and the 8-byte key.
const chunkOverhead = 16 + 16 + 8

// chunkRefLen is the length of a chunkRef.
const chunkRefLen = 1 + 8 + 4 + 4

// chunkRef is the value of the records bucket of a record whose bytes
// are n bytes at off in the chunk with arrival sequence seq.
func chunkRef(seq uint64, off, n int) []byte {
	b := make([]byte, chunkRefLen)
	b[0] = bodyChunkMark
	binary.BigEndian.PutUint64(b[1:], seq)
	binary.BigEndian.PutUint32(b[9:], uint32(off))
	binary.BigEndian.PutUint32(b[13:], uint32(n))
	return b
}

// parseChunkRef reads a chunkRef; ok is false for any other value.
func parseChunkRef(v []byte) (key []byte, off, n int, ok bool) {
	if len(v) != chunkRefLen || v[0] != bodyChunkMark {
		return nil, 0, 0, false
	}
	return v[1:9], int(binary.BigEndian.Uint32(v[9:])), int(binary.BigEndian.Uint32(v[13:])), true
}

// chunkWriter packs the bytes of one commit's records into chunks.
type chunkWriter struct {
	bodies *bolt.Bucket
	max    int // bytes of a chunk filling bodyChunkPages pages
	seq    uint64
	buf    []byte
}

func newChunkWriter(tx *bolt.Tx) *chunkWriter {
	b := tx.Bucket(bucketBodies)
	b.FillPercent = 1 // keys always grow
	return &chunkWriter{bodies: b, max: bodyChunkPages*tx.DB().Info().PageSize - chunkOverhead}
}

// add places val in the current chunk, or a new one when it does not
// fit, and returns its chunkRef. A record longer than a chunk has one of
// its own.
func (w *chunkWriter) add(val []byte) ([]byte, error) {
	if w.buf != nil && len(w.buf)+len(val) > w.max {
		if err := w.flush(); err != nil {
			return nil, err
		}
	}
	if w.buf == nil {
		seq, err := w.bodies.NextSequence()
		if err != nil {
			return nil, err
		}
		w.seq, w.buf = seq, make([]byte, 0, max(w.max, len(val)))
	}
	off := len(w.buf)
	w.buf = append(w.buf, val...)
	return chunkRef(w.seq, off, len(val)), nil
}

// flush puts the current chunk. bbolt keeps the slice until the commit,
// so the next chunk gets a new one.
func (w *chunkWriter) flush() error {
	if w.buf == nil {
		return nil
	}
	err := w.bodies.Put(boltdb.SeqKey(w.seq), w.buf)
	w.buf = nil
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
		key, off, n, ok := parseChunkRef(v)
		if !ok {
			return nil
		}
		c := tx.Bucket(bucketBodies).Get(key)
		if off+n > len(c) {
			return nil
		}
		return c[off : off+n : off+n]
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
		key, off, n, ok := parseChunkRef(v)
		if !ok {
			return fmt.Errorf("submit: store: a record's reference to its bytes is %d bytes, not %d: the file is damaged", len(v), chunkRefLen)
		}
		c := bodies.Get(key)
		if c == nil {
			return nil
		}
		if off+n > len(c) {
			return fmt.Errorf("submit: store: a record's bytes end at %d in a chunk of %d: the file is damaged", off+n, len(c))
		}
		rest := make([]byte, len(c))
		copy(rest, c)
		clear(rest[off : off+n])
		for _, b := range rest {
			if b != 0 {
				return bodies.Put(key, rest)
			}
		}
		return bodies.Delete(key)
	}
	return nil
}
