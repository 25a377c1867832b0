package collab

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/sicollab/sicollab/schema"
)

// ErrInvalidLabel: LabeledCatalog.PutLabeled with a handling label that is
// not one of TLP 2.0's five.
var ErrInvalidLabel = errors.New("collab: invalid handling label")

// LabeledCatalog is a Catalog that also keeps the handling label each
// product arrived under (a product's envelope carries it; the product
// does not) and knows which products supersede which. MemCatalog and
// BoltCatalog are LabeledCatalogs.
//
// PutLabeled is Put that also keeps h. A product put again with another
// label keeps the stricter of the two (CLEAR < GREEN < AMBER <
// AMBER+STRICT < RED): a label is never widened. Label returns the label,
// "" for a product put by Put alone, ErrNotFound for an unknown id.
// SupersededBy returns the ids of the products whose Supersedes is id,
// sorted; empty when none is.
type LabeledCatalog interface {
	Catalog
	PutLabeled(ctx context.Context, p schema.Product, h schema.Handling) error
	Label(ctx context.Context, id string) (schema.Handling, error)
	SupersededBy(ctx context.Context, id string) ([]string, error)
}

// handlingRank orders the TLP 2.0 labels from the widest to the strictest;
// 0 is no label.
func handlingRank(h schema.Handling) int {
	switch h {
	case schema.HandlingClear:
		return 1
	case schema.HandlingGreen:
		return 2
	case schema.HandlingAmber:
		return 3
	case schema.HandlingAmberStrict:
		return 4
	case schema.HandlingRed:
		return 5
	}
	return 0
}

func checkLabel(h schema.Handling) error {
	if handlingRank(h) == 0 {
		return fmt.Errorf("%w: %q; use CLEAR, GREEN, AMBER, AMBER+STRICT or RED", ErrInvalidLabel, h)
	}
	return nil
}

// stricter returns the stricter of two labels ("" is no label).
func stricter(a, b schema.Handling) schema.Handling {
	if handlingRank(b) > handlingRank(a) {
		return b
	}
	return a
}

// SupersedesReader is what Current needs of a catalog: a LabeledCatalog
// is one.
type SupersedesReader interface {
	Get(ctx context.Context, id string) (schema.Product, error)
	SupersededBy(ctx context.Context, id string) ([]string, error)
}

// MaxSupersedesChain is the longest chain of corrections Current follows.
const MaxSupersedesChain = 1000

// Current resolves the supersedes chain from the product of id: it
// returns the product that is current (the one nothing in the catalog
// supersedes) and the chain of ids from id to it, id first. Where two
// products supersede the same one, the later produced (then the greater
// id) wins. It returns ErrNotFound for an unknown id, and an error
// wrapping ErrInvalidQuery for a cycle or a chain longer than
// MaxSupersedesChain.
func Current(ctx context.Context, c SupersedesReader, id string) (schema.Product, []string, error) {
	p, err := c.Get(ctx, id)
	if err != nil {
		return schema.Product{}, nil, err
	}
	chain := []string{id}
	seen := map[string]bool{id: true}
	for {
		next, err := c.SupersededBy(ctx, p.ID)
		if err != nil {
			return schema.Product{}, nil, err
		}
		if len(next) == 0 {
			return p, chain, nil
		}
		var best schema.Product
		for i, nid := range next {
			q, err := c.Get(ctx, nid)
			if err != nil {
				return schema.Product{}, nil, err
			}
			if i == 0 || cmp.Or(q.ProducedAt.Compare(best.ProducedAt), cmp.Compare(q.ID, best.ID)) > 0 {
				best = q
			}
		}
		if seen[best.ID] {
			return schema.Product{}, nil, fmt.Errorf("%w: supersedes chain from %q loops at %q", ErrInvalidQuery, id, best.ID)
		}
		if len(chain) >= MaxSupersedesChain {
			return schema.Product{}, nil, fmt.Errorf("%w: supersedes chain from %q is longer than %d", ErrInvalidQuery, id, MaxSupersedesChain)
		}
		seen[best.ID] = true
		chain = append(chain, best.ID)
		p = best
	}
}
