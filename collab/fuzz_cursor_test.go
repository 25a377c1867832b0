package collab_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sicollab/sicollab/collab"
)

// FuzzCursors: catalog and journal cursors come from outside (a caller, a
// query string). Query and ReadJournal never panic on one; a cursor they
// did not hand out is ErrBadCursor, never another failure.
func FuzzCursors(f *testing.F) {
	ctx := context.Background()
	cat, err := collab.NewMemCatalog()
	if err != nil {
		f.Fatal(err)
	}
	j := collab.NewMemJournal()
	for i := range 3 {
		if err := cat.Put(ctx, catProduct(i)); err != nil {
			f.Fatal(err)
		}
		if _, err := j.Append(ctx, jEntry(i)); err != nil {
			f.Fatal(err)
		}
	}
	page, err := cat.Query(ctx, collab.ProductQuery{Limit: 1})
	if err != nil {
		f.Fatal(err)
	}
	jpage, err := collab.ReadJournal(ctx, j, collab.JournalQuery{Limit: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(page.Next)
	f.Add(jpage.Next)
	f.Add("eyJ2IjoxfQ") // {"v":1}
	f.Fuzz(func(t *testing.T, cursor string) {
		if _, err := cat.Query(ctx, collab.ProductQuery{Cursor: cursor}); err != nil && !errors.Is(err, collab.ErrBadCursor) {
			t.Fatalf("catalog: %v", err)
		}
		if _, err := collab.ReadJournal(ctx, j, collab.JournalQuery{Cursor: cursor}); err != nil && !errors.Is(err, collab.ErrBadCursor) {
			t.Fatalf("journal: %v", err)
		}
	})
}
