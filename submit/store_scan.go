package submit

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/internal/boltdb"
	"github.com/sicollab/sicollab/schema"
)

// ScanQuery selects records of one kind collected in a time window.
type ScanQuery struct {
	// Kind is required.
	Kind string
	// From (inclusive) and To (exclusive) bound collected_at; a zero time
	// leaves that side open.
	From, To time.Time
	// Limit is the page size: DefaultScanLimit when 0, at most
	// MaxScanLimit.
	Limit int
	// Cursor continues a scan: ScanPage.Next of the previous page, with
	// the same Kind. Empty starts at From.
	Cursor string
}

// ScanPage is one page of a scan, in collected_at order (then by id).
type ScanPage struct {
	// Records are the page's records, at most ScanQuery.Limit.
	Records []schema.Envelope
	// Next is the cursor of the following page; empty when the scan is
	// complete.
	Next string
}

// Scan returns one page of the records of q.Kind collected in
// [q.From, q.To), oldest first. Pages are consistent one by one, not
// across pages: records stored during a scan appear if they sort after
// the cursor. A cursor that Scan did not hand out for this kind yields an
// error wrapping ErrBadCursor.
//
// The index by kind is kept per source (bucketByKind), so a page merges
// the sources of the kind: a seek or two per source the store holds
// records of the kind from, then one step per record.
func (s *Store) Scan(ctx context.Context, q ScanQuery) (ScanPage, error) {
	var page ScanPage
	if q.Kind == "" {
		return page, errors.New("submit: store: scan: Kind is required")
	}
	limit, err := boltdb.Limit("Limit", q.Limit, DefaultScanLimit, MaxScanLimit)
	if err != nil {
		return page, fmt.Errorf("submit: store: scan: %w", err)
	}
	prefix := append([]byte(q.Kind), 0)
	// Positions in the scan's order are keys of the form the index had
	// before by_kind3, kind \x00 collected_at \x00 id \x00 source (scanPos):
	// cursors handed out before it stay good.
	start := prefix
	if !q.From.IsZero() {
		start = boltdb.AppendTime(bytes.Clone(prefix), q.From)
	}
	var after []byte
	if q.Cursor != "" {
		c, err := boltdb.DecodeCursor(q.Cursor, ErrBadCursor)
		if err == nil && !bytes.HasPrefix(c, prefix) {
			err = boltdb.BadCursor(ErrBadCursor, "it belongs to a scan of another kind")
		}
		if err != nil {
			return page, fmt.Errorf("submit: store: scan: %w", err)
		}
		after = c
	}
	low := start[len(prefix):] // the collected_at each source's records are sought from
	if after != nil && bytes.Compare(after, start) >= 0 {
		low = after[len(prefix):min(len(after), len(prefix)+len(sortableTime))]
	}
	var end []byte
	if !q.To.IsZero() {
		end = boltdb.AppendTime(bytes.Clone(prefix), q.To)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		m := kindMerge{prefix: prefix, after: after, end: end}
		m.open(tx.Bucket(bucketByKind), low)
		recs := tx.Bucket(bucketRecords)
		var refs [][]byte // the page's values in the records bucket, valid in tx
		var last []byte
		for m.Len() > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if len(refs) == limit {
				page.Next = boltdb.EncodeCursor(last)
				break
			}
			h := m.heads[0]
			if v := recs.Get(recordKey(string(h.source), string(h.id))); v != nil { // else cannot happen: both are written in one transaction
				refs = append(refs, v)
				last = append(last[:0], h.pos...)
			}
			m.advance()
		}
		var err error
		page.Records, err = readPage(tx, refs)
		return err
	})
	if err != nil {
		return ScanPage{}, fmt.Errorf("submit: store: scan: %w", storeErr(err))
	}
	return page, nil
}

// scanPos is a record's position in a scan's order: kind \x00
// collected_at \x00 id \x00 source (as the keys of by_kind2 were).
func scanPos(dst, prefix, source, at, id []byte) []byte {
	dst = append(append(dst[:0], prefix...), at...)
	dst = append(append(dst, 0), id...)
	return append(append(dst, 0), source...)
}

// kindHead is where a scan stands in one source's records of the kind.
type kindHead struct {
	c          *bolt.Cursor
	keys       []byte // kind \x00 source \x00: the prefix of the source's keys
	pos        []byte // scanPos of the record at c
	source, id []byte // of the record at c
}

// kindMerge merges the sources' records of a kind in scan order: a
// min-heap of one head per source, by scanPos.
type kindMerge struct {
	prefix, after, end []byte
	heads              []*kindHead
}

func (m *kindMerge) Len() int           { return len(m.heads) }
func (m *kindMerge) Less(i, j int) bool { return bytes.Compare(m.heads[i].pos, m.heads[j].pos) < 0 }
func (m *kindMerge) Swap(i, j int)      { m.heads[i], m.heads[j] = m.heads[j], m.heads[i] }
func (m *kindMerge) Push(x any)         { m.heads = append(m.heads, x.(*kindHead)) }
func (m *kindMerge) Pop() any {
	h := m.heads[len(m.heads)-1]
	m.heads = m.heads[:len(m.heads)-1]
	return h
}

// open puts a head on the first record of each source of the kind
// collected at or after low (a sortable time, or a prefix of one) that
// the scan takes.
func (m *kindMerge) open(b *bolt.Bucket, low []byte) {
	sources := b.Cursor()
	for k, _ := sources.Seek(m.prefix); k != nil && bytes.HasPrefix(k, m.prefix); {
		i := bytes.IndexByte(k[len(m.prefix):], 0)
		if i < 0 {
			k, _ = sources.Next() // not a key of ours: step over it
			continue
		}
		h := &kindHead{c: b.Cursor(), keys: bytes.Clone(k[:len(m.prefix)+i+1])}
		if first, _ := h.c.Seek(append(bytes.Clone(h.keys), low...)); m.seat(h, first) {
			m.heads = append(m.heads, h)
		}
		next := bytes.Clone(h.keys)
		next[len(next)-1] = 1 // past every key of the source
		k, _ = sources.Seek(next)
	}
	heap.Init(m)
}

// seat moves h to the first key from k on, of its source, that the scan
// takes (after m.after, before m.end), and reports whether there is one.
func (m *kindMerge) seat(h *kindHead, k []byte) bool {
	source := h.keys[len(m.prefix) : len(h.keys)-1]
	for ; k != nil && bytes.HasPrefix(k, h.keys); k, _ = h.c.Next() {
		rest := k[len(h.keys):]
		if len(rest) < len(sortableTime)+1 || rest[len(sortableTime)] != 0 {
			continue // not a key of ours: step over it
		}
		at, id := rest[:len(sortableTime)], rest[len(sortableTime)+1:]
		h.pos = scanPos(h.pos, m.prefix, source, at, id)
		if m.end != nil && bytes.Compare(h.pos, m.end) >= 0 {
			return false // the source's records from here on were collected at or after To
		}
		if m.after != nil && bytes.Compare(h.pos, m.after) <= 0 {
			continue
		}
		h.source, h.id = source, id
		return true
	}
	return false
}

// advance moves the head at the top of the heap to its source's next
// record, or drops it.
func (m *kindMerge) advance() {
	h := m.heads[0]
	if k, _ := h.c.Next(); m.seat(h, k) {
		heap.Fix(m, 0)
		return
	}
	heap.Pop(m)
}

// readPage decodes the records whose values in the records bucket are
// refs, in that order. It reads them chunk by chunk, so that each chunk
// of the page is inflated once however the page's sources interleave.
func readPage(tx *bolt.Tx, refs [][]byte) ([]schema.Envelope, error) {
	order := make([]int, len(refs))
	for i := range order {
		order[i] = i
	}
	chunkKey := func(v []byte) []byte { // commit and chunk of a chunkRef; else nothing, read first
		if _, ok := parseChunkRef(v); ok {
			return v[1:11]
		}
		return nil
	}
	slices.SortStableFunc(order, func(a, b int) int { return bytes.Compare(chunkKey(refs[a]), chunkKey(refs[b])) })
	envs := make([]schema.Envelope, len(refs))
	found := make([]bool, len(refs))
	r := newBodyReader(tx)
	for _, i := range order {
		v, err := r.bytes(refs[i])
		if err != nil {
			return nil, fmt.Errorf("read the %d. record of the page: %w", i+1, err)
		}
		if v == nil {
			continue // its bytes are missing: as if it were not stored
		}
		if err := json.Unmarshal(v, &envs[i]); err != nil {
			return nil, fmt.Errorf("decode the %d. record of the page: %w", i+1, err)
		}
		found[i] = true
	}
	out := envs[:0]
	for i := range envs {
		if found[i] {
			out = append(out, envs[i])
		}
	}
	return out, nil
}
