package collab_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
)

// TestReadJournalPages: pages of a journal hold every entry once, in Seq
// order, whatever the page size; the last page has no Next; a bad cursor
// and a limit above the cap are errors.
func TestReadJournalPages(t *testing.T) {
	for _, impl := range journalImpls {
		t.Run(impl.name, func(t *testing.T) {
			ctx := context.Background()
			j := impl.open(t)
			for i := range 7 {
				_, err := j.Append(ctx, jEntry(i))
				require.NoError(t, err)
			}
			for _, limit := range []int{1, 2, 7, 0} {
				var seqs []uint64
				q := collab.JournalQuery{Limit: limit}
				for {
					page, err := collab.ReadJournal(ctx, j, q)
					require.NoError(t, err)
					for _, e := range page.Entries {
						seqs = append(seqs, e.Seq)
					}
					if page.Next == "" {
						break
					}
					q.Cursor = page.Next
				}
				assert.Equal(t, []uint64{1, 2, 3, 4, 5, 6, 7}, seqs, "limit %d", limit)
			}
			page, err := collab.ReadJournal(ctx, j, collab.JournalQuery{From: 6})
			require.NoError(t, err)
			require.Len(t, page.Entries, 2)
			assert.Equal(t, uint64(6), page.Entries[0].Seq)

			for _, c := range []string{"!", "AQ", "AAAAAAAAAAA"} {
				_, err = collab.ReadJournal(ctx, j, collab.JournalQuery{Cursor: c})
				assert.ErrorIs(t, err, collab.ErrBadCursor, c)
			}
			_, err = collab.ReadJournal(ctx, j, collab.JournalQuery{Limit: collab.MaxJournalLimit + 1})
			assert.ErrorContains(t, err, "outside 1..10000")
		})
	}
}
