package taxii

import (
	"context"
	"fmt"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// sink is the submit.Sink a CatalogSink wraps (declared here, where it is
// used).
type sink interface {
	Put(ctx context.Context, envs []schema.Envelope) error
}

// CatalogSink is a submit.Sink that lands received products in a catalog,
// so that the hub serves them (Handler) and the application stage finds
// them: it stores every envelope through Next first (durable, as the
// receiving Handler requires), then puts the payload of every
// collab.product envelope into Catalog under the envelope's handling
// label. A product the catalog refuses fails the Put, so the sender's
// retry files it again; the catalog's Put of the same product is a no-op.
type CatalogSink struct {
	Next    sink
	Catalog collab.LabeledCatalog
}

// Put stores envs through Next, then files their products.
func (s CatalogSink) Put(ctx context.Context, envs []schema.Envelope) error {
	if err := s.Next.Put(ctx, envs); err != nil {
		return err
	}
	for i := range envs {
		e := &envs[i]
		if e.Kind != schema.KindProduct {
			continue
		}
		var p schema.Product
		if err := e.DecodePayload(&p); err != nil {
			return fmt.Errorf("taxii: catalog sink: product envelope %s: %w", e.ID, err)
		}
		if err := s.Catalog.PutLabeled(ctx, p, e.Handling); err != nil {
			return fmt.Errorf("taxii: catalog sink: envelope %s: %w", e.ID, err)
		}
	}
	return nil
}
