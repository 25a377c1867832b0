package stage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// ErrNoRevision: HorizonPlanner.Plan with a current plan and no feedback
// that calls for revising it (none for its horizon, or nothing to do);
// the caller keeps the current plan.
var ErrNoRevision = errors.New("stage: no feedback calls for a revision")

// PlannerConfig configures a HorizonPlanner.
type PlannerConfig struct {
	// Directory checks plans and tasks. Required.
	Directory *collab.Directory
	// Owner is the planning organization: the leading group for macro
	// plans, a department or social force for the plans derived. Required.
	Owner string
	// Assignees returns who carries out a collection item; default the
	// item's AssignedTo. Items with none get no task.
	Assignees func(item schema.PlanCollectionItem) []string
	// TaskDays is how many days a task has; default 30.
	TaskDays int
	// Now is the clock; default time.Now.
	Now func() time.Time
	// NewID makes ids (UUID v7); default uuid.NewV7.
	NewID func() (string, error)
	// Cases, if set, is the case library a first plan for a
	// task-specific requirement consults: the most similar past cases
	// (up to MaxCases, default 3) come back in PlanOutput.Cases, and the
	// lesson of the closest one that succeeded becomes an objective.
	Cases    *collab.CaseLibrary
	MaxCases int
}

// Validate names every field out of range.
func (c PlannerConfig) Validate() error {
	var errs []error
	if c.Directory == nil {
		errs = append(errs, errors.New("stage: planner: Directory is nil"))
	} else if _, ok := c.Directory.Org(c.Owner); !ok {
		errs = append(errs, fmt.Errorf("stage: planner: Owner %q is not in the directory", c.Owner))
	}
	if c.MaxCases < 0 {
		errs = append(errs, fmt.Errorf("stage: planner: MaxCases is %d; it must not be negative", c.MaxCases))
	}
	if c.TaskDays < 0 {
		errs = append(errs, fmt.Errorf("stage: planner: TaskDays is %d; it must not be negative", c.TaskDays))
	}
	return errors.Join(errs...)
}

// HorizonPlanner is the planning stage (study, 4.2.1 and 4.2.6): it makes
// the first plan for a requirement (a macro plan, or one derived from its
// parent) with the tasks that carry it out, and revises a plan from the
// feedback by horizon: monthly reports adjust short- and medium-term
// plans, annual reports the long-term macro plan, task reports and the
// application stage's recommendations any (collab.Adjusts). A revision
// never widens the plan beyond its parent's scope (or its requirement's).
// It is a Planner, safe for concurrent use.
type HorizonPlanner struct{ cfg PlannerConfig }

var _ Planner = (*HorizonPlanner)(nil)

// NewPlanner returns a planner, or the configuration's problems.
func NewPlanner(cfg PlannerConfig) (*HorizonPlanner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Assignees == nil {
		cfg.Assignees = func(item schema.PlanCollectionItem) []string { return item.AssignedTo }
	}
	if cfg.MaxCases == 0 {
		cfg.MaxCases = 3
	}
	if cfg.TaskDays == 0 {
		cfg.TaskDays = 30
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = func() (string, error) {
			id, err := uuid.NewV7()
			return id.String(), err
		}
	}
	return &HorizonPlanner{cfg: cfg}, nil
}

// Plan makes or revises the plan of in.
//
// Without in.Current it makes revision 1: a macro plan when in.Parent is
// nil (the leading group's, over the requirement's scope, one item per
// kind, real time for a task-specific requirement and daily otherwise),
// or a plan one level below in.Parent, over its scope and items. Its
// horizon is short for a task-specific requirement, otherwise the level's
// (collab.Horizon). Tasks: one per collection item with assignees, of the
// owner, under the plan, checked with collab.AssignTask. A task-specific
// requirement is offered the most similar cases of Cases (PlanOutput.Cases).
//
// With in.Current it applies, oldest first, each report of in.Feedback
// that adjusts the plan's horizon, then in.Recommendations as
// task-oriented feedback, with collab.ReviseFromFeedback: one revision
// per report, the last returned. Add_task changes become tasks for the
// report's reporter where collab.AssignTask allows it; reprioritize and
// close go to PlanOutput.Changes. The result is checked with
// collab.CheckRevision against the parent's scope (or the requirement's).
// ErrNoRevision when nothing applied.
func (pl *HorizonPlanner) Plan(ctx context.Context, in PlanInput) (PlanOutput, error) {
	if err := ctx.Err(); err != nil {
		return PlanOutput{}, err
	}
	if in.Current == nil {
		return pl.first(in)
	}
	return pl.revise(in)
}

func (pl *HorizonPlanner) id() (string, error) {
	id, err := pl.cfg.NewID()
	if err != nil {
		return "", fmt.Errorf("stage: planner: id: %w", err)
	}
	return id, nil
}

func (pl *HorizonPlanner) first(in PlanInput) (PlanOutput, error) {
	req := in.Requirement
	now := pl.cfg.Now().UTC()
	id, err := pl.id()
	if err != nil {
		return PlanOutput{}, err
	}
	p := schema.Plan{ID: id, RequirementID: req.ID, Owner: pl.cfg.Owner, Revision: 1, RevisedAt: now,
		Objectives: []string{clipNote(req.Title + ": " + req.Description)}}
	if in.Parent == nil {
		p.Level = schema.PlanMacro
		p.Scope = cloneScope(req.Scope)
		freq := schema.FrequencyDaily
		if req.Type == schema.RequirementTaskSpecific {
			freq = schema.FrequencyRealTime
		}
		for _, k := range req.Scope.Kinds {
			p.Collection = append(p.Collection, schema.PlanCollectionItem{Kind: k, Frequency: freq})
		}
	} else {
		switch in.Parent.Level {
		case schema.PlanMacro:
			p.Level = schema.PlanDepartment
		case schema.PlanDepartment:
			p.Level = schema.PlanInternal
		default:
			return PlanOutput{}, fmt.Errorf("stage: planner: nothing derives from %s plan %s", in.Parent.Level, in.Parent.ID)
		}
		p.ParentID = in.Parent.ID
		p.Scope = cloneScope(in.Parent.Scope)
		for _, it := range in.Parent.Collection {
			it.AssignedTo = slices.Clone(it.AssignedTo)
			p.Collection = append(p.Collection, it)
		}
	}
	var cases []collab.CaseMatch
	if req.Type == schema.RequirementTaskSpecific {
		p.Horizon = schema.HorizonShort
		if pl.cfg.Cases != nil {
			cases, err = pl.cfg.Cases.Similar(req, pl.cfg.MaxCases)
			if err != nil {
				return PlanOutput{}, fmt.Errorf("stage: planner: cases for requirement %s: %w", req.ID, err)
			}
			for _, c := range cases {
				if c.Case.Outcome == collab.CaseSucceeded && c.Case.Lesson != "" {
					p.Objectives = append(p.Objectives, clipNote(fmt.Sprintf("As in case %s (%s, similarity %.2f): %s",
						c.Case.Requirement.ID, c.Case.Outcome, c.Similarity, c.Case.Lesson)))
					break
				}
			}
		}
	}
	if in.Parent == nil {
		err = collab.CheckMacroPlan(pl.cfg.Directory, req, p)
	} else {
		err = collab.Derive(pl.cfg.Directory, *in.Parent, p)
	}
	if err != nil {
		return PlanOutput{}, fmt.Errorf("stage: planner: plan for requirement %s: %w", req.ID, err)
	}
	out := PlanOutput{Plan: p, Cases: cases}
	for _, it := range p.Collection {
		as := pl.cfg.Assignees(it)
		if len(as) == 0 {
			continue
		}
		t, err := pl.task(p, req, as, it.Kind, fmt.Sprintf("Collect %s (%s)", it.Kind, it.Frequency),
			fmt.Sprintf("Collect and submit %s records %s under requirement %s. %s", it.Kind, it.Frequency, req.ID, it.Note), now)
		if err != nil {
			return PlanOutput{}, err
		}
		if err := collab.AssignTask(pl.cfg.Directory, p, t); err != nil {
			return PlanOutput{}, fmt.Errorf("stage: planner: task for %s: %w", it.Kind, err)
		}
		out.Tasks = append(out.Tasks, t)
	}
	return out, nil
}

func (pl *HorizonPlanner) task(p schema.Plan, req schema.Requirement, assignees []string, kind, title, instructions string, now time.Time) (schema.Task, error) {
	id, err := pl.id()
	if err != nil {
		return schema.Task{}, err
	}
	t := schema.Task{ID: id, PlanID: p.ID, RequirementID: p.RequirementID, Issuer: pl.cfg.Owner, Assignee: slices.Clone(assignees),
		Title: clipTitle(title), Instructions: clipNote(strings.TrimSpace(instructions)), Priority: cmpOr(req.Priority, schema.PriorityMedium),
		IssuedAt: now, Deadline: now.AddDate(0, 0, pl.cfg.TaskDays)}
	if kind != "" {
		t.Kinds, t.Stage = []string{kind}, schema.StageCollection
	}
	return t, nil
}

func (pl *HorizonPlanner) revise(in PlanInput) (PlanOutput, error) {
	cur := *in.Current
	bound := in.Requirement.Scope
	if in.Parent != nil {
		bound = in.Parent.Scope
	}
	reports := slices.Clone(in.Feedback)
	slices.SortStableFunc(reports, func(a, b schema.FeedbackReport) int { return a.ProducedAt.Compare(b.ProducedAt) })
	if len(in.Recommendations) > 0 {
		reports = append(reports, schema.FeedbackReport{Type: schema.FeedbackTask, Reporter: pl.cfg.Owner,
			Findings: []string{"Application: existing products did not meet the requirement."}, Recommendations: in.Recommendations})
	}
	now := pl.cfg.Now().UTC()
	var out PlanOutput
	revised := false
	for _, r := range reports {
		at := now
		if !at.After(cur.RevisedAt) {
			at = cur.RevisedAt.Add(time.Second)
		}
		rev, err := collab.ReviseFromFeedback(r, cur, at)
		if errors.Is(err, collab.ErrNoRecommendation) || errors.Is(err, collab.ErrHorizon) {
			continue
		}
		if err != nil {
			return PlanOutput{}, fmt.Errorf("stage: planner: revise plan %s: %w", cur.ID, err)
		}
		if r.ID == "" { // the application stage's gaps, not a report
			notes := make([]string, len(r.Recommendations))
			for i, rec := range r.Recommendations {
				notes[i] = rec.Note
			}
			rev.Plan.RevisionReason = clipNote("Application stage: " + strings.Join(notes, " "))
		}
		if err := collab.CheckRevision(pl.cfg.Directory, cur, rev.Plan, bound); err != nil {
			return PlanOutput{}, fmt.Errorf("stage: planner: revise plan %s: %w", cur.ID, err)
		}
		cur, revised = rev.Plan, true
		for _, c := range rev.Tasks {
			if c.Type != schema.RecommendAddTask {
				out.Changes = append(out.Changes, c)
				continue
			}
			who := r.Reporter
			if who == "" || who == pl.cfg.Owner {
				continue // the owner's own work: the objective says it
			}
			t, err := pl.task(cur, in.Requirement, []string{who}, "", "Follow-up from feedback", c.Note, at)
			if err != nil {
				return PlanOutput{}, err
			}
			if collab.AssignTask(pl.cfg.Directory, cur, t) == nil {
				out.Tasks = append(out.Tasks, t)
			}
		}
	}
	if !revised {
		return PlanOutput{}, fmt.Errorf("%w: plan %s (%s-term) and %d reports", ErrNoRevision, cur.ID, collab.Horizon(cur), len(reports))
	}
	out.Plan = cur
	return out, nil
}

func cloneScope(s schema.Scope) schema.Scope {
	return schema.Scope{Kinds: slices.Clone(s.Kinds), Sectors: slices.Clone(s.Sectors), Regions: slices.Clone(s.Regions), Window: s.Window}
}

func clipTitle(s string) string {
	if r := []rune(s); len(r) > 200 {
		return string(r[:199]) + "…"
	}
	return s
}

func cmpOr(p, d schema.Priority) schema.Priority {
	if p == "" {
		return d
	}
	return p
}
