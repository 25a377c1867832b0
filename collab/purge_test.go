package collab_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit/translog"
)

// TestJournalPurgeData: entries older than the cut-off lose their Data
// and keep their digest, so the log leaf made of them before the purge
// is the leaf made of them after; newer entries keep everything; the
// purge is told the sequence numbers first; a second purge finds nothing;
// the purged form survives a reopen and a feedback report skips it.
func TestJournalPurgeData(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := collab.OpenBoltJournal(path, collab.WithReadPage(2))
	require.NoError(t, err)
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	var leaves [][]byte
	for i, at := range []time.Time{t0, t0.Add(24 * time.Hour), t0.Add(72 * time.Hour)} {
		e := collab.Entry{At: at, Kind: collab.EntryRecordsOutcome, Interaction: collab.InteractionSubmission,
			Org: "bank-north-01", Counterpart: "central-bank", Ref: catID(i),
			Data: json.RawMessage(`{"submitted": 3, "accepted": 2, "rejected": 1, "duplicate": 0}`)}
		seq, err := collab.LoggedJournal(j, leafRecorder{&leaves}).Append(ctx, e)
		require.NoError(t, err)
		require.Equal(t, uint64(i+1), seq)
	}
	var told []string
	n, err := j.PurgeData(ctx, t0.Add(48*time.Hour), func(_ context.Context, ids []string) error {
		told = append(told, ids...)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Equal(t, []string{"1", "2"}, told)
	n, err = j.PurgeData(ctx, t0.Add(48*time.Hour), nil)
	require.NoError(t, err)
	assert.Zero(t, n, "a second purge finds nothing")
	require.NoError(t, j.Close())

	j, err = collab.OpenBoltJournal(path)
	require.NoError(t, err)
	defer j.Close()
	var got []collab.Entry
	for e, err := range j.Entries(ctx, 0) {
		require.NoError(t, err)
		got = append(got, e)
	}
	require.Len(t, got, 3)
	for i, e := range got {
		leaf, err := translog.JournalLeafOf(e)
		require.NoError(t, err)
		raw, err := leaf.Encode()
		require.NoError(t, err)
		assert.Equal(t, string(leaves[i]), string(raw), "entry %d's leaf is the one logged before the purge", e.Seq)
		assert.Equal(t, i < 2, e.Purged())
		assert.Equal(t, i < 2, len(e.Data) == 0)
		assert.Equal(t, catID(i), e.Ref, "who, what and when stay")
	}
	_, err = collab.LoadCaseLibrary(ctx, j)
	require.NoError(t, err, "readers skip purged entries")
}

// leafRecorder is a collab.EntryLogger that keeps each entry's encoded
// leaf.
type leafRecorder struct{ leaves *[][]byte }

func (r leafRecorder) LogEntry(_ context.Context, e collab.Entry) error {
	l, err := translog.JournalLeafOf(e)
	if err != nil {
		return err
	}
	raw, err := l.Encode()
	*r.leaves = append(*r.leaves, raw)
	return err
}

// TestCatalogPurgeProducts: products produced before the cut-off go,
// with their labels and every index entry (queries by list, producer and
// subject no longer find them); the others stay; then the file compacts
// and backs up.
func TestCatalogPurgeProducts(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	c, err := collab.OpenBoltCatalog(filepath.Join(dir, "catalog.db"))
	require.NoError(t, err)
	defer c.Close()
	ps := catFixture()
	for _, p := range ps {
		require.NoError(t, c.PutLabeled(ctx, p, schema.HandlingAmber))
	}
	cut := catT0.Add(5 * time.Hour) // products 0-9
	var told []string
	n, err := c.PurgeProducts(ctx, cut, func(_ context.Context, ids []string) error {
		told = append(told, ids...)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 10, n)
	assert.True(t, slices.IsSorted(told))
	assert.Len(t, told, 10)
	for _, p := range ps {
		_, err := c.Get(ctx, p.ID)
		if p.ProducedAt.Before(cut) {
			require.ErrorIs(t, err, collab.ErrNotFound)
			_, err = c.Label(ctx, p.ID)
			require.ErrorIs(t, err, collab.ErrNotFound)
			assert.Contains(t, told, p.ID)
		} else {
			require.NoError(t, err)
		}
	}
	for _, q := range []collab.ProductQuery{{}, {ListType: catLists[0]}, {Producer: catProducers[1]}, {Subject: catPseudonym("ann")}} {
		page, err := c.Query(ctx, collab.ProductQuery{ListType: q.ListType, Producer: q.Producer, Subject: q.Subject, Limit: 1000})
		require.NoError(t, err)
		for _, p := range page.Products {
			assert.False(t, p.ProducedAt.Before(cut), "query %+v still finds purged %s", q, p.ID)
		}
	}
	_, err = c.Compact(ctx)
	require.NoError(t, err)
	_, err = c.Backup(ctx, filepath.Join(dir, "backup.db"))
	require.NoError(t, err)
	b, err := collab.OpenBoltCatalog(filepath.Join(dir, "backup.db"))
	require.NoError(t, err)
	defer b.Close()
	page, err := b.Query(ctx, collab.ProductQuery{Limit: 1000})
	require.NoError(t, err)
	assert.Len(t, page.Products, len(ps)-10)
}
