package collab

import (
	"context"
	"iter"

	"github.com/sicollab/sicollab/schema"
)

// This file declares the roles package collab uses: where the record of
// interactions is kept (Journal), where products are kept (Catalog), and
// the decisions a deployment may make its own (EscalationPolicy,
// ExpertPolicy). The implementations live beside their own doc comments
// (MemJournal, BoltJournal, MemCatalog, BoltCatalog,
// ThresholdPolicy, KindExpertPolicy).

// Journal is the append-only record of everything the scheme's actors did:
// every interaction (1-5), plan, decision and report. Feedback reads it.
//
// Implementations are safe for concurrent use. Append makes the entry
// durable before it returns (for durable implementations) and never
// rewrites or deletes an entry. Entries returns entries with Seq >= from in
// Seq order; it reflects at least every Append that returned before it was
// called.
type Journal interface {
	Append(ctx context.Context, e Entry) (uint64, error)
	Entries(ctx context.Context, from uint64) iter.Seq2[Entry, error]
}

// Catalog holds intelligence products so that they can be found again: the
// application stage first queries existing products before asking for new
// ones. Products are immutable.
//
// Implementations are safe for concurrent use. Put of a product the
// catalog already holds with the same content is a no-op; with other
// content it fails with ErrProductConflict, and the catalog is unchanged.
// Put validates the product against the collab.product schema
// (ErrInvalidProduct). Get and Query return copies the caller may change,
// with an empty Entries as nil. Get returns ErrNotFound for an unknown id. Query
// returns products in produced_at order, then id, one page at a time
// (ProductQuery, ProductPage); it fails with ErrBadCursor for a cursor it
// did not hand out for the same filters, and ErrInvalidQuery for a query
// that cannot be answered. A product put while a query pages through
// results shows up in a later page if it sorts after the cursor.
type Catalog interface {
	Put(ctx context.Context, p schema.Product) error
	Get(ctx context.Context, id string) (schema.Product, error)
	Query(ctx context.Context, q ProductQuery) (ProductPage, error)
}

// EscalationPolicy decides whether a general business department handles
// a case itself or escalates it to a specialized department.
// Implementations must be safe for concurrent use; one that consults
// another service honours ctx and returns its error.
type EscalationPolicy interface {
	Decide(ctx context.Context, dept Org, c Case) (Verdict, error)
}

// ExpertPolicy decides whether a specialized department needs an expert
// it does not have for a task: the first step of the scheme's analysis
// stage ("specialized departments first determine whether to second
// experts; if not, they directly produce intelligence products"). have
// lists the fields of expertise the department has in-house.
//
// One call answers for one domain; a task that needs several experts is
// asked about again once the first is found (add the domain to have).
// Implementations must be safe for concurrent use; an implementation that
// consults a roster service honours ctx and returns its error.
type ExpertPolicy interface {
	NeedsExpert(ctx context.Context, task schema.Task, have []schema.ExpertDomain) (ExpertNeed, error)
}
