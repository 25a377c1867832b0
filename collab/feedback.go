package collab

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/sicollab/sicollab/schema"
)

// Feedback errors, for errors.Is.
var (
	// ErrNoRecommendation: ReviseFromFeedback of a report that recommends nothing for
	// the plan; the plan needs no revision.
	ErrNoRecommendation = errors.New("collab: no recommendation for the plan")
)

// RejectionThreshold is the share of rejected records above which a
// report recommends a data-quality task: more than 1 in 10.
const RejectionThreshold = 0.10

// MaxRecommendations is the most recommendations a report carries (the
// schema's limit); further late tasks are only counted in the findings.
const MaxRecommendations = 100

// MonthlyReport computes the monthly work report of reporter for the
// calendar month (UTC) that month falls in, as of now, from the journal.
// See TaskReport for what is counted and recommended.
func MonthlyReport(ctx context.Context, j Journal, reporter string, month, now time.Time) (schema.FeedbackReport, error) {
	m := month.UTC()
	from := time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, time.UTC)
	return periodReport(ctx, j, reporter, schema.FeedbackMonthly, schema.Window{From: from, To: from.AddDate(0, 1, 0)}, now)
}

// AnnualReport computes the annual work report of reporter for the
// calendar year (UTC) that year falls in, as of now, from the journal.
// See TaskReport for what is counted and recommended.
func AnnualReport(ctx context.Context, j Journal, reporter string, year, now time.Time) (schema.FeedbackReport, error) {
	from := time.Date(year.UTC().Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	return periodReport(ctx, j, reporter, schema.FeedbackAnnual, schema.Window{From: from, To: from.AddDate(1, 0, 0)}, now)
}

// TaskReport computes the report closing one task assigned to reporter,
// as of now, from the journal. Its period runs from the task's issued_at
// to now.
//
// Reports read the whole journal once. An entry counts in a period when
// its At falls in it (From inclusive, To exclusive). The counts are:
//
//   - records_submitted, _accepted, _rejected, _duplicate: the sums of the
//     EntryRecordsOutcome entries whose Org is the reporter. A hub
//     journals the outcome of a submission it received with Org the
//     sender (who acted: it submitted) and Counterpart the hub, so a
//     report counts what the reporter submitted and how its receivers
//     judged it, not what it received. Only outcomes of interaction 2
//     (or none given) count: a hub journals tasks, expert messages and
//     escalations it receives under their own interactions
//     (MessageInteraction).
//     A task report counts the records submitted while the task ran,
//     since an outcome does not name the task.
//   - products: collab.product entries whose Org is the reporter (in a
//     task report, those whose task_id is the task).
//   - escalations: collab.escalation entries whose Org is the reporter and
//     whose decision is escalate (in a task report, whose task_id is the
//     task). A handle_here decision is not counted here: the action it
//     led to is journaled as an EntryAction.
//   - actions: EntryAction entries whose Org is the reporter (in a task
//     report, whose data's task_id is the task).
//   - tasks_done, tasks_late, tasks_failed: over the tasks assigned to the
//     reporter (collab.task entries naming it among the assignees; a task
//     journaled again counts in its latest form), from the
//     collab.task_status entries made by the reporter or by the task's
//     issuer. A task is done when it reached done by its deadline, in
//     the period; failed when it reached failed or cancelled in the
//     period; late when its deadline fell in the period and before now
//     and it had not been done, failed, cancelled or escalated by then
//     (done after the deadline or still open).
//   - expert_assignments: collab.expert_assignment entries with outcome
//     assigned that assign an expert to or from the reporter (in a task
//     report, for a collab.expert_request about the task).
//
// Findings are short sentences about these counts. Recommendations follow
// three rules, in this order:
//
//  1. a late task that is still open (no done, failed, cancelled or
//     escalated status by now): reprioritize it to high, or to critical
//     if it already was high or critical;
//  2. a task the reporter escalated in the period and that is not done
//     or failed: close_task, since a specialized department carries it
//     on;
//  3. more than RejectionThreshold of the records submitted rejected:
//     add_task, a data-quality task to find and fix the cause.
//
// At most MaxRecommendations are made. The report has a new UUID v7 id,
// produced_at now, and validates against the collab.feedback_report
// schema. An entry whose data cannot be read fails the report, naming
// its seq.
func TaskReport(ctx context.Context, j Journal, reporter, taskID string, now time.Time) (schema.FeedbackReport, error) {
	if taskID == "" {
		return schema.FeedbackReport{}, errors.New("collab: task report: task id is empty")
	}
	return report(ctx, j, reporter, schema.FeedbackTask, schema.Window{}, taskID, now)
}

func periodReport(ctx context.Context, j Journal, reporter string, typ schema.FeedbackType, period schema.Window, now time.Time) (schema.FeedbackReport, error) {
	return report(ctx, j, reporter, typ, period, "", now)
}

// reportTask is a task of the reporter and what its statuses say.
type reportTask struct {
	task                        schema.Task
	doneAt, failedAt, escalated time.Time // first time of each; zero if never
}

// reportScan is what one pass over the journal gathers.
type reportScan struct {
	reporter, taskID string
	period           schema.Window // zero for a task report until the task is known
	counts           schema.FeedbackCounts
	tasks            map[string]*reportTask
	statuses         []statusSeen
	requests         map[string]string // expert request id -> task id
	assignments      []assignmentSeen
}

// statusSeen is what a report needs of a task status.
type statusSeen struct {
	at     time.Time
	taskID string
	by     string
	state  schema.TaskState
}

type assignmentSeen struct {
	at        time.Time
	requestID string
}

func report(ctx context.Context, j Journal, reporter string, typ schema.FeedbackType, period schema.Window, taskID string, now time.Time) (schema.FeedbackReport, error) {
	if reporter == "" {
		return schema.FeedbackReport{}, errors.New("collab: feedback report: reporter is empty")
	}
	if now.IsZero() {
		return schema.FeedbackReport{}, errors.New("collab: feedback report: now is zero")
	}
	now = now.UTC()
	s := &reportScan{reporter: reporter, taskID: taskID, period: period, tasks: map[string]*reportTask{}, requests: map[string]string{}}
	if err := scan(ctx, j, s.entry); err != nil {
		return schema.FeedbackReport{}, err
	}
	rep := schema.FeedbackReport{Type: typ, Reporter: reporter, TaskID: taskID, ProducedAt: now}
	if taskID != "" {
		t, ok := s.tasks[taskID]
		if !ok {
			return schema.FeedbackReport{}, fmt.Errorf("%w: task %q assigned to %q is not in the journal", ErrNotFound, taskID, reporter)
		}
		if !now.After(t.task.IssuedAt) {
			return schema.FeedbackReport{}, fmt.Errorf("collab: task report: now %s is not after the task's issued_at %s", now.Format(time.RFC3339Nano), t.task.IssuedAt.UTC().Format(time.RFC3339Nano))
		}
		s.period = schema.Window{From: t.task.IssuedAt.UTC(), To: now}
		s.tasks = map[string]*reportTask{taskID: t}
		rep.RequirementID = t.task.RequirementID
		// A second pass, now that the period is known, rather than
		// holding the entries in memory.
		if err := scan(ctx, j, s.count); err != nil {
			return schema.FeedbackReport{}, err
		}
	} else if !now.After(period.From) {
		return schema.FeedbackReport{}, fmt.Errorf("collab: feedback report: now %s is before the period, which begins %s", now.Format(time.RFC3339Nano), period.From.Format(time.RFC3339Nano))
	}
	rep.Period = s.period
	late, closeable := s.classify(now)
	for _, a := range s.assignments {
		if s.period.Contains(a.at) && (taskID == "" || s.requests[a.requestID] == taskID) {
			s.counts.ExpertAssignments++
		}
	}
	rep.Counts = s.counts
	rep.Findings = findings(rep.Counts, now.Before(s.period.To))
	rep.Recommendations = recommendations(rep.Counts, late, closeable)
	if n := len(late) + len(closeable) + boolInt(rejectionHigh(rep.Counts)); n > len(rep.Recommendations) {
		rep.Findings = append(rep.Findings, fmt.Sprintf("%d further recommendations left out; the report carries at most %d.", n-len(rep.Recommendations), MaxRecommendations))
	}
	id, err := uuid.NewV7()
	if err != nil {
		return schema.FeedbackReport{}, fmt.Errorf("collab: feedback report id: %w", err)
	}
	rep.ID = id.String()
	return rep, nil
}

// scan hands every entry of the journal to fn.
func scan(ctx context.Context, j Journal, fn func(Entry) error) error {
	for e, err := range j.Entries(ctx, 0) {
		if err != nil {
			return fmt.Errorf("collab: feedback report: %w", err)
		}
		if e.Purged() {
			continue
		}
		if err := fn(e); err != nil {
			return fmt.Errorf("collab: feedback report: journal entry %d (%s): %w", e.Seq, e.Kind, err)
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// entry takes in one journal entry.
func (s *reportScan) entry(e Entry) error {
	switch e.Kind {
	case schema.KindTask:
		var t schema.Task
		if err := json.Unmarshal(e.Data, &t); err != nil {
			return err
		}
		if slices.Contains(t.Assignee, s.reporter) {
			if old, ok := s.tasks[t.ID]; ok {
				old.task = t
			} else {
				s.tasks[t.ID] = &reportTask{task: t}
			}
		}
	case schema.KindTaskStatus:
		var st schema.TaskStatus
		if err := json.Unmarshal(e.Data, &st); err != nil {
			return err
		}
		s.statuses = append(s.statuses, statusSeen{at: e.At, taskID: st.TaskID, by: st.By, state: st.State})
	case schema.KindExpertRequest:
		var r schema.ExpertRequest
		if err := json.Unmarshal(e.Data, &r); err != nil {
			return err
		}
		s.requests[r.ID] = r.TaskID
	case schema.KindExpertAssignment:
		var a schema.ExpertAssignment
		if err := json.Unmarshal(e.Data, &a); err != nil {
			return err
		}
		if a.Outcome == schema.AssignmentAssigned && (a.AssignedTo == s.reporter || a.FromOrg == s.reporter) {
			s.assignments = append(s.assignments, assignmentSeen{at: e.At, requestID: a.RequestID})
		}
	default:
		if s.taskID == "" { // a task report counts in a second pass
			return s.count(e)
		}
	}
	return nil
}

// count adds a records outcome, product, escalation or action in the
// period; it passes over other entries.
func (s *reportScan) count(e Entry) error {
	if !s.period.Contains(e.At) {
		return nil
	}
	var task struct {
		TaskID string `json:"task_id"`
	}
	switch e.Kind {
	case EntryRecordsOutcome:
		// Only submissions count: tasks sent down (1), expert messages
		// (3, 4) and escalations (5) are not records submitted.
		if e.Org != s.reporter || (e.Interaction != InteractionSubmission && e.Interaction != InteractionNone) {
			return nil
		}
		var o RecordsOutcome
		if err := json.Unmarshal(e.Data, &o); err != nil {
			return err
		}
		if o.Submitted < 0 || o.Accepted < 0 || o.Rejected < 0 || o.Duplicate < 0 {
			return fmt.Errorf("negative count in %s", e.Data)
		}
		s.counts.RecordsSubmitted += o.Submitted
		s.counts.RecordsAccepted += o.Accepted
		s.counts.RecordsRejected += o.Rejected
		s.counts.RecordsDuplicate += o.Duplicate
	case schema.KindProduct:
		if e.Org != s.reporter {
			return nil
		}
		if s.taskID != "" {
			if err := json.Unmarshal(e.Data, &task); err != nil {
				return err
			}
			if task.TaskID != s.taskID {
				return nil
			}
		}
		s.counts.Products++
	case schema.KindEscalation:
		if e.Org != s.reporter {
			return nil
		}
		var esc schema.Escalation
		if err := json.Unmarshal(e.Data, &esc); err != nil {
			return err
		}
		if esc.Decision == schema.EscalationEscalate && (s.taskID == "" || esc.TaskID == s.taskID) {
			s.counts.Escalations++
		}
	case EntryAction:
		if e.Org != s.reporter {
			return nil
		}
		if s.taskID != "" {
			if len(e.Data) == 0 || json.Unmarshal(e.Data, &task) != nil || task.TaskID != s.taskID {
				return nil
			}
		}
		s.counts.Actions++
	}
	return nil
}

// lateTask is a late task still open: rule 1.
type lateTask struct {
	id       string
	deadline time.Time
	priority schema.Priority
}

// classify counts the tasks done, late and failed, and returns the late
// tasks still open (rule 1) and the escalated ones to close (rule 2).
func (s *reportScan) classify(now time.Time) (late []lateTask, closeable []string) {
	for _, st := range s.statuses {
		t, ok := s.tasks[st.taskID]
		if !ok || (st.by != s.reporter && st.by != t.task.Issuer) {
			continue
		}
		first := func(at *time.Time) {
			if at.IsZero() {
				*at = st.at
			}
		}
		switch st.state {
		case schema.TaskDone:
			first(&t.doneAt)
		case schema.TaskFailed, schema.TaskCancelled:
			first(&t.failedAt)
		case schema.TaskEscalated:
			first(&t.escalated)
		}
	}
	by := func(at, limit time.Time) bool { return !at.IsZero() && !at.After(limit) }
	ids := make([]string, 0, len(s.tasks))
	for id := range s.tasks {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		t := s.tasks[id]
		deadline := t.task.Deadline
		if by(t.doneAt, deadline) && s.period.Contains(t.doneAt) {
			s.counts.TasksDone++
		}
		if !t.failedAt.IsZero() && s.period.Contains(t.failedAt) {
			s.counts.TasksFailed++
		}
		if s.period.Contains(deadline) && deadline.Before(now) &&
			!by(t.doneAt, deadline) && !by(t.failedAt, deadline) && !by(t.escalated, deadline) {
			s.counts.TasksLate++
			if !by(t.doneAt, now) && !by(t.failedAt, now) && !by(t.escalated, now) {
				late = append(late, lateTask{id: id, deadline: deadline, priority: t.task.Priority})
			}
		}
		if !t.escalated.IsZero() && s.period.Contains(t.escalated) && !by(t.doneAt, now) && !by(t.failedAt, now) {
			closeable = append(closeable, id)
		}
	}
	slices.SortStableFunc(late, func(a, b lateTask) int {
		return cmp.Or(a.deadline.Compare(b.deadline), strings.Compare(a.id, b.id))
	})
	return late, closeable
}

// raise is the priority rule 1 recommends.
func raise(p schema.Priority) schema.Priority {
	if p == schema.PriorityHigh || p == schema.PriorityCritical {
		return schema.PriorityCritical
	}
	return schema.PriorityHigh
}

func rejectionHigh(c schema.FeedbackCounts) bool {
	return c.RecordsSubmitted > 0 && float64(c.RecordsRejected) > RejectionThreshold*float64(c.RecordsSubmitted)
}

func percent(n, of int) float64 { return 100 * float64(n) / float64(of) }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// findings are the report's sentences about its counts.
func findings(c schema.FeedbackCounts, partial bool) []string {
	var out []string
	if partial {
		out = append(out, "The period is not over; counts run to the time of the report.")
	}
	if c.RecordsSubmitted > 0 {
		out = append(out, fmt.Sprintf("%s submitted: %d accepted, %d rejected (%.1f%%), %d duplicate.",
			plural(c.RecordsSubmitted, "record", "records"), c.RecordsAccepted, c.RecordsRejected,
			percent(c.RecordsRejected, c.RecordsSubmitted), c.RecordsDuplicate))
	} else {
		out = append(out, "No records submitted.")
	}
	if tasks := c.TasksDone + c.TasksLate + c.TasksFailed; tasks > 0 {
		out = append(out, fmt.Sprintf("%d of %s late; %d done on time, %d failed or cancelled.",
			c.TasksLate, plural(tasks, "task", "tasks"), c.TasksDone, c.TasksFailed))
	} else {
		out = append(out, "No task fell due or ended.")
	}
	if c.Products > 0 {
		out = append(out, plural(c.Products, "product", "products")+" produced.")
	}
	if c.Escalations > 0 || c.Actions > 0 {
		out = append(out, fmt.Sprintf("%s to a specialized department; %s taken here.",
			plural(c.Escalations, "incident escalated", "incidents escalated"), plural(c.Actions, "action", "actions")))
	}
	if c.ExpertAssignments > 0 {
		out = append(out, plural(c.ExpertAssignments, "expert assignment", "expert assignments")+".")
	}
	return out
}

// recommendations applies the three rules (see TaskReport).
func recommendations(c schema.FeedbackCounts, late []lateTask, closeable []string) []schema.FeedbackRecommendation {
	var out []schema.FeedbackRecommendation
	for _, t := range late {
		p := raise(t.priority)
		out = append(out, schema.FeedbackRecommendation{
			Type: schema.RecommendReprioritize, TargetID: t.id, Priority: p,
			Note: fmt.Sprintf("Past its deadline of %s and not done: raise to %s.", t.deadline.UTC().Format(time.RFC3339), p),
		})
	}
	for _, id := range closeable {
		out = append(out, schema.FeedbackRecommendation{
			Type: schema.RecommendCloseTask, TargetID: id,
			Note: "Escalated to a specialized department, which carries it on: close it here.",
		})
	}
	if rejectionHigh(c) {
		out = append(out, schema.FeedbackRecommendation{
			Type: schema.RecommendAddTask,
			Note: fmt.Sprintf("%d of %d records rejected (%.1f%%, above %.0f%%): add a data-quality task to find and fix the cause.",
				c.RecordsRejected, c.RecordsSubmitted, percent(c.RecordsRejected, c.RecordsSubmitted), 100*RejectionThreshold),
		})
	}
	if len(out) > MaxRecommendations {
		// Keep the data-quality task, which concerns everything submitted.
		if last := out[len(out)-1]; last.Type == schema.RecommendAddTask {
			out = append(out[:MaxRecommendations-1], last)
		} else {
			out = out[:MaxRecommendations]
		}
	}
	return out
}

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
