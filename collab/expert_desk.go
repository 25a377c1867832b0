package collab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// Default limits of an ExpertDesk.
const (
	// DefaultMaxOpenExpertRequests bounds the requests an ExpertDesk holds
	// open (made, not yet assigned).
	DefaultMaxOpenExpertRequests = 1024
	// DefaultMaxExpertOffers bounds the offers an ExpertDesk holds for one
	// request: as many as the addressees one request may list.
	DefaultMaxExpertOffers = 256
)

// ExpertDeskConfig configures an ExpertDesk.
type ExpertDeskConfig struct {
	// Directory decides who may request and who is asked. Required.
	Directory *Directory
	// Journal records every request, offer and assignment. Required.
	Journal Journal
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NewID makes message ids (UUIDs v7); nil means a new random UUID v7.
	NewID func() string
	// MaxOpen bounds open requests; 0 means DefaultMaxOpenExpertRequests.
	MaxOpen int
	// MaxOffers bounds the offers held per request; 0 means
	// DefaultMaxExpertOffers.
	MaxOffers int
}

// Validate reports every field that is wrong, naming it and its value.
func (c ExpertDeskConfig) Validate() error {
	var errs []error
	if c.Directory == nil {
		errs = append(errs, errors.New("collab: expert desk: Directory is nil"))
	}
	if c.Journal == nil {
		errs = append(errs, errors.New("collab: expert desk: Journal is nil"))
	}
	if c.MaxOpen < 0 {
		errs = append(errs, fmt.Errorf("collab: expert desk: MaxOpen is %d; want 0 (default %d) or more", c.MaxOpen, DefaultMaxOpenExpertRequests))
	}
	if c.MaxOffers < 0 {
		errs = append(errs, fmt.Errorf("collab: expert desk: MaxOffers is %d; want 0 (default %d) or more", c.MaxOffers, DefaultMaxExpertOffers))
	}
	return errors.Join(errs...)
}

// ExpertDesk runs a specialized department's expert exchange (interactions
// 3 and 4) from request through offers to assignment, and records each step
// in the journal: one entry per request (Org the requester, Counterpart
// the addressee when there is only one), per offer (Org the offering
// organization, Counterpart the requester) and per assignment
// (Org the requester, Counterpart the expert's organization, if any), each
// with Kind the message's kind, Interaction InteractionSecondment or
// InteractionHire by the request's channel, Ref the message's id and Data
// its JSON. A step whose entry cannot be appended has not happened.
//
// An ExpertDesk is safe for concurrent use; its calls are serialized. It
// holds open requests in memory, at most MaxOpen of them with at most
// MaxOffers offers each: a restart forgets them, while the journal keeps
// what was recorded. It answers from the Directory it was made with; to
// follow a new directory revision, make a new desk once the open requests
// are assigned.
type ExpertDesk struct {
	dir       *Directory
	journal   Journal
	now       func() time.Time
	newID     func() string
	maxOpen   int
	maxOffers int

	mu   sync.Mutex
	open map[string]*openRequest
}

// openRequest is a request between Request and the end of Assign.
type openRequest struct {
	req        schema.ExpertRequest
	addressees []string
	offers     []schema.ExpertOffer
	// assignments are decided by the first Assign; recorded counts those
	// in the journal, so that a retried Assign neither decides again nor
	// records twice.
	assignments []schema.ExpertAssignment
	recorded    int
}

// NewExpertDesk returns a desk configured by cfg, or cfg.Validate's error.
func NewExpertDesk(cfg ExpertDeskConfig) (*ExpertDesk, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &ExpertDesk{
		dir: cfg.Directory, journal: cfg.Journal, now: cfg.Now, newID: cfg.NewID,
		maxOpen: cfg.MaxOpen, maxOffers: cfg.MaxOffers, open: map[string]*openRequest{},
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.newID == nil {
		d.newID = mintID
	}
	if d.maxOpen == 0 {
		d.maxOpen = DefaultMaxOpenExpertRequests
	}
	if d.maxOffers == 0 {
		d.maxOffers = DefaultMaxExpertOffers
	}
	return d, nil
}

// expertEntry builds the journal entry of an expert message.
func expertEntry(at time.Time, kind string, ch schema.ExpertChannel, org, counterpart, ref string, msg any) (Entry, error) {
	data, err := json.Marshal(msg)
	if err != nil {
		return Entry{}, fmt.Errorf("collab: journal entry for %s %s: %w", kind, ref, err)
	}
	return Entry{At: at, Kind: kind, Interaction: ExpertInteraction(ch), Org: org, Counterpart: counterpart, Ref: ref, Data: data}, nil
}

// Request makes an expert request with NewExpertRequest (the desk's clock
// and ids unless opts set them), records it and holds it open for offers.
// It returns the request and the ids of the organizations to send it to.
// Besides NewExpertRequest's errors it returns ErrExpertDeskFull when
// MaxOpen requests are open, and the journal's error.
func (d *ExpertDesk) Request(ctx context.Context, requester string, task schema.Task, domain schema.ExpertDomain,
	channel schema.ExpertChannel, period schema.Window, opts ...ExpertRequestOption) (schema.ExpertRequest, []string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.open) >= d.maxOpen {
		return schema.ExpertRequest{}, nil, fmt.Errorf("%w: %d requests are open (MaxOpen); assign some first", ErrExpertDeskFull, len(d.open))
	}
	all := append([]ExpertRequestOption{WithExpertRequestID(d.newID()), WithExpertRequestedAt(d.now())}, opts...)
	req, addressees, err := NewExpertRequest(d.dir, requester, task, domain, channel, period, all...)
	if err != nil {
		return schema.ExpertRequest{}, nil, err
	}
	if _, dup := d.open[req.ID]; dup {
		return schema.ExpertRequest{}, nil, fmt.Errorf("%w: request id %s is already open", ErrExpertRequest, req.ID)
	}
	counterpart := ""
	if len(addressees) == 1 {
		counterpart = addressees[0]
	}
	e, err := expertEntry(req.RequestedAt, schema.KindExpertRequest, channel, requester, counterpart, req.ID, req)
	if err != nil {
		return schema.ExpertRequest{}, nil, err
	}
	if _, err := d.journal.Append(ctx, e); err != nil {
		return schema.ExpertRequest{}, nil, fmt.Errorf("collab: record expert request %s: %w", req.ID, err)
	}
	d.open[req.ID] = &openRequest{req: req, addressees: addressees}
	return req, slices.Clone(addressees), nil
}

// Offer takes in an offer for an open request: it checks it with
// CheckOffer (against the addressees Request returned) and against its
// schema, records it and holds it for Assign. Taking in the same offer
// again is a no-op; another offer with the same id is refused.
//
// Errors: ErrUnknownExpertRequest; ErrOfferRefused (also wrapping the
// *schema.ValidationError when the offer is not valid); ErrExpertDeskFull
// when the request holds MaxOffers offers; the journal's error.
func (d *ExpertDesk) Offer(ctx context.Context, offer schema.ExpertOffer) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	o, ok := d.open[offer.RequestID]
	if !ok {
		return fmt.Errorf("%w %q: offer %s cites no open request at this desk", ErrUnknownExpertRequest, offer.RequestID, offer.ID)
	}
	if o.assignments != nil {
		return fmt.Errorf("%w: offer %s: request %s is being assigned", ErrOfferRefused, offer.ID, offer.RequestID)
	}
	if i := slices.IndexFunc(o.offers, func(x schema.ExpertOffer) bool { return x.ID == offer.ID }); i >= 0 {
		a, _ := json.Marshal(o.offers[i])
		b, _ := json.Marshal(offer)
		if string(a) == string(b) {
			return nil
		}
		return fmt.Errorf("%w: offer id %s was already received with other content", ErrOfferRefused, offer.ID)
	}
	if len(o.offers) >= d.maxOffers {
		return fmt.Errorf("%w: request %s holds %d offers (MaxOffers); assign it", ErrExpertDeskFull, o.req.ID, len(o.offers))
	}
	if err := checkOffer(d.dir, o.req, o.addressees, offer); err != nil {
		return err
	}
	if _, err := validatePayload(schema.KindExpertOffer, offer); err != nil {
		return fmt.Errorf("%w: offer %s: %w", ErrOfferRefused, offer.ID, err)
	}
	e, err := expertEntry(offer.OfferedAt.UTC(), schema.KindExpertOffer, o.req.Channel, offer.OfferedBy, o.req.Requester, offer.ID, offer)
	if err != nil {
		return err
	}
	if _, err := d.journal.Append(ctx, e); err != nil {
		return fmt.Errorf("collab: record expert offer %s: %w", offer.ID, err)
	}
	offer.Qualifications = slices.Clone(offer.Qualifications)
	o.offers = append(o.offers, offer)
	return nil
}

// Assign decides the outcome of an open request with MatchAll over the
// offers taken in, at the desk's clock, records each assignment and closes
// the request. With no suitable offer the outcome is a single assignment
// with outcome no_expert_available and a reason.
//
// If the journal fails, Assign returns its error and the request stays
// open, its outcome decided: a retry records the rest of the same
// assignments, never decides again, and offers are refused meanwhile.
// Errors: ErrUnknownExpertRequest; the journal's error.
func (d *ExpertDesk) Assign(ctx context.Context, requestID string) ([]schema.ExpertAssignment, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	o, ok := d.open[requestID]
	if !ok {
		return nil, fmt.Errorf("%w %q: not open at this desk (never made here, or assigned)", ErrUnknownExpertRequest, requestID)
	}
	if o.assignments == nil {
		as := matchAll(o.req, o.offers, d.now(), d.newID)
		for _, a := range as {
			if _, err := validatePayload(schema.KindExpertAssignment, a); err != nil {
				return nil, fmt.Errorf("collab: expert assignment for request %s: %w", requestID, err)
			}
		}
		o.assignments = as
	}
	for ; o.recorded < len(o.assignments); o.recorded++ {
		a := o.assignments[o.recorded]
		e, err := expertEntry(a.AssignedAt, schema.KindExpertAssignment, o.req.Channel, o.req.Requester, a.FromOrg, a.ID, a)
		if err != nil {
			return nil, err
		}
		if _, err := d.journal.Append(ctx, e); err != nil {
			return nil, fmt.Errorf("collab: record expert assignment %s: %w", a.ID, err)
		}
	}
	delete(d.open, requestID)
	return slices.Clone(o.assignments), nil
}

// Open returns the open requests, oldest first (by requested_at, then
// id).
func (d *ExpertDesk) Open() []schema.ExpertRequest {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]schema.ExpertRequest, 0, len(d.open))
	for _, o := range d.open {
		out = append(out, o.req)
	}
	slices.SortFunc(out, func(a, b schema.ExpertRequest) int {
		if c := a.RequestedAt.Compare(b.RequestedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Offers returns the offers taken in for an open request, in the order
// they came, and whether the request is open.
func (d *ExpertDesk) Offers(requestID string) ([]schema.ExpertOffer, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	o, ok := d.open[requestID]
	if !ok {
		return nil, false
	}
	return slices.Clone(o.offers), true
}
