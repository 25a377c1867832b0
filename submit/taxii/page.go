package taxii

import (
	"cmp"
	"context"
	"encoding/json"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// page is one page of a collection for a reader.
type page struct {
	objects  []object
	products int
	more     bool
	next     string
}

// pageBatch is the most products listPage asks the catalog for at once.
const pageBatch = 100

// position is where a product sorts in the catalog: produced_at, then id.
type position struct {
	at time.Time
	id string
}

func (p position) compare(q schema.Product) int {
	return cmp.Or(p.at.Compare(q.ProducedAt), cmp.Compare(p.id, q.ID))
}

// listPage reads a page of a list collection: the products of the list
// type produced after added_after (and after where the last page
// stopped), in the catalog's order, each turned into objects if the
// reader may read it and filtered, until the page is full (it may stop
// inside a product) or MaxScan products were looked at.
func (h *Handler) listPage(ctx context.Context, reader caller, coll string, lt schema.ListType, q *query) (page, error) {
	tok, err := q.decodeNext(reader.ID, coll)
	if err != nil {
		return page{}, err
	}
	var from time.Time
	if !q.addedAfter.IsZero() {
		from = q.addedAfter.UTC().Truncate(time.Millisecond).Add(time.Millisecond)
	}
	var last *position // the last product served whole: resume after it
	if tok.At != "" {
		at, _ := time.Parse(time.RFC3339Nano, tok.At) // decodeNext checked it
		last = &position{at: at, id: tok.ID}
		if at.After(from) {
			from = at // inclusive: products at the same instant sort by id
		}
	}
	stop := func(pg page, inside string, offset int) page {
		t := token{Product: inside, Offset: offset}
		if last != nil {
			t.At, t.ID = last.at.UTC().Format(time.RFC3339Nano), last.id
		}
		pg.more, pg.next = true, q.encodeNext(reader.ID, coll, t)
		return pg
	}
	var pg page
	cursor, scanned := "", 0
	for {
		n := min(max(q.limit-len(pg.objects), 1), pageBatch)
		res, err := h.cfg.Catalog.Query(ctx, collab.ProductQuery{ListType: lt, From: from, Limit: n, Cursor: cursor})
		if err != nil {
			return page{}, err
		}
		for _, p := range res.Products {
			if last != nil && last.compare(p) >= 0 {
				continue // served on an earlier page
			}
			if scanned == h.cfg.MaxScan {
				return stop(pg, "", 0), nil
			}
			scanned++
			skip := 0
			if p.ID == tok.Product {
				// The product the last page stopped inside. A product put
				// since then that sorts before it comes first, whole; this
				// one then comes again from its start, which repeats
				// objects rather than lose any.
				skip = tok.Offset
			}
			tok.Product = ""
			objs, err := h.readable(ctx, reader, p, q)
			if err != nil {
				return page{}, err
			}
			objs = objs[min(skip, len(objs)):]
			take := min(len(objs), q.limit-len(pg.objects))
			pg.objects = append(pg.objects, objs[:take]...)
			if take > 0 {
				pg.products++
			}
			if take < len(objs) {
				return stop(pg, p.ID, skip+take), nil
			}
			last = &position{at: p.ProducedAt, id: p.ID}
			if len(pg.objects) == q.limit {
				return stop(pg, "", 0), nil
			}
		}
		if res.Next == "" {
			return pg, nil
		}
		cursor = res.Next
	}
}

// readable returns the objects of p that pass q, if reader may read p.
func (h *Handler) readable(ctx context.Context, reader caller, p schema.Product, q *query) ([]object, error) {
	label := h.cfg.DefaultHandling
	if h.label != nil {
		l, err := h.label.Label(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		if l != "" {
			label = l
		}
	}
	if reader.dir.AuthorizeRead(reader.ID, p.ListType, label, p.Producer, h.cfg.Org) != nil {
		return nil, nil
	}
	report, entries, err := ProductObjects(p, label)
	if err != nil {
		return nil, err
	}
	added := Stamp(p.ProducedAt)
	var out []object
	add := func(c Common, v any) error {
		o := object{id: c.ID, typ: c.Type, version: c.Modified.String(), dateAdded: added}
		if !q.matches(o) {
			return nil
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		o.raw = raw
		out = append(out, o)
		return nil
	}
	if err := add(report.Common, report); err != nil {
		return nil, err
	}
	for _, e := range entries {
		if err := add(e.Common, e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// referencePage reads a page of the reference collection, in date_added
// order: the markings (added when TLP 2.0 was published), our extension
// definition and its creator, and the directory's identities (added when
// the directory revision was).
func (h *Handler) referencePage(reader caller, coll string, q *query) (page, error) {
	tok, err := q.decodeNext(reader.ID, coll)
	if err != nil {
		return page{}, err
	}
	var all []object
	add := func(id, typ string, created, modified time.Time, v any) {
		o := object{id: id, typ: typ, version: Stamp(modified).String(), dateAdded: Stamp(created)}
		if !q.matches(o) || (!q.addedAfter.IsZero() && !o.dateAdded.After(q.addedAfter)) {
			return
		}
		o.raw, _ = json.Marshal(v) // plain structs: cannot fail
		all = append(all, o)
	}
	for _, m := range Markings() {
		add(m.ID, m.Type, m.Created.Time, m.Created.Time, m)
	}
	sdk, ext := SDKIdentity(), Extension()
	add(sdk.ID, sdk.Type, sdk.Created.Time, sdk.Modified.Time, sdk)
	add(ext.ID, ext.Type, ext.Created.Time, ext.Modified.Time, ext)
	for _, o := range reader.dir.Orgs() {
		id := OrgIdentity(o, reader.dir.UpdatedAt())
		add(id.ID, id.Type, id.Created.Time, id.Modified.Time, id)
	}
	// Stable by date_added: the directory may be older than the extension.
	sortByAdded(all)
	if tok.Offset > len(all) {
		return page{}, &paramError{"next", "not a next value this server handed out"}
	}
	all = all[tok.Offset:]
	pg := page{objects: all[:min(len(all), q.limit)]}
	if len(all) > q.limit {
		pg.more, pg.next = true, q.encodeNext(reader.ID, coll, token{Offset: tok.Offset + q.limit})
	}
	return pg, nil
}
