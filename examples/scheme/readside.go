package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/examples/internal/synth"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/taxii"
)

// readSide is the downward half each general business department runs
// beside its hub: its catalog served over TAXII 2.1 on a loopback port
// (every read journaled), and what public security reads from it.
type readSide struct {
	urls    map[string]string // general business department -> TAXII discovery URL
	servers []*http.Server
}

// serveTAXII serves the catalog of every general business department's
// hub over TAXII 2.1, authorized by the directory and journaled.
func (w *world) serveTAXII() error {
	w.read = &readSide{urls: map[string]string{}}
	for _, o := range w.Dir.ByTier(collab.GeneralBusinessDepartment) {
		h, err := taxii.NewHandler(taxii.Config{Directory: w.Dir, Org: o.ID, Catalog: w.hub(o.ID).Catalog, Journal: w.journal, Clock: w.now, Logger: w.Log})
		if err != nil {
			return fmt.Errorf("taxii server of %s: %w", o.ID, err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("taxii server of %s: %w", o.ID, err)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		w.read.servers = append(w.read.servers, srv)
		w.read.urls[o.ID] = "http://" + ln.Addr().String() + taxii.DefaultPrefix
	}
	return nil
}

func (r *readSide) close(ctx context.Context) error {
	if r == nil {
		return nil
	}
	var errs []error
	for _, s := range r.servers {
		errs = append(errs, s.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// remote returns reader's view of the catalog of producer's hub over
// TAXII: discovery first, then its API root, as any TAXII 2.1 client.
func (w *world) remote(ctx context.Context, reader, producer string) (taxii.RemoteCatalog, error) {
	c, err := taxii.NewClient(taxii.ClientConfig{URL: w.read.urls[producer], Token: synth.Token(reader)})
	if err != nil {
		return taxii.RemoteCatalog{}, err
	}
	d, err := c.Discovery(ctx)
	if err != nil {
		return taxii.RemoteCatalog{}, fmt.Errorf("%s reads the discovery of %s: %w", reader, producer, err)
	}
	if len(d.APIRoots) == 0 {
		return taxii.RemoteCatalog{}, fmt.Errorf("%s reads the discovery of %s: no API root", reader, producer)
	}
	return taxii.RemoteCatalog{Client: c, Root: d.APIRoots[0]}, nil
}

// pullLists reads, over TAXII, the lists each general business
// department produced since from: what public security finds before it
// judges entries or tasks anyone.
func (w *world) pullLists(ctx context.Context, reader string, from time.Time) ([]schema.Product, error) {
	var out []schema.Product
	for _, o := range w.Dir.ByTier(collab.GeneralBusinessDepartment) {
		cat, err := w.remote(ctx, reader, o.ID)
		if err != nil {
			return nil, err
		}
		q := collab.ProductQuery{Producer: o.ID, From: from, Limit: collab.MaxQueryLimit}
		for {
			page, err := cat.Query(ctx, q)
			if err != nil {
				return nil, fmt.Errorf("%s reads the lists of %s over TAXII: %w", reader, o.ID, err)
			}
			out = append(out, page.Products...)
			if page.Next == "" {
				break
			}
			q.Cursor = page.Next
		}
	}
	return out, nil
}

// catalogs is the application stage's view of local and remote catalogs
// as one: queries go to each in turn (a page of each, merged); Put goes
// to the first, the department's own.
type catalogs []collab.Catalog

func (cs catalogs) Put(ctx context.Context, p schema.Product) error { return cs[0].Put(ctx, p) }

func (cs catalogs) Get(ctx context.Context, id string) (schema.Product, error) {
	for _, c := range cs {
		p, err := c.Get(ctx, id)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, collab.ErrNotFound) {
			return schema.Product{}, err
		}
	}
	return schema.Product{}, fmt.Errorf("product %s: %w", id, collab.ErrNotFound)
}

// Query reads every catalog to the end and returns the products in one
// page: the demo's catalogs are small, and a merged cursor is not worth
// its code here.
func (cs catalogs) Query(ctx context.Context, q collab.ProductQuery) (collab.ProductPage, error) {
	var out collab.ProductPage
	for _, c := range cs {
		sub := q
		sub.Cursor = ""
		for {
			page, err := c.Query(ctx, sub)
			if err != nil {
				return collab.ProductPage{}, err
			}
			out.Products = append(out.Products, page.Products...)
			if page.Next == "" {
				break
			}
			sub.Cursor = page.Next
		}
	}
	return out, nil
}

// verdictSink is the producer's intake of verdicts on its entries: at a
// general business department's hub, collab.entry_feedback is kept in the
// store and checked and journaled for the producer
// (collab.ReceiveEntryFeedback), and not relayed; everything else goes on
// to next (the relay). A verdict that does not fit the product it names
// is kept but not counted, and logged.
type verdictSink struct {
	w     *world
	org   string
	store *submit.Store
	next  submit.Sink
}

func (s verdictSink) Put(ctx context.Context, envs []schema.Envelope) error {
	var verdicts, rest []schema.Envelope
	for _, e := range envs {
		if e.Kind == schema.KindEntryFeedback {
			verdicts = append(verdicts, e)
		} else {
			rest = append(rest, e)
		}
	}
	if len(verdicts) > 0 {
		if err := s.store.Put(ctx, verdicts); err != nil {
			return err
		}
		h, ok := s.w.Hub(s.org)
		if !ok {
			return fmt.Errorf("verdicts for %s: its hub is not running", s.org)
		}
		for _, e := range verdicts {
			var f schema.EntryFeedback
			err := e.DecodePayload(&f)
			if err == nil {
				err = collab.ReceiveEntryFeedback(ctx, s.w.Dir, h.Catalog, s.w.journal, f)
			}
			if errors.Is(err, collab.ErrBadEntryFeedback) || errors.Is(err, collab.ErrNotFound) {
				s.w.Log.Warn("verdict not counted", "hub", s.org, "id", e.ID, "err", err)
				continue
			}
			if err != nil {
				return err
			}
		}
	}
	if len(rest) == 0 {
		return nil
	}
	return s.next.Put(ctx, slices.Clip(rest))
}
