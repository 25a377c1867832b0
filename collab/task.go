package collab

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// Sentinel errors of tasks, for errors.Is.
var (
	// ErrInvalidTask: a task, or a status, breaks a rule of the scheme.
	// Returned by AssignTask (one wrapped error per problem), Transition
	// and Tracker.Add.
	ErrInvalidTask = errors.New("collab: invalid task")
	// ErrIllegalTransition: a task cannot go from its state to the state a
	// status reports, or the status lacks what the change needs (a reason).
	// Returned, wrapped in a *TransitionError, by Transition and
	// Tracker.Apply.
	ErrIllegalTransition = errors.New("collab: illegal task transition")
	// ErrUnknownTask: a status is for a task the Tracker does not track.
	// Returned by Tracker.Apply.
	ErrUnknownTask = errors.New("collab: unknown task")
)

// AssignTask returns nil if t may be assigned under plan (interaction 1),
// or an error joining every problem found. The rules:
//
//   - t carries out plan: plan_id is plan's id and requirement_id plan's
//     requirement;
//   - the issuer owns plan or is the leading group, and is not a social
//     force: a social force issues no tasks, its internal plan divides the
//     work inside it;
//   - each assignee is in the directory, named once, not the issuer, and
//     one the issuer may task: the leading group tasks any organization
//     (departments, and social forces directly, as the scheme lets it); a
//     specialized department tasks general business departments and the
//     social forces without a supervisor, which report to it directly; a
//     general business department tasks the social forces it supervises.
//     To reach further, a department passes part of its own task down as a
//     new task with parent_task_id;
//   - a social-force assignee works in one of plan's sectors and is seated
//     in one of its regions, or its records would fall outside the purpose;
//   - the deadline is after issued_at;
//   - t's kinds are among plan's scope kinds (a *ScopeError otherwise).
//
// Problems of issuer and assignees are *PartyError values; the others wrap
// ErrInvalidTask.
func AssignTask(dir *Directory, plan schema.Plan, t schema.Task) error {
	f := faults{sentinel: ErrInvalidTask}
	if t.PlanID != plan.ID {
		f.addf("plan_id %q is not the plan's id %q", t.PlanID, plan.ID)
	}
	if t.RequirementID != plan.RequirementID {
		f.addf("requirement_id %q is not the plan's %q", t.RequirementID, plan.RequirementID)
	}
	issuer, err := party(dir, t.Issuer, "issue tasks",
		"tasks come from the leading group and the departments; a social force divides work in its internal plan",
		LeadingGroup, SpecializedDepartment, GeneralBusinessDepartment)
	f.add(err)
	if err != nil {
		issuer = Org{} // assignees are then checked without it
	} else if issuer.Tier != LeadingGroup && issuer.ID != plan.Owner {
		f.add(&PartyError{Org: issuer.ID, Tier: issuer.Tier, Act: fmt.Sprintf("issue tasks under plan %q", plan.ID),
			Rule: fmt.Sprintf("only its owner %q or the leading group may", plan.Owner)})
	}
	if len(t.Assignee) == 0 {
		f.addf("assignee is empty; a task has at least one")
	}
	for i, a := range t.Assignee {
		if slices.Index(t.Assignee, a) < i {
			f.addf("assignee %q is named twice", a)
			continue
		}
		f.checkAssignee(dir, plan.Scope, issuer, a)
	}
	if !t.Deadline.After(t.IssuedAt) {
		f.addf("deadline %s is not after issued_at %s", stamp(t.Deadline), stamp(t.IssuedAt))
	}
	if out := outside(t.Kinds, plan.Scope.Kinds); len(out) > 0 {
		f.add(&ScopeError{Widenings: []Widening{{Dimension: DimensionKinds, Values: out, Limit: slices.Clone(plan.Scope.Kinds)}}})
	}
	return f.err()
}

// checkAssignee adds the problems of one assignee; the tier rules only if
// issuer, a valid issuer, is given.
func (f *faults) checkAssignee(dir *Directory, scope schema.Scope, issuer Org, id string) {
	o, ok := dir.Org(id)
	if !ok {
		f.add(&PartyError{Org: id, Act: "be assigned a task", Rule: "assignees are organizations of the directory"})
		return
	}
	if issuer.ID != "" {
		if rule := assignRule(issuer, o); rule != "" {
			f.add(&PartyError{Org: id, Tier: o.Tier, Act: fmt.Sprintf("be assigned a task by %q (%s)", issuer.ID, issuer.Tier), Rule: rule})
		}
	}
	if o.Tier != SocialForce {
		return
	}
	if !slices.ContainsFunc(o.Sectors, func(s Sector) bool { return slices.Contains(scope.Sectors, string(s)) }) {
		f.addf("assignee %q works in %s, none of the plan's sectors %s; its records would fall outside the purpose",
			id, joinSectors(o.Sectors), strings.Join(scope.Sectors, ", "))
	}
	if !slices.Contains(scope.Regions, o.Region) {
		f.addf("assignee %q is seated in %s, none of the plan's regions %s; its records would fall outside the purpose",
			id, o.Region, strings.Join(scope.Regions, ", "))
	}
}

func joinSectors(ss []Sector) string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// assignRule returns "" if issuer may task assignee, or the rule that
// forbids it.
func assignRule(issuer, assignee Org) string {
	if issuer.ID == assignee.ID {
		return "no organization assigns a task to itself"
	}
	switch issuer.Tier {
	case LeadingGroup:
		return ""
	case SpecializedDepartment:
		if assignee.Tier == GeneralBusinessDepartment || assignee.Tier == SocialForce && assignee.Supervisor == "" {
			return ""
		}
		return "a specialized department tasks general business departments and the social forces without a supervisor"
	case GeneralBusinessDepartment:
		if assignee.Tier == SocialForce && assignee.Supervisor == issuer.ID {
			return ""
		}
		return "a general business department tasks only the social forces it supervises"
	}
	return "only the leading group and the departments assign tasks"
}

// taskRole is who may make a change of a task's state.
type taskRole int

const (
	byAssignee taskRole = iota + 1
	byIssuer
)

// taskMoves is the task state machine: each legal change and who may
// make it.
var taskMoves = map[[2]schema.TaskState]taskRole{
	{schema.TaskIssued, schema.TaskAccepted}:       byAssignee,
	{schema.TaskIssued, schema.TaskCancelled}:      byIssuer,
	{schema.TaskAccepted, schema.TaskInProgress}:   byAssignee,
	{schema.TaskAccepted, schema.TaskCancelled}:    byIssuer,
	{schema.TaskInProgress, schema.TaskInProgress}: byAssignee, // a progress report
	{schema.TaskInProgress, schema.TaskDone}:       byAssignee,
	{schema.TaskInProgress, schema.TaskFailed}:     byAssignee,
	{schema.TaskInProgress, schema.TaskEscalated}:  byAssignee,
	{schema.TaskInProgress, schema.TaskCancelled}:  byIssuer,
	{schema.TaskEscalated, schema.TaskInProgress}:  byAssignee,
	{schema.TaskEscalated, schema.TaskCancelled}:   byIssuer,
}

// TaskStates returns the seven task states, in the order of the schema's
// enum: issued, accepted, in_progress, done, failed, escalated, cancelled.
func TaskStates() []schema.TaskState {
	return []schema.TaskState{
		schema.TaskIssued, schema.TaskAccepted, schema.TaskInProgress, schema.TaskDone,
		schema.TaskFailed, schema.TaskEscalated, schema.TaskCancelled,
	}
}

// TaskTerminal reports whether a task in state s is over: done, failed or
// cancelled.
func TaskTerminal(s schema.TaskState) bool {
	return s == schema.TaskDone || s == schema.TaskFailed || s == schema.TaskCancelled
}

// TransitionError says why a task status was refused. It wraps Err,
// ErrIllegalTransition or ErrWrongParty.
type TransitionError struct {
	TaskID   string           // the task
	From, To schema.TaskState // the state it was in, and the one asked for
	// By is the organization the status comes from.
	By string
	// Reason says why the change is refused and what is allowed instead.
	Reason string
	// Err is ErrIllegalTransition or ErrWrongParty.
	Err error
}

// Error returns, for instance, `collab: wrong party: task "t1": accepted
// -> cancelled by "bank-north-01": only the issuer "central-bank" may`.
func (e *TransitionError) Error() string {
	return fmt.Sprintf("%s: task %q: %s -> %s by %q: %s", e.Err, e.TaskID, e.From, e.To, e.By, e.Reason)
}

// Unwrap returns Err.
func (e *TransitionError) Unwrap() error { return e.Err }

// Transition returns nil if s is a legal change of task from the state
// from, made by the right party; otherwise a *TransitionError. The state
// machine (assignee: any of task's assignees, for its own part of the
// task; issuer: task's issuer):
//
//	issued      -> accepted (assignee), cancelled (issuer)
//	accepted    -> in_progress (assignee), cancelled (issuer)
//	in_progress -> in_progress (assignee: a progress report),
//	               done, failed, escalated (assignee), cancelled (issuer)
//	escalated   -> in_progress (assignee, once the specialized department
//	               has answered), cancelled (issuer)
//	done, failed, cancelled: final
//
// A change not in the table wraps ErrIllegalTransition, a change by
// another party ErrWrongParty. A status to failed, escalated or cancelled
// needs a reason, and a status that reports a previous_state other than
// from has missed an update; both wrap ErrIllegalTransition. A status for
// another task is an error wrapping ErrInvalidTask.
func Transition(task schema.Task, from schema.TaskState, s schema.TaskStatus) error {
	if s.TaskID != task.ID {
		return fmt.Errorf("%w: the status is for task %q, not %q", ErrInvalidTask, s.TaskID, task.ID)
	}
	e := &TransitionError{TaskID: task.ID, From: from, To: s.State, By: s.By, Err: ErrIllegalTransition}
	role, ok := taskMoves[[2]schema.TaskState{from, s.State}]
	switch {
	case !ok:
		e.Reason = illegalReason(from)
	case !plays(task, s.By, role):
		e.Err, e.Reason = ErrWrongParty, partyRule(task, role)
	case s.PreviousState != "" && s.PreviousState != from:
		e.Reason = fmt.Sprintf("the status reports previous state %s, but the task is %s: an update was missed", s.PreviousState, from)
	case s.Reason == "" && (s.State == schema.TaskFailed || s.State == schema.TaskEscalated || s.State == schema.TaskCancelled):
		e.Reason = fmt.Sprintf("a task that is %s needs a reason", s.State)
	default:
		return nil
	}
	return e
}

// illegalReason says where a task in state from may go.
func illegalReason(from schema.TaskState) string {
	if TaskTerminal(from) {
		return fmt.Sprintf("%s is final", from)
	}
	var next []string
	for _, to := range TaskStates() {
		if _, ok := taskMoves[[2]schema.TaskState{from, to}]; ok {
			next = append(next, string(to))
		}
	}
	if next == nil {
		return fmt.Sprintf("%q is not a task state", from)
	}
	return fmt.Sprintf("from %s a task goes only to %s", from, strings.Join(next, ", "))
}

// plays reports whether org plays role in task.
func plays(task schema.Task, org string, role taskRole) bool {
	if role == byIssuer {
		return org == task.Issuer
	}
	return slices.Contains(task.Assignee, org)
}

// partyRule says who plays role in task.
func partyRule(task schema.Task, role taskRole) string {
	if role == byIssuer {
		return fmt.Sprintf("only the issuer %q may", task.Issuer)
	}
	return fmt.Sprintf("only an assignee (%s) may", strings.Join(task.Assignee, ", "))
}

// TaskPart is one assignee's part of a task, and the state it is in.
type TaskPart struct {
	TaskID   string           // the task
	Assignee string           // the organization this part is for
	State    schema.TaskState // where the part stands
	// Since is when the part entered State: the at of the status that
	// moved it, or the task's issued_at.
	Since    time.Time
	Deadline time.Time // the task's deadline
}

// Tracker folds task statuses into the state of every task it tracks,
// refusing illegal ones with the error of Transition. Each assignee's part
// of a task has its own state: an assignee's status moves its own part;
// the issuer's cancellation moves every part not yet final (leave its
// previous_state empty when the parts are in different states).
//
// A Tracker holds every task added until Forget; forget tasks whose parts
// are all final (TaskTerminal) once they are reported. The zero Tracker is
// ready to use. A Tracker is safe for concurrent use.
type Tracker struct {
	mu    sync.Mutex
	tasks map[string]*trackedTask
}

type trackedTask struct {
	task  schema.Task
	parts []TaskPart // sorted by assignee
}

// Add starts tracking t, whose parts are all issued. Check t with
// AssignTask first. It returns an error wrapping ErrInvalidTask if t has
// no id or no assignee or is tracked already.
func (tr *Tracker) Add(t schema.Task) error {
	if t.ID == "" || len(t.Assignee) == 0 {
		return fmt.Errorf("%w: a tracked task needs an id and an assignee", ErrInvalidTask)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if _, dup := tr.tasks[t.ID]; dup {
		return fmt.Errorf("%w: task %q is tracked already", ErrInvalidTask, t.ID)
	}
	if tr.tasks == nil {
		tr.tasks = map[string]*trackedTask{}
	}
	assignees := slices.Compact(slices.Sorted(slices.Values(t.Assignee)))
	tt := &trackedTask{task: t, parts: make([]TaskPart, len(assignees))}
	for i, a := range assignees {
		tt.parts[i] = TaskPart{TaskID: t.ID, Assignee: a, State: schema.TaskIssued, Since: t.IssuedAt, Deadline: t.Deadline}
	}
	tr.tasks[t.ID] = tt
	return nil
}

// Apply checks s with Transition against the state of each part it moves
// and, if every check passes, moves them. It returns an error wrapping
// ErrUnknownTask for a task it does not track.
func (tr *Tracker) Apply(s schema.TaskStatus) error {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tt, ok := tr.tasks[s.TaskID]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownTask, s.TaskID)
	}
	moved := tt.moved(s)
	for _, i := range moved {
		if err := Transition(tt.task, tt.parts[i].State, s); err != nil {
			return err
		}
	}
	for _, i := range moved {
		tt.parts[i].State, tt.parts[i].Since = s.State, s.At
	}
	return nil
}

// moved returns the indexes of the parts s would move: the sender's own
// part if it is an assignee (unless it cancels as the issuer), otherwise
// every part not yet final, or the first part if all are, so that
// Transition says why.
func (tt *trackedTask) moved(s schema.TaskStatus) []int {
	if s.State != schema.TaskCancelled || s.By != tt.task.Issuer {
		if i := slices.IndexFunc(tt.parts, func(p TaskPart) bool { return p.Assignee == s.By }); i >= 0 {
			return []int{i}
		}
	}
	var open []int
	for i, p := range tt.parts {
		if !TaskTerminal(p.State) {
			open = append(open, i)
		}
	}
	if open == nil {
		return []int{0}
	}
	return open
}

// Parts returns the parts of the task with the id, sorted by assignee, or
// nil if the Tracker does not track it.
func (tr *Tracker) Parts(taskID string) []TaskPart {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tt, ok := tr.tasks[taskID]; ok {
		return slices.Clone(tt.parts)
	}
	return nil
}

// Late returns the parts that are past their deadline at now and not yet
// final (done, failed or cancelled), by deadline, then task id, then
// assignee. Feedback reports them as tasks late.
func (tr *Tracker) Late(now time.Time) []TaskPart {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var late []TaskPart
	for _, tt := range tr.tasks {
		for _, p := range tt.parts {
			if now.After(p.Deadline) && !TaskTerminal(p.State) {
				late = append(late, p)
			}
		}
	}
	slices.SortFunc(late, func(a, b TaskPart) int {
		return cmp.Or(a.Deadline.Compare(b.Deadline), strings.Compare(a.TaskID, b.TaskID), strings.Compare(a.Assignee, b.Assignee))
	})
	return late
}

// Forget stops tracking the task with the id.
func (tr *Tracker) Forget(taskID string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	delete(tr.tasks, taskID)
}

// EntryOfTask returns the journal entry of t's assignment (interaction 1):
// by the issuer, at issued_at, about t's id, with t as its data; the
// counterpart is the assignee when there is one only. Append it once the
// task is sent.
func EntryOfTask(t schema.Task) (Entry, error) {
	var counterpart string
	if len(t.Assignee) == 1 {
		counterpart = t.Assignee[0]
	}
	return messageEntry(schema.KindTask, InteractionTask, t.IssuedAt, t.Issuer, counterpart, t.ID, t)
}

// EntryOfTaskStatus returns the journal entry of a change of a task's state
// (interaction 1): by the organization that made it, at its time, about
// the task's id, with s as its data. Append it once Transition or
// Tracker.Apply has accepted s.
func EntryOfTaskStatus(s schema.TaskStatus) (Entry, error) {
	return messageEntry(schema.KindTaskStatus, InteractionTask, s.At, s.By, "", s.TaskID, s)
}
