package submit

import (
	"encoding/binary"
	"errors"
	"math"

	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/internal/boltdb"
)

// Record bytes in chunks.
//
// A Store keeps the bytes of the records one commit stores back to back,
// by kind then source (putRecordsTx), in chunks of up to bodyChunkPages
// pages, in a bucket of their own inside bodies, under the arrival
// sequence of its first record. A value of one record per
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
//
// A chunk is stored deflated (compress/flate, its fastest level): the
// length of its bytes as a uvarint, then the stream. Records of one
// commit share their field names, sources and kinds, so a chunk shrinks
// about five times, and each record's bytes are written once per hub in
// a fifth of the pages. Reading a record inflates its chunk
// (bodyReader, which keeps the few last inflated in a transaction);
// purging zeroes the record's bytes in the inflated chunk and deflates
// the rest again (bodyEraser). Chunks of files from before (marked
// bodyChunkMark) are read and purged as they are.

// Marks that begin a value of the records bucket naming the record's
// bytes; a value that is the envelope itself (files from before bodies)
// begins with '{'.
const (
	bodyRefMark   = 0 // then the key of a body holding this record alone (small commits, and files from before chunks)
	bodyChunkMark = 1 // then commit, chunk, offset and length (chunkRef) in a chunk as stored (files from before deflated chunks)
	bodyFlateMark = 2 // then commit, chunk, offset and length (chunkRef) in a deflated chunk, offset and length in its inflated bytes
)

// bodyChunkPages is the size of a chunk's bytes before deflating, in
// pages: about 64 KB, which deflate to three or four pages. A larger
// chunk deflates a little smaller and costs a lone read (Get) more.
const bodyChunkPages = 16

// chunkRefLen is the length of a chunkRef.
const chunkRefLen = 1 + 8 + 2 + 4 + 4

// chunkRef is the value of the records bucket of a record whose bytes
// are n bytes at off in the inflated chunk c of the commit with arrival
// sequence seq.
func chunkRef(seq uint64, c uint16, off, n int) []byte {
	b := make([]byte, chunkRefLen)
	b[0] = bodyFlateMark
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
	deflated      bool // the chunk is deflated (bodyFlateMark); else stored as it is (bodyChunkMark)
}

// parseChunkRef reads a chunkRef; ok is false for any other value.
func parseChunkRef(v []byte) (at chunkAt, ok bool) {
	if len(v) != chunkRefLen || (v[0] != bodyChunkMark && v[0] != bodyFlateMark) {
		return at, false
	}
	return chunkAt{commit: v[1:9], chunk: v[9:11], off: int(binary.BigEndian.Uint32(v[11:])), n: int(binary.BigEndian.Uint32(v[15:])), deflated: v[0] == bodyFlateMark}, true
}

// key is the chunk's key in the bodies bucket, the commit's then its
// own: what bodyReader and bodyEraser keep it under.
func (at chunkAt) key() (k [10]byte) {
	copy(k[:8], at.commit)
	copy(k[8:], at.chunk)
	return k
}

// chunkWriter packs the bytes of one commit's records into chunks.
type chunkWriter struct {
	bodies *bolt.Bucket
	single bool         // a body per record: the commit is small
	commit *bolt.Bucket // nil until the first record
	max    int          // bytes of a chunk before deflating: bodyChunkPages pages
	seq    uint64       // the commit's key: its first record's arrival sequence
	next   uint16       // the next chunk's key
	buf    []byte
}

// newChunkWriter returns the writer of a commit of at most total bytes.
func newChunkWriter(tx *bolt.Tx, total int) *chunkWriter {
	b := tx.Bucket(bucketBodies)
	b.FillPercent = 1 // keys always grow
	ps := tx.DB().Info().PageSize
	return &chunkWriter{bodies: b, single: total <= ps, max: bodyChunkPages * ps}
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
	if len(w.buf) > 0 && len(w.buf)+len(val) > w.max {
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
	if len(w.buf) == 0 {
		if w.next == math.MaxUint16 {
			return nil, 0, errors.New("submit: store: more than 65535 chunks in one commit; put fewer records at a time")
		}
		if cap(w.buf) < len(val) {
			w.buf = make([]byte, 0, max(w.max, len(val)))
		}
	}
	off := len(w.buf)
	w.buf = append(w.buf, val...)
	return chunkRef(w.seq, w.next, off, len(val)), arrival, nil
}

// flush puts the current chunk, deflated. bbolt keeps the slice until
// the commit, so the next chunk gets a new one.
func (w *chunkWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	var k [2]byte
	binary.BigEndian.PutUint16(k[:], w.next)
	z, err := deflateChunk(w.buf)
	if err == nil {
		err = w.commit.Put(k[:], z)
	}
	w.buf = w.buf[:0] // deflated into z: the next chunk reuses it
	w.next++
	return err
}
