package taxii_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit/taxii"
)

// BenchmarkObjectsPage serves one page of 1000 objects (250 products of
// three entries) from a catalog of 2000 products, in memory and in bbolt.
// Compare the two within one run; the machine may be shared.
func BenchmarkObjectsPage(b *testing.B) {
	for _, impl := range []string{"mem", "bolt"} {
		b.Run(impl, func(b *testing.B) {
			var cat collab.LabeledCatalog
			if impl == "mem" {
				c, err := collab.NewMemCatalog()
				if err != nil {
					b.Fatal(err)
				}
				cat = c
			} else {
				c, err := collab.OpenBoltCatalog(filepath.Join(b.TempDir(), "catalog.db"))
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				cat = c
			}
			for i := range 2000 {
				if err := cat.PutLabeled(context.Background(), product(i, schema.ListAbnormalFinancialActivity, "central-bank", 3), schema.HandlingAmber); err != nil {
					b.Fatal(err)
				}
			}
			h, err := taxii.NewHandler(taxii.Config{Directory: loadScheme(b), Org: "public-security", Catalog: cat,
				Journal: collab.NewMemJournal(), Clock: func() time.Time { return t0 }})
			if err != nil {
				b.Fatal(err)
			}
			path := objectsPath(taxii.CollectionID(schema.ListAbnormalFinancialActivity)) + "?limit=1000"
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.Header.Set("Authorization", "Bearer "+token(reader))
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code, rec.Body)
				}
			}
		})
	}
}
