package collab

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/sicollab/sicollab/schema"
)

// Expert secondment and hire: interactions 3 and 4 of the scheme. A
// specialized department first decides whether a task needs an expert it
// does not have (ExpertPolicy); if so it asks general business departments
// (secondment) or social forces (hire) in the matching sectors
// (NewExpertRequest), takes offers in (CheckOffer) and assigns the best one
// (Match), or records that no expert is available. ExpertDesk runs the
// whole exchange and records it in a Journal.

// Sentinel errors of the expert exchange and of escalation, for errors.Is.
var (
	// ErrExpertRequest: an expert request cannot be made as asked (unknown
	// domain or channel, an empty period, a requester that is not on the
	// task, a bad option) or would not be valid against its schema.
	// Returned by NewExpertRequest and ExpertDesk.Request; the message says
	// which value is wrong.
	ErrExpertRequest = errors.New("collab: invalid expert request")
	// ErrNoAddressee: nobody in the directory can be asked for an expert
	// of the domain by the channel (no general business department, or no
	// social force, works in the domain's sectors; see
	// ExpertDomainSectors). Returned by NewExpertRequest and
	// ExpertDesk.Request; name addressees with WithExpertAddressees or try
	// the other channel.
	ErrNoAddressee = errors.New("collab: no addressee for expert request")
	// ErrOfferRefused: an offer does not answer its request (another
	// request, an organization that was not asked or is of the wrong tier,
	// another domain, no availability during the period, too late), or it
	// is not valid against its schema. Returned by CheckOffer and
	// ExpertDesk.Offer; the message lists every problem.
	ErrOfferRefused = errors.New("collab: expert offer refused")
	// ErrUnknownExpertRequest: the expert desk has no open request with
	// the id: it was never made at this desk, or it has been assigned.
	// Returned by ExpertDesk.Offer and ExpertDesk.Assign.
	ErrUnknownExpertRequest = errors.New("collab: unknown expert request")
	// ErrExpertDeskFull: the expert desk holds ExpertDeskConfig.MaxOpen
	// open requests, or the request holds MaxOffers offers. Returned by
	// ExpertDesk.Request and ExpertDesk.Offer; assign open requests first.
	ErrExpertDeskFull = errors.New("collab: expert desk full")
)

// orgOfTier returns the organization if it is in the directory and of
// tier want, or a *PartyError (ErrWrongParty, and ErrUnknownOrg when it is
// not in the directory).
func orgOfTier(dir *Directory, id string, want Tier, act string) (Org, error) {
	return party(dir, id, act, "only a "+want.String()+" may", want)
}

// mintID returns a new UUID v7, the id of every message the package makes.
func mintID() string { return uuid.Must(uuid.NewV7()).String() }

// payloadValidator validates the messages the package makes against their
// embedded schemas; schemas are compiled once per process.
var payloadValidator = sync.OnceValues(func() (*schema.Validator, error) { return schema.NewValidator() })

// validatePayload marshals msg and validates it as kind v1.
func validatePayload(kind string, msg any) ([]byte, error) {
	raw, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	v, err := payloadValidator()
	if err != nil {
		return nil, err
	}
	if err := v.ValidatePayload(kind, 1, raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// ExpertDomains returns every field of expertise, in the order of the
// schema's enum.
func ExpertDomains() []schema.ExpertDomain {
	return []schema.ExpertDomain{
		schema.ExpertDomainFinance, schema.ExpertDomainTransport, schema.ExpertDomainTelecom,
		schema.ExpertDomainServices, schema.ExpertDomainCommerce, schema.ExpertDomainHealth,
		schema.ExpertDomainNonprofit, schema.ExpertDomainCustoms, schema.ExpertDomainChemistry,
		schema.ExpertDomainCyber, schema.ExpertDomainLinguistics, schema.ExpertDomainOther,
	}
}

// ExpertDomainSectors returns the sectors whose organizations are asked for
// experts of domain d: a general business department supervising one of
// them can second an expert, a social force working in one of them can be
// hired from. The table:
//
//	finance, transport, telecom, services,   the sector of the same name
//	commerce, health, nonprofit, customs
//	chemistry                                 commerce (makers and sellers of dangerous goods and precursors)
//	cyber                                     telecom (operators and platforms)
//	linguistics                               nonprofit (cultural and educational organizations)
//	other                                     none: name the addressees (WithExpertAddressees)
//
// An unknown domain has no sectors.
func ExpertDomainSectors(d schema.ExpertDomain) []Sector {
	switch d {
	case schema.ExpertDomainFinance, schema.ExpertDomainTransport, schema.ExpertDomainTelecom,
		schema.ExpertDomainServices, schema.ExpertDomainCommerce, schema.ExpertDomainHealth,
		schema.ExpertDomainNonprofit, schema.ExpertDomainCustoms:
		return []Sector{Sector(d)}
	case schema.ExpertDomainChemistry:
		return []Sector{SectorCommerce}
	case schema.ExpertDomainCyber:
		return []Sector{SectorTelecom}
	case schema.ExpertDomainLinguistics:
		return []Sector{SectorNonprofit}
	}
	return nil
}

// KindExpertDomains returns the table DefaultExpertPolicy maps record kinds
// with: each record kind of the scheme to the field of expertise its
// analysis needs. Only commerce.hazmat_purchase differs from the kind's own
// domain: analysing dangerous-goods purchases needs a chemist. The map is
// a fresh copy.
func KindExpertDomains() map[string]schema.ExpertDomain {
	return map[string]schema.ExpertDomain{
		schema.KindFinanceTransaction:   schema.ExpertDomainFinance,
		schema.KindTransportPassenger:   schema.ExpertDomainTransport,
		schema.KindTransportFreight:     schema.ExpertDomainTransport,
		schema.KindTelecomAccountReport: schema.ExpertDomainTelecom,
		schema.KindCommerceHazmat:       schema.ExpertDomainChemistry,
		schema.KindServicesLodging:      schema.ExpertDomainServices,
		schema.KindHealthInfectious:     schema.ExpertDomainHealth,
		schema.KindCustomsEntryExit:     schema.ExpertDomainCustoms,
		schema.KindCustomsInspection:    schema.ExpertDomainCustoms,
	}
}

// ExpertNeed is an ExpertPolicy's answer for one task.
type ExpertNeed struct {
	// Need reports whether an expert must be sought outside the
	// department: by secondment or by hire.
	Need bool
	// Domain is the field of expertise the task calls for. It is set when
	// Need is true, and also when the policy could tell the domain but the
	// department has it in-house.
	Domain schema.ExpertDomain
	// Reason says why, in words fit for an audit trail.
	Reason string
}

// KindExpertPolicy is the rule-based ExpertPolicy: the record kinds a task
// names decide the domains it needs, and an expert is needed for the first
// such domain (in the task's kind order) that is not in-house.
//
// A kind is looked up in Domains, then by its prefix: "finance.x" needs
// finance, "transport.y" transport, for every prefix that is a domain's
// name. A task that names no kind (analysis or review tasks often name
// none) or only kinds with no domain gives Need false: the policy cannot
// tell, and says so in the Reason; decide by hand, or use a policy of your
// own.
type KindExpertPolicy struct {
	// Domains maps kinds to domains; nil means KindExpertDomains().
	Domains map[string]schema.ExpertDomain
}

// DefaultExpertPolicy returns the KindExpertPolicy over
// KindExpertDomains().
func DefaultExpertPolicy() KindExpertPolicy {
	return KindExpertPolicy{Domains: KindExpertDomains()}
}

// DomainOf returns the domain the analysis of kind needs, and whether
// there is one.
func (p KindExpertPolicy) DomainOf(kind string) (schema.ExpertDomain, bool) {
	table := p.Domains
	if table == nil {
		table = KindExpertDomains()
	}
	if d, ok := table[kind]; ok {
		return d, true
	}
	prefix, _, ok := strings.Cut(kind, ".")
	if !ok {
		return "", false
	}
	d := schema.ExpertDomain(prefix)
	if d == schema.ExpertDomainOther || !slices.Contains(ExpertDomains(), d) {
		return "", false
	}
	return d, true
}

// NeedsExpert implements ExpertPolicy. It never fails.
func (p KindExpertPolicy) NeedsExpert(_ context.Context, task schema.Task, have []schema.ExpertDomain) (ExpertNeed, error) {
	var domains []schema.ExpertDomain
	because := map[schema.ExpertDomain]string{}
	for _, k := range task.Kinds {
		d, ok := p.DomainOf(k)
		if !ok {
			continue
		}
		if _, seen := because[d]; !seen {
			domains = append(domains, d)
			because[d] = k
		}
	}
	if len(domains) == 0 {
		if len(task.Kinds) == 0 {
			return ExpertNeed{Reason: fmt.Sprintf("task %s names no record kinds, so no field of expertise follows from it; decide by hand", task.ID)}, nil
		}
		return ExpertNeed{Reason: fmt.Sprintf("no field of expertise is known for the kinds of task %s (%s); decide by hand",
			task.ID, strings.Join(task.Kinds, ", "))}, nil
	}
	var missing []schema.ExpertDomain
	for _, d := range domains {
		if !slices.Contains(have, d) {
			missing = append(missing, d)
		}
	}
	if len(missing) == 0 {
		return ExpertNeed{Domain: domains[0], Reason: fmt.Sprintf("every field of expertise task %s needs is in-house (%s)",
			task.ID, joinDomains(domains))}, nil
	}
	d := missing[0]
	reason := fmt.Sprintf("task %s needs %s expertise (for %s), which is not in-house", task.ID, d, because[d])
	if len(missing) > 1 {
		reason += "; also missing: " + joinDomains(missing[1:])
	}
	return ExpertNeed{Need: true, Domain: d, Reason: reason}, nil
}

func joinDomains(ds []schema.ExpertDomain) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = string(d)
	}
	return strings.Join(s, ", ")
}

// channelTier returns the tier that answers requests by channel c, and the
// interaction the channel is.
func channelTier(c schema.ExpertChannel) (Tier, Interaction, bool) {
	switch c {
	case schema.ExpertSecondment:
		return GeneralBusinessDepartment, InteractionSecondment, true
	case schema.ExpertHire:
		return SocialForce, InteractionHire, true
	}
	return 0, InteractionNone, false
}

// ExpertInteraction returns the interaction an expert request, offer or
// assignment by channel c is: InteractionSecondment (3) or
// InteractionHire (4); InteractionNone for an unknown channel.
func ExpertInteraction(c schema.ExpertChannel) Interaction {
	_, i, _ := channelTier(c)
	return i
}

// ExpertAddressees returns, sorted by id, the organizations the directory
// asks for an expert of domain d by channel c: for a secondment, the
// general business departments supervising one of the domain's sectors
// (ExpertDomainSectors); for a hire, the social forces working in one of
// them. The list may be empty.
func ExpertAddressees(dir *Directory, d schema.ExpertDomain, c schema.ExpertChannel) []string {
	tier, _, ok := channelTier(c)
	if !ok {
		return nil
	}
	sectors := ExpertDomainSectors(d)
	var out []string
	for _, o := range dir.ByTier(tier) { // sorted by id
		if slices.ContainsFunc(o.Sectors, func(s Sector) bool { return slices.Contains(sectors, s) }) {
			out = append(out, o.ID)
		}
	}
	return out
}

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

// CheckOffer returns nil if offer answers req: it cites req, comes from an
// organization of the channel's tier (a general business department for a
// secondment, a social force for a hire) that was asked (one of
// req.Addressees, or when the request lists none, one of
// ExpertAddressees), offers the request's domain, is available for some
// of the request's period, and was made no later than req.RespondBy.
//
// Otherwise the error wraps ErrOfferRefused and lists every problem; it
// also wraps ErrUnknownOrg when the offering organization is not in the
// directory. CheckOffer does not validate offer against its schema;
// ExpertDesk.Offer does both.
func CheckOffer(dir *Directory, req schema.ExpertRequest, offer schema.ExpertOffer) error {
	addressees := req.Addressees
	if len(addressees) == 0 {
		addressees = ExpertAddressees(dir, req.Domain, req.Channel)
	}
	return checkOffer(dir, req, addressees, offer)
}

func checkOffer(dir *Directory, req schema.ExpertRequest, addressees []string, offer schema.ExpertOffer) error {
	var problems []string
	if offer.RequestID != req.ID {
		problems = append(problems, fmt.Sprintf("it answers request %q, not %s", offer.RequestID, req.ID))
	}
	var unknown error
	tier, _, _ := channelTier(req.Channel)
	if o, ok := dir.Org(offer.OfferedBy); !ok {
		unknown = ErrUnknownOrg
		problems = append(problems, fmt.Sprintf("%q is not in the directory (version %d)", offer.OfferedBy, dir.Version()))
	} else if o.Tier != tier {
		problems = append(problems, fmt.Sprintf("%q is a %s; a request by %s is answered by a %s", o.ID, o.Tier, req.Channel, tier))
	} else if !slices.Contains(addressees, o.ID) {
		problems = append(problems, fmt.Sprintf("%q was not asked (asked: %s)", o.ID, listNames(addressees, 5)))
	} else if !o.CanSubmit(schema.KindExpertOffer) {
		problems = append(problems, fmt.Sprintf("%q may not submit %s under the directory", o.ID, schema.KindExpertOffer))
	}
	if offer.Domain != req.Domain {
		problems = append(problems, fmt.Sprintf("it offers a %s expert; %s is asked for", offer.Domain, req.Domain))
	}
	if d, _ := overlap(offer.Available, req.Period); d == 0 {
		problems = append(problems, fmt.Sprintf("the expert is available %s to %s, outside the period %s to %s",
			offer.Available.From.Format(time.RFC3339), offer.Available.To.Format(time.RFC3339),
			req.Period.From.Format(time.RFC3339), req.Period.To.Format(time.RFC3339)))
	}
	if req.RespondBy != nil && offer.OfferedAt.After(*req.RespondBy) {
		problems = append(problems, fmt.Sprintf("it was made at %s, after the deadline %s",
			offer.OfferedAt.Format(time.RFC3339), req.RespondBy.Format(time.RFC3339)))
	}
	if len(problems) == 0 {
		return nil
	}
	msg := fmt.Sprintf("offer %s from %q for request %s: %s", offer.ID, offer.OfferedBy, req.ID, strings.Join(problems, "; "))
	if unknown != nil {
		return fmt.Errorf("%w (%w): %s", ErrOfferRefused, unknown, msg)
	}
	return fmt.Errorf("%w: %s", ErrOfferRefused, msg)
}

// rankedOffer is an offer that can meet a request, with how much of the
// period it covers.
type rankedOffer struct {
	offer  schema.ExpertOffer
	cover  time.Duration
	period schema.Window
}

// rankOffers returns the offers that can meet req, best first, one per
// expert, and counts of those that cannot, by cause.
func rankOffers(req schema.ExpertRequest, offers []schema.ExpertOffer) (ranked []rankedOffer, otherRequest, otherDomain, outside int) {
	for _, o := range offers {
		switch d, w := overlap(o.Available, req.Period); {
		case o.RequestID != req.ID:
			otherRequest++
		case o.Domain != req.Domain:
			otherDomain++
		case d == 0:
			outside++
		default:
			ranked = append(ranked, rankedOffer{offer: o, cover: d, period: w})
		}
	}
	slices.SortFunc(ranked, func(a, b rankedOffer) int {
		if a.cover != b.cover {
			return -cmp.Compare(a.cover, b.cover) // more of the period first
		}
		if c := a.offer.OfferedAt.Compare(b.offer.OfferedAt); c != 0 {
			return c // earlier offer first
		}
		return strings.Compare(a.offer.ID, b.offer.ID)
	})
	// One assignment per expert: keep each expert's best offer.
	seen := map[[2]string]bool{}
	ranked = slices.DeleteFunc(ranked, func(r rankedOffer) bool {
		k := [2]string{r.offer.Expert.KeyID, r.offer.Expert.Pseudonym}
		if seen[k] {
			return true
		}
		seen[k] = true
		return false
	})
	return ranked, otherRequest, otherDomain, outside
}

// Match returns the best assignment for req among offers, decided at now
// (MatchAll's first). Its id is a new UUID v7.
func Match(req schema.ExpertRequest, offers []schema.ExpertOffer, now time.Time) schema.ExpertAssignment {
	return matchAll(req, offers, now, mintID)[0]
}

// MatchAll returns the outcome of req given offers, decided at now: up to
// req.NeededCount (at least 1) assignments of distinct experts, best
// first, and, if fewer experts than needed can be assigned, one more
// assignment with outcome no_expert_available whose Reason says why. It
// never returns an empty list. Ids are new UUIDs v7.
//
// An offer can meet the request if it cites the request, offers its
// domain and is available for some of its period; pass offers CheckOffer
// accepted, as Match does not consult the directory. The candidates are
// ranked, deterministically whatever their order in offers:
//
//  1. the one available for more of the period first;
//  2. then the earlier offer (OfferedAt);
//  3. then the smaller offer id.
//
// An expert (by pseudonym and key id) offered more than once is assigned
// once, by the best of the offers. An assignment's period is the part of
// the request's period the expert is available for; its Reason says how
// much of the period that is, and of how many candidates it was chosen.
func MatchAll(req schema.ExpertRequest, offers []schema.ExpertOffer, now time.Time) []schema.ExpertAssignment {
	return matchAll(req, offers, now, mintID)
}

func matchAll(req schema.ExpertRequest, offers []schema.ExpertOffer, now time.Time, newID func() string) []schema.ExpertAssignment {
	now = now.UTC()
	ranked, otherRequest, otherDomain, outside := rankOffers(req, offers)
	needed := max(req.NeededCount, 1)
	span := req.Period.To.Sub(req.Period.From)
	var out []schema.ExpertAssignment
	for _, r := range ranked[:min(needed, len(ranked))] {
		expert, period := r.offer.Expert, r.period
		pct := 100
		if span > 0 {
			pct = int(r.cover * 100 / span)
		}
		out = append(out, schema.ExpertAssignment{
			ID: newID(), RequestID: req.ID, Outcome: schema.AssignmentAssigned,
			OfferID: r.offer.ID, AssignedTo: req.Requester, Expert: &expert,
			FromOrg: r.offer.OfferedBy, Period: &period,
			Reason:     fmt.Sprintf("%s expert available for %d%% of the period; chosen among %d matching offers", req.Domain, pct, len(ranked)),
			AssignedAt: now,
		})
	}
	if len(out) == needed {
		return out
	}
	var why string
	switch {
	case len(offers) == 0:
		why = "no offer was received"
	case len(ranked) == 0:
		var parts []string
		for _, p := range []struct {
			n    int
			what string
		}{
			{otherRequest, "answer another request"},
			{otherDomain, "offer another domain than " + string(req.Domain)},
			{outside, "are not available during the period"},
		} {
			if p.n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
			}
		}
		why = fmt.Sprintf("none of %d offers can meet the request: %s", len(offers), strings.Join(parts, ", "))
	default:
		why = fmt.Sprintf("%d of %d experts needed are assigned; no further %s expert is offered for the period", len(out), needed, req.Domain)
	}
	return append(out, schema.ExpertAssignment{
		ID: newID(), RequestID: req.ID, Outcome: schema.AssignmentNoExpertAvailable,
		AssignedTo: req.Requester, Reason: why, AssignedAt: now,
	})
}

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
