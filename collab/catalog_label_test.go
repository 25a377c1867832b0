package collab_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

func TestCatalogLabels(t *testing.T) {
	ctx := context.Background()
	for _, impl := range catalogImpls {
		t.Run(impl.name, func(t *testing.T) {
			c := impl.open(t).(collab.LabeledCatalog)
			p0, p1 := catProduct(0), catProduct(1)
			require.NoError(t, c.PutLabeled(ctx, p0, schema.HandlingAmber))
			require.NoError(t, c.Put(ctx, p1))
			h, err := c.Label(ctx, p0.ID)
			require.NoError(t, err)
			require.Equal(t, schema.HandlingAmber, h)
			h, err = c.Label(ctx, p1.ID)
			require.NoError(t, err)
			require.Equal(t, schema.Handling(""), h, "put without a label")
			_, err = c.Label(ctx, catID(9))
			require.ErrorIs(t, err, collab.ErrNotFound)

			// Put again: a label only ever tightens.
			require.NoError(t, c.PutLabeled(ctx, p0, schema.HandlingGreen))
			h, _ = c.Label(ctx, p0.ID)
			require.Equal(t, schema.HandlingAmber, h, "a wider label does not widen")
			require.NoError(t, c.PutLabeled(ctx, p0, schema.HandlingRed))
			h, _ = c.Label(ctx, p0.ID)
			require.Equal(t, schema.HandlingRed, h)

			require.ErrorIs(t, c.PutLabeled(ctx, catProduct(2), "PURPLE"), collab.ErrInvalidLabel)
			_, err = c.Get(ctx, catProduct(2).ID)
			require.ErrorIs(t, err, collab.ErrNotFound, "a refused label stores nothing")
		})
	}
}

func TestCatalogSupersedesChain(t *testing.T) {
	ctx := context.Background()
	for _, impl := range catalogImpls {
		t.Run(impl.name, func(t *testing.T) {
			c := impl.open(t).(collab.LabeledCatalog)
			a := catProduct(0)
			b := catProduct(1)
			b.Supersedes = a.ID
			b.ProducedAt = a.ProducedAt.Add(time.Hour)
			fork := catProduct(2) // supersedes a too, earlier than b: b wins
			fork.Supersedes = a.ID
			fork.ProducedAt = a.ProducedAt.Add(time.Minute)
			d := catProduct(3)
			d.Supersedes = b.ID
			d.ProducedAt = b.ProducedAt.Add(time.Hour)
			// Corrections may arrive before what they correct.
			for _, p := range []schema.Product{d, fork, b, a} {
				require.NoError(t, c.Put(ctx, p))
			}
			got, chain, err := collab.Current(ctx, c, a.ID)
			require.NoError(t, err)
			require.Equal(t, d.ID, got.ID)
			require.Equal(t, []string{a.ID, b.ID, d.ID}, chain)
			succ, err := c.SupersededBy(ctx, a.ID)
			require.NoError(t, err)
			require.ElementsMatch(t, []string{b.ID, fork.ID}, succ)

			got, chain, err = collab.Current(ctx, c, d.ID)
			require.NoError(t, err)
			require.Equal(t, d.ID, got.ID)
			require.Equal(t, []string{d.ID}, chain)

			_, _, err = collab.Current(ctx, c, catID(7))
			require.ErrorIs(t, err, collab.ErrNotFound)

			// A loop: x supersedes y and y supersedes x.
			x, y := catProduct(4), catProduct(5)
			x.Supersedes, y.Supersedes = y.ID, x.ID
			require.NoError(t, c.Put(ctx, x))
			require.NoError(t, c.Put(ctx, y))
			_, _, err = collab.Current(ctx, c, x.ID)
			require.ErrorIs(t, err, collab.ErrInvalidQuery)
		})
	}
}

func TestBoltCatalogSupersedesSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	c, err := collab.OpenBoltCatalog(path)
	require.NoError(t, err)
	a, b := catProduct(0), catProduct(1)
	b.Supersedes = a.ID
	require.NoError(t, c.PutLabeled(ctx, a, schema.HandlingAmberStrict))
	require.NoError(t, c.Put(ctx, b))
	require.NoError(t, c.Close())

	c, err = collab.OpenBoltCatalog(path)
	require.NoError(t, err)
	defer c.Close()
	got, _, err := collab.Current(ctx, c, a.ID)
	require.NoError(t, err)
	require.Equal(t, b.ID, got.ID)
	h, err := c.Label(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, schema.HandlingAmberStrict, h)
}

// A file written before the supersedes index has none: opening builds it.
func TestBoltCatalogBuildsSupersedesIndex(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	c, err := collab.OpenBoltCatalog(path)
	require.NoError(t, err)
	a, b := catProduct(0), catProduct(1)
	b.Supersedes = a.ID
	require.NoError(t, c.Put(ctx, a))
	require.NoError(t, c.Put(ctx, b))
	require.NoError(t, c.Close())

	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("superseded")) }))
	require.NoError(t, db.Close())

	c, err = collab.OpenBoltCatalog(path)
	require.NoError(t, err)
	defer c.Close()
	succ, err := c.SupersededBy(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, []string{b.ID}, succ)
}

func TestCurrentChainLimit(t *testing.T) {
	ctx := context.Background()
	c, err := collab.NewMemCatalog()
	require.NoError(t, err)
	prev := ""
	var first string
	for i := range collab.MaxSupersedesChain + 1 {
		p := catProduct(0)
		p.ID = catID(0x300000 + i)
		p.Supersedes = prev
		p.ProducedAt = p.ProducedAt.Add(time.Duration(i) * time.Second)
		require.NoError(t, c.Put(ctx, p))
		if i == 0 {
			first = p.ID
		}
		prev = p.ID
	}
	_, _, err = collab.Current(ctx, c, first)
	require.ErrorIs(t, err, collab.ErrInvalidQuery)
	require.ErrorContains(t, err, "longer than")
	_, chain, err := collab.Current(ctx, c, catID(0x300001))
	require.NoError(t, err, "a chain of MaxSupersedesChain is followed")
	require.Len(t, chain, collab.MaxSupersedesChain)
}
