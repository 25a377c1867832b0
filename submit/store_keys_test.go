package submit

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/schema"
)

func TestRecordKeyOf(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"id\x00src", "src\x00id"},
		{"src\x00id", "id\x00src"},
		{"\x00src", "src\x00"},
		{"noseparator", "noseparator"},
		{"", ""},
	} {
		assert.Equal(t, tc.want, string(recordKeyOf([]byte(tc.in))), "%q", tc.in)
	}
	ref := indexRef("0190a1b2-0000-7000-8000-000000000001", testBank)
	assert.Equal(t, string(recordKey(testBank, "0190a1b2-0000-7000-8000-000000000001")), string(recordKeyOf(ref)))
}

// idFirstFile turns the records index of an open store into the one of
// files from before records3 (records2, id first), dropping records3,
// which the next open creates empty.
func idFirstFile(t *testing.T, tx *bolt.Tx) {
	t.Helper()
	old, err := tx.CreateBucket(bucketRecordsIDFirst)
	require.NoError(t, err)
	require.NoError(t, tx.Bucket(bucketRecords).ForEach(func(k, v []byte) error {
		return old.Put(recordKeyOf(k), bytes.Clone(v))
	}))
	require.NoError(t, tx.DeleteBucket(bucketRecords))
}

// TestStoreRecordsFromBefore: a store file from before records3, whose
// retention index is missing too, opens with its records moved (in
// steps, a crash between steps leaving the rest for the next open), and
// reads, scans and purges as one written today. The same id from two
// sources stays two records.
func TestStoreRecordsFromBefore(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := OpenStore(path)
	require.NoError(t, err)
	var envs []schema.Envelope
	for i := range 7 {
		e := bulkEnv(i, testNow.AddDate(0, 0, i-3)) // 0..3 due at testNow
		envs = append(envs, e)
	}
	twin := bulkEnv(3, testNow.AddDate(1, 0, 0))
	twin.Source = "a-" + testBank // first in byte order: Get without a source finds it
	envs = append(envs, twin)
	require.NoError(t, s.Put(ctx, envs))
	require.NoError(t, s.db.Update(func(tx *bolt.Tx) error {
		idFirstFile(t, tx)
		return tx.DeleteBucket(bucketByRetain)
	}))
	// A step of the move, then a "crash": records2 and records3 both hold
	// some of the records.
	done, err := moveBucket(s.db, bucketRecordsIDFirst, bucketRecords, recordKeyOf, 3)
	require.NoError(t, err)
	require.False(t, done)
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		assert.Equal(t, 3, tx.Bucket(bucketRecords).Stats().KeyN)
		assert.Equal(t, len(envs)-3, tx.Bucket(bucketRecordsIDFirst).Stats().KeyN)
		return nil
	}))
	require.NoError(t, s.Close())

	s, err = OpenStore(path)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		assert.Nil(t, tx.Bucket(bucketRecordsIDFirst), "records2 is dropped once moved")
		return nil
	}))
	n, err := s.Count()
	require.NoError(t, err)
	assert.Equal(t, len(envs), n)
	for _, e := range envs {
		got, err := s.GetFrom(ctx, e.Source, e.ID)
		require.NoError(t, err)
		assert.Equal(t, e.Source, got.Source)
		assert.Equal(t, e.RetainUntil, got.RetainUntil)
	}
	got, err := s.Get(ctx, twin.ID)
	require.NoError(t, err)
	assert.Equal(t, twin.Source, got.Source, "Get without a source: the source first in byte order")
	page, err := s.Scan(ctx, ScanQuery{Kind: schema.KindFinanceTransaction})
	require.NoError(t, err)
	assert.Len(t, page.Records, len(envs))

	purged, err := s.PurgeRecords(ctx, testNow)
	require.NoError(t, err)
	assert.Equal(t, 4, purged, "the retention index was rebuilt from the moved records")
	_, err = s.GetFrom(ctx, testBank, envs[2].ID)
	assert.ErrorIs(t, err, ErrRecordNotFound)
	_, err = s.GetFrom(ctx, twin.Source, twin.ID)
	assert.NoError(t, err, "the twin is due next year")
	got, err = s.Get(ctx, envs[4].ID)
	require.NoError(t, err)
	assert.Equal(t, testBank, got.Source)
}

// TestLedgerRecordsFromBefore: a ledger file from before records3 moves
// its Store's records at open too.
func TestLedgerRecordsFromBefore(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "ledger.db")
	l, err := OpenLedger(path)
	require.NoError(t, err)
	e := bulkEnv(1, testNow.AddDate(1, 0, 0))
	require.NoError(t, l.Store().Put(ctx, []schema.Envelope{e}))
	require.NoError(t, l.db.Update(func(tx *bolt.Tx) error { idFirstFile(t, tx); return nil }))
	require.NoError(t, l.Close())
	l, err = OpenLedger(path)
	require.NoError(t, err)
	defer l.Close()
	got, err := l.Store().Get(ctx, e.ID)
	require.NoError(t, err)
	assert.Equal(t, e.ID, got.ID)
}

// TestStoreGetAcrossSources: Get by id alone seeks each source in turn:
// it finds an id held only by the last source, and reports one no
// source holds.
func TestStoreGetAcrossSources(t *testing.T) {
	ctx := t.Context()
	s, err := OpenStore(filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	defer s.Close()
	var envs []schema.Envelope
	for i, src := range []string{"org-a", "org-b", "org-b.x", "org-c"} {
		for j := range 3 {
			e := bulkEnv(10*i+j, testNow.AddDate(1, 0, 0))
			e.Source = src
			envs = append(envs, e)
		}
	}
	last := bulkEnv(99, testNow.AddDate(1, 0, 0))
	last.Source = "org-c"
	envs = append(envs, last)
	require.NoError(t, s.Put(ctx, envs))
	for _, e := range envs {
		got, err := s.Get(ctx, e.ID)
		require.NoError(t, err, e.ID)
		assert.Equal(t, e.Source, got.Source, e.ID)
	}
	_, err = s.Get(ctx, "rec-000098")
	assert.ErrorIs(t, err, ErrRecordNotFound)
	_, err = s.GetFrom(ctx, "org-a", last.ID)
	assert.ErrorIs(t, err, ErrRecordNotFound)
}

// TestStorePutRefusesNUL: an id or source with a NUL byte would make a
// record's keys ambiguous; Put refuses the batch and names the field.
func TestStorePutRefusesNUL(t *testing.T) {
	ctx := t.Context()
	s, err := OpenStore(filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	defer s.Close()
	for _, tc := range []struct {
		field string
		mod   func(*schema.Envelope)
	}{
		{"/id", func(e *schema.Envelope) { e.ID = "rec\x00x" }},
		{"/source", func(e *schema.Envelope) { e.Source = "org\x00x" }},
	} {
		ok, bad := bulkEnv(1, testNow.AddDate(1, 0, 0)), bulkEnv(2, testNow.AddDate(1, 0, 0))
		tc.mod(&bad)
		err := s.Put(ctx, []schema.Envelope{ok, bad})
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.field)
		assert.Contains(t, err.Error(), "NUL")
		n, err := s.Count()
		require.NoError(t, err)
		assert.Zero(t, n, "nothing of the batch is stored")
	}
}
