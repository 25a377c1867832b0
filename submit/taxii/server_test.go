package taxii_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit/taxii"
)

const reader = "state-security" // reads every list at AMBER

// requireTAXIIError checks an error response: the status, the TAXII
// media type and the error message shape (section 3.6.1).
func requireTAXIIError(t *testing.T, status int, hdr http.Header, body []byte, want int) taxii.Error {
	t.Helper()
	require.Equal(t, want, status, "%s", body)
	require.Equal(t, taxii.MediaTAXII, hdr.Get("Content-Type"))
	var e taxii.Error
	require.NoError(t, json.Unmarshal(body, &e))
	require.NotEmpty(t, e.Title)
	require.NotEmpty(t, e.Description)
	require.Equal(t, want, atoi(t, e.HTTPStatus))
	return e
}

func atoi(t *testing.T, s string) int {
	var n int
	require.NoError(t, json.Unmarshal([]byte(s), &n))
	return n
}

func TestDiscoveryAPIRootCollections(t *testing.T) {
	h := newHub(t, "public-security", nil)
	status, hdr, body := h.get(t, reader, "/taxii2/")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, taxii.MediaTAXII, hdr.Get("Content-Type"))
	var d taxii.Discovery
	require.NoError(t, json.Unmarshal(body, &d))
	require.Equal(t, []string{h.srv.URL + "/taxii2/lists/"}, d.APIRoots, "absolute URLs")
	require.Equal(t, h.srv.URL+"/taxii2/lists/", d.Default)
	require.NotEmpty(t, d.Title)

	status, _, body = h.get(t, reader, "/taxii2/lists/")
	require.Equal(t, http.StatusOK, status)
	var root taxii.APIRoot
	require.NoError(t, json.Unmarshal(body, &root))
	require.Equal(t, []string{taxii.MediaTAXII}, root.Versions)
	require.Positive(t, root.MaxContentLength)

	status, _, body = h.get(t, reader, "/taxii2/lists/collections/")
	require.Equal(t, http.StatusOK, status)
	var cs taxii.Collections
	require.NoError(t, json.Unmarshal(body, &cs))
	require.Len(t, cs.Collections, len(collab.ListTypes())+1)
	for _, c := range cs.Collections {
		require.True(t, c.CanRead)
		require.False(t, c.CanWrite)
		require.Equal(t, []string{taxii.MediaSTIX}, c.MediaTypes)
		status, _, body = h.get(t, reader, "/taxii2/lists/collections/"+c.ID+"/")
		require.Equal(t, http.StatusOK, status)
		var one taxii.Collection
		require.NoError(t, json.Unmarshal(body, &one))
		require.Equal(t, c, one)
	}
	status, hdr, body = h.get(t, reader, "/taxii2/lists/collections/"+testID(3)+"/")
	requireTAXIIError(t, status, hdr, body, http.StatusNotFound)
	status, hdr, body = h.get(t, reader, "/taxii2/nowhere/")
	requireTAXIIError(t, status, hdr, body, http.StatusNotFound)
}

func TestRequestChecks(t *testing.T) {
	h := newHub(t, "public-security", nil)
	objs := objectsPath(taxii.CollectionID(schema.ListFlaggedAccounts))

	status, hdr, body := h.get(t, "", "/taxii2/")
	requireTAXIIError(t, status, hdr, body, http.StatusUnauthorized)
	require.Contains(t, hdr.Get("WWW-Authenticate"), "Bearer")
	status, hdr, body = h.get(t, "", objs, "Authorization", "Bearer token-nobody")
	requireTAXIIError(t, status, hdr, body, http.StatusUnauthorized)

	for _, accept := range []string{"application/json", "application/taxii+json;version=2.0", "text/html", "application/taxii+json;version=2.1;q=0"} {
		status, hdr, body = h.get(t, reader, objs, "Accept", accept)
		requireTAXIIError(t, status, hdr, body, http.StatusNotAcceptable)
	}
	for _, accept := range []string{taxii.MediaTAXII, "application/taxii+json", "*/*", "text/html, application/taxii+json;version=2.1;q=0.5"} {
		status, _, body = h.get(t, reader, objs, "Accept", accept)
		require.Equal(t, http.StatusOK, status, "%s: %s", accept, body)
	}

	status, hdr, body = h.do(t, http.MethodPost, reader, objs)
	requireTAXIIError(t, status, hdr, body, http.StatusForbidden)
	status, hdr, body = h.do(t, http.MethodPut, reader, objs)
	requireTAXIIError(t, status, hdr, body, http.StatusMethodNotAllowed)
	require.Equal(t, http.MethodGet, hdr.Get("Allow"))

	for _, q := range []string{"limit=0", "limit=-3", "limit=x", "added_after=yesterday", "added_after=2026-03-01T08:00:00+08:00",
		"next=%21%21", "match[version]=newest"} {
		status, hdr, body = h.get(t, reader, objs+"?"+q)
		e := requireTAXIIError(t, status, hdr, body, http.StatusBadRequest)
		require.NotEmpty(t, e.Details["parameter"], q)
	}
}

// fill puts n products of the list type, with i%4 entries each, as
// central-bank at AMBER, produced a minute apart.
func fill(t *testing.T, h *hub, lt schema.ListType, n int) []schema.Product {
	var ps []schema.Product
	for i := range n {
		p := product(i, lt, "central-bank", i%4)
		h.put(t, p, schema.HandlingAmber)
		ps = append(ps, p)
	}
	return ps
}

func TestObjectsPagination(t *testing.T) {
	h := newHub(t, "public-security", nil)
	ps := fill(t, h, schema.ListAbnormalFinancialActivity, 9)
	h.put(t, product(50, schema.ListFlaggedAccounts, "miit", 2), schema.HandlingAmber) // another collection
	want := 0
	for _, p := range ps {
		want += 1 + len(p.Entries)
	}
	coll := taxii.CollectionID(schema.ListAbnormalFinancialActivity)
	whole, pages := h.readAll(t, reader, coll, 1000, "")
	require.Len(t, whole, want)
	require.Equal(t, 1, pages)
	for _, limit := range []int{1, 2, 3, 5, 7} {
		got, pages := h.readAll(t, reader, coll, limit, "")
		require.Equal(t, whole, got, "limit %d: the pages, joined, are the whole", limit)
		require.GreaterOrEqual(t, pages, (want+limit-1)/limit)
	}
	// Sorted by date_added, which is produced_at: the report of each
	// product comes before its entries, products in order.
	var reports []string
	for _, o := range whole {
		if o["type"] == "report" {
			reports = append(reports, o["id"].(string))
		}
	}
	for i, p := range ps {
		require.Equal(t, taxii.ReportID(p.ID), reports[i])
	}

	// Headers of one page.
	status, hdr, body := h.get(t, reader, objectsPath(coll)+"?limit=3")
	require.Equal(t, http.StatusOK, status, "%s", body)
	require.Equal(t, taxii.MediaTAXII, hdr.Get("Content-Type"))
	require.Equal(t, taxii.Stamp(ps[0].ProducedAt).String(), hdr.Get(taxii.HeaderDateAddedFirst))
	require.Equal(t, taxii.Stamp(ps[1].ProducedAt).String(), hdr.Get(taxii.HeaderDateAddedLast), "report 0, report 1, entry 1.0")

	// A next of one query is refused by another.
	var env taxii.Envelope
	require.NoError(t, json.Unmarshal(body, &env))
	require.True(t, env.More)
	status, hdr, body = h.get(t, reader, objectsPath(coll)+"?match[type]=report&next="+env.Next)
	requireTAXIIError(t, status, hdr, body, http.StatusBadRequest)
	status, hdr, body = h.get(t, "leading-group", objectsPath(coll)+"?next="+env.Next)
	requireTAXIIError(t, status, hdr, body, http.StatusBadRequest)

	// An empty collection: no objects, no more, no headers.
	status, hdr, body = h.get(t, reader, objectsPath(taxii.CollectionID(schema.ListHazmatPurchases)))
	require.Equal(t, http.StatusOK, status)
	require.JSONEq(t, `{}`, string(body))
	require.Empty(t, hdr.Get(taxii.HeaderDateAddedFirst))
}

func TestObjectsFilters(t *testing.T) {
	h := newHub(t, "public-security", nil)
	ps := fill(t, h, schema.ListAbnormalFinancialActivity, 6)
	coll := taxii.CollectionID(schema.ListAbnormalFinancialActivity)

	after := taxii.Stamp(ps[2].ProducedAt).String()
	got, _ := h.readAll(t, reader, coll, 2, "&added_after="+after)
	for _, o := range got {
		require.Greater(t, o["created"].(string), after, "added_after is exclusive")
	}
	want := 0
	for _, p := range ps[3:] {
		want += 1 + len(p.Entries)
	}
	require.Len(t, got, want)

	reports, _ := h.readAll(t, reader, coll, 2, "&match[type]=report")
	require.Len(t, reports, len(ps))
	entries, _ := h.readAll(t, reader, coll, 2, "&match[type]="+taxii.TypeListEntry)
	for _, o := range entries {
		require.Equal(t, taxii.TypeListEntry, o["type"])
	}
	both, _ := h.readAll(t, reader, coll, 100, "&match[type]=report,"+taxii.TypeListEntry+"&match[spec_version]=2.1&match[version]=last")
	require.Len(t, both, len(reports)+len(entries))
	none, _ := h.readAll(t, reader, coll, 100, "&match[spec_version]=2.0")
	require.Empty(t, none)

	ids := taxii.ReportID(ps[1].ID) + "," + taxii.EntryID(ps[3].ID, 2)
	two, _ := h.readAll(t, reader, coll, 100, "&match[id]="+ids)
	require.Len(t, two, 2)
	ver := taxii.Stamp(ps[4].ProducedAt).String()
	byVersion, _ := h.readAll(t, reader, coll, 100, "&match[version]="+url.QueryEscape(ver))
	require.Len(t, byVersion, 1+len(ps[4].Entries))
}

func TestManifestObjectVersions(t *testing.T) {
	h := newHub(t, "public-security", nil)
	ps := fill(t, h, schema.ListAbnormalFinancialActivity, 4)
	coll := taxii.CollectionID(schema.ListAbnormalFinancialActivity)
	base := "/taxii2/lists/collections/" + coll + "/"

	status, hdr, body := h.get(t, reader, base+"manifest/?limit=2")
	require.Equal(t, http.StatusOK, status, "%s", body)
	var m taxii.Manifest
	require.NoError(t, json.Unmarshal(body, &m))
	require.Len(t, m.Objects, 2)
	require.True(t, m.More)
	require.Equal(t, taxii.ReportID(ps[0].ID), m.Objects[0].ID)
	require.Equal(t, taxii.MediaSTIX, m.Objects[0].MediaType)
	require.Equal(t, taxii.Stamp(ps[0].ProducedAt).String(), m.Objects[0].Version)
	require.Equal(t, m.Objects[0].DateAdded.String(), hdr.Get(taxii.HeaderDateAddedFirst))

	rid := taxii.ReportID(ps[2].ID)
	status, _, body = h.get(t, reader, base+"objects/"+rid+"/")
	require.Equal(t, http.StatusOK, status, "%s", body)
	var env struct {
		Objects []map[string]any `json:"objects"`
	}
	require.NoError(t, json.Unmarshal(body, &env))
	require.Len(t, env.Objects, 1)
	require.Equal(t, rid, env.Objects[0]["id"])

	status, _, body = h.get(t, reader, base+"objects/"+rid+"/versions/")
	require.Equal(t, http.StatusOK, status, "%s", body)
	var v taxii.Versions
	require.NoError(t, json.Unmarshal(body, &v))
	require.Equal(t, []string{taxii.Stamp(ps[2].ProducedAt).String()}, v.Versions)

	missing := taxii.ReportID(testID(77))
	status, hdr, body = h.get(t, reader, base+"objects/"+missing+"/")
	requireTAXIIError(t, status, hdr, body, http.StatusNotFound)
	status, hdr, body = h.get(t, reader, base+"objects/"+missing+"/versions/")
	requireTAXIIError(t, status, hdr, body, http.StatusNotFound)
	// Not for this reader: as if it were not there.
	status, hdr, body = h.get(t, "bank-north-01", base+"objects/"+rid+"/")
	requireTAXIIError(t, status, hdr, body, http.StatusNotFound)
}

func TestReferenceCollection(t *testing.T) {
	h := newHub(t, "public-security", nil)
	ps := fill(t, h, schema.ListAbnormalFinancialActivity, 3)
	ref, _ := h.readAll(t, "bank-north-01", taxii.ReferenceCollectionID, 4, "")
	require.Len(t, ref, 5+2+len(h.dir.Orgs()))
	require.Empty(t, stixProblems(ref, extensionDefs(ref)))
	lists, _ := h.readAll(t, reader, taxii.CollectionID(schema.ListAbnormalFinancialActivity), 3, "")
	all := append(ref, lists...)
	require.Empty(t, stixProblems(all, extensionDefs(ref)), "every object served follows STIX 2.1")
	require.Empty(t, refProblems(all), "every reference resolves within what the hub serves")
	require.Len(t, lists, 3+len(ps[1].Entries)+len(ps[2].Entries))

	later, _ := h.readAll(t, reader, taxii.ReferenceCollectionID, 100, "&added_after=2022-10-01T00:00:00.000Z")
	require.Len(t, later, 2+len(h.dir.Orgs()), "the markings were added at 2022-10-01")
}

func TestReadsJournaled(t *testing.T) {
	h := newHub(t, "public-security", nil)
	fill(t, h, schema.ListAbnormalFinancialActivity, 3)
	coll := taxii.CollectionID(schema.ListAbnormalFinancialActivity)
	h.get(t, reader, "/taxii2/") // discovery is not a read of products
	status, _, _ := h.get(t, reader, objectsPath(coll)+"?limit=2&match[type]=report")
	require.Equal(t, http.StatusOK, status)
	status, _, _ = h.get(t, "bank-north-01", "/taxii2/lists/collections/"+coll+"/manifest/")
	require.Equal(t, http.StatusOK, status)
	h.get(t, "", objectsPath(coll)) // unauthenticated: not a read

	var got []collab.Entry
	for e, err := range h.journal.Entries(context.Background(), 1) {
		require.NoError(t, err)
		got = append(got, e)
	}
	require.Len(t, got, 2)
	var r0, r1 taxii.ReadRecord
	require.NoError(t, json.Unmarshal(got[0].Data, &r0))
	require.NoError(t, json.Unmarshal(got[1].Data, &r1))
	require.Equal(t, taxii.EntryRead, got[0].Kind)
	require.Equal(t, reader, got[0].Org)
	require.Equal(t, "public-security", got[0].Counterpart)
	require.Equal(t, coll, got[0].Ref)
	require.Equal(t, taxii.ReadRecord{Resource: "objects", Path: objectsPath(coll), Query: "limit=2&match[type]=report", Objects: 2, Products: 2}, r0)
	require.Equal(t, "bank-north-01", got[1].Org)
	require.Equal(t, taxii.ReadRecord{Resource: "manifest", Path: "/taxii2/lists/collections/" + coll + "/manifest/", Objects: 0, Products: 0}, r1, "an AMBER list a bank may not read")
}

// failingJournal refuses every entry.
type failingJournal struct{ collab.Journal }

func (failingJournal) Append(context.Context, collab.Entry) (uint64, error) {
	return 0, errors.New("disk full")
}

func TestReadRefusedWhenJournalFails(t *testing.T) {
	h := newHub(t, "public-security", func(c *taxii.Config) { c.Journal = failingJournal{collab.NewMemJournal()} })
	fill(t, h, schema.ListAbnormalFinancialActivity, 2)
	status, hdr, body := h.get(t, reader, objectsPath(taxii.CollectionID(schema.ListAbnormalFinancialActivity)))
	requireTAXIIError(t, status, hdr, body, http.StatusServiceUnavailable)
	require.Equal(t, "1", hdr.Get("Retry-After"))
	require.NotContains(t, string(body), "report--", "nothing is served that was not journaled")
}

func TestMaxScanEndsPageEarly(t *testing.T) {
	h := newHub(t, "public-security", func(c *taxii.Config) { c.MaxScan = 2 })
	ps := fill(t, h, schema.ListAbnormalFinancialActivity, 5)
	got, pages := h.readAll(t, reader, taxii.CollectionID(schema.ListAbnormalFinancialActivity), 1000, "&match[type]=report")
	require.Len(t, got, len(ps))
	require.GreaterOrEqual(t, pages, 3)
}

func TestConfigValidate(t *testing.T) {
	d := loadScheme(t)
	err := taxii.Config{Directory: d, Org: "nobody", Prefix: "taxii", APIRoot: "a/b", DefaultHandling: "PURPLE", Limit: 5, MaxLimit: 2, MaxScan: -1}.Validate()
	require.ErrorIs(t, err, taxii.ErrInvalidConfig)
	for _, field := range []string{"Org \"nobody\"", "Catalog", "Journal", "Prefix \"taxii\"", "APIRoot \"a/b\"", "DefaultHandling \"PURPLE\"", "Limit 5", "MaxScan -1"} {
		require.Contains(t, err.Error(), field)
	}
	_, err = taxii.NewHandler(taxii.Config{})
	require.ErrorIs(t, err, taxii.ErrInvalidConfig)
}

// A product put without a label is served under DefaultHandling.
func TestDefaultHandling(t *testing.T) {
	h := newHub(t, "public-security", func(c *taxii.Config) { c.DefaultHandling = schema.HandlingRed })
	require.NoError(t, h.cat.Put(context.Background(), product(1, schema.ListAbnormalFinancialActivity, "central-bank", 1)))
	coll := taxii.CollectionID(schema.ListAbnormalFinancialActivity)
	got, _ := h.readAll(t, reader, coll, 10, "")
	require.Empty(t, got, "RED: not for another department")
	got, _ = h.readAll(t, "central-bank", coll, 10, "")
	require.Len(t, got, 2)
	require.Equal(t, []any{taxii.MarkingRed}, got[0]["object_marking_refs"])
}

// blockingCatalog holds every Query until release is closed.
type blockingCatalog struct {
	collab.Catalog
	entered chan struct{}
	release chan struct{}
}

func (b blockingCatalog) Query(ctx context.Context, q collab.ProductQuery) (collab.ProductPage, error) {
	b.entered <- struct{}{}
	<-b.release
	return b.Catalog.Query(ctx, q)
}

func TestMaxInFlight(t *testing.T) {
	mem, err := collab.NewMemCatalog()
	require.NoError(t, err)
	bc := blockingCatalog{Catalog: mem, entered: make(chan struct{}, 1), release: make(chan struct{})}
	h := newHub(t, "public-security", func(c *taxii.Config) { c.Catalog = bc; c.MaxInFlight = 1 })
	objs := objectsPath(taxii.CollectionID(schema.ListAbnormalFinancialActivity))
	done := make(chan int, 1)
	go func() {
		status, _, _ := h.get(t, reader, objs)
		done <- status
	}()
	<-bc.entered // the first request holds the only slot
	status, hdr, body := h.get(t, reader, objs)
	requireTAXIIError(t, status, hdr, body, http.StatusServiceUnavailable)
	require.Equal(t, "1", hdr.Get("Retry-After"))
	status, hdr, body = h.get(t, "", objs)
	requireTAXIIError(t, status, hdr, body, http.StatusUnauthorized) // authentication comes first
	close(bc.release)
	require.Equal(t, http.StatusOK, <-done)
	status, _, _ = h.get(t, reader, "/taxii2/")
	require.Equal(t, http.StatusOK, status, "the slot is free again")
}

// A product put between two pages, sorting before the product a page
// stopped in, is served whole; nothing is lost.
func TestPageAfterLateProduct(t *testing.T) {
	h := newHub(t, "public-security", nil)
	a := product(0, schema.ListAbnormalFinancialActivity, "central-bank", 3)
	b := product(10, schema.ListAbnormalFinancialActivity, "central-bank", 3)
	h.put(t, a, schema.HandlingAmber)
	h.put(t, b, schema.HandlingAmber)
	coll := taxii.CollectionID(schema.ListAbnormalFinancialActivity)
	status, _, body := h.get(t, reader, objectsPath(coll)+"?limit=6") // a whole, and b's report and first entry
	require.Equal(t, http.StatusOK, status)
	var env taxii.Envelope
	require.NoError(t, json.Unmarshal(body, &env))
	require.Len(t, env.Objects, 6)
	late := product(5, schema.ListAbnormalFinancialActivity, "central-bank", 2) // between a and b
	h.put(t, late, schema.HandlingAmber)
	status, _, body = h.get(t, reader, objectsPath(coll)+"?limit=100&next="+env.Next)
	require.Equal(t, http.StatusOK, status, "%s", body)
	var rest struct {
		Objects []map[string]any `json:"objects"`
	}
	require.NoError(t, json.Unmarshal(body, &rest))
	var ids []string
	for _, o := range rest.Objects {
		ids = append(ids, o["id"].(string))
	}
	want := []string{taxii.ReportID(late.ID), taxii.EntryID(late.ID, 0), taxii.EntryID(late.ID, 1),
		taxii.ReportID(b.ID), taxii.EntryID(b.ID, 0), taxii.EntryID(b.ID, 1), taxii.EntryID(b.ID, 2)}
	require.Equal(t, want, ids)
}

// swappable is a DirectorySource whose directory a test replaces.
type swappable struct {
	d atomic.Pointer[collab.Directory]
}

func (s *swappable) Directory() *collab.Directory { return s.d.Load() }

// The directory in use is asked for each request, and the authenticator
// is a seam: here one that trusts a header, as a TLS front might.
func TestDirectorySourceAndAuthenticator(t *testing.T) {
	src := &swappable{}
	src.d.Store(loadScheme(t))
	byHeader := taxii.AuthenticatorFunc(func(r *http.Request, dir *collab.Directory) (collab.Org, error) {
		o, ok := dir.Org(r.Header.Get("X-Test-Org"))
		if !ok {
			return collab.Org{}, taxii.ErrUnauthenticated
		}
		return o, nil
	})
	h := newHub(t, "public-security", func(c *taxii.Config) { c.Directory, c.DirectorySource, c.Auth = nil, src, byHeader })
	h.put(t, product(1, schema.ListAbnormalFinancialActivity, "central-bank", 1), schema.HandlingAmber)
	coll := taxii.CollectionID(schema.ListAbnormalFinancialActivity)
	status, _, body := h.get(t, "", objectsPath(coll), "X-Test-Org", reader)
	require.Equal(t, http.StatusOK, status, "%s", body)
	require.Contains(t, string(body), "report--")

	// A new revision without state security: it reads nothing any more.
	doc := schema.Directory{}
	raw, err := schemeJSON()
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &doc))
	doc.Version++
	doc.Orgs = slices.DeleteFunc(doc.Orgs, func(o schema.DirectoryOrg) bool { return o.ID == reader })
	raw, err = json.Marshal(doc)
	require.NoError(t, err)
	next, err := collab.ParseDirectory(raw)
	require.NoError(t, err)
	src.d.Store(next)
	status, hdr, body := h.get(t, "", objectsPath(coll), "X-Test-Org", reader)
	requireTAXIIError(t, status, hdr, body, http.StatusUnauthorized)
	require.Contains(t, string(body), "not authenticated")
}

// Pages larger than one catalog batch, and products the reader may not
// read among them (RED from another producer), lose nothing.
func TestPagesAcrossBatches(t *testing.T) {
	h := newHub(t, "public-security", nil)
	want := 0
	for i := range 230 {
		label := schema.HandlingAmber
		if i%9 == 4 {
			label = schema.HandlingRed
		} else {
			want += 1 + i%2
		}
		h.put(t, product(i, schema.ListAbnormalFinancialActivity, "central-bank", i%2), label)
	}
	coll := taxii.CollectionID(schema.ListAbnormalFinancialActivity)
	whole, pages := h.readAll(t, reader, coll, 1000, "")
	require.Len(t, whole, want)
	require.Equal(t, 1, pages)
	for _, limit := range []int{150, 101, 37} {
		got, _ := h.readAll(t, reader, coll, limit, "")
		require.Equal(t, whole, got, "limit %d", limit)
	}
}

func TestLimitsCrossed(t *testing.T) {
	h := newHub(t, "public-security", func(c *taxii.Config) { c.MaxLimit = 3 })
	fill(t, h, schema.ListAbnormalFinancialActivity, 4)
	coll := taxii.CollectionID(schema.ListAbnormalFinancialActivity)
	status, _, body := h.get(t, reader, objectsPath(coll)+"?limit=100")
	require.Equal(t, http.StatusOK, status)
	var env taxii.Envelope
	require.NoError(t, json.Unmarshal(body, &env))
	require.Len(t, env.Objects, 3, "a limit above MaxLimit is lowered to it")
	require.True(t, env.More)

	ids := make([]string, taxii.MaxMatchValues+1)
	for i := range ids {
		ids[i] = taxii.ReportID(testID(i))
	}
	status, hdr, body := h.get(t, reader, objectsPath(coll)+"?match[id]="+strings.Join(ids, ","))
	e := requireTAXIIError(t, status, hdr, body, http.StatusBadRequest)
	require.Equal(t, "match[id]", e.Details["parameter"])
	status, _, _ = h.get(t, reader, objectsPath(coll)+"?match[id]="+strings.Join(ids[:taxii.MaxMatchValues], ","))
	require.Equal(t, http.StatusOK, status, "at the limit")
}
