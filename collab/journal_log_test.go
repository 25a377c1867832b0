package collab

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type recordingLogger struct {
	got  []Entry
	fail error
}

func (r *recordingLogger) LogEntry(_ context.Context, e Entry) error {
	if r.fail != nil {
		return r.fail
	}
	r.got = append(r.got, e)
	return nil
}

func TestLoggedJournalHandsOverEachEntryWithItsSeq(t *testing.T) {
	rl := &recordingLogger{}
	j := LoggedJournal(NewMemJournal(), rl)
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for range 3 {
		_, err := j.Append(t.Context(), Entry{At: at, Kind: "collab.task", Org: "lg"})
		require.NoError(t, err)
	}
	require.Len(t, rl.got, 3)
	for i, e := range rl.got {
		require.Equal(t, uint64(i+1), e.Seq)
	}
	var n int
	for _, err := range j.Entries(t.Context(), 1) {
		require.NoError(t, err)
		n++
	}
	require.Equal(t, 3, n)

	boom := errors.New("log down")
	rl.fail = boom
	seq, err := j.Append(t.Context(), Entry{At: at, Kind: "collab.task", Org: "lg"})
	require.ErrorIs(t, err, ErrEntryNotLogged)
	require.ErrorIs(t, err, boom)
	require.Equal(t, uint64(4), seq, "the entry stands in the journal")
}
