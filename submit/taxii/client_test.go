package taxii_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit/taxii"
)

func newClient(t *testing.T, h *hub, org string, mod func(*taxii.ClientConfig)) *taxii.Client {
	t.Helper()
	cfg := taxii.ClientConfig{URL: h.srv.URL + "/taxii2/", Token: token(org), HTTPClient: h.srv.Client()}
	if mod != nil {
		mod(&cfg)
	}
	c, err := taxii.NewClient(cfg)
	require.NoError(t, err)
	return c
}

func TestClientReadsProducts(t *testing.T) {
	ctx := context.Background()
	h := newHub(t, "central-bank", nil)
	var want []schema.Product
	for i := range 7 {
		p := product(i, schema.ListAbnormalFinancialActivity, "central-bank", i%3)
		if i == 5 {
			p.Supersedes = want[4].ID
		}
		h.put(t, p, schema.HandlingAmber)
		want = append(want, p)
	}
	h.put(t, product(20, schema.ListAbnormalFinancialActivity, "central-bank", 1), schema.HandlingRed) // not for public security

	c := newClient(t, h, "public-security", nil)
	d, err := c.Discovery(ctx)
	require.NoError(t, err)
	require.Len(t, d.APIRoots, 1)
	root, err := c.APIRoot(ctx, d.APIRoots[0])
	require.NoError(t, err)
	require.Equal(t, []string{taxii.MediaTAXII}, root.Versions)
	cs, err := c.Collections(ctx, d.APIRoots[0])
	require.NoError(t, err)
	var coll string
	for _, x := range cs {
		if x.Alias == string(schema.ListAbnormalFinancialActivity) {
			coll = x.ID
		}
	}
	require.Equal(t, taxii.CollectionID(schema.ListAbnormalFinancialActivity), coll)

	// Pages of two objects split products: Products joins them again.
	got, err := c.Products(ctx, d.APIRoots[0], coll, taxii.ObjectsQuery{Limit: 2})
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, mustJSON(t, want[i]), mustJSON(t, got[i].Product))
		require.Equal(t, schema.HandlingAmber, got[i].Handling)
	}

	// added_after from a page's last date added picks up where it left.
	page, err := c.ObjectsPage(ctx, d.APIRoots[0], coll, taxii.ObjectsQuery{Types: []string{"report"}, Limit: 3})
	require.NoError(t, err)
	require.Len(t, page.Objects, 3)
	require.True(t, page.More)
	require.Equal(t, taxii.Stamp(want[2].ProducedAt).Time, page.DateAddedLast)
	rest, err := c.Products(ctx, d.APIRoots[0], coll, taxii.ObjectsQuery{AddedAfter: page.DateAddedLast})
	require.NoError(t, err)
	require.Len(t, rest, 4)
	require.Equal(t, want[3].ID, rest[0].Product.ID)

	// Errors come back as *taxii.Error.
	bad := newClient(t, h, "nobody", nil)
	_, err = bad.Collections(ctx, d.APIRoots[0])
	var te *taxii.Error
	require.ErrorAs(t, err, &te)
	require.Equal(t, "401", te.HTTPStatus)
	_, err = c.Products(ctx, d.APIRoots[0], testID(1), taxii.ObjectsQuery{})
	require.ErrorAs(t, err, &te)
	require.Equal(t, "404", te.HTTPStatus)
}

func TestClientLimits(t *testing.T) {
	ctx := context.Background()
	h := newHub(t, "central-bank", nil)
	for i := range 4 {
		h.put(t, product(i, schema.ListAbnormalFinancialActivity, "central-bank", 2), schema.HandlingAmber)
	}
	coll := taxii.CollectionID(schema.ListAbnormalFinancialActivity)
	c := newClient(t, h, "public-security", func(c *taxii.ClientConfig) { c.MaxPages = 2 })
	_, err := c.Products(ctx, "/taxii2/lists/", coll, taxii.ObjectsQuery{Limit: 1})
	require.ErrorContains(t, err, "MaxPages 2")
	c = newClient(t, h, "public-security", func(c *taxii.ClientConfig) { c.MaxResponseBytes = 100 })
	_, err = c.Products(ctx, "/taxii2/lists/", coll, taxii.ObjectsQuery{})
	require.ErrorContains(t, err, "MaxResponseBytes")

	// A server that does not speak TAXII 2.1.
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"title":"x"}`))
	}))
	defer plain.Close()
	c, err = taxii.NewClient(taxii.ClientConfig{URL: plain.URL, HTTPClient: plain.Client()})
	require.NoError(t, err)
	_, err = c.Discovery(ctx)
	require.ErrorContains(t, err, "is not "+taxii.MediaTAXII)

	_, err = taxii.NewClient(taxii.ClientConfig{URL: "ftp://x", MaxPages: -1, MaxResponseBytes: -1})
	require.ErrorIs(t, err, taxii.ErrInvalidConfig)
	for _, f := range []string{"URL", "MaxPages", "MaxResponseBytes"} {
		require.ErrorContains(t, err, f)
	}
}

func TestDecodeProductsRefuses(t *testing.T) {
	p := product(1, schema.ListFlaggedAccounts, "miit", 2)
	r, entries, err := taxii.ProductObjects(p, schema.HandlingGreen)
	require.NoError(t, err)
	objs := decodeObjects(t, r, entries[0], entries[1])
	cases := map[string]func([]map[string]any) []map[string]any{
		"entry missing":    func(o []map[string]any) []map[string]any { return o[:2] },
		"report missing":   func(o []map[string]any) []map[string]any { return o[1:] },
		"unknown property": func(o []map[string]any) []map[string]any { o[1]["colour"] = "red"; return o },
		"no marking":       func(o []map[string]any) []map[string]any { delete(o[0], "object_marking_refs"); return o },
		"wrong id":         func(o []map[string]any) []map[string]any { o[0]["id"] = taxii.ReportID(testID(2)); return o },
		"other report":     func(o []map[string]any) []map[string]any { o[2]["report_ref"] = taxii.ReportID(testID(2)); return o },
	}
	for name, breach := range cases {
		_, err := taxii.DecodeProducts(rawObjects(t, breach(decodeObjects(t, objs[0], objs[1], objs[2]))))
		require.ErrorIs(t, err, taxii.ErrBadObjects, name)
	}
	big := decodeObjects(t, r)[0]
	big["description"] = strings.Repeat("x", taxii.MaxObjectBytes)
	_, err = taxii.DecodeProducts(rawObjects(t, []map[string]any{big}))
	require.ErrorIs(t, err, taxii.ErrBadObjects, "an object above MaxObjectBytes")
	require.ErrorContains(t, err, "more than")

	got, err := taxii.DecodeProducts(rawObjects(t, append(decodeObjects(t, taxii.SDKIdentity()), objs...)))
	require.NoError(t, err, "other objects are skipped")
	require.Len(t, got, 1)
	require.False(t, errors.Is(err, taxii.ErrBadObjects))
}
