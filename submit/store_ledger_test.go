package submit

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// TestStoreInLedger runs a hub whose Store is its Ledger's
// (Ledger.Store): records, their ids and the receipt are written in one
// transaction. Accepted records are stored as sent; duplicates, conflicts
// and replays answer as with two files; a record sent by two requests at
// once is stored once and accepted by exactly one; everything survives a
// reopen of the file.
func TestStoreInLedger(t *testing.T) {
	f := newFixture(t, oneFile)
	require.Same(t, f.cfg.Sink, f.store)
	require.True(t, f.h.storeInLedger())

	l1, id1 := f.validLine(testBank)
	key := newID(t)
	first := f.send(post{key: key, body: ndjson(l1, []byte("bad"))})
	require.Equal(t, 200, first.status, "%s", first.body)
	rc := first.receipt(t)
	require.Equal(t, Counts{Records: 2, Accepted: 1, Rejected: 1}, rc.Counts)
	got, err := f.store.Get(t.Context(), id1)
	require.NoError(t, err)
	require.Equal(t, id1, got.ID)
	require.NoError(t, f.ledger.db.View(func(tx *bolt.Tx) error {
		require.Equal(t, string(l1), storedBytes(t, tx, recordKey(testBank, id1)), "stored as sent")
		return nil
	}))
	// A replay: the same answer, nothing stored again.
	again := f.send(post{key: key, body: ndjson(l1, []byte("bad"))})
	require.Equal(t, first.body, again.body)
	// Another key: a duplicate.
	require.Equal(t, Counts{Records: 1, Duplicate: 1}, f.send(post{body: ndjson(l1)}).receipt(t).Counts)
	// The same id with another payload: a conflict, and the first copy stays.
	var env map[string]any
	require.NoError(t, json.Unmarshal(l1, &env))
	env["payload"].(map[string]any)["reference"] = "another-ref-0001"
	changed, err := json.Marshal(env)
	require.NoError(t, err)
	pr := f.send(post{body: ndjson(changed)})
	require.Equal(t, 422, pr.status, "%s", pr.body)
	require.Equal(t, ReasonConflict, pr.problem(t).Results[0].Reason)
	got2, err := f.store.Get(t.Context(), id1)
	require.NoError(t, err)
	require.Equal(t, got.Payload, got2.Payload)

	// One new record sent by several requests at once, each with its own
	// key: stored once, accepted once, a duplicate for the others.
	l2, id2 := f.validLine(testBank)
	const senders = 4 // MaxInFlightPerOrg
	counts := make([]Counts, senders)
	var wg sync.WaitGroup
	for i := range senders {
		wg.Go(func() { counts[i] = f.send(post{body: ndjson(l2)}).receipt(t).Counts })
	}
	wg.Wait()
	var sum Counts
	for _, c := range counts {
		sum.Accepted += c.Accepted
		sum.Duplicate += c.Duplicate
	}
	require.Equal(t, 1, sum.Accepted)
	require.Equal(t, senders-1, sum.Duplicate)

	before, err := f.store.Count()
	require.NoError(t, err)
	f.restart()
	require.Same(t, f.cfg.Sink, f.store)
	after, err := f.store.Count()
	require.NoError(t, err)
	require.Equal(t, before, after)
	_, err = f.store.Get(t.Context(), id2)
	require.NoError(t, err)
	org, sub, ok, err := f.ledger.SeenBy(t.Context(), testBank, id2)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, testBank, org)
	require.NotEmpty(t, sub)
	// Past every record's retain_until, the Store in the ledger's file
	// purges them (through the retain index the commit wrote), and the
	// file compacts while open.
	n, err := f.store.PurgeRecords(t.Context(), got.RetainUntil.AddDate(1, 0, 0))
	require.NoError(t, err)
	require.Equal(t, after, n)
	left, err := f.store.Count()
	require.NoError(t, err)
	require.Zero(t, left)
	_, err = f.ledger.Compact(t.Context())
	require.NoError(t, err)
	// The Store's Close leaves the Ledger's file open.
	require.NoError(t, f.store.Close())
	_, err = f.ledger.Receipt(t.Context(), testBank, rc.SubmissionID)
	require.NoError(t, err)
	// Closing the Ledger closes the Store.
	require.NoError(t, f.ledger.Close())
	_, err = f.store.Count()
	require.ErrorIs(t, err, ErrStoreClosed)
}
