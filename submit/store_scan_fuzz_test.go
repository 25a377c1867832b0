package submit

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/sicollab/sicollab/internal/boltdb"
	"github.com/sicollab/sicollab/schema"
)

// FuzzStoreScan: a scan given any cursor and window never panics, and a
// page it returns holds records of the kind, in the window, after the
// cursor's position, in scan order.
func FuzzStoreScan(f *testing.F) {
	s, err := OpenStore(filepath.Join(f.TempDir(), "store.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	kind := schema.KindFinanceTransaction
	envs := mergeEnvs(60, kind, 3)
	if err := s.Put(f.Context(), envs); err != nil {
		f.Fatal(err)
	}
	page, err := s.Scan(f.Context(), ScanQuery{Kind: kind, Limit: 7})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(page.Next, int64(0), int64(0), 3)
	f.Add("", int64(60), int64(1200), 5)
	f.Add(boltdb.EncodeCursor([]byte(kind+"\x00")), int64(0), int64(0), 1)
	f.Add(boltdb.EncodeCursor([]byte(kind+"\x002026")), int64(-5), int64(0), 2)
	f.Fuzz(func(t *testing.T, cursor string, from, to int64, limit int) {
		q := ScanQuery{Kind: kind, Cursor: cursor, Limit: limit % (MaxScanLimit + 2)}
		if from != 0 {
			q.From = testNow.Add(time.Duration(from) * time.Second)
		}
		if to != 0 {
			q.To = testNow.Add(time.Duration(to) * time.Second)
		}
		page, err := s.Scan(t.Context(), q)
		if err != nil {
			return
		}
		var after []byte
		if cursor != "" {
			after, _ = boltdb.DecodeCursor(cursor, ErrBadCursor)
		}
		prefix := []byte(kind + "\x00")
		var prev []byte
		for _, e := range page.Records {
			if e.Kind != kind {
				t.Fatalf("record %s of kind %q in a scan of %q", e.ID, e.Kind, kind)
			}
			if !q.From.IsZero() && e.CollectedAt.Before(q.From) || !q.To.IsZero() && !e.CollectedAt.Before(q.To) {
				t.Fatalf("record %s collected at %s, outside [%s, %s)", e.ID, e.CollectedAt, q.From, q.To)
			}
			pos := scanPos(nil, prefix, []byte(e.Source), boltdb.AppendTime(nil, e.CollectedAt), []byte(e.ID))
			if after != nil && bytes.Compare(pos, after) <= 0 {
				t.Fatalf("record %s at or before the cursor", e.ID)
			}
			if prev != nil && bytes.Compare(pos, prev) <= 0 {
				t.Fatalf("record %s out of order", e.ID)
			}
			prev = pos
		}
	})
}
