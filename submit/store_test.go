package submit

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/schema"
)

func storeEnv(t *testing.T, kind string, at time.Time) schema.Envelope {
	return schema.Envelope{
		ID: newID(t), Kind: kind, SchemaVersion: 1, Source: testBank, CollectedAt: at,
		Purpose: schema.Purpose{RequirementID: newID(t)}, LegalBasis: "x", Handling: schema.HandlingGreen,
		RetainUntil: at.AddDate(1, 0, 0), Payload: json.RawMessage(`{"n":1}`),
	}
}

func TestStorePutGetIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := OpenStore(path)
	require.NoError(t, err)
	e := storeEnv(t, schema.KindFinanceTransaction, testNow)
	require.NoError(t, s.Put(t.Context(), []schema.Envelope{e}))
	changed := e
	changed.Payload = json.RawMessage(`{"n":2}`)
	require.NoError(t, s.Put(t.Context(), []schema.Envelope{changed, e}), "putting a known id is not an error")
	got, err := s.Get(t.Context(), e.ID)
	require.NoError(t, err)
	require.JSONEq(t, `{"n":1}`, string(got.Payload), "first write wins")
	require.Equal(t, e.CollectedAt, got.CollectedAt)
	n, err := s.Count()
	require.NoError(t, err)
	require.Equal(t, 1, n)

	_, err = s.Get(t.Context(), newID(t))
	require.ErrorIs(t, err, ErrRecordNotFound)

	// A second process cannot open the file; after Close it can.
	_, err = OpenStore(path)
	require.Error(t, err)
	require.NoError(t, s.Close())
	_, err = s.Get(t.Context(), e.ID)
	require.ErrorIs(t, err, ErrStoreClosed)
	require.ErrorIs(t, s.Put(t.Context(), []schema.Envelope{e}), ErrStoreClosed)
	s, err = OpenStore(path)
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Get(t.Context(), e.ID)
	require.NoError(t, err)
}

func TestStoreScan(t *testing.T) {
	s, err := OpenStore(filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	defer s.Close()
	var fin []schema.Envelope
	for i := range 25 {
		fin = append(fin, storeEnv(t, schema.KindFinanceTransaction, testNow.Add(time.Duration(i)*time.Minute)))
	}
	other := storeEnv(t, schema.KindServicesLodging, testNow)
	// A kind whose name extends the other's must not leak into its scan.
	prefixed := storeEnv(t, schema.KindFinanceTransaction+"x", testNow)
	require.NoError(t, s.Put(t.Context(), append([]schema.Envelope{other, prefixed}, fin...)))

	scanAll := func(q ScanQuery) []string {
		var ids []string
		for {
			page, err := s.Scan(t.Context(), q)
			require.NoError(t, err)
			require.LessOrEqual(t, len(page.Records), q.Limit)
			for _, e := range page.Records {
				ids = append(ids, e.ID)
			}
			if page.Next == "" {
				return ids
			}
			q.Cursor = page.Next
		}
	}
	idsOf := func(es []schema.Envelope) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	require.Equal(t, idsOf(fin), scanAll(ScanQuery{Kind: schema.KindFinanceTransaction, Limit: 7}))
	require.Equal(t, idsOf(fin[5:10]), scanAll(ScanQuery{
		Kind: schema.KindFinanceTransaction, Limit: 2,
		From: testNow.Add(5 * time.Minute), To: testNow.Add(10 * time.Minute),
	}))
	require.Equal(t, idsOf(fin), scanAll(ScanQuery{Kind: schema.KindFinanceTransaction, Limit: 25}))
	require.Equal(t, []string{other.ID}, scanAll(ScanQuery{Kind: schema.KindServicesLodging, Limit: 1}))
	require.Empty(t, scanAll(ScanQuery{Kind: schema.KindCustomsInspection, Limit: 1}))

	page, err := s.Scan(t.Context(), ScanQuery{Kind: schema.KindFinanceTransaction, Limit: 3})
	require.NoError(t, err)
	_, err = s.Scan(t.Context(), ScanQuery{Kind: schema.KindServicesLodging, Cursor: page.Next})
	require.ErrorIs(t, err, ErrBadCursor)
	_, err = s.Scan(t.Context(), ScanQuery{Kind: schema.KindServicesLodging, Cursor: "!!"})
	require.ErrorIs(t, err, ErrBadCursor)
	_, err = s.Scan(t.Context(), ScanQuery{})
	require.ErrorContains(t, err, "Kind is required")
	_, err = s.Scan(t.Context(), ScanQuery{Kind: "k", Limit: MaxScanLimit + 1})
	require.ErrorContains(t, err, "Limit")
}

// TestStoreWritten: a Put is one write transaction whose bytes cover at
// least the records it stored; the Store of a Ledger reports the
// ledger's file.
func TestStoreWritten(t *testing.T) {
	s, err := OpenStore(filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	defer s.Close()
	before := s.Written() // opening may write (the retention index is built at open)
	var envs []schema.Envelope
	size := 0
	for range 200 {
		e := storeEnv(t, schema.KindFinanceTransaction, testNow)
		e.Payload = json.RawMessage(`{"note":"` + strings.Repeat("x", 500) + `"}`)
		b, err := e.AppendJSON(nil)
		require.NoError(t, err)
		envs, size = append(envs, e), size+len(b)
	}
	require.NoError(t, s.Put(t.Context(), envs))
	w := s.Written()
	require.Equal(t, before.Commits+1, w.Commits)
	stored := bodiesSize(t, s.db.View)
	require.Less(t, stored, size/3, "the records' bytes are stored deflated")
	require.GreaterOrEqual(t, w.Bytes-before.Bytes, uint64(stored), "the records' bytes as stored at least")

	l, err := OpenLedger(filepath.Join(t.TempDir(), "ledger.db"))
	require.NoError(t, err)
	defer l.Close()
	lb := l.Written()
	require.NoError(t, l.Store().Put(t.Context(), envs))
	require.Equal(t, l.Written(), l.Store().Written(), "one file")
	require.GreaterOrEqual(t, l.Written().Bytes-lb.Bytes, uint64(bodiesSize(t, l.db.View)))
}

// storedBytes returns the bytes the store keeps for the record at key
// (recordKey) in tx.
func storedBytes(t *testing.T, tx *bolt.Tx, key []byte) string {
	t.Helper()
	b, err := recordBytes(tx, tx.Bucket(bucketRecords).Get(key))
	require.NoError(t, err)
	return string(b)
}

// bodiesSize is the length of the values in the bodies bucket, chunks
// of commits included, in the file view reads.
func bodiesSize(t *testing.T, view func(func(*bolt.Tx) error) error) int {
	t.Helper()
	n := 0
	require.NoError(t, view(func(tx *bolt.Tx) error {
		bodies := tx.Bucket(bucketBodies)
		return bodies.ForEach(func(k, v []byte) error {
			if v != nil {
				n += len(v)
				return nil
			}
			return bodies.Bucket(k).ForEach(func(_, c []byte) error {
				n += len(c)
				return nil
			})
		})
	}))
	return n
}
