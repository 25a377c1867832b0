package submit

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Record bytes of a commit, back to back.
//
// An item holding its record (queued-at, then the line) fills a leaf
// page with whole records only: two records of 1.4 KB use 70% of a 4 KB
// page, and every page is written and synced. A commit of more than a
// page of records instead puts their lines back to back in one value,
// in a bucket of its own in bucketOutboxBodies under the seq of its first
// record, and each item holds a reference to its line there (itemRef):
// the lines fill a run of overflow pages, written once, and the items,
// 25 bytes each, pack a page with about 80. A bucket per commit keeps a
// commit's pages apart from the one before's: bbolt keeps at least two
// values in a leaf, and appending beside a large value rewrites it.
//
// A commit's records are seqs first..last with nothing between, so its
// body is live while the first item at or after first refers to it;
// deleteItems drops the body with the last of its items, and recover
// drops a body no item refers to.
var (
	bucketOutboxBodies = []byte("bodies")
	outboxBodyKey      = []byte{0}
	outboxFormatLines  = byte(1) // every item holds its line; no bodies
)

const (
	itemRefMark = 1 // after the queued-at: a reference, not a line (a JSON text cannot begin with byte 1)
	itemRefLen  = 8 + 1 + 8 + 4 + 4
)

// itemRef is the value of an item whose line is n bytes at off in the
// body of the commit whose first record is seq first.
func itemRef(at int64, first uint64, off, n int) []byte {
	v := make([]byte, itemRefLen)
	binary.BigEndian.PutUint64(v, uint64(at))
	v[8] = itemRefMark
	binary.BigEndian.PutUint64(v[9:], first)
	binary.BigEndian.PutUint32(v[17:], uint32(off))
	binary.BigEndian.PutUint32(v[21:], uint32(n))
	return v
}

// itemLine is the value of an item that holds its line.
func itemLine(at int64, rec []byte) []byte {
	v := make([]byte, 8+len(rec))
	binary.BigEndian.PutUint64(v, uint64(at))
	copy(v[8:], rec)
	return v
}

// refOf returns the commit an item's value refers to; ok is false for
// an item that holds its line.
func refOf(v []byte) (first uint64, off, n int, ok bool) {
	if len(v) != itemRefLen || v[8] != itemRefMark {
		return 0, 0, 0, false
	}
	return binary.BigEndian.Uint64(v[9:]), int(binary.BigEndian.Uint32(v[17:])), int(binary.BigEndian.Uint32(v[21:])), true
}

// itemSize is the length of an item's line; v is at least 8 bytes.
func itemSize(v []byte) int {
	if _, _, n, ok := refOf(v); ok {
		return n
	}
	return len(v) - 8
}

// itemRecord returns an item's line, valid for the life of tx; nil if
// the body it refers to is missing or shorter (a damaged file).
func itemRecord(tx *bolt.Tx, v []byte) []byte {
	first, off, n, ok := refOf(v)
	if !ok {
		return v[8:]
	}
	body := tx.Bucket(bucketOutboxBodies).Bucket(seqKey(first))
	if body == nil {
		return nil
	}
	b := body.Get(outboxBodyKey)
	if off+n > len(b) {
		return nil
	}
	return b[off : off+n : off+n]
}

// bodyWriter gathers the lines of one commit's items.
type bodyWriter struct {
	items *bolt.Bucket
	body  bool   // lines go into a body: the commit has more than a page of them
	first uint64 // the seq of the commit's first record
	buf   []byte
	refs  []pendingItem
}

type pendingItem struct {
	seq     uint64
	at      int64
	off, n  int
	inlined []byte // the line, for a commit without a body
}

// newBodyWriter returns the writer of a commit of total bytes of lines.
func newBodyWriter(tx *bolt.Tx, total int64) *bodyWriter {
	return &bodyWriter{items: tx.Bucket(bucketItems), body: total > int64(tx.DB().Info().PageSize)}
}

// add queues the item seq, queued at at, with its line rec.
func (w *bodyWriter) add(seq uint64, at int64, rec []byte) {
	if !w.body {
		w.refs = append(w.refs, pendingItem{seq: seq, at: at, inlined: rec})
		return
	}
	if w.first == 0 {
		w.first = seq
	}
	w.refs = append(w.refs, pendingItem{seq: seq, at: at, off: len(w.buf), n: len(rec)})
	w.buf = append(w.buf, rec...)
}

// flush writes the body and the items.
func (w *bodyWriter) flush(tx *bolt.Tx) error {
	if w.body && len(w.refs) > 0 {
		b, err := tx.Bucket(bucketOutboxBodies).CreateBucket(seqKey(w.first))
		if err != nil {
			return fmt.Errorf("body of %d: %w", w.first, err)
		}
		if err := b.Put(outboxBodyKey, w.buf); err != nil {
			return err
		}
	}
	for _, r := range w.refs {
		v := itemLine(r.at, r.inlined)
		if w.body {
			v = itemRef(r.at, w.first, r.off, r.n)
		}
		if err := w.items.Put(seqKey(r.seq), v); err != nil {
			return err
		}
	}
	return nil
}

// itemDeleter deletes items, then the bodies none of their items is
// left in.
type itemDeleter struct {
	items, bodies *bolt.Bucket
	touched       map[uint64]struct{}
}

func newItemDeleter(tx *bolt.Tx) *itemDeleter {
	return &itemDeleter{items: tx.Bucket(bucketItems), bodies: tx.Bucket(bucketOutboxBodies)}
}

// delete deletes the item k whose value is v (v nil: read it first).
func (d *itemDeleter) delete(k, v []byte) error {
	if v == nil {
		v = d.items.Get(k)
	}
	if first, _, _, ok := refOf(v); ok {
		if d.touched == nil {
			d.touched = map[uint64]struct{}{}
		}
		d.touched[first] = struct{}{}
	}
	return d.items.Delete(k)
}

// finish drops the bodies the deletions left without items.
func (d *itemDeleter) finish() error {
	for first := range d.touched {
		if err := dropBodyIfDone(d.items, d.bodies, first); err != nil {
			return err
		}
	}
	return nil
}

// dropBodyIfDone deletes the body of the commit whose first record is
// first if no item refers to it any more.
func dropBodyIfDone(items, bodies *bolt.Bucket, first uint64) error {
	if _, v := items.Cursor().Seek(seqKey(first)); v != nil {
		if f, _, _, ok := refOf(v); ok && f == first {
			return nil
		}
	}
	if bodies.Bucket(seqKey(first)) == nil {
		return nil
	}
	return bodies.DeleteBucket(seqKey(first))
}

// dropOrphanBodies deletes, at open, the bodies no item refers to (none
// unless something outside this code changed the file).
func dropOrphanBodies(tx *bolt.Tx) error {
	items, bodies := tx.Bucket(bucketItems), tx.Bucket(bucketOutboxBodies)
	var firsts []uint64
	if err := bodies.ForEach(func(k, _ []byte) error {
		if len(k) == 8 {
			firsts = append(firsts, binary.BigEndian.Uint64(k))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, f := range firsts {
		if err := dropBodyIfDone(items, bodies, f); err != nil {
			return err
		}
	}
	return nil
}
