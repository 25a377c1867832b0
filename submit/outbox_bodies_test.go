package submit

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// lines returns n record lines of about size bytes, numbered from from.
func lines(n, from, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, `{"n":%d,"pad":%q}`, from+i, strings.Repeat("x", size))
	}
	return out
}

// outboxFile reads, in o's file, the values of the items and the keys of
// the bodies.
func outboxFile(t *testing.T, o *outbox) (items map[uint64][]byte, bodies []uint64) {
	t.Helper()
	items = map[uint64][]byte{}
	require.NoError(t, o.db.View(func(tx *bolt.Tx) error {
		require.NoError(t, tx.Bucket(bucketItems).ForEach(func(k, v []byte) error {
			items[binary.BigEndian.Uint64(k)] = append([]byte(nil), v...)
			return nil
		}))
		return tx.Bucket(bucketOutboxBodies).ForEach(func(k, _ []byte) error {
			bodies = append(bodies, binary.BigEndian.Uint64(k))
			return nil
		})
	}))
	return items, bodies
}

// TestOutboxBodies: a commit of more than a page of records keeps their
// lines in one body and references in its items; batches read the lines
// back as they were queued, the counters count the lines, a crash
// resumes a batch from the body, and the body goes with the last of its
// items. A commit of less than a page keeps each line in its item.
func TestOutboxBodies(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/outbox.db"
	o, err := openOutbox(path, 1000, 1<<30, func() {})
	require.NoError(t, err)
	small, big := lines(2, 0, 100), lines(20, 100, 1000)
	require.NoError(t, o.enqueue(ctx, small, clientT0))
	require.NoError(t, o.enqueue(ctx, big, clientT0))
	var want int64
	for _, l := range append(append([][]byte{}, small...), big...) {
		want += int64(len(l))
	}
	assert.Equal(t, outboxCounts{records: 22, bytes: want}, o.count())

	items, bodies := outboxFile(t, o)
	require.Len(t, items, 22)
	assert.Equal(t, []uint64{3}, bodies, "one body, under the big commit's first seq")
	assert.Equal(t, string(small[0]), string(items[1][8:]), "a small commit's item holds its line")
	first, off, n, ok := refOf(items[3])
	require.True(t, ok, "a big commit's item refers to its body")
	assert.Equal(t, []int{3, 0, len(big[0])}, []int{int(first), off, n})

	lim := claimLimits{records: 8, bytes: 1 << 20}
	b1, _, err := o.claim(lim, clientT0, false)
	require.NoError(t, err)
	require.Len(t, b1.seqs, 8)
	for i := range 8 {
		want := small
		if i >= 2 {
			want = big[i-2:]
		} else {
			want = small[i:]
		}
		assert.Equal(t, string(want[0]), string(b1.record(i)), "record %d", i)
	}
	b2, _, err := o.claim(lim, clientT0, false)
	require.NoError(t, err)
	crashOutbox(t, o) // b1 and b2 in flight

	o, err = openOutbox(path, 1000, 1<<30, func() {})
	require.NoError(t, err)
	defer o.close()
	require.Len(t, o.resumed, 2)
	for _, b := range o.resumed {
		_, err := o.load(b)
		require.NoError(t, err)
	}
	assert.Equal(t, b2.body, o.resumed[1].body, "a resumed batch reads its lines from the body")
	for _, b := range o.resumed {
		require.NoError(t, o.complete(b, nil, nil))
	}
	_, bodies = outboxFile(t, o)
	assert.Equal(t, []uint64{3}, bodies, "6 of the body's records are left")
	b3, _, err := o.claim(claimLimits{records: 100, bytes: 1 << 20}, clientT0, false)
	require.NoError(t, err)
	require.Len(t, b3.seqs, 6)
	assert.Equal(t, string(big[19]), string(b3.record(5)))
	require.NoError(t, o.complete(b3, nil, nil))
	require.NoError(t, o.enqueue(ctx, lines(1, 500, 10), clientT0)) // a write transaction: the deletion waiting is written
	items, bodies = outboxFile(t, o)
	assert.Empty(t, bodies, "the body went with its last item")
	assert.Len(t, items, 1)
	assert.Equal(t, outboxCounts{records: 1, bytes: int64(len(lines(1, 500, 10)[0]))}, o.count())
}

// TestOutboxBodyDeadLetters: records of a body that the hub rejects
// become dead letters holding their lines, and one too large for the
// hub is dead-lettered at claim with its line; the body goes with the
// last of them.
func TestOutboxBodyDeadLetters(t *testing.T) {
	ctx := context.Background()
	o, err := openOutbox(t.TempDir()+"/outbox.db", 1000, 1<<30, func() {})
	require.NoError(t, err)
	defer o.close()
	recs := lines(10, 0, 1000)
	recs[9] = []byte(`{"n":9,"pad":"` + strings.Repeat("y", 3000) + `"}`)
	require.NoError(t, o.enqueue(ctx, recs, clientT0))
	b, dead, err := o.claim(claimLimits{records: 100, bytes: 1 << 20, line: 2000}, clientT0, false)
	require.NoError(t, err)
	require.Len(t, dead, 1)
	assert.Equal(t, CauseTooLarge, dead[0].Cause)
	assert.Equal(t, string(recs[9]), string(dead[0].Record))
	require.Len(t, b.seqs, 9)
	rejected := make([]*DeadLetter, len(b.seqs))
	for i := range rejected {
		rejected[i] = &DeadLetter{Record: b.record(i), Cause: CauseRejected, Reason: "schema"}
	}
	require.NoError(t, o.complete(b, rejected, nil))
	items, bodies := outboxFile(t, o)
	assert.Empty(t, items)
	assert.Empty(t, bodies)
	assert.Equal(t, outboxCounts{dead: 10}, o.count())
}

// TestOutboxFormats: a file of format 1 (every item holds its line) is
// read as it is and marked format 2, which an SDK of format 1 refuses; a
// body no item refers to is dropped at open; an item whose body is
// missing becomes a dead letter of cause lost, with the counters kept
// right.
func TestOutboxFormats(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/outbox.db"
	o, err := openOutbox(path, 1000, 1<<30, func() {})
	require.NoError(t, err)
	old := lines(3, 0, 50)
	require.NoError(t, o.enqueue(ctx, old, clientT0))
	require.NoError(t, o.enqueue(ctx, lines(10, 100, 1000), clientT0)) // seqs 4..13, a body
	require.NoError(t, o.db.Update(func(tx *bolt.Tx) error {
		require.NoError(t, tx.Bucket(bucketMeta).Put(metaVersion, []byte{outboxFormatLines}))
		orphan, err := tx.Bucket(bucketOutboxBodies).CreateBucket(seqKey(999))
		require.NoError(t, err)
		require.NoError(t, orphan.Put(outboxBodyKey, []byte("left behind")))
		return tx.Bucket(bucketOutboxBodies).DeleteBucket(seqKey(4)) // the body of seqs 4..13 lost
	}))
	crashOutbox(t, o)

	o, err = openOutbox(path, 1000, 1<<30, func() {})
	require.NoError(t, err)
	defer o.close()
	require.NoError(t, o.db.View(func(tx *bolt.Tx) error {
		assert.Equal(t, []byte{outboxFormat}, tx.Bucket(bucketMeta).Get(metaVersion))
		assert.Nil(t, tx.Bucket(bucketOutboxBodies).Bucket(seqKey(999)), "the orphan body is dropped")
		return nil
	}))
	b, dead, err := o.claim(claimLimits{records: 100, bytes: 1 << 20}, clientT0, false)
	require.NoError(t, err)
	require.Len(t, b.seqs, 3)
	for i := range old {
		assert.Equal(t, string(old[i]), string(b.record(i)))
	}
	require.Len(t, dead, 10)
	for _, d := range dead {
		assert.Equal(t, CauseLost, d.Cause)
		assert.Contains(t, d.Detail, "missing")
	}
	n := o.count()
	assert.EqualValues(t, 3, n.records)
	assert.EqualValues(t, 10, n.dead)
	var oldBytes int64
	for _, l := range old {
		oldBytes += int64(len(l))
	}
	assert.Equal(t, oldBytes, n.bytes, "the lost records' bytes left the counters")

	require.NoError(t, o.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(metaVersion, []byte{outboxFormat + 1})
	}))
	require.NoError(t, o.close())
	_, err = openOutbox(path, 1000, 1<<30, func() {})
	require.ErrorContains(t, err, "another version of the SDK")
}
