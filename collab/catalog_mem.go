package collab

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/sicollab/sicollab/schema"
)

// MemCatalog is a Catalog held in memory, for tests and for programs that
// need no durability. It is safe for concurrent use. A query walks the
// products in produced_at order from the cursor (or From) on, so its cost
// grows with the products it passes over; use BoltCatalog, whose indexes
// go straight to a list type, producer or subject, for large catalogs.
type MemCatalog struct {
	v *schema.Validator

	mu         sync.RWMutex
	byID       map[string]memProduct
	sorted     []position // every product, in produced_at order, then id
	labels     map[string]schema.Handling
	successors map[string][]string // id -> ids of the products that supersede it, sorted
}

type memProduct struct {
	p   schema.Product // for matching; never handed out
	raw []byte         // the JSON it was put as; decoded for every caller
}

var _ Catalog = (*MemCatalog)(nil)

// NewMemCatalog returns an empty catalog in memory.
func NewMemCatalog() (*MemCatalog, error) {
	v, err := productValidator()
	if err != nil {
		return nil, err
	}
	return &MemCatalog{v: v, byID: map[string]memProduct{}, labels: map[string]schema.Handling{}, successors: map[string][]string{}}, nil
}

func comparePos(a, b position) int {
	return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.id, b.id))
}

// Put adds p (see Catalog): ErrInvalidProduct, ErrProductConflict.
func (c *MemCatalog) Put(ctx context.Context, p schema.Product) error {
	return c.put(ctx, p, "")
}

// PutLabeled adds p as Put does and keeps its handling label (see
// LabeledCatalog): ErrInvalidProduct, ErrProductConflict, ErrInvalidLabel.
func (c *MemCatalog) PutLabeled(ctx context.Context, p schema.Product, h schema.Handling) error {
	if err := checkLabel(h); err != nil {
		return err
	}
	return c.put(ctx, p, h)
}

func (c *MemCatalog) put(ctx context.Context, p schema.Product, h schema.Handling) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	raw, err := encodeProduct(c.v, p)
	if err != nil {
		return err
	}
	stored, err := decodeProduct(raw)
	if err != nil {
		return fmt.Errorf("%w %q: %w", ErrInvalidProduct, p.ID, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.byID[p.ID]; ok {
		if err := conflict(p.ID, old.raw, raw); err != nil {
			return err
		}
		c.labels[p.ID] = stricter(c.labels[p.ID], h)
		return nil
	}
	c.byID[p.ID] = memProduct{p: stored, raw: raw}
	if h != "" {
		c.labels[p.ID] = h
	}
	if p.Supersedes != "" {
		succ := c.successors[p.Supersedes]
		i, _ := slices.BinarySearch(succ, p.ID)
		c.successors[p.Supersedes] = slices.Insert(succ, i, p.ID)
	}
	pos := position{at: timeKey(p.ProducedAt), id: p.ID}
	i, _ := slices.BinarySearchFunc(c.sorted, pos, comparePos)
	c.sorted = slices.Insert(c.sorted, i, pos)
	return nil
}

// Get returns the product of the id, or ErrNotFound.
func (c *MemCatalog) Get(ctx context.Context, id string) (schema.Product, error) {
	if err := ctx.Err(); err != nil {
		return schema.Product{}, err
	}
	c.mu.RLock()
	mp, ok := c.byID[id]
	c.mu.RUnlock()
	if !ok {
		return schema.Product{}, fmt.Errorf("%w: product %q", ErrNotFound, id)
	}
	return decodeProduct(mp.raw)
}

// Query returns one page of the products q selects (see Catalog):
// ErrInvalidQuery, ErrBadCursor.
func (c *MemCatalog) Query(ctx context.Context, q ProductQuery) (ProductPage, error) {
	if err := ctx.Err(); err != nil {
		return ProductPage{}, err
	}
	qp, err := prepare(q)
	if err != nil {
		return ProductPage{}, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	var i int
	switch {
	case qp.start != nil:
		i, _ = slices.BinarySearchFunc(c.sorted, *qp.start, comparePos)
		if i < len(c.sorted) && c.sorted[i] == *qp.start {
			i++
		}
		if qp.from != "" {
			i = max(i, c.firstAt(qp.from))
		}
	case qp.from != "":
		i = c.firstAt(qp.from)
	}
	var found []schema.Product
	for ; i < len(c.sorted) && len(found) <= qp.limit; i++ {
		pos := c.sorted[i]
		if qp.to != "" && pos.at >= qp.to {
			break
		}
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return ProductPage{}, err
			}
		}
		mp := c.byID[pos.id]
		if !qp.matches(mp.p) {
			continue
		}
		p, err := decodeProduct(mp.raw)
		if err != nil {
			return ProductPage{}, err
		}
		found = append(found, p)
	}
	return qp.page(found), nil
}

// firstAt is the index of the first product produced at or after the time key.
func (c *MemCatalog) firstAt(at string) int {
	i, _ := slices.BinarySearchFunc(c.sorted, position{at: at}, comparePos)
	return i
}

// Label returns the handling label the product was put with (see
// LabeledCatalog), or ErrNotFound.
func (c *MemCatalog) Label(ctx context.Context, id string) (schema.Handling, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if _, ok := c.byID[id]; !ok {
		return "", fmt.Errorf("%w: product %q", ErrNotFound, id)
	}
	return c.labels[id], nil
}

// SupersededBy returns the ids of the products that name id as the one
// they supersede, sorted (see LabeledCatalog).
func (c *MemCatalog) SupersededBy(ctx context.Context, id string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Clone(c.successors[id]), nil
}
