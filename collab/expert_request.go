package collab

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// maxRequestAddressees is the most addressees a collab.expert_request
// lists; beyond, the request leaves them out and lets the directory choose.
const maxRequestAddressees = 256

// ExpertRequestOption sets an optional field of an expert request.
type ExpertRequestOption func(*schema.ExpertRequest) error

// WithExpertCount asks for n experts (1 to 100); the default is 1.
func WithExpertCount(n int) ExpertRequestOption {
	return func(r *schema.ExpertRequest) error {
		if n < 1 || n > 100 {
			return fmt.Errorf("needed count must be 1 to 100, got %d", n)
		}
		r.NeededCount = n
		return nil
	}
}

// WithExpertSkills names particular skills needed, each a short phrase.
func WithExpertSkills(skills ...string) ExpertRequestOption {
	return func(r *schema.ExpertRequest) error {
		if len(skills) == 0 {
			return errors.New("skills: none given")
		}
		r.Skills = slices.Clone(skills)
		return nil
	}
}

// WithExpertRespondBy sets when offers are due; offers made later are
// refused. It must be before the end of the period.
func WithExpertRespondBy(t time.Time) ExpertRequestOption {
	return func(r *schema.ExpertRequest) error {
		if t.IsZero() {
			return errors.New("respond by: zero time")
		}
		t = t.UTC()
		r.RespondBy = &t
		return nil
	}
}

// WithExpertNote adds a note for the organizations asked.
func WithExpertNote(note string) ExpertRequestOption {
	return func(r *schema.ExpertRequest) error {
		r.Note = note
		return nil
	}
}

// WithExpertAddressees names the organizations asked, instead of letting
// the directory choose by domain and channel. Each must be in the
// directory and of the channel's tier (a general business department for a
// secondment, a social force for a hire); their sectors are not checked,
// so this is how to ask for domain other, or an academic institute the
// sector table does not reach.
func WithExpertAddressees(ids ...string) ExpertRequestOption {
	return func(r *schema.ExpertRequest) error {
		if len(ids) == 0 {
			return errors.New("addressees: none given")
		}
		r.Addressees = slices.Clone(ids)
		return nil
	}
}

// WithExpertRequestID sets the request's id (a UUID v7); the default is a
// new one.
func WithExpertRequestID(id string) ExpertRequestOption {
	return func(r *schema.ExpertRequest) error {
		r.ID = id
		return nil
	}
}

// WithExpertRequestedAt sets when the request is made; the default is
// now.
func WithExpertRequestedAt(t time.Time) ExpertRequestOption {
	return func(r *schema.ExpertRequest) error {
		if t.IsZero() {
			return errors.New("requested at: zero time")
		}
		r.RequestedAt = t.UTC()
		return nil
	}
}

// NewExpertRequest makes the collab.expert_request with which requester, a
// specialized department, asks for an expert of domain for task, by
// channel (schema.ExpertSecondment: interaction 3; schema.ExpertHire:
// interaction 4), for period; and returns the ids of the organizations to
// send it to, sorted.
//
// Unless WithExpertAddressees names them, the addressees are
// ExpertAddressees(dir, domain, channel): the general business departments
// (secondment) or social forces (hire) in the domain's sectors. The request
// lists them (up to 256; beyond, it leaves them out, as the schema allows
// when the directory chooses).
//
// Errors: a *PartyError (ErrWrongParty, ErrUnknownOrg) if requester is
// not a specialized department; ErrExpertRequest if the domain or channel
// is unknown, the period is empty, requester is neither an assignee nor
// the issuer of task, an option fails or the request would not be valid
// against its schema (the error then also wraps the
// *schema.ValidationError); ErrNoAddressee if nobody can be asked.
func NewExpertRequest(dir *Directory, requester string, task schema.Task, domain schema.ExpertDomain,
	channel schema.ExpertChannel, period schema.Window, opts ...ExpertRequestOption) (schema.ExpertRequest, []string, error) {
	if _, err := orgOfTier(dir, requester, SpecializedDepartment, "request experts"); err != nil {
		return schema.ExpertRequest{}, nil, err
	}
	if err := dir.Authorize(requester, schema.KindExpertRequest); err != nil {
		return schema.ExpertRequest{}, nil, err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrExpertRequest, fmt.Sprintf(format, args...))
	}
	tier, _, ok := channelTier(channel)
	if !ok {
		return schema.ExpertRequest{}, nil, bad("unknown channel %q (want secondment or hire)", channel)
	}
	if !slices.Contains(ExpertDomains(), domain) {
		return schema.ExpertRequest{}, nil, bad("unknown domain %q (want one of %s)", domain, joinDomains(ExpertDomains()))
	}
	if task.ID == "" {
		return schema.ExpertRequest{}, nil, bad("the task has no id")
	}
	if !slices.Contains(task.Assignee, requester) && task.Issuer != requester {
		return schema.ExpertRequest{}, nil, bad("%q is neither an assignee nor the issuer of task %s, so it cannot ask for experts for it", requester, task.ID)
	}
	if period.From.IsZero() || !period.From.Before(period.To) {
		return schema.ExpertRequest{}, nil, bad("period %s to %s is empty; from must be before to",
			period.From.Format(time.RFC3339), period.To.Format(time.RFC3339))
	}
	req := schema.ExpertRequest{
		Requester: requester, TaskID: task.ID, Domain: domain, Channel: channel,
		Period: schema.Window{From: period.From.UTC(), To: period.To.UTC()},
	}
	for _, opt := range opts {
		if err := opt(&req); err != nil {
			return schema.ExpertRequest{}, nil, bad("%v", err)
		}
	}
	// Defaults after options.
	if req.NeededCount == 0 {
		req.NeededCount = 1
	}
	if req.ID == "" {
		req.ID = mintID()
	}
	if req.RequestedAt.IsZero() {
		req.RequestedAt = time.Now().UTC()
	}
	if req.RespondBy != nil && !req.RespondBy.Before(req.Period.To) {
		return schema.ExpertRequest{}, nil, bad("respond by %s is not before the end of the period %s",
			req.RespondBy.Format(time.RFC3339), req.Period.To.Format(time.RFC3339))
	}

	var addressees []string
	if req.Addressees != nil {
		for _, id := range req.Addressees {
			if _, err := orgOfTier(dir, id, tier, "answer a request by "+string(channel)); err != nil {
				return schema.ExpertRequest{}, nil, fmt.Errorf("%w: addressee: %w", ErrExpertRequest, err)
			}
		}
		addressees = slices.Sorted(slices.Values(req.Addressees))
		addressees = slices.Compact(addressees)
		req.Addressees = addressees
	} else {
		addressees = ExpertAddressees(dir, domain, channel)
		if len(addressees) == 0 {
			return schema.ExpertRequest{}, nil, fmt.Errorf("%w: no %s works in the sectors of domain %s (%s); name addressees or try the other channel",
				ErrNoAddressee, tier, domain, sectorList(ExpertDomainSectors(domain)))
		}
		if len(addressees) <= maxRequestAddressees {
			req.Addressees = slices.Clone(addressees)
		}
	}
	if _, err := validatePayload(schema.KindExpertRequest, req); err != nil {
		return schema.ExpertRequest{}, nil, fmt.Errorf("%w: %w", ErrExpertRequest, err)
	}
	return req, addressees, nil
}

func sectorList(ss []Sector) string {
	if len(ss) == 0 {
		return "none"
	}
	s := make([]string, len(ss))
	for i, x := range ss {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}

// overlap returns how long windows a and b overlap, and the overlap.
func overlap(a, b schema.Window) (time.Duration, schema.Window) {
	from, to := a.From, a.To
	if b.From.After(from) {
		from = b.From
	}
	if b.To.Before(to) {
		to = b.To
	}
	if !from.Before(to) {
		return 0, schema.Window{}
	}
	return to.Sub(from), schema.Window{From: from.UTC(), To: to.UTC()}
}
