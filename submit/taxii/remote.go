package taxii

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// ErrReadOnly: RemoteCatalog.Put. Another hub's catalog is read, never
// written.
var ErrReadOnly = errors.New("taxii: remote catalog is read only")

// RemoteCatalog is another hub's catalog, read over TAXII 2.1 through a
// Client: a collab.Catalog whose Query and Get a department runs against
// local and remote catalogs alike before it tasks anyone. Put fails with
// ErrReadOnly.
//
// The server filters by list type (the collection) and by time (added
// after From, as date_added is produced_at); producer and subject are
// filtered here. Each Query reads the matching products of the
// collections anew and pages through them here, so its cost grows with
// the products the server holds after From; Get reads every list
// collection until it finds the product.
type RemoteCatalog struct {
	// Client reads the server.
	Client *Client
	// Root is the API root, as discovery lists it.
	Root string
}

var _ collab.Catalog = RemoteCatalog{}

// Put fails: ErrReadOnly.
func (RemoteCatalog) Put(context.Context, schema.Product) error { return ErrReadOnly }

// Get returns the product of the id, or an error wrapping
// collab.ErrNotFound.
func (r RemoteCatalog) Get(ctx context.Context, id string) (schema.Product, error) {
	for _, lt := range collab.ListTypes() {
		got, err := r.products(ctx, lt, time.Time{})
		if err != nil {
			return schema.Product{}, err
		}
		for _, p := range got {
			if p.ID == id {
				return p, nil
			}
		}
	}
	return schema.Product{}, fmt.Errorf("%w: product %q at %s", collab.ErrNotFound, id, r.Root)
}

func (r RemoteCatalog) products(ctx context.Context, lt schema.ListType, from time.Time) ([]schema.Product, error) {
	q := ObjectsQuery{}
	if !from.IsZero() {
		// date_added is produced_at cut to the millisecond, and
		// added_after is exclusive.
		q.AddedAfter = from.UTC().Truncate(time.Millisecond).Add(-time.Millisecond)
	}
	got, err := r.Client.Products(ctx, r.Root, CollectionID(lt), q)
	if err != nil {
		return nil, err
	}
	out := make([]schema.Product, len(got))
	for i, g := range got {
		out[i] = g.Product
	}
	return out, nil
}

// remoteCursor is where a RemoteCatalog page ended.
type remoteCursor struct {
	Query string    `json:"q"` // the filters it belongs to
	At    time.Time `json:"at"`
	ID    string    `json:"id"`
}

// remoteFilters fingerprints the filters of q (not its limit or cursor).
func remoteFilters(q collab.ProductQuery) string {
	raw, _ := json.Marshal([]any{q.ListType, q.Producer, q.Subject, q.From.UTC(), q.To.UTC()})
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:12])
}

// Query returns one page of the products q selects, in produced_at order,
// then id, as collab.Catalog does: collab.ErrInvalidQuery, collab.ErrBadCursor.
func (r RemoteCatalog) Query(ctx context.Context, q collab.ProductQuery) (collab.ProductPage, error) {
	limit := q.Limit
	switch {
	case limit < 0:
		return collab.ProductPage{}, fmt.Errorf("%w: limit %d is negative", collab.ErrInvalidQuery, limit)
	case limit == 0:
		limit = collab.DefaultQueryLimit
	case limit > collab.MaxQueryLimit:
		return collab.ProductPage{}, fmt.Errorf("%w: limit %d is above %d", collab.ErrInvalidQuery, limit, collab.MaxQueryLimit)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		return collab.ProductPage{}, fmt.Errorf("%w: to is not after from", collab.ErrInvalidQuery)
	}
	var after *remoteCursor
	if q.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		var c remoteCursor
		if err != nil || json.Unmarshal(raw, &c) != nil || c.ID == "" {
			return collab.ProductPage{}, fmt.Errorf("%w: not a cursor of a remote catalog", collab.ErrBadCursor)
		}
		if c.Query != remoteFilters(q) {
			return collab.ProductPage{}, fmt.Errorf("%w: it belongs to a query with other filters; start this query without a cursor", collab.ErrBadCursor)
		}
		after = &c
	}
	lists := collab.ListTypes()
	if q.ListType != "" {
		lists = []schema.ListType{q.ListType}
	}
	var found []schema.Product
	for _, lt := range lists {
		got, err := r.products(ctx, lt, q.From)
		if err != nil {
			return collab.ProductPage{}, err
		}
		for _, p := range got {
			if r.matches(q, p) && (after == nil || cmp.Or(p.ProducedAt.Compare(after.At), cmp.Compare(p.ID, after.ID)) > 0) {
				found = append(found, p)
			}
		}
	}
	slices.SortFunc(found, func(a, b schema.Product) int {
		return cmp.Or(a.ProducedAt.Compare(b.ProducedAt), cmp.Compare(a.ID, b.ID))
	})
	if len(found) <= limit {
		return collab.ProductPage{Products: append([]schema.Product{}, found...)}, nil
	}
	found = found[:limit]
	last := found[len(found)-1]
	raw, _ := json.Marshal(remoteCursor{Query: remoteFilters(q), At: last.ProducedAt, ID: last.ID})
	return collab.ProductPage{Products: found, Next: base64.RawURLEncoding.EncodeToString(raw)}, nil
}

func (RemoteCatalog) matches(q collab.ProductQuery, p schema.Product) bool {
	if q.Producer != "" && p.Producer != q.Producer {
		return false
	}
	if !q.From.IsZero() && p.ProducedAt.Before(q.From) || !q.To.IsZero() && !p.ProducedAt.Before(q.To) {
		return false
	}
	return q.Subject == "" || slices.ContainsFunc(p.Entries, func(e schema.ProductEntry) bool { return e.Subject.Pseudonym == q.Subject })
}
