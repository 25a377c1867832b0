package submit

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLedgerReceiptsPages: an organization's receipts page in the order
// they were made, skipping other organizations'; a cursor of one
// organization is refused for another, and a limit above the cap is an
// error, not a silent cut.
func TestLedgerReceiptsPages(t *testing.T) {
	f := newFixture(t, nil)
	var want []string
	for i := range 5 {
		l, _ := f.validLine(testBank)
		rc := f.send(post{body: ndjson(l)}).receipt(t)
		want = append(want, rc.SubmissionID)
		if i%2 == 0 {
			l2, _ := f.validLine(testBank2)
			f.send(post{org: testBank2, body: ndjson(l2)}).receipt(t)
		}
	}
	var got []string
	q := ReceiptQuery{Org: testBank, Limit: 2}
	pages := 0
	for {
		page, err := f.ledger.Receipts(t.Context(), q)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(page.Receipts), 2)
		for _, r := range page.Receipts {
			got = append(got, r.SubmissionID)
		}
		pages++
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
		other, err := f.ledger.Receipts(t.Context(), ReceiptQuery{Org: testBank2, Cursor: page.Next})
		require.ErrorIs(t, err, ErrBadCursor, "a cursor of another org")
		assert.Empty(t, other.Receipts)
	}
	assert.Equal(t, want, got)
	assert.Equal(t, 3, pages)

	all, err := f.ledger.Receipts(t.Context(), ReceiptQuery{Org: testBank2})
	require.NoError(t, err)
	assert.Len(t, all.Receipts, 3)

	_, err = f.ledger.Receipts(t.Context(), ReceiptQuery{Org: testBank, Limit: MaxReceiptLimit + 1})
	assert.ErrorContains(t, err, "outside 1..10000")
	_, err = f.ledger.Receipts(t.Context(), ReceiptQuery{Org: testBank, Cursor: "!"})
	assert.ErrorIs(t, err, ErrBadCursor)
	_, err = f.ledger.Receipts(t.Context(), ReceiptQuery{})
	assert.ErrorContains(t, err, "Org is required")
}
