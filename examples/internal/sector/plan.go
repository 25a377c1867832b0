package sector

import (
	"context"
	"slices"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// Days is how far back the synthetic records of a run go.
const Days = 30

// Requirement is the leading group's standing early-warning requirement
// over every record kind, sector and region of the directory, from Days
// before now for a year: the purpose a hub must know to accept records.
func Requirement(dir *collab.Directory, now time.Time) (schema.Requirement, error) {
	now = now.UTC().Truncate(time.Second)
	var kinds, regions, sectors []string
	for _, o := range dir.Orgs() {
		for _, k := range o.Submits {
			if !collab.IsMessageKind(k) && !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
		if !slices.Contains(regions, o.Region) {
			regions = append(regions, o.Region)
		}
		for _, s := range o.Sectors {
			if !slices.Contains(sectors, string(s)) {
				sectors = append(sectors, string(s))
			}
		}
	}
	slices.Sort(kinds)
	slices.Sort(regions)
	slices.Sort(sectors)
	r := schema.Requirement{
		ID: NewID(), Type: schema.RequirementEarlyWarning, Title: "Early warning across sectors",
		Description: "Standing early-warning collection from every sector of the scheme (synthetic demonstration).",
		Issuer:      dir.LeadingGroup().ID, IssuedAt: now, Priority: schema.PriorityHigh,
		Scope: schema.Scope{
			Kinds: kinds, Sectors: sectors, Regions: regions,
			Window: schema.Window{From: now.AddDate(0, 0, -2*Days), To: now.AddDate(1, 0, 0)},
		},
		LegalBasis: "synthetic demonstration basis", Status: schema.RequirementActive,
	}
	return r, collab.CheckRequirement(dir, r)
}

// Announce has the leading group issue req: journaled, and sent to the
// hub of each of hubs, which learn from it that records collected under
// it may be accepted. It returns once every hub has acknowledged.
func (s *Scheme) Announce(ctx context.Context, req schema.Requirement, hubs ...string) error {
	e, err := collab.EntryOfRequirement(req)
	if err != nil {
		return err
	}
	if _, err := s.Journal.Append(ctx, e); err != nil {
		return err
	}
	lg := s.Dir.LeadingGroup().ID
	if err := s.Post(ctx, lg, schema.KindRequirement, schema.Purpose{RequirementID: req.ID}, req, hubs...); err != nil {
		return err
	}
	return s.Flush(ctx, lg)
}

// Targets returns the hubs the records of org go to next, by the
// directory's routes for every record kind org submits, sorted.
func Targets(dir *collab.Directory, org string) ([]string, error) {
	o, _ := dir.Org(org)
	var out []string
	for _, k := range o.Submits {
		if collab.IsMessageKind(k) {
			continue
		}
		next, err := dir.Route(org, k)
		if err != nil {
			return nil, err
		}
		for _, t := range next {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// MacroPlan is the leading group's macro plan for req: its whole scope,
// every kind collected in real time. Tasks are assigned under it.
func MacroPlan(dir *collab.Directory, req schema.Requirement) (schema.Plan, error) {
	p := schema.Plan{
		ID: NewID(), Level: schema.PlanMacro, RequirementID: req.ID, Owner: req.Issuer, Revision: 1,
		RevisedAt: req.IssuedAt, Scope: req.Scope, Objectives: []string{"Collect and link early-warning data from every sector"},
	}
	for _, k := range req.Scope.Kinds {
		p.Collection = append(p.Collection, schema.PlanCollectionItem{Kind: k, Frequency: schema.FrequencyRealTime})
	}
	return p, collab.CheckMacroPlan(dir, req, p)
}
