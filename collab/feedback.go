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
