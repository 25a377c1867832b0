package collab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

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
