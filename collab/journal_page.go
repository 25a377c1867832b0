package collab

import (
	"context"
	"fmt"

	"github.com/sicollab/sicollab/internal/boltdb"
)

// Default and largest page sizes of ReadJournal.
const (
	DefaultJournalLimit = 100
	MaxJournalLimit     = 10_000
)

// JournalQuery selects a page of a journal's entries.
type JournalQuery struct {
	// From is the first Seq wanted when Cursor is empty; 0 and 1 both
	// start at the first entry.
	From uint64
	// Limit is the page size: DefaultJournalLimit when 0; a negative value
	// or one above MaxJournalLimit is an error, never a silent cut.
	Limit int
	// Cursor continues a listing: JournalPage.Next of the previous page.
	// When set, From is ignored.
	Cursor string
}

// JournalPage is one page of entries, in Seq order.
type JournalPage struct {
	// Entries are the page's, at most JournalQuery.Limit.
	Entries []Entry
	// Next is the cursor of the following page; empty when the page
	// reached the end of the journal as it was read.
	Next string
}

// ReadJournal returns one page of j's entries: the page form of
// Journal.Entries, for callers that list a journal across requests (an
// operator's tool, an HTTP endpoint), under the same convention as
// Catalog.Query and the submit package's Store.Scan, Ledger.Receipts and
// Client.DeadLetters. Entries stays the way to fold over a whole journal
// in one call. A cursor ReadJournal did not hand out yields an error
// wrapping ErrBadCursor.
func ReadJournal(ctx context.Context, j Journal, q JournalQuery) (JournalPage, error) {
	var page JournalPage
	limit, err := boltdb.Limit("Limit", q.Limit, DefaultJournalLimit, MaxJournalLimit)
	if err != nil {
		return page, fmt.Errorf("collab: read journal: %w", err)
	}
	from := q.From
	if q.Cursor != "" {
		k, err := boltdb.DecodeCursor(q.Cursor, ErrBadCursor)
		if err == nil {
			var ok bool
			if from, ok = boltdb.Seq(k); !ok || from == 0 {
				err = boltdb.BadCursor(ErrBadCursor, "not a journal position")
			}
		}
		if err != nil {
			return page, fmt.Errorf("collab: read journal: %w", err)
		}
	}
	for e, err := range j.Entries(ctx, from) {
		if err != nil {
			return JournalPage{}, fmt.Errorf("collab: read journal: %w", err)
		}
		if len(page.Entries) == limit {
			page.Next = boltdb.EncodeCursor(boltdb.SeqKey(e.Seq))
			break
		}
		page.Entries = append(page.Entries, e)
	}
	return page, nil
}
