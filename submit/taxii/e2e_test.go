package taxii_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/taxii"
)

// The whole way: a ministry submits its list to public security over the
// protocol; public security's hub files it in its catalog (CatalogSink)
// and serves it over TAXII; state security, which may read it, finds it
// there before it tasks anyone, and its reads are journaled.
func TestSubmittedProductServedOverTAXII(t *testing.T) {
	ctx := context.Background()
	dir := loadScheme(t)
	data := t.TempDir()
	store, err := submit.OpenStore(filepath.Join(data, "store.db"))
	require.NoError(t, err)
	defer store.Close()
	ledger, err := submit.OpenLedger(filepath.Join(data, "ledger.db"))
	require.NoError(t, err)
	defer ledger.Close()
	cat, err := collab.OpenBoltCatalog(filepath.Join(data, "catalog.db"))
	require.NoError(t, err)
	defer cat.Close()
	journal := collab.NewMemJournal()

	receive, err := submit.NewHandler(submit.HandlerConfig{Org: "public-security", Directory: dir,
		Sink: taxii.CatalogSink{Next: store, Catalog: cat}, Ledger: ledger})
	require.NoError(t, err)
	read, err := taxii.NewHandler(taxii.Config{Directory: dir, Org: "public-security", Catalog: cat, Journal: journal})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle(taxii.DefaultPrefix, read)
	mux.Handle("/", receive)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	p := product(1, schema.ListAbnormalFinancialActivity, "central-bank", 2)
	now := time.Now().UTC()
	p.ProducedAt, p.Period = now.Add(-time.Minute).Truncate(time.Millisecond), schema.Window{From: now.Add(-25 * time.Hour), To: now.Add(-time.Hour)}
	env := productEnvelope(t, 1, p, schema.HandlingAmber)
	env.CollectedAt, env.RetainUntil = p.ProducedAt, now.AddDate(1, 0, 0)
	sender, err := submit.NewClient(submit.ClientConfig{Endpoint: srv.URL, Org: "central-bank", Token: token("central-bank"),
		OutboxPath: filepath.Join(data, "outbox.db"), HTTPClient: srv.Client()})
	require.NoError(t, err)
	require.NoError(t, sender.Submit(ctx, env))
	require.NoError(t, sender.Flush(ctx))
	require.NoError(t, sender.Close(ctx))

	c, err := taxii.NewClient(taxii.ClientConfig{URL: srv.URL + taxii.DefaultPrefix, Token: token("state-security"), HTTPClient: srv.Client()})
	require.NoError(t, err)
	remote := taxii.RemoteCatalog{Client: c, Root: "/taxii2/lists/"}
	pg, err := remote.Query(ctx, collab.ProductQuery{ListType: schema.ListAbnormalFinancialActivity, Subject: p.Entries[1].Subject.Pseudonym})
	require.NoError(t, err)
	require.Len(t, pg.Products, 1)
	require.Equal(t, mustJSON(t, p), mustJSON(t, pg.Products[0]))

	n := 0
	for e, err := range journal.Entries(ctx, 1) {
		require.NoError(t, err)
		require.Equal(t, taxii.EntryRead, e.Kind)
		require.Equal(t, "state-security", e.Org)
		n++
	}
	require.Positive(t, n)
}
