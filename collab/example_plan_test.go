package collab_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// exampleRequirement is the leading group's standing early-warning
// requirement of the examples: fund flows and passengers in three regions
// for 2026.
func exampleRequirement() schema.Requirement {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return schema.Requirement{
		ID: "0195f3a0-0000-7000-8000-000000000001", Type: schema.RequirementEarlyWarning,
		Title: "Financing and travel of watch-listed networks", Description: "Standing watch.",
		Issuer: "leading-group", IssuedAt: jan,
		Scope: schema.Scope{
			Kinds:   []string{schema.KindFinanceTransaction, schema.KindTransportPassenger},
			Sectors: []string{"finance", "transport"},
			Regions: []string{"CN-BJ", "CN-SH", "CN-GD"},
			Window:  schema.Window{From: jan, To: jan.AddDate(1, 0, 0)},
		},
		Priority: schema.PriorityHigh, LegalBasis: "Counter-Terrorism Law, art. 43", Status: schema.RequirementActive,
	}
}

// exampleMacroPlan is the leading group's macro plan for req.
func exampleMacroPlan(req schema.Requirement) schema.Plan {
	return schema.Plan{
		ID: "0195f3a0-0000-7000-8000-000000000010", Level: schema.PlanMacro, RequirementID: req.ID,
		Owner: "leading-group", Revision: 1, RevisedAt: req.IssuedAt, Scope: req.Scope,
		Objectives: []string{"Detect financing and movement of watch-listed networks."},
		Collection: []schema.PlanCollectionItem{
			{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyRealTime},
			{Kind: schema.KindTransportPassenger, Frequency: schema.FrequencyDaily},
		},
	}
}

// exampleDeptPlan is the central bank's plan under macro: finance only,
// in two regions.
func exampleDeptPlan(macro schema.Plan) schema.Plan {
	return schema.Plan{
		ID: "0195f3a0-0000-7000-8000-000000000020", Level: schema.PlanDepartment, ParentID: macro.ID,
		RequirementID: macro.RequirementID, Owner: "central-bank", Revision: 1, RevisedAt: macro.RevisedAt.AddDate(0, 0, 7),
		Scope: schema.Scope{
			Kinds: []string{schema.KindFinanceTransaction}, Sectors: []string{"finance"},
			Regions: []string{"CN-BJ", "CN-GD"}, Window: macro.Scope.Window,
		},
		Objectives: []string{"Flag transfers to listed accounts."},
		Collection: []schema.PlanCollectionItem{{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyRealTime}},
	}
}

func ExampleDerive() {
	dir := mustLoad()
	req := exampleRequirement()
	fmt.Println(collab.CheckRequirement(dir, req))
	macro := exampleMacroPlan(req)
	fmt.Println(collab.CheckMacroPlan(dir, req, macro))

	// The central bank derives its plan: finance only, in two regions.
	dept := exampleDeptPlan(macro)
	fmt.Println(collab.Derive(dir, macro, dept))

	// A plan that reaches into lodging, Zhejiang and 2027 is refused, with
	// every dimension it widens.
	wide := dept
	wide.Scope.Kinds = []string{schema.KindFinanceTransaction, schema.KindServicesLodging}
	wide.Scope.Regions = []string{"CN-BJ", "CN-ZJ"}
	wide.Scope.Window.To = wide.Scope.Window.To.AddDate(0, 3, 0)
	err := collab.Derive(dir, macro, wide)
	var se *collab.ScopeError
	if errors.As(err, &se) {
		for _, w := range se.Widenings {
			fmt.Println(w)
		}
	}
	fmt.Println(errors.Is(err, collab.ErrScopeWidened))
	// Output:
	// <nil>
	// <nil>
	// <nil>
	// kinds: services.lodging not among finance.transaction, transport.passenger
	// regions: CN-ZJ not among CN-BJ, CN-SH, CN-GD
	// window.to: 2027-04-01T00:00:00Z is after 2027-01-01T00:00:00Z
	// true
}

func ExampleRevise() {
	dir := mustLoad()
	macro := exampleMacroPlan(exampleRequirement())
	dept := exampleDeptPlan(macro)

	// Monthly feedback narrows the central bank's plan to the south...
	south := dept.Scope
	south.Regions = []string{"CN-GD"}
	next, err := collab.Revise(dir, dept, macro.Scope, collab.PlanRevision{
		At: dept.RevisedAt.AddDate(0, 1, 0), Reason: "January report: activity only in the south.", Scope: &south,
	})
	fmt.Println(next.Revision, next.Scope.Regions, err)

	// ...but no feedback widens it beyond the macro plan.
	wider := south
	wider.Regions = []string{"CN-GD", "CN-ZJ"}
	_, err = collab.Revise(dir, next, macro.Scope, collab.PlanRevision{
		At: next.RevisedAt.AddDate(0, 1, 0), Reason: "February report.", Scope: &wider,
	})
	fmt.Println(err)
	// Output:
	// 2 [CN-GD] <nil>
	// collab: scope widened: regions: CN-ZJ not among CN-BJ, CN-SH, CN-GD
}

func ExampleTracker() {
	dir := mustLoad()
	dept := exampleDeptPlan(exampleMacroPlan(exampleRequirement()))
	task := schema.Task{
		ID: "0195f3a0-0000-7000-8000-000000000100", PlanID: dept.ID, RequirementID: dept.RequirementID,
		Issuer: "central-bank", Assignee: []string{"bank-north-01"},
		Title: "Screen transfers to listed accounts", Instructions: "Submit every transfer to a listed account.",
		Kinds: []string{schema.KindFinanceTransaction}, Priority: schema.PriorityHigh,
		IssuedAt: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Deadline: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
	}
	fmt.Println(collab.AssignTask(dir, dept, task))

	var tr collab.Tracker
	_ = tr.Add(task)
	day := func(d int) time.Time { return task.IssuedAt.AddDate(0, 0, d) }
	for _, s := range []schema.TaskStatus{
		{TaskID: task.ID, State: schema.TaskAccepted, By: "bank-north-01", At: day(1)},
		{TaskID: task.ID, State: schema.TaskInProgress, By: "bank-north-01", At: day(2)},
		{TaskID: task.ID, State: schema.TaskEscalated, By: "bank-north-01", At: day(5),
			Reason: "A listed account moved funds abroad; reported to public security."},
		{TaskID: task.ID, State: schema.TaskCancelled, By: "bank-north-01", At: day(6), Reason: "Too hard."},
		{TaskID: task.ID, State: schema.TaskInProgress, By: "bank-north-01", At: day(8)},
	} {
		if err := tr.Apply(s); err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(s.State)
	}
	for _, p := range tr.Late(task.Deadline.Add(time.Hour)) {
		fmt.Println("late:", p.Assignee, p.State)
	}
	fmt.Println(tr.Apply(schema.TaskStatus{TaskID: task.ID, State: schema.TaskDone, By: "bank-north-01", At: day(30)}))
	fmt.Println(tr.Apply(schema.TaskStatus{TaskID: task.ID, State: schema.TaskFailed, By: "bank-north-01", At: day(31), Reason: "Late."}))
	// Output:
	// <nil>
	// accepted
	// in_progress
	// escalated
	// collab: wrong party: task "0195f3a0-0000-7000-8000-000000000100": escalated -> cancelled by "bank-north-01": only the issuer "central-bank" may
	// in_progress
	// late: bank-north-01 in_progress
	// <nil>
	// collab: illegal task transition: task "0195f3a0-0000-7000-8000-000000000100": done -> failed by "bank-north-01": done is final
}

func ExampleCovers() {
	req := exampleRequirement()
	at := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	// Purpose limitation at a hub: the record's purpose is active, and its
	// scope covers the record's kind and the sender's sector and region.
	fmt.Println(collab.Active(req, at) && collab.Covers(req, schema.KindFinanceTransaction, "finance", "CN-GD"))
	fmt.Println(collab.Covers(req, schema.KindServicesLodging, "services", "CN-BJ"))
	fmt.Println(collab.Active(req, req.Scope.Window.To))
	// Output:
	// true
	// false
	// false
}
