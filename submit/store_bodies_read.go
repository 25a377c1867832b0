package submit

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// maxChunkBytes bounds the inflated length a deflated chunk may claim:
// a chunk holds bodyChunkPages pages of records, or one record longer
// than that, which the Handler bounds far below this.
const maxChunkBytes = 256 << 20

// readerChunks is how many inflated chunks a bodyReader keeps: a Scan
// merges the sources of a kind, whose records lie in chunks of commits
// that came in turn.
const readerChunks = 8

var (
	deflaters = sync.Pool{New: func() any {
		w, _ := flate.NewWriter(nil, flate.BestSpeed) // the level is valid: no error
		return w
	}}
	inflaters = sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}
)

// deflateChunk returns the stored form of a chunk: the length of raw as
// a uvarint, then raw deflated.
func deflateChunk(raw []byte) ([]byte, error) {
	out := bytes.NewBuffer(binary.AppendUvarint(make([]byte, 0, len(raw)/4+64), uint64(len(raw))))
	w := deflaters.Get().(*flate.Writer)
	defer deflaters.Put(w)
	w.Reset(out)
	if _, err := w.Write(raw); err != nil {
		return nil, fmt.Errorf("submit: store: deflate a chunk: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("submit: store: deflate a chunk: %w", err)
	}
	return out.Bytes(), nil
}

// inflateChunk returns the bytes of a chunk stored by deflateChunk, in a
// slice of its own.
func inflateChunk(z []byte) ([]byte, error) {
	n, k := binary.Uvarint(z)
	if k <= 0 || n > maxChunkBytes {
		return nil, fmt.Errorf("submit: store: a deflated chunk does not begin with its length (at most %d): the file is damaged; restore it from a backup", maxChunkBytes)
	}
	r := inflaters.Get().(io.ReadCloser)
	defer inflaters.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(z[k:]), nil); err != nil {
		return nil, fmt.Errorf("submit: store: inflate a chunk: %w", err)
	}
	raw := make([]byte, n)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, fmt.Errorf("submit: store: inflate a chunk of %d bytes: %w: the file is damaged; restore it from a backup", n, err)
	}
	var one [1]byte
	if m, err := r.Read(one[:]); m != 0 || err != io.EOF {
		return nil, fmt.Errorf("submit: store: a deflated chunk holds more than the %d bytes it claims: the file is damaged; restore it from a backup", n)
	}
	return raw, nil
}

// bodyReader reads records' bytes in one transaction, keeping the last
// readerChunks chunks it inflated. It lives no longer than the
// transaction: a purge after it may zero what it keeps.
type bodyReader struct {
	tx     *bolt.Tx
	bodies *bolt.Bucket
	keys   [readerChunks][10]byte
	chunks [readerChunks][]byte
	n      int // chunks kept; the next one replaces chunks[n%readerChunks]
}

func newBodyReader(tx *bolt.Tx) *bodyReader {
	return &bodyReader{tx: tx, bodies: tx.Bucket(bucketBodies)}
}

// bytes returns the stored bytes of a record whose value in the records
// bucket is v: the bytes v names in a chunk or a body, or v itself when
// it is the envelope (files from before bodies). Bytes v names that are
// missing yield nil; a chunk that does not inflate, an error. The bytes
// stay valid while the transaction is open; they may be shared with
// other records' and must not be written to.
func (r *bodyReader) bytes(v []byte) ([]byte, error) {
	if len(v) == 0 {
		return v, nil
	}
	switch v[0] {
	case bodyChunkMark, bodyFlateMark:
		at, ok := parseChunkRef(v)
		if !ok {
			return nil, nil
		}
		c, err := r.chunk(at)
		if err != nil || at.off+at.n > len(c) {
			return nil, err
		}
		return c[at.off : at.off+at.n : at.off+at.n], nil
	case bodyRefMark:
		return r.bodies.Get(v[1:]), nil
	}
	return v, nil
}

// chunk returns the bytes of the chunk at names, inflated if it is
// deflated; nil if it is missing.
func (r *bodyReader) chunk(at chunkAt) ([]byte, error) {
	_, c := chunkOf(r.bodies, at)
	if c == nil || !at.deflated {
		return c, nil
	}
	k := at.key()
	for i := range min(r.n, readerChunks) {
		if r.keys[i] == k {
			return r.chunks[i], nil
		}
	}
	raw, err := inflateChunk(c)
	if err != nil {
		return nil, err
	}
	i := r.n % readerChunks
	r.keys[i], r.chunks[i] = k, raw
	r.n++
	return raw, nil
}

// recordBytes is newBodyReader(tx).bytes(v), for a lone read.
func recordBytes(tx *bolt.Tx, v []byte) ([]byte, error) {
	return newBodyReader(tx).bytes(v)
}

// bodyEraser deletes records' bytes in one write transaction: a body of
// its own at once; bytes in a chunk stored as it is (files from before
// deflated chunks) zeroed at once; bytes in a deflated chunk zeroed in
// its inflated copy, which flush deflates and puts back once, however
// many of its records went (or deletes, with the commit's bucket once
// that is empty, when nothing else is left in it).
type bodyEraser struct {
	tx     *bolt.Tx
	bodies *bolt.Bucket
	edits  map[[10]byte]*chunkEdit
	order  [][10]byte // the edits in the order they began, so flush writes in a steady order
}

// chunkEdit is a deflated chunk being zeroed.
type chunkEdit struct {
	at  chunkAt // its commit and chunk keys, cloned
	raw []byte
}

func newBodyEraser(tx *bolt.Tx) *bodyEraser {
	return &bodyEraser{tx: tx, bodies: tx.Bucket(bucketBodies), edits: map[[10]byte]*chunkEdit{}}
}

// erase removes the bytes a record's value v names. A value that is
// the envelope itself has nothing elsewhere.
func (e *bodyEraser) erase(v []byte) error {
	if len(v) == 0 {
		return nil
	}
	switch v[0] {
	case bodyRefMark:
		return e.bodies.Delete(v[1:])
	case bodyChunkMark, bodyFlateMark:
	default:
		return nil
	}
	at, ok := parseChunkRef(v)
	if !ok {
		return fmt.Errorf("submit: store: a record's reference to its bytes is %d bytes, not %d: the file is damaged; restore it from a backup", len(v), chunkRefLen)
	}
	if !at.deflated {
		return eraseStored(e.bodies, at)
	}
	k := at.key()
	ed := e.edits[k]
	if ed == nil {
		_, c := chunkOf(e.bodies, at)
		if c == nil {
			return nil // gone already
		}
		raw, err := inflateChunk(c)
		if err != nil {
			return err
		}
		ed = &chunkEdit{at: chunkAt{commit: slices.Clone(at.commit), chunk: slices.Clone(at.chunk)}, raw: raw}
		e.edits[k] = ed
		e.order = append(e.order, k)
	}
	if at.off+at.n > len(ed.raw) {
		return fmt.Errorf("submit: store: a record's bytes end at %d in a chunk of %d: the file is damaged; restore it from a backup", at.off+at.n, len(ed.raw))
	}
	clear(ed.raw[at.off : at.off+at.n])
	return nil
}

// flush writes back the deflated chunks erase zeroed bytes in.
func (e *bodyEraser) flush() error {
	for _, k := range e.order {
		ed := e.edits[k]
		commit := e.bodies.Bucket(ed.at.commit)
		if slices.ContainsFunc(ed.raw, func(b byte) bool { return b != 0 }) {
			z, err := deflateChunk(ed.raw)
			if err != nil {
				return err
			}
			if err := commit.Put(ed.at.chunk, z); err != nil {
				return err
			}
			continue
		}
		if err := deleteChunk(e.bodies, commit, ed.at); err != nil {
			return err
		}
	}
	clear(e.edits)
	e.order = e.order[:0]
	return nil
}

// eraseStored zeroes a record's bytes in a chunk stored as it is, and
// deletes the chunk once nothing else is left in it.
func eraseStored(bodies *bolt.Bucket, at chunkAt) error {
	commit, c := chunkOf(bodies, at)
	if c == nil {
		return nil // gone already
	}
	if at.off+at.n > len(c) {
		return fmt.Errorf("submit: store: a record's bytes end at %d in a chunk of %d: the file is damaged; restore it from a backup", at.off+at.n, len(c))
	}
	rest := slices.Clone(c)
	clear(rest[at.off : at.off+at.n])
	if slices.ContainsFunc(rest, func(b byte) bool { return b != 0 }) {
		return commit.Put(at.chunk, rest)
	}
	return deleteChunk(bodies, commit, at)
}

// deleteChunk deletes the chunk at names from the commit's bucket, and
// the bucket once it is empty.
func deleteChunk(bodies, commit *bolt.Bucket, at chunkAt) error {
	if err := commit.Delete(at.chunk); err != nil {
		return err
	}
	if k, _ := commit.Cursor().First(); k == nil {
		return bodies.DeleteBucket(at.commit)
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
