package main

import (
	"context"
	"fmt"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/examples/internal/sector"
	"github.com/sicollab/sicollab/examples/internal/synth"
	"github.com/sicollab/sicollab/schema"
)

// escalate puts each entry of a general business department's list to the
// department's escalation policy: handle here, or escalate to a
// specialized department (interaction 5), which the escalation is sent to.
func (w *world) escalate(ctx context.Context, org string, prod schema.Product, p *planning, res *roundResult) error {
	esc, err := collab.NewEscalator(collab.EscalatorConfig{Directory: w.Dir, Journal: w.journal, Now: w.now})
	if err != nil {
		return err
	}
	kinds := map[schema.ListType][]string{
		schema.ListAbnormalFinancialActivity: {schema.KindFinanceTransaction},
		schema.ListHazmatPurchases:           {schema.KindCommerceHazmat, schema.KindTelecomAccountReport},
		schema.ListAbnormalEntryExit:         {schema.KindCustomsEntryExit},
	}[prod.ListType]
	for _, e := range prod.Entries {
		d, err := esc.Decide(ctx, org, collab.Case{
			Subjects: []schema.Subject{e.Subject}, EvidenceIDs: append([]string{prod.ID}, e.EvidenceIDs[:min(len(e.EvidenceIDs), 50)]...),
			EvidenceKinds: append(kinds, schema.KindProduct), Score: e.Score, Reasons: e.Reasons, RequirementID: p.req.ID,
		})
		if err != nil {
			return fmt.Errorf("%s decides on %s: %w", org, e.Subject.Pseudonym[:12], err)
		}
		res.Escalations[string(d.Decision)]++
		if err := w.Post(ctx, org, schema.KindEscalation, schema.Purpose{RequirementID: p.req.ID}, d, d.To); err != nil {
			return err
		}
	}
	return nil
}

// second decides whether the analysis task needs an expert public security
// lacks; if so it asks the general business departments (interaction 3),
// takes their offers and assigns one.
func (w *world) second(ctx context.Context, p *planning, res *roundResult, channel schema.ExpertChannel) error {
	have := []schema.ExpertDomain{schema.ExpertDomainTransport, schema.ExpertDomainCustoms}
	if channel == schema.ExpertHire {
		// The finance expert seconded in the first round is still there.
		have = append(have, schema.ExpertDomainFinance)
	}
	need, err := collab.DefaultExpertPolicy().NeedsExpert(ctx, p.task, have)
	if err != nil || !need.Need {
		return err
	}
	desk, err := collab.NewExpertDesk(collab.ExpertDeskConfig{Directory: w.Dir, Journal: w.journal, Now: w.now})
	if err != nil {
		return err
	}
	now := w.now().UTC().Truncate(time.Second)
	period := schema.Window{From: now, To: now.AddDate(0, 0, 14)}
	req, to, err := desk.Request(ctx, "public-security", p.task, need.Domain, channel, period)
	if err != nil {
		return err
	}
	for i, org := range to {
		expert, err := expertSubject(org, i)
		if err != nil {
			return err
		}
		if err := desk.Offer(ctx, schema.ExpertOffer{
			ID: sector.NewID(), RequestID: req.ID, OfferedBy: org, Domain: req.Domain, Expert: expert,
			Available: period, Qualifications: []string{string(req.Domain) + " analysis"}, OfferedAt: now,
		}); err != nil {
			return err
		}
	}
	assigned, err := desk.Assign(ctx, req.ID)
	if err != nil {
		return err
	}
	for _, a := range assigned {
		res.Experts = append(res.Experts, fmt.Sprintf("%s expert from %s (%s): %s", req.Domain, orDash(a.FromOrg), channel, a.Outcome))
	}
	return nil
}

// expertSubject is the synthetic pseudonym of an organization's expert.
func expertSubject(org string, i int) (schema.Subject, error) {
	ps, err := schema.NewPseudonymizer(synth.DefaultKeyID, synth.DefaultKey())
	if err != nil {
		return schema.Subject{}, err
	}
	return ps.Pseudonym(schema.IDNationalID, fmt.Sprintf("SNEXPERT%04d", i))
}
