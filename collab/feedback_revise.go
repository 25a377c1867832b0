package collab

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// TaskChange is a change to a task that a feedback report recommends and
// ReviseFromFeedback passes on: the plan has no tasks of its own, so whoever manages
// the plan's tasks applies it.
type TaskChange struct {
	// Type is RecommendReprioritize, RecommendCloseTask or
	// RecommendAddTask.
	Type schema.RecommendationType
	// TaskID is the task to reprioritize or close; empty for add_task.
	TaskID string
	// PlanID is the plan revised, under which an added task goes.
	PlanID string
	// Priority is the new priority, for reprioritize.
	Priority schema.Priority
	// Note is the recommendation's note: what and why.
	Note string
}

// FeedbackRevision is the outcome of ReviseFromFeedback: the next revision of a plan and
// the task changes that go with it.
type FeedbackRevision struct {
	// Plan is the next revision of the plan.
	Plan schema.Plan
	// Tasks are the changes to the plan's tasks, in the report's order.
	Tasks []TaskChange
}

// ReviseFromFeedback turns the recommendations of a feedback report into the next
// revision of plan, made at at. Recommendations become:
//
//   - adjust_frequency aimed at this plan: the collection items of the
//     kind named (or of the plan's only kind) get the new frequency; a
//     kind the plan does not collect is an error, since collecting it
//     would widen the plan; with a Source, only that source's collection
//     of the kind changes, in an item of its own;
//   - stop_source aimed at this plan: the source leaves the collection
//     items of the kind (of every kind, when none is named) that name it,
//     an item left with no one is dropped, and an objective says to
//     collect nothing from it (which also covers items naming no one);
//     stopping the plan's last collection is an error;
//   - add_task aimed at this plan or at no plan: the note is added to the
//     objectives (if not already there) and an add_task TaskChange;
//   - reprioritize and close_task: a TaskChange each, for whoever manages
//     the plan's tasks (targets that are not tasks of this plan are
//     theirs to ignore);
//   - recommendations aimed at another plan are left out.
//
// The revision has Revision one higher, RevisedAt at, a RevisionReason
// made of the report's findings, and FeedbackReportID the report's id.
// Its scope is a copy of plan's: a revision never widens a plan; ReviseFromFeedback
// checks that every collected kind stays within the scope, and returns
// ErrScopeWidened if plan itself collects outside its scope. It returns
// ErrNoRecommendation when nothing is left for the plan, and ErrHorizon
// (before anything else is read) when a monthly report meets a long-term
// plan or an annual report a short- or medium-term one (Horizon,
// Adjusts). The revision keeps the plan's horizon. The plan given is not
// changed.
func ReviseFromFeedback(report schema.FeedbackReport, plan schema.Plan, at time.Time) (FeedbackRevision, error) {
	if !at.After(plan.RevisedAt) {
		return FeedbackRevision{}, fmt.Errorf("collab: revise plan %q: at %s is not after its revision %d of %s",
			plan.ID, at.UTC().Format(time.RFC3339Nano), plan.Revision, plan.RevisedAt.UTC().Format(time.RFC3339Nano))
	}
	if err := withinScope(plan); err != nil {
		return FeedbackRevision{}, err
	}
	if h := Horizon(plan); !Adjusts(report.Type, h) {
		return FeedbackRevision{}, fmt.Errorf("%w: a %s report %q and plan %q, a %s-term %s plan; monthly reports adjust short- and medium-term plans, annual reports long-term ones",
			ErrHorizon, report.Type, report.ID, plan.ID, h, plan.Level)
	}
	next := schema.Plan{
		ID: plan.ID, Level: plan.Level, ParentID: plan.ParentID, RequirementID: plan.RequirementID, Horizon: plan.Horizon, Owner: plan.Owner,
		Revision: plan.Revision + 1, RevisedAt: at.UTC(), FeedbackReportID: report.ID,
		Scope: schema.Scope{
			Kinds: slices.Clone(plan.Scope.Kinds), Sectors: slices.Clone(plan.Scope.Sectors),
			Regions: slices.Clone(plan.Scope.Regions), Window: plan.Scope.Window,
		},
		Objectives: slices.Clone(plan.Objectives),
		Collection: make([]schema.PlanCollectionItem, len(plan.Collection)),
	}
	for i, item := range plan.Collection {
		item.AssignedTo = slices.Clone(item.AssignedTo)
		next.Collection[i] = item
	}
	var changes []TaskChange
	changed := false
	for i, r := range report.Recommendations {
		switch r.Type {
		case schema.RecommendAdjustFrequency:
			if r.TargetID != plan.ID {
				continue
			}
			if err := adjustFrequency(&next, r); err != nil {
				return FeedbackRevision{}, fmt.Errorf("collab: revise plan %q: recommendation %d: %w", plan.ID, i, err)
			}
			changed = true
		case schema.RecommendStopSource:
			if r.TargetID != plan.ID {
				continue
			}
			if err := stopSource(&next, r); err != nil {
				return FeedbackRevision{}, fmt.Errorf("collab: revise plan %q: recommendation %d: %w", plan.ID, i, err)
			}
			if obj := "Collect nothing from " + r.Source + ": " + clip(r.Note, 1900); !slices.Contains(next.Objectives, obj) {
				next.Objectives = append(next.Objectives, obj)
			}
			changed = true
		case schema.RecommendAddTask:
			if r.TargetID != "" && r.TargetID != plan.ID {
				continue
			}
			if !slices.Contains(next.Objectives, r.Note) {
				next.Objectives = append(next.Objectives, r.Note)
			}
			changes = append(changes, TaskChange{Type: r.Type, PlanID: plan.ID, Note: r.Note})
		case schema.RecommendReprioritize, schema.RecommendCloseTask:
			if r.TargetID == "" || (r.Type == schema.RecommendReprioritize && r.Priority == "") {
				return FeedbackRevision{}, fmt.Errorf("collab: revise plan %q: recommendation %d: %s needs a target id and, to reprioritize, a priority", plan.ID, i, r.Type)
			}
			if r.TargetID == plan.ID || r.TargetID == plan.RequirementID {
				continue // not a task; plans and requirements are revised by their owners
			}
			changes = append(changes, TaskChange{Type: r.Type, TaskID: r.TargetID, PlanID: plan.ID, Priority: r.Priority, Note: r.Note})
		default:
			return FeedbackRevision{}, fmt.Errorf("collab: revise plan %q: recommendation %d: unknown type %q", plan.ID, i, r.Type)
		}
	}
	if !changed && len(changes) == 0 {
		return FeedbackRevision{}, fmt.Errorf("%w %q in report %q", ErrNoRecommendation, plan.ID, report.ID)
	}
	if len(next.Objectives) > 50 {
		return FeedbackRevision{}, fmt.Errorf("collab: revise plan %q: %d objectives, more than the 50 a plan holds; close some first", plan.ID, len(next.Objectives))
	}
	next.RevisionReason = revisionReason(report)
	if err := withinScope(next); err != nil {
		return FeedbackRevision{}, err
	}
	return FeedbackRevision{Plan: next, Tasks: changes}, nil
}

// adjustFrequency applies an adjust_frequency recommendation to the
// collection items of its kind.
func adjustFrequency(p *schema.Plan, r schema.FeedbackRecommendation) error {
	kind := r.Kind
	if kind == "" {
		kinds := map[string]bool{}
		for _, item := range p.Collection {
			kinds[item.Kind] = true
		}
		if len(kinds) != 1 {
			return fmt.Errorf("adjust_frequency names no kind and the plan collects %d", len(kinds))
		}
		kind = p.Collection[0].Kind
	}
	if r.Source != "" {
		return adjustSource(p, kind, r)
	}
	if r.Frequency == "" {
		return errors.New("adjust_frequency names no frequency")
	}
	n := 0
	for i := range p.Collection {
		if p.Collection[i].Kind == kind {
			p.Collection[i].Frequency = r.Frequency
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("%w: the plan does not collect %q; collecting it is a new plan, not a revision", ErrScopeWidened, kind)
	}
	return nil
}

// withinScope checks that a plan collects only kinds of its scope.
func withinScope(p schema.Plan) error {
	for i, item := range p.Collection {
		if !slices.Contains(p.Scope.Kinds, item.Kind) {
			return fmt.Errorf("%w: plan %q revision %d collects %q (collection %d), outside its scope's kinds", ErrScopeWidened, p.ID, p.Revision, item.Kind, i)
		}
	}
	return nil
}

// revisionReason says which report prompted the revision and what it
// found, within the 2000 characters of the schema's text.
func revisionReason(r schema.FeedbackReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Feedback report %s (%s", r.ID, r.Type)
	if r.Type == schema.FeedbackTask {
		fmt.Fprintf(&b, ", task %s", r.TaskID)
	} else {
		fmt.Fprintf(&b, ", %s to %s", r.Period.From.UTC().Format(time.DateOnly), r.Period.To.UTC().Format(time.DateOnly))
	}
	b.WriteString(")")
	for _, f := range r.Findings {
		b.WriteString(" ")
		b.WriteString(f)
	}
	s := b.String()
	if runes := []rune(s); len(runes) > 2000 {
		s = string(runes[:1999]) + "…"
	}
	return s
}
