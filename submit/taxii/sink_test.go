package taxii_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/taxii"
)

func productEnvelope(t *testing.T, n int, p schema.Product, h schema.Handling) schema.Envelope {
	t.Helper()
	e := schema.Envelope{
		ID: testID(0x7000 + n), Kind: schema.KindProduct, SchemaVersion: 1, Source: p.Producer,
		CollectedAt: p.ProducedAt, Purpose: schema.Purpose{RequirementID: p.RequirementID}, LegalBasis: "synthetic",
		Handling: h, RetainUntil: p.ProducedAt.Add(365 * 24 * time.Hour),
	}
	require.NoError(t, e.SetPayload(p))
	return e
}

// Received products land in the catalog, under their envelope's label,
// after the store has them; the hub then serves them.
func TestCatalogSinkFilesReceivedProducts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := submit.OpenStore(filepath.Join(dir, "store.db"))
	require.NoError(t, err)
	defer store.Close()
	cat, err := collab.OpenBoltCatalog(filepath.Join(dir, "catalog.db"))
	require.NoError(t, err)
	defer cat.Close()
	var sink submit.Sink = taxii.CatalogSink{Next: store, Catalog: cat}

	a := product(1, schema.ListAbnormalFinancialActivity, "central-bank", 2)
	b := product(2, schema.ListAbnormalFinancialActivity, "central-bank", 1)
	b.Supersedes = a.ID
	record := productEnvelope(t, 3, product(3, schema.ListFlaggedAccounts, "miit", 1), schema.HandlingAmber)
	record.Kind = schema.KindFeedbackReport // not a product: stored, not filed
	envs := []schema.Envelope{productEnvelope(t, 1, a, schema.HandlingAmberStrict), productEnvelope(t, 2, b, schema.HandlingGreen), record}
	require.NoError(t, sink.Put(ctx, envs))
	require.NoError(t, sink.Put(ctx, envs), "a redelivery files nothing twice")

	n, err := store.Count()
	require.NoError(t, err)
	require.Equal(t, 3, n, "every envelope is stored")
	h, err := cat.Label(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, schema.HandlingAmberStrict, h)
	cur, chain, err := collab.Current(ctx, cat, a.ID)
	require.NoError(t, err)
	require.Equal(t, b.ID, cur.ID)
	require.Equal(t, []string{a.ID, b.ID}, chain)
	_, err = cat.Get(ctx, testID(0x1003))
	require.ErrorIs(t, err, collab.ErrNotFound)
}

type failingSink struct{}

func (failingSink) Put(context.Context, []schema.Envelope) error { return errors.New("disk full") }

func TestCatalogSinkStoresFirst(t *testing.T) {
	ctx := context.Background()
	cat, err := collab.NewMemCatalog()
	require.NoError(t, err)
	p := product(1, schema.ListAbnormalFinancialActivity, "central-bank", 1)
	err = taxii.CatalogSink{Next: failingSink{}, Catalog: cat}.Put(ctx, []schema.Envelope{productEnvelope(t, 1, p, schema.HandlingAmber)})
	require.ErrorContains(t, err, "disk full")
	_, err = cat.Get(ctx, p.ID)
	require.ErrorIs(t, err, collab.ErrNotFound, "nothing filed that is not stored")
}
