package collab

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/internal/boltdb"

	"github.com/sicollab/sicollab/schema"
)

// The buckets of a BoltCatalog.
var (
	productsBucket   = []byte("products")    // id -> product JSON
	byTimeBucket     = []byte("by_time")     // <produced_at>\x00<id>
	byListBucket     = []byte("by_list")     // <list type>\x00<produced_at>\x00<id>
	byProducerBucket = []byte("by_producer") // <producer>\x00<produced_at>\x00<id>
	bySubjectBucket  = []byte("by_subject")  // <pseudonym>\x00<produced_at>\x00<id>
	labelsBucket     = []byte("labels")      // id -> handling label
	successorsBucket = []byte("superseded")  // <superseded id>\x00<id>
	catalogBuckets   = [][]byte{productsBucket, byTimeBucket, byListBucket, byProducerBucket, bySubjectBucket, labelsBucket}
)

// BoltCatalog is a durable Catalog in one bbolt file. It is safe for
// concurrent use; the file is locked against other processes while it is
// open.
//
// Products are stored as JSON by id. Secondary indexes, kept in the same
// transaction as the product, map a list type, a producer and the subject
// pseudonym of every entry to the products that have it, as keys
// "<value>\x00<produced_at>\x00<id>" with produced_at in a fixed-width
// UTC form that sorts as time does; a fourth index holds every product by
// produced_at. A query walks one index only, from the cursor (or From)
// to To: the subject index when Subject is set, else the producer's, else
// the list type's, else the time index; the other filters are checked on
// the products found. Two more buckets keep each product's handling label
// (PutLabeled) and, as "<superseded id>\x00<id>", which products supersede
// which (SupersededBy); a file from before the latter gets it built when
// it is opened. Put writes in one update transaction, synced to disk
// before it commits; Query reads in one read transaction of at most Limit
// matches.
type BoltCatalog struct {
	db *boltdb.DB // its transactions end before Close
	v  *schema.Validator
}

var _ Catalog = (*BoltCatalog)(nil)

// OpenBoltCatalog opens, or creates, the catalog in the bbolt file at
// path. Of the options, WithLockTimeout applies.
func OpenBoltCatalog(path string, opts ...BoltOption) (*BoltCatalog, error) {
	v, err := productValidator()
	if err != nil {
		return nil, err
	}
	db, _, err := openBolt(path, opts, ErrCatalogClosed, catalogBuckets...)
	if err != nil {
		return nil, err
	}
	if err := db.Update(buildSuccessors); err != nil {
		db.Close()
		return nil, fmt.Errorf("collab: open catalog %s: supersedes index: %w", path, err)
	}
	return &BoltCatalog{db: db, v: v}, nil
}

// buildSuccessors makes the supersedes index of a file from before it
// existed, once; a file that has it is left alone.
func buildSuccessors(tx *bolt.Tx) error {
	if tx.Bucket(successorsBucket) != nil {
		return nil
	}
	succ, err := tx.CreateBucket(successorsBucket)
	if err != nil {
		return err
	}
	return tx.Bucket(productsBucket).ForEach(func(k, v []byte) error {
		p, err := decodeStored(string(k), v)
		if err != nil || p.Supersedes == "" {
			return err
		}
		return succ.Put(successorKey(p.Supersedes, p.ID), nil)
	})
}

// indexKey is "<value>\x00<at>\x00<id>", or "<at>\x00<id>" with no value.
func indexKey(value, at, id string) []byte {
	k := make([]byte, 0, len(value)+len(at)+len(id)+2)
	if value != "" {
		k = append(append(k, value...), 0)
	}
	return append(append(append(k, at...), 0), id...)
}

// indexKeys are the keys p is indexed under, by bucket.
func indexKeys(p schema.Product) map[string][][]byte {
	at := timeKey(p.ProducedAt)
	keys := map[string][][]byte{
		string(byTimeBucket):     {indexKey("", at, p.ID)},
		string(byListBucket):     {indexKey(string(p.ListType), at, p.ID)},
		string(byProducerBucket): {indexKey(p.Producer, at, p.ID)},
	}
	seen := map[string]bool{}
	for _, e := range p.Entries {
		if ps := e.Subject.Pseudonym; !seen[ps] {
			seen[ps] = true
			keys[string(bySubjectBucket)] = append(keys[string(bySubjectBucket)], indexKey(ps, at, p.ID))
		}
	}
	return keys
}

// Put adds p (see Catalog): ErrInvalidProduct, ErrProductConflict,
// ErrCatalogClosed.
func (c *BoltCatalog) Put(ctx context.Context, p schema.Product) error {
	return c.put(ctx, p, "")
}

// PutLabeled adds p as Put does and keeps its handling label in the same
// transaction (see LabeledCatalog): ErrInvalidProduct, ErrProductConflict,
// ErrInvalidLabel, ErrCatalogClosed.
func (c *BoltCatalog) PutLabeled(ctx context.Context, p schema.Product, h schema.Handling) error {
	if err := checkLabel(h); err != nil {
		return err
	}
	return c.put(ctx, p, h)
}

// successorKey is "<superseded id>\x00<id>".
func successorKey(old, id string) []byte {
	return append(append(append(make([]byte, 0, len(old)+len(id)+1), old...), 0), id...)
}

func (c *BoltCatalog) put(ctx context.Context, p schema.Product, h schema.Handling) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	raw, err := encodeProduct(c.v, p)
	if err != nil {
		return err
	}
	err = c.db.Update(func(tx *bolt.Tx) error {
		products, labels := tx.Bucket(productsBucket), tx.Bucket(labelsBucket)
		if old := products.Get([]byte(p.ID)); old != nil {
			if err := conflict(p.ID, old, raw); err != nil {
				return err
			}
			if was := schema.Handling(labels.Get([]byte(p.ID))); stricter(was, h) != was {
				return labels.Put([]byte(p.ID), []byte(h))
			}
			return nil
		}
		if err := products.Put([]byte(p.ID), raw); err != nil {
			return err
		}
		if h != "" {
			if err := labels.Put([]byte(p.ID), []byte(h)); err != nil {
				return err
			}
		}
		if p.Supersedes != "" {
			if err := tx.Bucket(successorsBucket).Put(successorKey(p.Supersedes, p.ID), nil); err != nil {
				return err
			}
		}
		for bucket, keys := range indexKeys(p) {
			b := tx.Bucket([]byte(bucket))
			for _, k := range keys {
				if err := b.Put(k, nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == ErrCatalogClosed {
		return err
	}
	if err != nil {
		return fmt.Errorf("collab: catalog put: %w", err)
	}
	return nil
}

// Get returns the product of the id, or ErrNotFound; ErrCatalogClosed.
func (c *BoltCatalog) Get(ctx context.Context, id string) (schema.Product, error) {
	if err := ctx.Err(); err != nil {
		return schema.Product{}, err
	}
	var p schema.Product
	err := c.view(func(tx *bolt.Tx) error {
		raw := tx.Bucket(productsBucket).Get([]byte(id))
		if raw == nil {
			return fmt.Errorf("%w: product %q", ErrNotFound, id)
		}
		var err error
		p, err = decodeStored(id, raw)
		return err
	})
	return p, err
}

// decodeStored reads back a stored product, naming it if it is damaged.
func decodeStored(id string, raw []byte) (schema.Product, error) {
	p, err := decodeProduct(raw)
	if err != nil {
		return schema.Product{}, fmt.Errorf("collab: catalog corrupt: product %q: %w", id, err)
	}
	return p, nil
}

// view runs fn in a read transaction unless the catalog is closed.
func (c *BoltCatalog) view(fn func(*bolt.Tx) error) error { return c.db.View(fn) }

// Query returns one page of the products q selects (see Catalog and
// BoltCatalog): ErrInvalidQuery, ErrBadCursor, ErrCatalogClosed.
func (c *BoltCatalog) Query(ctx context.Context, q ProductQuery) (ProductPage, error) {
	if err := ctx.Err(); err != nil {
		return ProductPage{}, err
	}
	qp, err := prepare(q)
	if err != nil {
		return ProductPage{}, err
	}
	bucket, value := byTimeBucket, ""
	switch {
	case q.Subject != "":
		bucket, value = bySubjectBucket, q.Subject
	case q.Producer != "":
		bucket, value = byProducerBucket, q.Producer
	case q.ListType != "":
		bucket, value = byListBucket, string(q.ListType)
	}
	var prefix []byte
	if value != "" {
		prefix = append([]byte(value), 0)
	}
	var found []schema.Product
	err = c.view(func(tx *bolt.Tx) error {
		products := tx.Bucket(productsBucket)
		cur := tx.Bucket(bucket).Cursor()
		seek := append(bytes.Clone(prefix), qp.from...)
		var skip []byte // the cursor's own key, not to be handed out again
		if qp.start != nil {
			if k := indexKey(value, qp.start.at, qp.start.id); bytes.Compare(k, seek) > 0 {
				seek, skip = k, k
			}
		}
		n := 0
		for k, _ := cur.Seek(seek); k != nil && bytes.HasPrefix(k, prefix) && len(found) <= qp.limit; k, _ = cur.Next() {
			if bytes.Equal(k, skip) {
				continue
			}
			rest := k[len(prefix):]
			if len(rest) < len(timeKeyLayout)+2 || rest[len(timeKeyLayout)] != 0 {
				return fmt.Errorf("collab: catalog corrupt: index %s key %q", bucket, k)
			}
			at, id := string(rest[:len(timeKeyLayout)]), string(rest[len(timeKeyLayout)+1:])
			if qp.to != "" && at >= qp.to {
				break
			}
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			raw := products.Get([]byte(id))
			if raw == nil {
				return fmt.Errorf("collab: catalog corrupt: index %s names product %q, which is not stored", bucket, id)
			}
			p, err := decodeStored(id, raw)
			if err != nil {
				return err
			}
			if qp.matches(p) {
				found = append(found, p)
			}
		}
		return nil
	})
	if err != nil {
		return ProductPage{}, err
	}
	return qp.page(found), nil
}

// Close closes the file after the transactions under way end; the
// methods return ErrCatalogClosed from then on. Closing twice is not an
// error.
func (c *BoltCatalog) Close() error {
	if err := c.db.Close(); err != nil {
		return fmt.Errorf("collab: close catalog: %w", err)
	}
	return nil
}

// Label returns the handling label the product was put with (see
// LabeledCatalog): ErrNotFound, ErrCatalogClosed.
func (c *BoltCatalog) Label(ctx context.Context, id string) (schema.Handling, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var h schema.Handling
	err := c.view(func(tx *bolt.Tx) error {
		if tx.Bucket(productsBucket).Get([]byte(id)) == nil {
			return fmt.Errorf("%w: product %q", ErrNotFound, id)
		}
		h = schema.Handling(tx.Bucket(labelsBucket).Get([]byte(id)))
		return nil
	})
	return h, err
}

// SupersededBy returns the ids of the products that supersede id, sorted
// (see LabeledCatalog): ErrCatalogClosed.
func (c *BoltCatalog) SupersededBy(ctx context.Context, id string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []string
	err := c.view(func(tx *bolt.Tx) error {
		prefix := append([]byte(id), 0)
		cur := tx.Bucket(successorsBucket).Cursor()
		for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
			out = append(out, string(k[len(prefix):]))
		}
		return nil
	})
	return out, err
}
