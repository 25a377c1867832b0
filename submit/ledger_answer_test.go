package submit

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// TestAnswerPacked: a stored answer reads back as it was given, with or
// without a response, and a damaged one is an error, not a wrong answer.
func TestAnswerPacked(t *testing.T) {
	for _, a := range []LedgerAnswer{
		{Org: "bank", Submission: "s1", Status: 200, At: testNow, Receipt: []byte(`{"submission_id":"s1"}`)},
		{Org: "bank", Status: 409, At: testNow, Receipt: []byte(`{"a":1}`), Response: []byte(`{"problem":"x"}`)},
		{Org: "bank", Status: 200, At: testNow},
	} {
		v, err := encodeAnswer(&a)
		require.NoError(t, err)
		got, err := decodeAnswer(v)
		require.NoError(t, err)
		assert.Equal(t, a, *got)
		_, err = decodeAnswer(v[:len(v)-3])
		assert.Error(t, err)
	}
}

// TestLedgerAnswerFromBefore: a receipt stored as JSON, as files from
// before kept it, is read back by Receipt and by the idempotency lookup.
func TestLedgerAnswerFromBefore(t *testing.T) {
	ctx := t.Context()
	l, err := OpenLedger(filepath.Join(t.TempDir(), "ledger.db"))
	require.NoError(t, err)
	defer l.Close()
	receipt := []byte(`{"submission_id":"sub-1","idempotency_key":"k1","org":"bank","received_at":"2026-06-01T12:00:00Z"}`)
	a := LedgerAnswer{Org: "bank", Submission: "sub-1", Status: 200, At: testNow, Receipt: receipt}
	v, err := json.Marshal(&a)
	require.NoError(t, err)
	require.NoError(t, l.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketReceipts).Put(orgKey("bank", "sub-1"), v); err != nil {
			return err
		}
		if err := tx.Bucket(bucketReceived).Put(timeKey(testNow, "bank", "sub-1"), []byte("k1")); err != nil {
			return err
		}
		return tx.Bucket(bucketIdempotency).Put(orgKey("bank", "k1"), []byte("sha-256:d\x00sub-1"))
	}))
	got, err := l.ReceiptBytes(ctx, "bank", "sub-1")
	require.NoError(t, err)
	assert.Equal(t, receipt, got)
	r, err := l.Receipt(ctx, "bank", "sub-1")
	require.NoError(t, err)
	assert.Equal(t, testNow, r.ReceivedAt.Truncate(time.Second))
	digest, got2, found, err := l.Idempotent(ctx, "bank", "k1")
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, "sha-256:d", digest)
	assert.Equal(t, receipt, got2.Receipt)
	assert.Equal(t, 200, got2.Status)
}
