package collab

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withBatch holds each batch of Appends open until it has size calls: the
// window (beyond what WithAppendWindow allows) is far longer than any
// test, so the Appends of a test share one transaction whatever the
// machine's speed.
func withBatch(size int) BoltOption {
	return func(c *boltConfig) error {
		c.window, c.windowSet, c.batchMax = time.Hour, true, size
		return nil
	}
}

// batchEntry is a valid entry whose Ref names i.
func batchEntry(i int) Entry {
	return Entry{At: time.Date(2026, 12, 3, 9, 0, i, 0, time.UTC), Kind: "collab.task", Org: "leading-group", Ref: fmt.Sprint("e-", i)}
}

// appendAll appends es from one goroutine each, with another Append held
// under way so that none commits alone, and returns each one's seq and
// error.
func appendAll(j *BoltJournal, es []Entry) ([]uint64, []error) {
	seqs, errs := make([]uint64, len(es)), make([]error, len(es))
	j.running.Add(1) // as if an Append were under way
	defer j.running.Add(-1)
	var wg sync.WaitGroup
	for i, e := range es {
		wg.Go(func() { seqs[i], errs[i] = j.Append(context.Background(), e) })
	}
	wg.Wait()
	return seqs, errs
}

// readRefs reads the journal back: seq to Ref, requiring seqs 1..n.
func readRefs(t *testing.T, j *BoltJournal) map[uint64]string {
	t.Helper()
	refs := map[uint64]string{}
	want := uint64(1)
	for e, err := range j.Entries(context.Background(), 0) {
		require.NoError(t, err)
		require.Equal(t, want, e.Seq, "gap-free, in order")
		refs[e.Seq] = e.Ref
		want++
	}
	return refs
}

// TestBoltJournalGathersAppends: Appends that run together share one
// commit; each returns its own seq, durable, 1..n without a gap or a
// repeat; a reopened journal continues after them.
func TestBoltJournalGathersAppends(t *testing.T) {
	const n = 24
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := OpenBoltJournal(path, withBatch(n))
	require.NoError(t, err)
	es := make([]Entry, n)
	for i := range es {
		es[i] = batchEntry(i)
	}
	seqs, errs := appendAll(j, es)
	for i := range es {
		require.NoError(t, errs[i], "append %d", i)
	}
	assert.Equal(t, uint64(1), j.Written().Commits, "%d entries in one commit", n)
	sorted := slices.Sorted(slices.Values(seqs))
	for i, s := range sorted {
		assert.Equal(t, uint64(i+1), s, "seqs 1..%d, each once", n)
	}
	require.NoError(t, j.Close())

	j, err = OpenBoltJournal(path)
	require.NoError(t, err)
	defer j.Close()
	refs := readRefs(t, j)
	require.Len(t, refs, n, "all durable")
	for i, s := range seqs {
		assert.Equal(t, es[i].Ref, refs[s], "append %d returned the seq its entry has", i)
	}
	seq, err := j.Append(context.Background(), batchEntry(n))
	require.NoError(t, err)
	assert.Equal(t, uint64(n+1), seq, "the seq continues after reopening")
}

// TestBoltJournalAppendFailsAlone: an entry that cannot be encoded fails
// inside the shared transaction, and alone: the others commit without
// it, and it takes no seq; an invalid entry is refused before it joins.
func TestBoltJournalAppendFailsAlone(t *testing.T) {
	const good = 10
	j, err := OpenBoltJournal(filepath.Join(t.TempDir(), "journal.db"), withBatch(good+1))
	require.NoError(t, err)
	defer j.Close()
	es := make([]Entry, 0, good+2)
	for i := range good {
		es = append(es, batchEntry(i))
	}
	unencodable := batchEntry(good)
	unencodable.At = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) // valid, but JSON times end at 9999
	invalid := batchEntry(good + 1)
	invalid.Org = ""
	es = append(es, unencodable, invalid)

	seqs, errs := appendAll(j, es)
	require.Error(t, errs[good])
	assert.ErrorContains(t, errs[good], "collab: journal append: ")
	assert.ErrorContains(t, errs[good], "year outside of range")
	assert.NotErrorIs(t, errs[good], ErrInvalidEntry)
	assert.ErrorIs(t, errs[good+1], ErrInvalidEntry)
	for i := range good {
		require.NoError(t, errs[i], "append %d is not failed by another's error", i)
	}
	assert.Equal(t, uint64(1), j.Written().Commits, "the others in one commit; the failed one's own rolled back")
	refs := readRefs(t, j)
	require.Len(t, refs, good, "no seq taken by the failed or the refused entry")
	for i := range good {
		assert.Equal(t, es[i].Ref, refs[seqs[i]], "append %d", i)
	}
}

// TestBoltJournalLoneAppendCommitsAtOnce: an Append that finds none under
// way does not wait in the window (here an hour: were it to wait, the
// test would hang until go test's -timeout).
func TestBoltJournalLoneAppendCommitsAtOnce(t *testing.T) {
	j, err := OpenBoltJournal(filepath.Join(t.TempDir(), "journal.db"), withBatch(1000))
	require.NoError(t, err)
	defer j.Close()
	for i := range 3 {
		seq, err := j.Append(context.Background(), batchEntry(i))
		require.NoError(t, err)
		assert.Equal(t, uint64(i+1), seq)
	}
	assert.Equal(t, uint64(3), j.Written().Commits)
}

// TestBoltJournalGatheredAppendAfterClose: an Append that would join
// others after Close returns ErrJournalClosed and writes nothing.
func TestBoltJournalGatheredAppendAfterClose(t *testing.T) {
	j, err := OpenBoltJournal(filepath.Join(t.TempDir(), "journal.db"), withBatch(2))
	require.NoError(t, err)
	require.NoError(t, j.Close())
	_, errs := appendAll(j, []Entry{batchEntry(0)})
	assert.Equal(t, ErrJournalClosed, errs[0])
	assert.Equal(t, WriteStats{}, j.Written())
}
