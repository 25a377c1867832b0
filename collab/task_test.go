package collab_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// fixtureTask is the central bank's task to two banks under the department
// plan of the fixture.
func fixtureTask(fx planFixture) schema.Task {
	return schema.Task{
		ID: "0195f3a0-0000-7000-8000-000000000100", PlanID: fx.dept.ID, RequirementID: fx.req.ID,
		Issuer: "central-bank", Assignee: []string{"bank-north-01", "bank-south-02"},
		Title: "Screen transfers to listed accounts", Instructions: "Submit every transfer to a listed account.",
		Stage: schema.StageCollection, Kinds: []string{schema.KindFinanceTransaction}, Priority: schema.PriorityHigh,
		IssuedAt: planEpoch.AddDate(0, 0, 2), Deadline: planEpoch.AddDate(0, 1, 0),
	}
}

// openPlan is a plan of owner that covers every sector and region of the
// scheme, so that only the tiers decide whom its owner may task.
func openPlan(fx planFixture, owner string) schema.Plan {
	p := fx.dept
	p.Owner = owner
	p.Scope = cloneScopeFixture(p.Scope)
	p.Scope.Sectors = nil
	for _, s := range collab.Sectors() {
		p.Scope.Sectors = append(p.Scope.Sectors, string(s))
	}
	p.Scope.Regions = []string{"CN-BJ", "CN-SH", "CN-GD", "CN-ZJ"}
	return p
}

func TestAssignTask(t *testing.T) {
	fx := newPlanFixture(t)
	require.NoError(t, collab.AssignTask(fx.dir, fx.dept, fixtureTask(fx)))

	lg := fixtureTask(fx)
	lg.Issuer = "leading-group"
	assert.NoError(t, collab.AssignTask(fx.dir, fx.dept, lg), "the leading group tasks under any plan")

	analysis := fixtureTask(fx)
	analysis.Kinds, analysis.Stage = nil, schema.StageAnalysis
	assert.NoError(t, collab.AssignTask(fx.dir, fx.dept, analysis), "no kinds")
}

func TestAssignTaskIssuer(t *testing.T) {
	fx := newPlanFixture(t)
	tests := []struct {
		issuer string
		says   string
	}{
		{"central-bank", ""},
		{"leading-group", ""},
		{"miit", `"miit" (general_business_department) may not issue tasks under plan "` + fx.dept.ID + `"; only its owner "central-bank" or the leading group may`},
		{"public-security", `"public-security" (specialized_department) may not issue tasks under plan`},
		{"bank-north-01", `"bank-north-01" (social_force) may not issue tasks; tasks come from the leading group and the departments`},
		{"ministry-of-nowhere", `"ministry-of-nowhere" (not in the directory) may not issue tasks`},
	}
	for _, tt := range tests {
		t.Run(tt.issuer, func(t *testing.T) {
			task := fixtureTask(fx)
			task.Issuer = tt.issuer
			err := collab.AssignTask(fx.dir, fx.dept, task)
			if tt.says == "" {
				assert.NoError(t, err)
				return
			}
			assertFaults(t, err, collab.ErrWrongParty, tt.says)
			assert.NotErrorIs(t, err, collab.ErrInvalidTask)
			var pe *collab.PartyError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.issuer, pe.Org)
		})
	}
	t.Run("assignees of an issuer that issues no tasks are not held to its tier", func(t *testing.T) {
		task := fixtureTask(fx)
		task.Issuer = "bank-north-01"
		task.Assignee = []string{"bank-south-02"}
		err := collab.AssignTask(fx.dir, fx.dept, task)
		require.Error(t, err)
		assert.Len(t, err.(interface{ Unwrap() []error }).Unwrap(), 1, "%v", err)
	})
}

func TestAssignTaskAssigneeTiers(t *testing.T) {
	fx := newPlanFixture(t)
	// may lists, per issuer, every organization it may task; any other
	// organization of the directory is refused.
	may := map[string][]string{
		"leading-group": nil, // everyone but itself, see below
		"public-security": {"central-bank", "customs", "miit", "transport-ministry",
			"hotel-north-01", "hotel-south-02", "nonprofit-north-01"},
		"state-security": {"central-bank", "customs", "miit", "transport-ministry",
			"hotel-north-01", "hotel-south-02", "nonprofit-north-01"},
		"central-bank":       {"bank-north-01", "bank-south-02", "payment-east-01"},
		"transport-ministry": {"air-east-01", "freight-east-01", "rail-north-01", "road-south-01"},
		"miit":               {"hazmat-maker-south-01", "hazmat-seller-north-01", "platform-east-01", "telecom-north-01"},
		"customs":            {"hospital-east-02", "hospital-north-01"},
	}
	for issuer, allowed := range may {
		plan := openPlan(fx, issuer)
		for _, o := range fx.dir.Orgs() {
			want := issuer == "leading-group" && o.ID != issuer
			for _, a := range allowed {
				want = want || a == o.ID
			}
			task := fixtureTask(fx)
			task.Issuer, task.Assignee = issuer, []string{o.ID}
			err := collab.AssignTask(fx.dir, plan, task)
			if want {
				assert.NoError(t, err, "%s tasks %s", issuer, o.ID)
				continue
			}
			if assert.ErrorIs(t, err, collab.ErrWrongParty, "%s tasks %s", issuer, o.ID) {
				assert.Contains(t, err.Error(), fmt.Sprintf("%q (%s) may not be assigned a task by %q", o.ID, o.Tier, issuer))
			}
		}
	}
	task := fixtureTask(fx)
	task.Issuer, task.Assignee = "central-bank", []string{"central-bank"}
	assertFaults(t, collab.AssignTask(fx.dir, fx.dept, task), collab.ErrWrongParty, "no organization assigns a task to itself")
	task.Issuer, task.Assignee = "public-security", []string{"bank-north-01"}
	assertFaults(t, collab.AssignTask(fx.dir, openPlan(fx, "public-security"), task), collab.ErrWrongParty,
		"a specialized department tasks general business departments and the social forces without a supervisor")
	task.Issuer, task.Assignee = "central-bank", []string{"rail-north-01"}
	assertFaults(t, collab.AssignTask(fx.dir, openPlan(fx, "central-bank"), task), collab.ErrWrongParty,
		"a general business department tasks only the social forces it supervises")
}

func TestAssignTaskRules(t *testing.T) {
	fx := newPlanFixture(t)
	tests := []struct {
		name     string
		change   func(t *schema.Task)
		sentinel error
		says     string
	}{
		{"other plan", func(t *schema.Task) { t.PlanID = fx.macro.ID }, collab.ErrInvalidTask,
			`plan_id "` + fx.macro.ID + `" is not the plan's id "` + fx.dept.ID + `"`},
		{"other requirement", func(t *schema.Task) { t.RequirementID = fx.macro.ID }, collab.ErrInvalidTask,
			`requirement_id "` + fx.macro.ID + `" is not the plan's "` + fx.req.ID + `"`},
		{"no assignee", func(t *schema.Task) { t.Assignee = nil }, collab.ErrInvalidTask, "assignee is empty"},
		{"assignee twice", func(t *schema.Task) { t.Assignee = append(t.Assignee, "bank-north-01") }, collab.ErrInvalidTask,
			`assignee "bank-north-01" is named twice`},
		{"unknown assignee", func(t *schema.Task) { t.Assignee = []string{"bank-nowhere"} }, collab.ErrUnknownOrg,
			`"bank-nowhere" (not in the directory) may not be assigned a task; assignees are organizations of the directory`},
		{"deadline at issue", func(t *schema.Task) { t.Deadline = t.IssuedAt }, collab.ErrInvalidTask,
			"deadline 2026-04-03T00:00:00Z is not after issued_at 2026-04-03T00:00:00Z"},
		{"kinds beyond the plan", func(t *schema.Task) {
			t.Kinds = []string{schema.KindFinanceTransaction, schema.KindServicesLodging}
		}, collab.ErrScopeWidened, "kinds: services.lodging not among finance.transaction"},
		{"assignee outside the plan's regions", func(t *schema.Task) { t.Assignee = []string{"payment-east-01"} }, collab.ErrInvalidTask,
			`assignee "payment-east-01" is seated in CN-SH, none of the plan's regions CN-BJ, CN-GD`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := fixtureTask(fx)
			tt.change(&task)
			err := collab.AssignTask(fx.dir, fx.dept, task)
			assertFaults(t, err, tt.sentinel, tt.says)
			assert.Len(t, err.(interface{ Unwrap() []error }).Unwrap(), 1, "one problem: %v", err)
		})
	}
	t.Run("assignee outside the plan's sectors", func(t *testing.T) {
		task := fixtureTask(fx)
		task.Issuer, task.Assignee = "leading-group", []string{"hotel-north-01"}
		assertFaults(t, collab.AssignTask(fx.dir, fx.dept, task), collab.ErrInvalidTask,
			`assignee "hotel-north-01" works in services, none of the plan's sectors finance; its records would fall outside the purpose`)
	})
}

// legalMoves is the task state machine as the scheme states it, with the
// party of the fixture's task that makes each move.
var legalMoves = map[[2]schema.TaskState]string{
	{schema.TaskIssued, schema.TaskAccepted}:       "bank-north-01",
	{schema.TaskIssued, schema.TaskCancelled}:      "central-bank",
	{schema.TaskAccepted, schema.TaskInProgress}:   "bank-south-02",
	{schema.TaskAccepted, schema.TaskCancelled}:    "central-bank",
	{schema.TaskInProgress, schema.TaskInProgress}: "bank-north-01",
	{schema.TaskInProgress, schema.TaskDone}:       "bank-north-01",
	{schema.TaskInProgress, schema.TaskFailed}:     "bank-south-02",
	{schema.TaskInProgress, schema.TaskEscalated}:  "bank-north-01",
	{schema.TaskInProgress, schema.TaskCancelled}:  "central-bank",
	{schema.TaskEscalated, schema.TaskInProgress}:  "bank-south-02",
	{schema.TaskEscalated, schema.TaskCancelled}:   "central-bank",
}

func TestTransitionTable(t *testing.T) {
	task := fixtureTask(newPlanFixture(t))
	states := collab.TaskStates()
	require.Len(t, states, 7)
	legal := 0
	for _, from := range states {
		for _, to := range states {
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				by, ok := legalMoves[[2]schema.TaskState{from, to}]
				if !ok {
					by = "bank-north-01" // a party to the task, so that only the move is wrong
				}
				s := schema.TaskStatus{TaskID: task.ID, State: to, PreviousState: from, By: by, At: task.IssuedAt, Reason: "Reported."}
				err := collab.Transition(task, from, s)
				if ok {
					legal++
					assert.NoError(t, err)
					return
				}
				assert.ErrorIs(t, err, collab.ErrIllegalTransition)
				assert.NotErrorIs(t, err, collab.ErrWrongParty)
				var te *collab.TransitionError
				require.ErrorAs(t, err, &te)
				assert.Equal(t, task.ID, te.TaskID)
				assert.Equal(t, from, te.From)
				assert.Equal(t, to, te.To)
				assert.Equal(t, by, te.By)
				if collab.TaskTerminal(from) {
					assert.Equal(t, string(from)+" is final", te.Reason)
				} else {
					assert.Contains(t, te.Reason, "from "+string(from)+" a task goes only to ")
				}
			})
		}
	}
	assert.Equal(t, len(legalMoves), legal)
	assert.Equal(t, `collab: illegal task transition: task "`+task.ID+`": done -> in_progress by "bank-north-01": done is final`,
		collab.Transition(task, schema.TaskDone, schema.TaskStatus{TaskID: task.ID, State: schema.TaskInProgress, By: "bank-north-01"}).Error())
	assert.Equal(t, `collab: illegal task transition: task "`+task.ID+`": issued -> done by "bank-north-01": from issued a task goes only to accepted, cancelled`,
		collab.Transition(task, schema.TaskIssued, schema.TaskStatus{TaskID: task.ID, State: schema.TaskDone, By: "bank-north-01"}).Error())
}

func TestTransitionWrongParty(t *testing.T) {
	task := fixtureTask(newPlanFixture(t))
	for move, right := range legalMoves {
		wrong := []string{"leading-group", "miit", "bank-nowhere", "central-bank"}
		rule := `only an assignee (bank-north-01, bank-south-02) may`
		if right == "central-bank" {
			wrong = []string{"leading-group", "miit", "bank-nowhere", "bank-north-01", "bank-south-02"}
			rule = `only the issuer "central-bank" may`
		}
		for _, by := range wrong {
			t.Run(fmt.Sprintf("%s->%s by %s", move[0], move[1], by), func(t *testing.T) {
				s := schema.TaskStatus{TaskID: task.ID, State: move[1], By: by, At: task.IssuedAt, Reason: "Reported."}
				err := collab.Transition(task, move[0], s)
				assert.ErrorIs(t, err, collab.ErrWrongParty)
				assert.NotErrorIs(t, err, collab.ErrIllegalTransition)
				var te *collab.TransitionError
				require.ErrorAs(t, err, &te)
				assert.Equal(t, collab.TransitionError{TaskID: task.ID, From: move[0], To: move[1], By: by,
					Reason: rule, Err: collab.ErrWrongParty}, *te)
			})
		}
	}
}

func TestTransitionStatusRules(t *testing.T) {
	task := fixtureTask(newPlanFixture(t))
	status := func(state schema.TaskState, by string) schema.TaskStatus {
		return schema.TaskStatus{TaskID: task.ID, State: state, By: by, At: task.IssuedAt}
	}
	for _, to := range []schema.TaskState{schema.TaskFailed, schema.TaskEscalated, schema.TaskCancelled} {
		by := legalMoves[[2]schema.TaskState{schema.TaskInProgress, to}]
		err := collab.Transition(task, schema.TaskInProgress, status(to, by))
		assertFaults(t, err, collab.ErrIllegalTransition, "a task that is "+string(to)+" needs a reason")
	}
	for _, to := range []schema.TaskState{schema.TaskInProgress, schema.TaskDone} {
		assert.NoError(t, collab.Transition(task, schema.TaskInProgress, status(to, "bank-north-01")), "%s needs no reason", to)
	}

	s := status(schema.TaskInProgress, "bank-north-01")
	s.PreviousState = schema.TaskIssued
	assertFaults(t, collab.Transition(task, schema.TaskAccepted, s), collab.ErrIllegalTransition,
		"the status reports previous state issued, but the task is accepted: an update was missed")
	s.PreviousState = schema.TaskAccepted
	assert.NoError(t, collab.Transition(task, schema.TaskAccepted, s))

	s.TaskID = "0195f3a0-0000-7000-8000-0000000000ff"
	err := collab.Transition(task, schema.TaskAccepted, s)
	assertFaults(t, err, collab.ErrInvalidTask, `the status is for task "0195f3a0-0000-7000-8000-0000000000ff"`)
	assert.NotErrorIs(t, err, collab.ErrIllegalTransition)

	assertFaults(t, collab.Transition(task, "lost", status(schema.TaskAccepted, "bank-north-01")),
		collab.ErrIllegalTransition, `"lost" is not a task state`)
}

// taskStatusAt is a status of the fixture's task.
func taskStatusAt(task schema.Task, state schema.TaskState, by string, days int, reason string) schema.TaskStatus {
	return schema.TaskStatus{TaskID: task.ID, State: state, By: by, At: task.IssuedAt.AddDate(0, 0, days), Reason: reason}
}

// partStates returns the state of each part of a tracked task.
func partStates(tr *collab.Tracker, taskID string) map[string]schema.TaskState {
	out := map[string]schema.TaskState{}
	for _, p := range tr.Parts(taskID) {
		out[p.Assignee] = p.State
	}
	return out
}

func TestTracker(t *testing.T) {
	task := fixtureTask(newPlanFixture(t))
	var tr collab.Tracker
	require.NoError(t, tr.Add(task))
	assert.Equal(t, []collab.TaskPart{
		{TaskID: task.ID, Assignee: "bank-north-01", State: schema.TaskIssued, Since: task.IssuedAt, Deadline: task.Deadline},
		{TaskID: task.ID, Assignee: "bank-south-02", State: schema.TaskIssued, Since: task.IssuedAt, Deadline: task.Deadline},
	}, tr.Parts(task.ID))

	// Each assignee moves its own part.
	for _, s := range []schema.TaskStatus{
		taskStatusAt(task, schema.TaskAccepted, "bank-north-01", 1, ""),
		taskStatusAt(task, schema.TaskInProgress, "bank-north-01", 2, ""),
		taskStatusAt(task, schema.TaskAccepted, "bank-south-02", 2, ""),
		taskStatusAt(task, schema.TaskInProgress, "bank-north-01", 3, ""), // progress
		taskStatusAt(task, schema.TaskEscalated, "bank-north-01", 4, "Suspect abroad; public security informed."),
		taskStatusAt(task, schema.TaskInProgress, "bank-north-01", 6, ""),
		taskStatusAt(task, schema.TaskDone, "bank-north-01", 9, ""),
	} {
		require.NoError(t, tr.Apply(s), "%s by %s", s.State, s.By)
	}
	assert.Equal(t, map[string]schema.TaskState{"bank-north-01": schema.TaskDone, "bank-south-02": schema.TaskAccepted}, partStates(&tr, task.ID))
	assert.Equal(t, task.IssuedAt.AddDate(0, 0, 9), tr.Parts(task.ID)[0].Since)

	// Refused statuses change nothing.
	err := tr.Apply(taskStatusAt(task, schema.TaskInProgress, "bank-north-01", 10, ""))
	assertFaults(t, err, collab.ErrIllegalTransition, "done is final")
	err = tr.Apply(taskStatusAt(task, schema.TaskInProgress, "central-bank", 10, ""))
	assertFaults(t, err, collab.ErrWrongParty, `accepted -> in_progress by "central-bank": only an assignee`)
	err = tr.Apply(taskStatusAt(task, schema.TaskCancelled, "bank-south-02", 10, "Not ours."))
	assertFaults(t, err, collab.ErrWrongParty, `only the issuer "central-bank" may`)
	stale := taskStatusAt(task, schema.TaskCancelled, "central-bank", 10, "Requirement closed.")
	stale.PreviousState = schema.TaskInProgress
	assertFaults(t, tr.Apply(stale), collab.ErrIllegalTransition, "an update was missed")
	assert.Equal(t, map[string]schema.TaskState{"bank-north-01": schema.TaskDone, "bank-south-02": schema.TaskAccepted}, partStates(&tr, task.ID))

	// The issuer's cancellation moves every part not yet final.
	require.NoError(t, tr.Apply(taskStatusAt(task, schema.TaskCancelled, "central-bank", 10, "Requirement closed.")))
	assert.Equal(t, map[string]schema.TaskState{"bank-north-01": schema.TaskDone, "bank-south-02": schema.TaskCancelled}, partStates(&tr, task.ID))
	err = tr.Apply(taskStatusAt(task, schema.TaskCancelled, "central-bank", 11, "Again."))
	assertFaults(t, err, collab.ErrIllegalTransition, "is final")

	assert.ErrorIs(t, tr.Add(task), collab.ErrInvalidTask, "tracked already")
	tr.Forget(task.ID)
	assert.Nil(t, tr.Parts(task.ID))
	assertFaults(t, tr.Apply(taskStatusAt(task, schema.TaskAccepted, "bank-north-01", 1, "")), collab.ErrUnknownTask, task.ID)
	assert.NoError(t, tr.Add(task), "tracked afresh after Forget")
}

func TestTrackerAddRefusesIncompleteTasks(t *testing.T) {
	var tr collab.Tracker
	task := fixtureTask(newPlanFixture(t))
	noID, noAssignee := task, task
	noID.ID, noAssignee.Assignee = "", nil
	assert.ErrorIs(t, tr.Add(noID), collab.ErrInvalidTask)
	assert.ErrorIs(t, tr.Add(noAssignee), collab.ErrInvalidTask)
}

func TestTrackerLate(t *testing.T) {
	fx := newPlanFixture(t)
	var tr collab.Tracker
	early := fixtureTask(fx)
	early.ID, early.Deadline = "0195f3a0-0000-7000-8000-000000000101", early.IssuedAt.AddDate(0, 0, 5)
	later := fixtureTask(fx) // deadline a month after issue
	solo := fixtureTask(fx)
	solo.ID, solo.Assignee, solo.Deadline = "0195f3a0-0000-7000-8000-000000000102", []string{"bank-north-01"}, early.Deadline
	for _, task := range []schema.Task{later, early, solo} {
		require.NoError(t, tr.Add(task))
	}
	require.NoError(t, tr.Apply(taskStatusAt(early, schema.TaskAccepted, "bank-south-02", 1, "")))
	require.NoError(t, tr.Apply(taskStatusAt(early, schema.TaskInProgress, "bank-south-02", 1, "")))
	require.NoError(t, tr.Apply(taskStatusAt(early, schema.TaskFailed, "bank-south-02", 2, "No data.")))
	require.NoError(t, tr.Apply(taskStatusAt(solo, schema.TaskCancelled, "central-bank", 1, "Merged into the other task.")))

	assert.Empty(t, tr.Late(early.Deadline), "at the deadline, nothing is late yet")
	late := tr.Late(early.Deadline.Add(time.Second))
	require.Len(t, late, 1, "failed and cancelled parts are not late")
	assert.Equal(t, collab.TaskPart{TaskID: early.ID, Assignee: "bank-north-01", State: schema.TaskIssued,
		Since: early.IssuedAt, Deadline: early.Deadline}, late[0])

	var ids []string
	for _, p := range tr.Late(later.Deadline.Add(time.Second)) {
		ids = append(ids, p.TaskID+" "+p.Assignee)
	}
	assert.Equal(t, []string{early.ID + " bank-north-01", later.ID + " bank-north-01", later.ID + " bank-south-02"}, ids,
		"by deadline, then task, then assignee")
}

func TestTrackerConcurrent(t *testing.T) {
	fx := newPlanFixture(t)
	var tr collab.Tracker
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			task := fixtureTask(fx)
			task.ID = fmt.Sprintf("0195f3a0-0000-7000-8000-%012d", 1000+i)
			assert.NoError(t, tr.Add(task))
			for _, a := range task.Assignee {
				for _, st := range []schema.TaskState{schema.TaskAccepted, schema.TaskInProgress, schema.TaskDone} {
					assert.NoError(t, tr.Apply(taskStatusAt(task, st, a, 1, "")))
				}
			}
			tr.Late(task.Deadline.Add(time.Hour))
			assert.Len(t, tr.Parts(task.ID), 2)
		})
	}
	wg.Wait()
	assert.Empty(t, tr.Late(fixtureTask(fx).Deadline.Add(time.Hour)))
}

func TestTaskEntries(t *testing.T) {
	task := fixtureTask(newPlanFixture(t))
	e, err := collab.EntryOfTask(task)
	require.NoError(t, err)
	assert.Equal(t, collab.Entry{At: task.IssuedAt, Kind: schema.KindTask, Interaction: collab.InteractionTask,
		Org: "central-bank", Ref: task.ID, Data: e.Data}, e, "two assignees: no single counterpart")
	var back schema.Task
	require.NoError(t, json.Unmarshal(e.Data, &back))
	assert.Equal(t, task, back)

	task.Assignee = []string{"bank-north-01"}
	e, err = collab.EntryOfTask(task)
	require.NoError(t, err)
	assert.Equal(t, "bank-north-01", e.Counterpart)

	s := taskStatusAt(task, schema.TaskAccepted, "bank-north-01", 1, "")
	e, err = collab.EntryOfTaskStatus(s)
	require.NoError(t, err)
	assert.Equal(t, collab.Entry{At: s.At, Kind: schema.KindTaskStatus, Interaction: collab.InteractionTask,
		Org: "bank-north-01", Ref: task.ID, Data: e.Data}, e)
	assert.JSONEq(t, `{"task_id":"`+task.ID+`","state":"accepted","by":"bank-north-01","at":"2026-04-04T00:00:00Z"}`, string(e.Data))
}
