package submit

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// crashOutbox stops o as a killed process would: the committer ends and
// the file is closed with nothing more written (no deletion waiting is
// applied).
func crashOutbox(t *testing.T, o *outbox) {
	t.Helper()
	close(o.quit)
	<-o.committerDone
	require.NoError(t, o.db.Close())
}

// TestOutboxCompleteLater: a batch the hub accepted whole is counted out
// at once and deleted by the next write transaction; a crash before that
// transaction resumes it under its key, and one after does not.
func TestOutboxCompleteLater(t *testing.T) {
	ctx := context.Background()
	lim := claimLimits{records: 4, bytes: 1 << 20}
	open := func(t *testing.T, path string) *outbox {
		o, err := openOutbox(path, 1000, 1<<30, func() {})
		require.NoError(t, err)
		return o
	}
	setup := func(t *testing.T) (string, *outbox, *outBatch) {
		path := t.TempDir() + "/outbox.db"
		o := open(t, path)
		require.NoError(t, o.enqueue(ctx, clientRecords(t, 10), clientT0))
		b, _, err := o.claim(lim, clientT0, false)
		require.NoError(t, err)
		require.NoError(t, o.complete(b, nil, nil))
		n := o.count()
		assert.Equal(t, outboxCounts{records: 6, bytes: n.bytes, inflight: 0}, n)
		assert.True(t, o.coveredUpTo(4), "the batch's records have left")
		assert.False(t, o.coveredUpTo(5))
		assert.Len(t, o.later, 1, "its deletion waits")
		return path, o, b
	}

	t.Run("crash before the next transaction", func(t *testing.T) {
		path, o, b := setup(t)
		crashOutbox(t, o)
		o = open(t, path)
		defer o.close()
		require.Len(t, o.resumed, 1, "resent under its key")
		assert.Equal(t, b.key, o.resumed[0].key)
		assert.Equal(t, b.seqs, o.resumed[0].seqs)
		n := o.count()
		assert.EqualValues(t, 10, n.records)
		assert.EqualValues(t, 4, n.inflight)
	})
	t.Run("the next claim deletes it", func(t *testing.T) {
		path, o, _ := setup(t)
		b2, _, err := o.claim(lim, clientT0, false)
		require.NoError(t, err)
		assert.Empty(t, o.later)
		crashOutbox(t, o)
		o = open(t, path)
		defer o.close()
		require.Len(t, o.resumed, 1)
		assert.Equal(t, b2.key, o.resumed[0].key, "only the batch still in flight")
		n := o.count()
		assert.EqualValues(t, 6, n.records)
		assert.EqualValues(t, 4, n.inflight)
	})
	t.Run("a group commit deletes it", func(t *testing.T) {
		path, o, _ := setup(t)
		require.NoError(t, o.enqueue(ctx, clientRecords(t, 1), clientT0))
		crashOutbox(t, o)
		o = open(t, path)
		defer o.close()
		assert.Empty(t, o.resumed)
		assert.EqualValues(t, 7, o.count().records)
	})
	t.Run("close deletes it", func(t *testing.T) {
		path, o, _ := setup(t)
		require.NoError(t, o.close())
		o = open(t, path)
		defer o.close()
		assert.Empty(t, o.resumed)
		assert.EqualValues(t, 6, o.count().records)
	})
	t.Run("a dead letter is written at once", func(t *testing.T) {
		path := t.TempDir() + "/outbox.db"
		o := open(t, path)
		require.NoError(t, o.enqueue(ctx, clientRecords(t, 4), clientT0))
		b, _, err := o.claim(lim, clientT0, false)
		require.NoError(t, err)
		dead := make([]*DeadLetter, len(b.seqs))
		dead[1] = &DeadLetter{Record: b.record(1), Cause: CauseRejected, At: clientT0}
		require.NoError(t, o.complete(b, dead, nil))
		assert.Empty(t, o.later)
		crashOutbox(t, o)
		o = open(t, path)
		defer o.close()
		assert.Empty(t, o.resumed)
		n := o.count()
		assert.EqualValues(t, 0, n.records)
		assert.EqualValues(t, 1, n.dead)
	})
}

// TestOutboxClaimInCommit: a sender waiting for records gets its batch
// claimed by the group commit that queues them, in the same durable
// transaction; one that withdraws first gets nothing.
func TestOutboxClaimInCommit(t *testing.T) {
	ctx := context.Background()
	lim := claimLimits{records: 4, bytes: 1 << 20}
	path := t.TempDir() + "/outbox.db"
	o, err := openOutbox(path, 1000, 1<<30, func() {})
	require.NoError(t, err)
	gone := o.await(lim, false)
	require.True(t, o.withdraw(gone))
	r := o.await(lim, false)
	r2 := o.await(claimLimits{records: 100, bytes: 1 << 20}, false) // not filled by 10
	require.NoError(t, o.enqueue(ctx, clientRecords(t, 10), clientT0))
	select {
	case <-r.done:
	default:
		t.Fatal("the commit that filled a batch did not claim it")
	}
	require.NoError(t, r.err)
	require.NotNil(t, r.b)
	assert.Equal(t, []uint64{1, 2, 3, 4}, r.b.seqs)
	assert.True(t, o.withdraw(r2), "a batch it does not fill stays for the sender's linger")
	n := o.count()
	assert.EqualValues(t, 10, n.records)
	assert.EqualValues(t, 4, n.inflight)
	b2, _, err := o.claim(lim, clientT0, false)
	require.NoError(t, err)
	assert.Equal(t, []uint64{5, 6, 7, 8}, b2.seqs, "claims stay disjoint")
	crashOutbox(t, o)
	o, err = openOutbox(path, 1000, 1<<30, func() {})
	require.NoError(t, err)
	defer o.close()
	require.Len(t, o.resumed, 2, "the claim was durable with the records")
	assert.Equal(t, r.b.key, o.resumed[0].key)
}
