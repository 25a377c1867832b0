package collab

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sicollab/sicollab/internal/boltdb"
	"github.com/sicollab/sicollab/schema"
)

// Query limits of a Catalog.
const (
	// DefaultQueryLimit is the page size of a ProductQuery whose Limit is 0.
	DefaultQueryLimit = 100
	// MaxQueryLimit is the largest page: a larger Limit is an error
	// wrapping ErrInvalidQuery, not a page silently cut to the cap.
	MaxQueryLimit = 1000
)

// Catalog errors, for errors.Is.
var (
	// ErrNotFound: there is nothing under the id. Returned by Catalog.Get,
	// and by TaskReport for a task of the reporter the journal lacks.
	ErrNotFound = errors.New("collab: not found")
	// ErrProductConflict: Catalog.Put of an id the catalog holds with other
	// content. Products are immutable; a correction is a new product whose
	// Supersedes names the old one.
	ErrProductConflict = errors.New("collab: product id already holds other content")
	// ErrInvalidProduct: Catalog.Put of a product that does not validate
	// against the collab.product schema; the error wraps the
	// *schema.ValidationError.
	ErrInvalidProduct = errors.New("collab: invalid product")
	// ErrInvalidQuery: Catalog.Query of a ProductQuery that cannot be
	// answered (a negative Limit, To not after From).
	ErrInvalidQuery = errors.New("collab: invalid product query")
	// ErrBadCursor: Catalog.Query or ReadJournal with a Cursor that this
	// query did not hand out: one from a query with other filters, or one
	// that was changed or cut. Start again without a cursor.
	ErrBadCursor = errors.New("collab: bad cursor")
	// ErrCatalogClosed: BoltCatalog's methods after Close.
	ErrCatalogClosed = errors.New("collab: catalog closed")
)

// ProductQuery selects products. Empty filters select everything; set
// filters must all match.
type ProductQuery struct {
	// ListType selects products of one domain list.
	ListType schema.ListType
	// Producer selects products of one organization.
	Producer string
	// Subject selects products with an entry about the subject of this
	// keyed pseudonym.
	Subject string
	// From and To select products by produced_at: From inclusive, To
	// exclusive; a zero time leaves that side open.
	From, To time.Time
	// Limit is the most products in a page: 0 means DefaultQueryLimit; a
	// negative value or one above MaxQueryLimit is an error wrapping
	// ErrInvalidQuery (never a silent truncation). It may change from page
	// to page.
	Limit int
	// Cursor is the Next of the previous page of the same query; empty
	// for the first page.
	Cursor string
}

// ProductPage is one page of a query's results.
type ProductPage struct {
	// Products of the page, in produced_at order, then id; empty (never
	// nil) when nothing matches.
	Products []schema.Product
	// Next is the Cursor of the next page; empty when this page is the
	// last (a full last page has an empty Next: there is no empty page
	// after it).
	Next string
}

// productValidator checks products before they enter a catalog.
func productValidator() (*schema.Validator, error) {
	v, err := schema.NewValidator()
	if err != nil {
		return nil, fmt.Errorf("collab: product validator: %w", err)
	}
	return v, nil
}

// encodeProduct validates p and returns its JSON, which is what a catalog
// stores and compares.
func encodeProduct(v *schema.Validator, p schema.Product) ([]byte, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %w", ErrInvalidProduct, p.ID, err)
	}
	if err := v.ValidatePayload(schema.KindProduct, 1, raw); err != nil {
		return nil, fmt.Errorf("%w %q: %w", ErrInvalidProduct, p.ID, err)
	}
	return raw, nil
}

// decodeProduct reads back a stored product; an empty Entries comes back
// nil, however it was put.
func decodeProduct(raw []byte) (schema.Product, error) {
	var p schema.Product
	if err := json.Unmarshal(raw, &p); err != nil {
		return schema.Product{}, err
	}
	if len(p.Entries) == 0 {
		p.Entries = nil
	}
	return p, nil
}

// conflict is the error of a Put that would change a product.
func conflict(id string, old, raw []byte) error {
	if bytes.Equal(old, raw) {
		return nil
	}
	return fmt.Errorf("%w: %q; products are immutable: put a new product whose supersedes is %q", ErrProductConflict, id, id)
}

// timeKey is produced_at as a fixed-width UTC string, so that keys sort
// as times do (boltdb.TimeKeyLayout).
const timeKeyLayout = boltdb.TimeKeyLayout

func timeKey(t time.Time) string { return boltdb.TimeKey(t) }

// position is where a page ends: the last product's produced_at and id.
type position struct {
	at string // timeKey
	id string
}

// before reports whether p sorts before (at, id).
func (p position) before(at, id string) bool {
	return at > p.at || (at == p.at && id > p.id)
}

// queryPlan is a query made ready: its limit, its window as time keys, and
// where to start.
type queryPlan struct {
	q        ProductQuery
	limit    int
	from, to string // time keys; "" is open
	start    *position
}

// matches reports whether p passes every filter.
func (qp *queryPlan) matches(p schema.Product) bool {
	q := qp.q
	if q.ListType != "" && p.ListType != q.ListType {
		return false
	}
	if q.Producer != "" && p.Producer != q.Producer {
		return false
	}
	if q.Subject != "" && !hasSubject(p, q.Subject) {
		return false
	}
	at := timeKey(p.ProducedAt)
	return (qp.from == "" || at >= qp.from) && (qp.to == "" || at < qp.to)
}

// hasSubject reports whether an entry of p is about the pseudonym.
func hasSubject(p schema.Product, pseudonym string) bool {
	for _, e := range p.Entries {
		if e.Subject.Pseudonym == pseudonym {
			return true
		}
	}
	return false
}

// prepare checks q and decodes its cursor.
func prepare(q ProductQuery) (*queryPlan, error) {
	qp := &queryPlan{q: q, limit: q.Limit}
	switch {
	case q.Limit < 0:
		return nil, fmt.Errorf("%w: limit %d is negative", ErrInvalidQuery, q.Limit)
	case q.Limit == 0:
		qp.limit = DefaultQueryLimit
	case q.Limit > MaxQueryLimit:
		_, err := boltdb.Limit("limit", q.Limit, DefaultQueryLimit, MaxQueryLimit)
		return nil, fmt.Errorf("%w: %w", ErrInvalidQuery, err)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		return nil, fmt.Errorf("%w: to %s is not after from %s", ErrInvalidQuery,
			q.To.UTC().Format(time.RFC3339Nano), q.From.UTC().Format(time.RFC3339Nano))
	}
	for _, t := range []time.Time{q.From, q.To} {
		if y := t.UTC().Year(); !t.IsZero() && (y < 1 || y > 9999) {
			return nil, fmt.Errorf("%w: year %d is not 1-9999", ErrInvalidQuery, y)
		}
	}
	if !q.From.IsZero() {
		qp.from = timeKey(q.From)
	}
	if !q.To.IsZero() {
		qp.to = timeKey(q.To)
	}
	if q.Cursor != "" {
		pos, err := decodeCursor(q)
		if err != nil {
			return nil, err
		}
		qp.start = &pos
	}
	return qp, nil
}

// page turns the matches found (at most limit+1) into a page.
func (qp *queryPlan) page(found []schema.Product) ProductPage {
	if found == nil {
		found = []schema.Product{}
	}
	if len(found) <= qp.limit {
		return ProductPage{Products: found}
	}
	found = found[:qp.limit]
	last := found[len(found)-1]
	return ProductPage{Products: found, Next: encodeCursor(qp.q, position{at: timeKey(last.ProducedAt), id: last.ID})}
}

// cursor is what a Next encodes (as base64url of its JSON): the version,
// the fingerprint of the query's filters, the position of the last
// product handed out, and a check over all of it.
type cursor struct {
	V     int    `json:"v"`
	Query string `json:"q"`
	At    string `json:"at"`
	ID    string `json:"id"`
	Check string `json:"c"`
}

// fingerprint is a hash of the filter fields: the cursor of one query is
// refused by another. Limit is left out, so pages may change size.
func fingerprint(q ProductQuery) string {
	var from, to string
	if !q.From.IsZero() {
		from = timeKey(q.From)
	}
	if !q.To.IsZero() {
		to = timeKey(q.To)
	}
	raw, _ := json.Marshal([]string{string(q.ListType), q.Producer, q.Subject, from, to})
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:16])
}

// check binds a cursor's fields together, so that an edited or damaged
// cursor is refused. It is not a secret: a forged cursor could only
// resume the same query at another position, which the caller may read
// anyway.
func (c cursor) check() string {
	raw, _ := json.Marshal([]any{c.V, c.Query, c.At, c.ID})
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:8])
}

func encodeCursor(q ProductQuery, pos position) string {
	c := cursor{V: 1, Query: fingerprint(q), At: pos.at, ID: pos.id}
	c.Check = c.check()
	raw, _ := json.Marshal(c)
	return boltdb.EncodeCursor(raw)
}

func decodeCursor(q ProductQuery) (position, error) {
	raw, err := boltdb.DecodeCursor(q.Cursor, ErrBadCursor)
	if err != nil {
		return position{}, err
	}
	var c cursor
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return position{}, boltdb.BadCursor(ErrBadCursor, "not a cursor: "+err.Error())
	}
	switch {
	case c.V != 1:
		return position{}, boltdb.BadCursor(ErrBadCursor, fmt.Sprintf("version %d unknown", c.V))
	case c.Check != c.check():
		return position{}, boltdb.BadCursor(ErrBadCursor, "changed or damaged")
	case c.Query != fingerprint(q):
		return position{}, boltdb.BadCursor(ErrBadCursor, "it belongs to a query with other filters")
	}
	if _, err := time.Parse(timeKeyLayout, c.At); err != nil || c.ID == "" {
		return position{}, boltdb.BadCursor(ErrBadCursor, "no position")
	}
	return position{at: c.At, id: c.ID}, nil
}

// EntryOfProduct returns the journal entry of a product made (analysis
// stage): by the producer, at produced_at, about the product's id, with
// the product as its data; feedback reports count these. Append it once
// the product is kept.
func EntryOfProduct(p schema.Product) (Entry, error) {
	return messageEntry(schema.KindProduct, InteractionNone, p.ProducedAt, p.Producer, "", p.ID, p)
}
