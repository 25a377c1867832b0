package taxii_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit/taxii"
)

// A remote catalog answers the queries a local one does, for what the
// reader may read there.
func TestRemoteCatalogAnswersAsLocal(t *testing.T) {
	ctx := context.Background()
	h := newHub(t, "central-bank", nil)
	local, err := collab.NewMemCatalog() // the same products the reader may read
	require.NoError(t, err)
	for i := range 12 {
		lt := []schema.ListType{schema.ListAbnormalFinancialActivity, schema.ListFlaggedAccounts}[i%2]
		producer := []string{"central-bank", "miit", "central-bank"}[i%3]
		p := product(i, lt, producer, 1+i%3)
		p.ProducedAt = p.ProducedAt.Add(time.Duration(i) * 317 * time.Microsecond) // below the millisecond
		label := schema.HandlingAmber
		if i == 7 {
			label = schema.HandlingRed // only central-bank's own
		}
		h.put(t, p, label)
		if label != schema.HandlingRed {
			require.NoError(t, local.Put(ctx, p))
		}
	}
	c := newClient(t, h, "public-security", nil)
	remote := taxii.RemoteCatalog{Client: c, Root: "/taxii2/lists/"}
	subject := product(4, schema.ListAbnormalFinancialActivity, "", 3).Entries[1].Subject.Pseudonym
	for _, q := range []collab.ProductQuery{
		{},
		{ListType: schema.ListFlaggedAccounts},
		{Producer: "miit"},
		{Subject: subject},
		{From: t0.Add(3 * time.Minute).Add(951 * time.Microsecond)},
		{From: t0.Add(2 * time.Minute), To: t0.Add(9 * time.Minute), ListType: schema.ListAbnormalFinancialActivity},
	} {
		for _, limit := range []int{0, 1, 4} {
			q.Limit = limit
			want := pageAll(t, local, q)
			got := pageAll(t, remote, q)
			require.Equal(t, mustJSON(t, want), mustJSON(t, got), "%+v", q)
		}
	}
	p, err := remote.Get(ctx, testID(0x1000+5))
	require.NoError(t, err)
	require.Equal(t, testID(0x1000+5), p.ID)
	_, err = remote.Get(ctx, testID(0x1000+7))
	require.ErrorIs(t, err, collab.ErrNotFound, "RED at another hub is not for public security")
	require.ErrorIs(t, remote.Put(ctx, p), taxii.ErrReadOnly)
	_, err = remote.Query(ctx, collab.ProductQuery{Cursor: "!!"})
	require.ErrorIs(t, err, collab.ErrBadCursor)
	pg, err := remote.Query(ctx, collab.ProductQuery{Limit: 1})
	require.NoError(t, err)
	_, err = remote.Query(ctx, collab.ProductQuery{Producer: "miit", Cursor: pg.Next})
	require.ErrorIs(t, err, collab.ErrBadCursor, "a cursor of other filters")
	_, err = remote.Query(ctx, collab.ProductQuery{Limit: -1})
	require.ErrorIs(t, err, collab.ErrInvalidQuery)
	_, err = remote.Query(ctx, collab.ProductQuery{Limit: collab.MaxQueryLimit + 1})
	require.ErrorIs(t, err, collab.ErrInvalidQuery, "as a local catalog refuses it")
	_, err = local.Query(ctx, collab.ProductQuery{Limit: collab.MaxQueryLimit + 1})
	require.ErrorIs(t, err, collab.ErrInvalidQuery)
}

func pageAll(t *testing.T, c collab.Catalog, q collab.ProductQuery) []schema.Product {
	t.Helper()
	var out []schema.Product
	for range 100 {
		pg, err := c.Query(context.Background(), q)
		require.NoError(t, err)
		out = append(out, pg.Products...)
		if pg.Next == "" {
			return out
		}
		q.Cursor = pg.Next
	}
	t.Fatal("too many pages")
	return nil
}
