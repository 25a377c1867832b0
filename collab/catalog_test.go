package collab_test

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// catalogImpls are the implementations every catalog behaviour test runs on.
var catalogImpls = []struct {
	name string
	open func(t *testing.T) collab.Catalog
}{
	{"mem", func(t *testing.T) collab.Catalog {
		c, err := collab.NewMemCatalog()
		require.NoError(t, err)
		return c
	}},
	{"bolt", func(t *testing.T) collab.Catalog {
		c, err := collab.OpenBoltCatalog(filepath.Join(t.TempDir(), "catalog.db"))
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		return c
	}},
}

// uuid7 is a fixed, valid UUID v7 numbered n (the high bits tell kinds of
// ids apart).
func catID(n int) string { return fmt.Sprintf("01960000-0000-7000-8000-%012x", n) }

// pseudonym is the synthetic pseudonym of a name (a real one is keyed).
func catPseudonym(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

func catSubject(name string) schema.Subject {
	return schema.Subject{Pseudonym: catPseudonym(name), IDType: schema.IDType("national_id"), KeyID: "k2026"}
}

var (
	catT0        = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	catLists     = []schema.ListType{schema.ListAbnormalFinancialActivity, schema.ListHazmatPurchases, schema.ListFlaggedAccounts}
	catProducers = []string{"central-bank", "miit"}
	catPeople    = []string{"ann", "bob", "cyd", "dan"}
)

// product i of the fixture: list types and catProducers cycle, products 2k
// and 2k+1 share a produced_at (so ids order them), entries name two of
// four catPeople (the second only from entry 2 on, so the index must cover
// every entry), and every seventh product has no entry at all.
func catProduct(i int) schema.Product {
	at := catT0.Add(time.Duration(i/2) * time.Hour)
	p := schema.Product{
		ID: catID(0x100000 + 37*(25-i)), ListType: catLists[i%3], Frequency: schema.FrequencyDaily,
		Producer: catProducers[i%2], RequirementID: catID(1),
		Period:     schema.Window{From: at.Add(-24 * time.Hour), To: at},
		ProducedAt: at,
	}
	if i%7 == 6 {
		return p
	}
	entry := func(name string, score float64) schema.ProductEntry {
		return schema.ProductEntry{Subject: catSubject(name), Score: score, Reasons: []string{"rule-" + name}, EvidenceIDs: []string{catID(0x200000 + i)}}
	}
	p.Entries = []schema.ProductEntry{entry(catPeople[i%4], 0.9), entry(catPeople[(i+1)%4], 0.5), entry(catPeople[(i+2)%4], 0.25)}
	p.Entries[1] = p.Entries[2] // three entries, two catPeople, the same one twice
	p.Entries[2] = entry(catPeople[(i+3)%4], 0.1)
	return p
}

const catFixtureSize = 25

func catFixture() []schema.Product {
	ps := make([]schema.Product, catFixtureSize)
	for i := range ps {
		ps[i] = catProduct(i)
	}
	return ps
}

// want is what q selects from the fixture, by brute force.
func catWant(q collab.ProductQuery) []schema.Product {
	var out []schema.Product
	for _, p := range catFixture() {
		if q.ListType != "" && p.ListType != q.ListType ||
			q.Producer != "" && p.Producer != q.Producer ||
			!q.From.IsZero() && p.ProducedAt.Before(q.From) ||
			!q.To.IsZero() && !p.ProducedAt.Before(q.To) {
			continue
		}
		if q.Subject != "" && !slices.ContainsFunc(p.Entries, func(e schema.ProductEntry) bool { return e.Subject.Pseudonym == q.Subject }) {
			continue
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b schema.Product) int {
		return cmp.Or(a.ProducedAt.Compare(b.ProducedAt), strings.Compare(a.ID, b.ID))
	})
	return out
}

func catFill(t *testing.T, c collab.Catalog) {
	t.Helper()
	ctx := context.Background()
	// Put in an order that is neither time nor id order.
	for _, i := range []int{7, 3, 24, 0, 11, 19, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 20, 21, 22, 23} {
		require.NoError(t, c.Put(ctx, catProduct(i)))
	}
}

// pageAll pages through q and returns every product and the page sizes.
func catPageAll(t *testing.T, c collab.Catalog, q collab.ProductQuery) ([]schema.Product, []int) {
	t.Helper()
	var all []schema.Product
	var sizes []int
	for range 100 {
		page, err := c.Query(context.Background(), q)
		require.NoError(t, err)
		require.NotNil(t, page.Products)
		all = append(all, page.Products...)
		sizes = append(sizes, len(page.Products))
		if page.Next == "" {
			return all, sizes
		}
		q.Cursor = page.Next
	}
	t.Fatal("query did not end")
	return nil, nil
}

func TestCatalogQueries(t *testing.T) {
	mid := catT0.Add(3 * time.Hour)
	cases := []struct {
		name  string
		q     collab.ProductQuery
		total int   // products selected
		sizes []int // page sizes
	}{
		{"everything, default limit", collab.ProductQuery{}, 25, []int{25}},
		{"everything by 10", collab.ProductQuery{Limit: 10}, 25, []int{10, 10, 5}},
		{"everything by 5: exact last page", collab.ProductQuery{Limit: 5}, 25, []int{5, 5, 5, 5, 5}},
		{"everything by 1", collab.ProductQuery{Limit: 1}, 25, slices.Repeat([]int{1}, 25)},
		{"everything by 25: one exact page", collab.ProductQuery{Limit: 25}, 25, []int{25}},
		{"list type", collab.ProductQuery{ListType: schema.ListHazmatPurchases, Limit: 3}, 8, []int{3, 3, 2}},
		{"list type, exact pages", collab.ProductQuery{ListType: schema.ListAbnormalFinancialActivity, Limit: 3}, 9, []int{3, 3, 3}},
		{"producer", collab.ProductQuery{Producer: "miit", Limit: 4}, 12, []int{4, 4, 4}},
		{"subject", collab.ProductQuery{Subject: catPseudonym("ann"), Limit: 4}, 0, nil},
		{"subject in a later entry only", collab.ProductQuery{Subject: catPseudonym("dan"), Limit: 100}, 0, nil},
		{"list type and producer", collab.ProductQuery{ListType: schema.ListFlaggedAccounts, Producer: "central-bank", Limit: 2}, 4, []int{2, 2}},
		{"producer and subject", collab.ProductQuery{Producer: "central-bank", Subject: catPseudonym("bob"), Limit: 2}, 0, nil},
		{"all three", collab.ProductQuery{ListType: schema.ListHazmatPurchases, Producer: "miit", Subject: catPseudonym("cyd"), Limit: 2}, 0, nil},
		{"from", collab.ProductQuery{From: mid, Limit: 7}, 19, []int{7, 7, 5}},
		{"to", collab.ProductQuery{To: mid, Limit: 4}, 6, []int{4, 2}},
		{"from and to, odd instants", collab.ProductQuery{From: mid.Add(-time.Nanosecond), To: mid.Add(2*time.Hour + time.Nanosecond), Limit: 2}, 6, []int{2, 2, 2}},
		{"window and producer", collab.ProductQuery{From: mid, To: mid.Add(6 * time.Hour), Producer: "central-bank", Limit: 2}, 6, []int{2, 2, 2}},
		{"window and subject", collab.ProductQuery{From: mid, To: mid.Add(6 * time.Hour), Subject: catPseudonym("ann"), Limit: 2}, 0, nil},
		{"window in another zone", collab.ProductQuery{From: mid.In(time.FixedZone("CST", 8*3600)), Limit: 100}, 19, []int{19}},
		{"nothing: unknown producer", collab.ProductQuery{Producer: "nobody"}, 0, []int{0}},
		{"nothing: unknown subject", collab.ProductQuery{Subject: catPseudonym("zed")}, 0, []int{0}},
		{"nothing: window after the last", collab.ProductQuery{From: catT0.AddDate(1, 0, 0)}, 0, []int{0}},
		{"nothing: window before the first", collab.ProductQuery{To: catT0}, 0, []int{0}},
	}
	for _, impl := range catalogImpls {
		t.Run(impl.name, func(t *testing.T) {
			c := impl.open(t)
			catFill(t, c)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					expect := catWant(tc.q)
					if tc.sizes != nil {
						require.Len(t, expect, tc.total, "the fixture")
					}
					got, sizes := catPageAll(t, c, tc.q)
					assert.Equal(t, catIDs(expect), catIDs(got))
					assert.Equal(t, expect, got)
					if tc.sizes != nil {
						assert.Equal(t, tc.sizes, sizes)
					} else {
						require.NotEmpty(t, expect, "the fixture")
					}
				})
			}
		})
	}
}

func catIDs(ps []schema.Product) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func TestCatalogEmpty(t *testing.T) {
	for _, impl := range catalogImpls {
		t.Run(impl.name, func(t *testing.T) {
			c := impl.open(t)
			page, err := c.Query(context.Background(), collab.ProductQuery{})
			require.NoError(t, err)
			assert.NotNil(t, page.Products)
			assert.Empty(t, page.Products)
			assert.Empty(t, page.Next)
			_, err = c.Get(context.Background(), catID(1))
			assert.ErrorIs(t, err, collab.ErrNotFound)
		})
	}
}

func TestCatalogCursorRefused(t *testing.T) {
	for _, impl := range catalogImpls {
		t.Run(impl.name, func(t *testing.T) {
			ctx := context.Background()
			c := impl.open(t)
			catFill(t, c)
			q := collab.ProductQuery{Producer: "miit", Limit: 4}
			page, err := c.Query(ctx, q)
			require.NoError(t, err)
			require.NotEmpty(t, page.Next)
			next := page.Next
			raw, err := base64.RawURLEncoding.DecodeString(next)
			require.NoError(t, err)
			edit := func(field string, v any) string {
				var m map[string]any
				require.NoError(t, json.Unmarshal(raw, &m))
				m[field] = v
				out, _ := json.Marshal(m)
				return base64.RawURLEncoding.EncodeToString(out)
			}
			others := []struct {
				name string
				q    collab.ProductQuery
				says string
			}{
				{"another producer", collab.ProductQuery{Producer: "central-bank", Cursor: next}, "other filters"},
				{"a list type added", collab.ProductQuery{Producer: "miit", ListType: schema.ListHazmatPurchases, Cursor: next}, "other filters"},
				{"a subject added", collab.ProductQuery{Producer: "miit", Subject: catPseudonym("ann"), Cursor: next}, "other filters"},
				{"a window added", collab.ProductQuery{Producer: "miit", From: catT0, Cursor: next}, "other filters"},
				{"no filter", collab.ProductQuery{Cursor: next}, "other filters"},
				{"a character changed", collab.ProductQuery{Producer: "miit", Cursor: catFlip(next, 10)}, "bad cursor"},
				{"cut short", collab.ProductQuery{Producer: "miit", Cursor: next[:len(next)-6]}, "bad cursor"},
				{"not base64", collab.ProductQuery{Producer: "miit", Cursor: "!!" + next}, "not base64url"},
				{"not JSON", collab.ProductQuery{Producer: "miit", Cursor: base64.RawURLEncoding.EncodeToString([]byte("hello"))}, "not a cursor"},
				{"unknown field", collab.ProductQuery{Producer: "miit", Cursor: edit("x", 1)}, "not a cursor"},
				{"id edited", collab.ProductQuery{Producer: "miit", Cursor: edit("id", catID(3))}, "changed or damaged"},
				{"time edited", collab.ProductQuery{Producer: "miit", Cursor: edit("at", "2026-03-01T00:00:00.000000000Z")}, "changed or damaged"},
				{"fingerprint edited", collab.ProductQuery{Producer: "miit", Cursor: edit("q", strings.Repeat("0", 32))}, "changed or damaged"},
				{"version edited", collab.ProductQuery{Producer: "miit", Cursor: edit("v", 2)}, "version 2 unknown"},
			}
			for _, tc := range others {
				t.Run(tc.name, func(t *testing.T) {
					page, err := c.Query(ctx, tc.q)
					require.ErrorIs(t, err, collab.ErrBadCursor)
					assert.ErrorContains(t, err, tc.says)
					assert.Empty(t, page.Products)
				})
			}
			// The same filters with another limit take the cursor.
			page, err = c.Query(ctx, collab.ProductQuery{Producer: "miit", Limit: 100, Cursor: next})
			require.NoError(t, err)
			assert.Equal(t, catIDs(catWant(q)[4:]), catIDs(page.Products))
			// So does the same window written in another zone.
			w := collab.ProductQuery{From: catT0, Limit: 2}
			page, err = c.Query(ctx, w)
			require.NoError(t, err)
			w.From, w.Cursor = catT0.In(time.FixedZone("CST", 8*3600)), page.Next
			_, err = c.Query(ctx, w)
			assert.NoError(t, err)
		})
	}
}

// flip changes the character at i of a base64url string.
func catFlip(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestCatalogInvalidQuery(t *testing.T) {
	for _, impl := range catalogImpls {
		t.Run(impl.name, func(t *testing.T) {
			c := impl.open(t)
			for _, tc := range []struct {
				q    collab.ProductQuery
				says string
			}{
				{collab.ProductQuery{Limit: -1}, "limit -1 is negative"},
				{collab.ProductQuery{From: catT0, To: catT0}, "to 2026-03-01T00:00:00Z is not after from 2026-03-01T00:00:00Z"},
				{collab.ProductQuery{From: catT0, To: catT0.Add(-time.Hour)}, "is not after from"},
				{collab.ProductQuery{To: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, "year 10000 is not 1-9999"},
			} {
				_, err := c.Query(context.Background(), tc.q)
				require.ErrorIs(t, err, collab.ErrInvalidQuery)
				assert.ErrorContains(t, err, tc.says)
			}
		})
	}
}

func TestCatalogPutGet(t *testing.T) {
	for _, impl := range catalogImpls {
		t.Run(impl.name, func(t *testing.T) {
			ctx := context.Background()
			c := impl.open(t)
			p := catProduct(3)
			require.NoError(t, c.Put(ctx, p))
			require.NoError(t, c.Put(ctx, catProduct(3)), "the same content again is a no-op")

			got, err := c.Get(ctx, p.ID)
			require.NoError(t, err)
			assert.Equal(t, p, got)
			got.Entries[0].Score = 0 // the caller's copy
			again, _ := c.Get(ctx, p.ID)
			assert.Equal(t, p, again)

			changed := catProduct(3)
			changed.Summary = "a correction"
			err = c.Put(ctx, changed)
			require.ErrorIs(t, err, collab.ErrProductConflict)
			assert.ErrorContains(t, err, "supersedes")
			again, _ = c.Get(ctx, p.ID)
			assert.Equal(t, p, again, "unchanged")

			// A correction is a new product that supersedes the old one.
			changed.ID, changed.Supersedes = catID(0x300000), p.ID
			require.NoError(t, c.Put(ctx, changed))
			page, err := c.Query(ctx, collab.ProductQuery{Producer: p.Producer})
			require.NoError(t, err)
			assert.Len(t, page.Products, 2)

			empty := catProduct(6)
			require.Empty(t, empty.Entries)
			require.NoError(t, c.Put(ctx, empty))
			got, err = c.Get(ctx, empty.ID)
			require.NoError(t, err)
			assert.Empty(t, got.Entries)

			_, err = c.Get(ctx, catID(0x999))
			require.ErrorIs(t, err, collab.ErrNotFound)
			assert.ErrorContains(t, err, catID(0x999))
		})
	}
}

func TestCatalogRefusesInvalidProducts(t *testing.T) {
	cases := []struct {
		name    string
		change  func(*schema.Product)
		pointer string
	}{
		{"no id", func(p *schema.Product) { p.ID = "" }, "/id"},
		{"unknown list type", func(p *schema.Product) { p.ListType = "gossip" }, "/list_type"},
		{"weekly", func(p *schema.Product) { p.Frequency = schema.FrequencyWeekly }, "/frequency"},
		{"task without task id", func(p *schema.Product) { p.Frequency = schema.FrequencyTask }, ""},
		{"produced_at not UTC", func(p *schema.Product) { p.ProducedAt = p.ProducedAt.In(time.FixedZone("CST", 8*3600)) }, "/produced_at"},
		{"score above 1", func(p *schema.Product) { p.Entries[0].Score = 1.5 }, "/entries/0/score"},
		{"not a pseudonym", func(p *schema.Product) { p.Entries[1].Subject.Pseudonym = "ann" }, "/entries/1/subject/pseudonym"},
	}
	for _, impl := range catalogImpls {
		t.Run(impl.name, func(t *testing.T) {
			c := impl.open(t)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					p := catProduct(1)
					tc.change(&p)
					err := c.Put(context.Background(), p)
					require.ErrorIs(t, err, collab.ErrInvalidProduct)
					var ve *schema.ValidationError
					require.ErrorAs(t, err, &ve)
					if tc.pointer != "" {
						assert.Contains(t, err.Error(), tc.pointer)
					}
				})
			}
			page, err := c.Query(context.Background(), collab.ProductQuery{})
			require.NoError(t, err)
			assert.Empty(t, page.Products)
		})
	}
}

func TestCatalogPutWhilePaging(t *testing.T) {
	for _, impl := range catalogImpls {
		t.Run(impl.name, func(t *testing.T) {
			ctx := context.Background()
			c := impl.open(t)
			for i := range 10 {
				require.NoError(t, c.Put(ctx, catProduct(i)))
			}
			page, err := c.Query(ctx, collab.ProductQuery{Limit: 4})
			require.NoError(t, err)
			// One product lands before the cursor, one after it.
			early, late := catProduct(20), catProduct(21)
			early.ID, early.ProducedAt = catID(0x400001), catT0
			late.ID, late.ProducedAt = catID(0x400002), catT0.Add(100*time.Hour)
			require.NoError(t, c.Put(ctx, early))
			require.NoError(t, c.Put(ctx, late))
			rest, _ := catPageAll(t, c, collab.ProductQuery{Limit: 4, Cursor: page.Next})
			assert.Len(t, rest, 7)
			assert.Equal(t, late.ID, rest[len(rest)-1].ID)
			assert.NotContains(t, catIDs(rest), early.ID)
		})
	}
}

func TestCatalogContext(t *testing.T) {
	for _, impl := range catalogImpls {
		t.Run(impl.name, func(t *testing.T) {
			c := impl.open(t)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			assert.ErrorIs(t, c.Put(ctx, catProduct(1)), context.Canceled)
			_, err := c.Get(ctx, catProduct(1).ID)
			assert.ErrorIs(t, err, context.Canceled)
			_, err = c.Query(ctx, collab.ProductQuery{})
			assert.ErrorIs(t, err, context.Canceled)
		})
	}
}

// TestMemCatalogLimitCap: a Limit above MaxQueryLimit is refused with an
// error naming the cap, not cut silently; the cap itself pages on.
func TestMemCatalogLimitCap(t *testing.T) {
	ctx := context.Background()
	c, err := collab.NewMemCatalog()
	require.NoError(t, err)
	base := catProduct(0)
	for i := range collab.MaxQueryLimit + 5 {
		p := base
		p.ID = catID(0x500000 + i)
		require.NoError(t, c.Put(ctx, p))
	}
	_, err = c.Query(ctx, collab.ProductQuery{Limit: 5000})
	require.ErrorIs(t, err, collab.ErrInvalidQuery)
	assert.ErrorContains(t, err, "limit 5000 is outside 1..1000")
	page, err := c.Query(ctx, collab.ProductQuery{Limit: collab.MaxQueryLimit})
	require.NoError(t, err)
	assert.Len(t, page.Products, collab.MaxQueryLimit)
	require.NotEmpty(t, page.Next)
	page, err = c.Query(ctx, collab.ProductQuery{Cursor: page.Next})
	require.NoError(t, err)
	assert.Len(t, page.Products, 5)
	assert.Empty(t, page.Next)
	page, err = c.Query(ctx, collab.ProductQuery{})
	require.NoError(t, err)
	assert.Len(t, page.Products, collab.DefaultQueryLimit)
}

func TestBoltCatalogReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	c, err := collab.OpenBoltCatalog(path)
	require.NoError(t, err)
	catFill(t, c)
	q := collab.ProductQuery{ListType: schema.ListFlaggedAccounts, Limit: 3}
	first, err := c.Query(ctx, q)
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close(), "closing twice is not an error")
	_, err = c.Query(ctx, q)
	assert.ErrorIs(t, err, collab.ErrCatalogClosed)
	assert.ErrorIs(t, c.Put(ctx, catProduct(1)), collab.ErrCatalogClosed)
	_, err = c.Get(ctx, catProduct(1).ID)
	assert.ErrorIs(t, err, collab.ErrCatalogClosed)

	c, err = collab.OpenBoltCatalog(path)
	require.NoError(t, err)
	defer c.Close()
	// The cursor handed out before the close still works.
	q.Cursor = first.Next
	rest, _ := catPageAll(t, c, q)
	q.Cursor = ""
	assert.Equal(t, catIDs(catWant(q)), append(catIDs(first.Products), catIDs(rest)...))
	for _, p := range catFixture() {
		got, err := c.Get(ctx, p.ID)
		require.NoError(t, err)
		assert.Equal(t, p, got)
	}
	for _, tc := range []collab.ProductQuery{{}, {Subject: catPseudonym("bob")}, {Producer: "miit", From: catT0.Add(5 * time.Hour)}} {
		got, _ := catPageAll(t, c, tc)
		assert.Equal(t, catIDs(catWant(tc)), catIDs(got))
	}
	require.NoError(t, c.Put(ctx, catProduct(3)), "the same content after reopening is still a no-op")
}

func TestBoltCatalogCorruptIndex(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	c, err := collab.OpenBoltCatalog(path)
	require.NoError(t, err)
	catFill(t, c)
	require.NoError(t, c.Close())
	victim := catWant(collab.ProductQuery{Producer: "miit"})[1]
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket([]byte("products")).Delete([]byte(victim.ID)); err != nil {
			return err
		}
		if err := tx.Bucket([]byte("by_list")).Put([]byte("short\x00x"), nil); err != nil {
			return err
		}
		return tx.Bucket([]byte("products")).Put([]byte(catID(0x777)), []byte("garbage"))
	}))
	require.NoError(t, db.Close())

	c, err = collab.OpenBoltCatalog(path)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Query(ctx, collab.ProductQuery{Producer: "miit"})
	assert.ErrorContains(t, err, "collab: catalog corrupt: index by_producer names product \""+victim.ID+"\", which is not stored")
	_, err = c.Query(ctx, collab.ProductQuery{ListType: "short"})
	assert.ErrorContains(t, err, "collab: catalog corrupt: index by_list key")
	_, err = c.Get(ctx, catID(0x777))
	assert.ErrorContains(t, err, "collab: catalog corrupt: product \""+catID(0x777)+"\"")
}
