package taxii_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit/taxii"
)

// FuzzDecodeProducts feeds DecodeProducts arbitrary objects: it never
// panics, fails only with ErrBadObjects, and what it accepts maps back to
// objects that decode to the same products.
func FuzzDecodeProducts(f *testing.F) {
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"type":"report","id":"report--x"}]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var objs []json.RawMessage
		if json.Unmarshal(raw, &objs) != nil {
			return
		}
		got, err := taxii.DecodeProducts(objs)
		if err != nil {
			return
		}
		for _, r := range got {
			if r.Product.ID == "" || r.Product.Producer == "" || r.Product.ProducedAt.IsZero() {
				continue // not a product ProductObjects would make
			}
			rep, entries, err := taxii.ProductObjects(r.Product, r.Handling)
			if err != nil {
				t.Fatalf("decoded product does not map back: %v", err)
			}
			again := []json.RawMessage{json.RawMessage(mustJSON(t, rep))}
			for _, e := range entries {
				again = append(again, json.RawMessage(mustJSON(t, e)))
			}
			back, err := taxii.DecodeProducts(again)
			if err != nil || len(back) != 1 || mustJSON(t, back[0]) != mustJSON(t, r) {
				t.Fatalf("round trip changed the product: %v", err)
			}
		}
	})
}

// FuzzQuery sends the objects endpoint arbitrary query strings: the
// answer is 200 or a TAXII error of 400, never anything else.
func FuzzQuery(f *testing.F) {
	h := newHub(f, "public-security", nil)
	for i := range 3 {
		h.put(f, product(i, schema.ListAbnormalFinancialActivity, "central-bank", 2), schema.HandlingAmber)
	}
	path := objectsPath(taxii.CollectionID(schema.ListAbnormalFinancialActivity))
	f.Add("limit=1")
	f.Add("added_after=2026-03-01T08:00:00.000Z&match[type]=report")
	f.Fuzz(func(t *testing.T, q string) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.URL.RawQuery = q
		req.Header.Set("Authorization", "Bearer "+token(reader))
		rec := httptest.NewRecorder()
		h.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("query %q: status %d: %s", q, rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != taxii.MediaTAXII {
			t.Fatalf("query %q: content type %q", q, ct)
		}
	})
}
