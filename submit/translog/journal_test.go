package translog

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sicollab/sicollab/collab"
)

// A journal wrapped by collab.LoggedJournal puts each entry's digest in
// the log, in Seq order; each entry is provable, and an entry edited in
// the journal no longer matches its leaf.
func TestLoggedJournal(t *testing.T) {
	bj, err := collab.OpenBoltJournal(filepath.Join(t.TempDir(), "journal.db"))
	require.NoError(t, err)
	t.Cleanup(func() { bj.Close() })
	l := openTest(t, testConfig(t, "log.db"))
	j := collab.LoggedJournal(bj, l)
	ctx := t.Context()

	for i := range 5 {
		data, _ := json.Marshal(map[string]any{"title": "task", "n": i})
		seq, err := j.Append(ctx, collab.Entry{At: testAt, Kind: "collab.task", Interaction: collab.InteractionTask,
			Org: "lg", Counterpart: "psb", Ref: "t-1", Data: data})
		require.NoError(t, err)
		require.Equal(t, uint64(i+1), seq)
	}
	cp := l.Checkpoint()
	require.Equal(t, int64(5), cp.Size)
	var n int64
	for e, err := range j.Entries(ctx, 1) {
		require.NoError(t, err)
		want, err := JournalLeafOf(e)
		require.NoError(t, err)
		wantBytes, _ := want.Encode()
		got, err := l.Leaf(ctx, n)
		require.NoError(t, err)
		require.Equal(t, wantBytes, got, "leaf %d is entry %d", n, e.Seq)
		p, err := l.ProveInclusion(ctx, n, cp.Size)
		require.NoError(t, err)
		require.NoError(t, tlog.CheckRecord(p, cp.Size, cp.Hash, n, tlog.RecordHash(got)))

		edited := e
		edited.Data = json.RawMessage(`{"title":"other"}`)
		d, err := EntryDigest(edited)
		require.NoError(t, err)
		require.NotEqual(t, want.Journal.EntryDigest, d)
		n++
	}
	require.Equal(t, int64(5), n)

	// A closed log: the entry stays in the journal, the error says so.
	require.NoError(t, l.Close())
	seq, err := j.Append(ctx, collab.Entry{At: testAt, Kind: "collab.task", Org: "lg"})
	require.ErrorIs(t, err, collab.ErrEntryNotLogged)
	require.ErrorIs(t, err, ErrClosed)
	require.Equal(t, uint64(6), seq)
}
