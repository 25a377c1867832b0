package taxii_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit/taxii"
)

// A department reads a ministry's abnormal financial activity lists over
// TAXII 2.1 before it tasks anyone.
func Example() {
	raw, err := schemeJSON() // the synthetic scheme
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, err := collab.ParseDirectory(raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	// The central bank's hub holds one list.
	cat, _ := collab.NewMemCatalog()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	err = cat.PutLabeled(ctx, schema.Product{
		ID: "01960000-0000-7000-8000-000000000101", ListType: schema.ListAbnormalFinancialActivity,
		Frequency: schema.FrequencyDaily, Producer: "central-bank", RequirementID: "01960000-0000-7000-8000-000000000001",
		Period: schema.Window{From: at.Add(-24 * time.Hour), To: at}, ProducedAt: at,
		Entries: []schema.ProductEntry{{
			Subject: schema.Subject{Pseudonym: "5e0b0c7f3c1d4e8a9b2f6a7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f80912", IDType: "national_id", KeyID: "k2026"},
			Score:   0.92, Reasons: []string{"structuring"}, EvidenceIDs: []string{"01960000-0000-7000-8000-000000000201"},
		}},
	}, schema.HandlingAmber)
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := taxii.NewHandler(taxii.Config{Directory: dir, Org: "central-bank", Catalog: cat, Journal: collab.NewMemJournal()})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	// Public security reads it.
	c, err := taxii.NewClient(taxii.ClientConfig{URL: srv.URL + "/taxii2/", Token: "token-public-security", HTTPClient: srv.Client()})
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := c.Discovery(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	got, err := c.Products(ctx, d.APIRoots[0], taxii.CollectionID(schema.ListAbnormalFinancialActivity), taxii.ObjectsQuery{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range got {
		fmt.Println(r.Product.ListType, r.Product.Producer, r.Handling, len(r.Product.Entries), r.Product.Entries[0].Reasons[0])
	}
	// Output:
	// abnormal_financial_activity central-bank AMBER 1 structuring
}
