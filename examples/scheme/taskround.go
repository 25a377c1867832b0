package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/examples/internal/sector"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// caseOffer is a past case the case library offered for a new
// task-specific requirement.
type caseOffer struct {
	Requirement string   `json:"requirement"` // its title
	Outcome     string   `json:"outcome"`
	Similarity  float64  `json:"similarity"`
	Shared      []string `json:"shared"`
	Lesson      string   `json:"lesson"`
}

// taskRound is how a round run task-oriented was planned: the
// task-specific requirement, the cases offered, what public security
// found in existing products (its own and the ministries', over TAXII)
// before it tasked anyone, and the tasks it issued.
type taskRound struct {
	Requirement   string           `json:"requirement"` // its title
	RequirementID string           `json:"requirement_id"`
	Kinds         []string         `json:"kinds"`
	Cases         []caseOffer      `json:"cases_offered"`
	Existing      []productSummary `json:"existing_products"`
	Met           bool             `json:"met"`
	Missing       []string         `json:"missing,omitempty"`
	Tasks         []string         `json:"tasks"` // "assignee: title"
	Kept          string           `json:"case_kept,omitempty"`
}

// keepCase keeps the operation under requirement reqID in the case
// library (a journal.case entry) and says so.
func (w *world) keepCase(ctx context.Context, reqID string, outcome collab.CaseOutcome, lesson string) (collab.LibraryCase, error) {
	c, e, err := collab.KeepCase(ctx, w.journal, reqID, outcome, lesson, w.now())
	if err != nil {
		return c, err
	}
	_, err = w.journal.Append(ctx, e)
	return c, err
}

// taskOriented plans the task-oriented round (study 4.2.1 and 4.2.5):
// round 1's operation is kept as a case; the leading group issues a
// task-specific requirement over the scope feedback left (public
// security's revised plan) and makes its macro plan, offered the most
// similar cases; public security queries existing products, its own and
// the ministries' over TAXII, before it tasks anyone, then derives its
// plan and tasks the ministries (interaction 1); the leading group
// assigns it the analysis task.
func (w *world) taskOriented(ctx context.Context, p *planning, start time.Time, lesson string) (*planning, *taskRound, error) {
	lg := w.Dir.LeadingGroup().ID
	if _, err := w.keepCase(ctx, p.req.ID, collab.CaseSucceeded, lesson); err != nil {
		return nil, nil, fmt.Errorf("keep round 1 as a case: %w", err)
	}
	lib, err := collab.LoadCaseLibrary(ctx, w.journal)
	if err != nil {
		return nil, nil, err
	}
	now := w.now().UTC().Truncate(time.Second)
	until := now.AddDate(0, 0, 30)
	ps := p.plans["public-security"]
	req := schema.Requirement{
		ID: sector.NewID(), Type: schema.RequirementTaskSpecific, Title: "Disrupt the structuring and precursor network",
		Description: "Task-specific collection and analysis after the first round's findings (synthetic demonstration).",
		Issuer:      lg, IssuedAt: now, ValidUntil: &until, Priority: schema.PriorityCritical,
		Scope: schema.Scope{Kinds: slices.Clone(ps.Scope.Kinds), Sectors: slices.Clone(p.req.Scope.Sectors),
			Regions: slices.Clone(p.req.Scope.Regions), Window: schema.Window{From: start, To: until}},
		LegalBasis: "synthetic demonstration basis", Status: schema.RequirementActive,
	}
	if err := collab.CheckRequirement(w.Dir, req); err != nil {
		return nil, nil, err
	}
	clock := func() time.Time { return w.now().UTC().Truncate(time.Second) }
	lgPlanner, err := stage.NewPlanner(stage.PlannerConfig{Directory: w.Dir, Owner: lg, Cases: lib, Now: clock})
	if err != nil {
		return nil, nil, err
	}
	out, err := lgPlanner.Plan(ctx, stage.PlanInput{Requirement: req})
	if err != nil {
		return nil, nil, err
	}
	macro := out.Plan
	tr := &taskRound{Requirement: req.Title, RequirementID: req.ID, Kinds: req.Scope.Kinds}
	for _, c := range out.Cases {
		tr.Cases = append(tr.Cases, caseOffer{Requirement: c.Case.Requirement.Title, Outcome: string(c.Case.Outcome),
			Similarity: c.Similarity, Shared: c.Shared, Lesson: c.Case.Lesson})
	}
	for _, e := range []func() (collab.Entry, error){
		func() (collab.Entry, error) { return collab.EntryOfRequirement(req) },
		func() (collab.Entry, error) { return collab.EntryOfPlan(macro) },
	} {
		if err := w.record(ctx, e); err != nil {
			return nil, nil, err
		}
	}
	var hubs []string
	for _, d := range departments(w.Dir) {
		hubs = append(hubs, d.ID)
	}
	if err := w.Post(ctx, lg, schema.KindRequirement, schema.Purpose{RequirementID: req.ID}, req, hubs...); err != nil {
		return nil, nil, err
	}
	if err := w.Flush(ctx, lg); err != nil {
		return nil, nil, err
	}

	// Public security first queries existing products: its own catalog
	// and each ministry's over TAXII.
	cats := catalogs{w.hub("public-security").Catalog}
	for _, o := range w.Dir.ByTier(collab.GeneralBusinessDepartment) {
		rc, err := w.remote(ctx, "public-security", o.ID)
		if err != nil {
			return nil, nil, err
		}
		cats = append(cats, rc)
	}
	applier, err := stage.NewApplier(stage.ApplierConfig{Directory: w.Dir, Org: "public-security", Catalog: cats, Now: w.now})
	if err != nil {
		return nil, nil, err
	}
	cov, err := applier.Meets(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	tr.Met = cov.Met
	for _, lt := range cov.Missing {
		tr.Missing = append(tr.Missing, string(lt))
	}
	for _, lt := range slices.Sorted(func(yield func(schema.ListType) bool) {
		for k := range cov.Products {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, prod := range cov.Products[lt] {
			tr.Existing = append(tr.Existing, productSummary{prod.Producer, prod.ListType, len(prod.Entries)})
		}
	}

	// Then it plans and tasks the ministries that take each kind in.
	psPlanner, err := stage.NewPlanner(stage.PlannerConfig{Directory: w.Dir, Owner: "public-security", Now: clock,
		Assignees: func(it schema.PlanCollectionItem) []string {
			var to []string
			for _, o := range w.Dir.ByTier(collab.GeneralBusinessDepartment) {
				if o.CanReceive(it.Kind) {
					to = append(to, o.ID)
				}
			}
			return to
		}})
	if err != nil {
		return nil, nil, err
	}
	psOut, err := psPlanner.Plan(ctx, stage.PlanInput{Requirement: req, Parent: &macro})
	if err != nil {
		return nil, nil, err
	}
	psPlan := psOut.Plan
	if !cov.Met {
		next, err := psPlanner.Plan(ctx, stage.PlanInput{Requirement: req, Parent: &macro, Current: &psPlan, Recommendations: cov.Recommendations})
		if err != nil {
			return nil, nil, err
		}
		psPlan = next.Plan
		psOut.Tasks = append(psOut.Tasks, next.Tasks...)
	}
	if err := w.record(ctx, func() (collab.Entry, error) { return collab.EntryOfPlan(psPlan) }); err != nil {
		return nil, nil, err
	}
	for _, t := range psOut.Tasks {
		if err := w.record(ctx, func() (collab.Entry, error) { return collab.EntryOfTask(t) }); err != nil {
			return nil, nil, err
		}
		if err := w.Post(ctx, "public-security", schema.KindTask, schema.Purpose{RequirementID: req.ID, TaskID: t.ID}, t, t.Assignee...); err != nil {
			return nil, nil, err
		}
		for _, a := range t.Assignee {
			tr.Tasks = append(tr.Tasks, a+": "+t.Title)
		}
	}
	if err := w.Flush(ctx, "public-security"); err != nil {
		return nil, nil, err
	}

	// The leading group assigns public security the analysis task.
	var kinds []string
	for _, k := range p.task.Kinds {
		if slices.Contains(req.Scope.Kinds, k) {
			kinds = append(kinds, k)
		}
	}
	task := schema.Task{
		ID: sector.NewID(), PlanID: macro.ID, RequirementID: req.ID, Issuer: lg, Assignee: []string{"public-security"},
		Title: "Identify the network's members", Instructions: "Link the sources by subject under the task-specific requirement; list every member found.",
		Kinds: kinds, Priority: schema.PriorityCritical, IssuedAt: now, Deadline: until,
	}
	if err := collab.AssignTask(w.Dir, macro, task); err != nil {
		return nil, nil, err
	}
	if err := w.record(ctx, func() (collab.Entry, error) { return collab.EntryOfTask(task) }); err != nil {
		return nil, nil, err
	}
	if err := w.Post(ctx, lg, schema.KindTask, schema.Purpose{RequirementID: req.ID}, task, hubs...); err != nil {
		return nil, nil, err
	}
	if err := w.Flush(ctx, lg); err != nil {
		return nil, nil, err
	}
	tr.Tasks = append(tr.Tasks, "public-security: "+task.Title)
	return &planning{req: req, macro: macro, plans: map[string]schema.Plan{"public-security": psPlan}, task: task}, tr, nil
}
