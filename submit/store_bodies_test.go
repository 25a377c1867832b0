package submit

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/schema"
)

// TestStoreBodies checks the layout of a record: its bytes in the
// bodies bucket under an arrival sequence, its key naming them; a
// record of a file from before bodies (the envelope as the key's value)
// is read, scanned and purged as before; compaction keeps the arrival
// sequence; a purge deletes the body too.
func TestStoreBodies(t *testing.T) {
	s, err := OpenStore(filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	defer s.Close()
	ctx := t.Context()
	kind := schema.KindFinanceTransaction
	newer, older := storeEnv(t, kind, testNow), storeEnv(t, kind, testNow.Add(-1))
	require.NoError(t, s.Put(ctx, []schema.Envelope{newer}))

	// A record as files from before bodies kept it.
	raw, err := older.AppendJSON(nil)
	require.NoError(t, err)
	require.NoError(t, s.db.Update(func(tx *bolt.Tx) error {
		return putRecordsTx(tx, recordsOf([]schema.Envelope{older}), [][]byte{raw})
	}))
	require.NoError(t, s.db.Update(func(tx *bolt.Tx) error {
		k := orgKey(older.ID, older.Source)
		v := tx.Bucket(bucketRecords).Get(k)
		require.Len(t, v, 9, "a key names its body")
		require.Equal(t, byte(bodyRefMark), v[0])
		require.Equal(t, string(raw), string(tx.Bucket(bucketBodies).Get(v[1:])))
		require.NoError(t, tx.Bucket(bucketBodies).Delete(v[1:]))
		return tx.Bucket(bucketRecords).Put(k, raw)
	}))

	for _, e := range []schema.Envelope{newer, older} {
		got, err := s.Get(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, e.ID, got.ID)
	}
	page, err := s.Scan(ctx, ScanQuery{Kind: kind})
	require.NoError(t, err)
	require.Len(t, page.Records, 2)
	require.Equal(t, older.ID, page.Records[0].ID, "in collected_at order")

	// Compaction keeps the sequence: a record put after it does not
	// take the body of one put before.
	_, err = s.Compact(ctx)
	require.NoError(t, err)
	third := storeEnv(t, kind, testNow.Add(1))
	require.NoError(t, s.Put(ctx, []schema.Envelope{third}))
	for _, e := range []schema.Envelope{newer, older, third} {
		got, err := s.Get(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, e.ID, got.ID)
	}

	n, err := s.PurgeRecords(ctx, third.RetainUntil)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		require.Zero(t, tx.Bucket(bucketRecords).Stats().KeyN)
		require.Zero(t, tx.Bucket(bucketBodies).Stats().KeyN, "no body outlives its record")
		return nil
	}))
}
