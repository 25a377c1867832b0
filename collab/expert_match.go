package collab

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sicollab/sicollab/schema"
)

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
