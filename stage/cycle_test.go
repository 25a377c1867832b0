package stage_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

var cycleNow = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

func cid(n int) string { return fmt.Sprintf("01960000-0000-7000-8000-%012x", n) }

func cycleReq(typ schema.RequirementType) schema.Requirement {
	return schema.Requirement{ID: cid(1), Type: typ, Title: "Corridor watch", Description: "Find structuring in the north corridor.",
		Issuer: "leading-group", IssuedAt: cycleNow.AddDate(0, -1, 0), Priority: schema.PriorityHigh, LegalBasis: "Synthetic Act, art. 1",
		Status: schema.RequirementActive,
		Scope: schema.Scope{Kinds: []string{schema.KindFinanceTransaction}, Sectors: []string{"finance"}, Regions: []string{"CN-BJ", "CN-GD"},
			Window: schema.Window{From: cycleNow.AddDate(0, -1, 0), To: cycleNow.AddDate(1, 0, 0)}}}
}

func cycleProduct(id int, lt schema.ListType, producer string, score float64, at time.Time) schema.Product {
	return schema.Product{ID: cid(id), ListType: lt, Frequency: schema.FrequencyDaily, Producer: producer, RequirementID: cid(1),
		Period: schema.Window{From: at.Add(-24 * time.Hour), To: at}, ProducedAt: at,
		Entries: []schema.ProductEntry{{Subject: schema.Subject{Pseudonym: strings.Repeat("ab", 32), IDType: schema.IDAccount, KeyID: "k1"},
			Score: score, Reasons: []string{"structuring"}, EvidenceIDs: []string{cid(id + 1000)}}}}
}

// TestApplierMeets: existing products meet a requirement, or the applier
// feeds back what is missing; Apply acts by tier.
func TestApplierMeets(t *testing.T) {
	ctx := t.Context()
	dir := loadScheme(t)
	cat, err := collab.NewMemCatalog()
	require.NoError(t, err)
	sd, err := stage.NewApplier(stage.ApplierConfig{Directory: dir, Org: "public-security", Catalog: cat, Now: func() time.Time { return cycleNow }})
	require.NoError(t, err)
	req := cycleReq(schema.RequirementTaskSpecific)
	req.Scope.Kinds = append(req.Scope.Kinds, schema.KindTransportPassenger)

	cov, err := sd.Meets(ctx, req)
	require.NoError(t, err)
	assert.False(t, cov.Met)
	assert.Equal(t, []schema.ListType{schema.ListAbnormalFinancialActivity, schema.ListPassengerTrajectory}, cov.Missing)
	require.Len(t, cov.Recommendations, 1)
	assert.Equal(t, schema.RecommendAddTask, cov.Recommendations[0].Type)
	assert.Contains(t, cov.Recommendations[0].Note, "abnormal_financial_activity, passenger_trajectory")

	fin := cycleProduct(0x10, schema.ListAbnormalFinancialActivity, "central-bank", 0.9, cycleNow.Add(-time.Hour))
	old := cycleProduct(0x11, schema.ListPassengerTrajectory, "transport-ministry", 0.9, req.Scope.Window.From.Add(-48*time.Hour))
	require.NoError(t, cat.Put(ctx, fin))
	require.NoError(t, cat.Put(ctx, old))
	cov, err = sd.Meets(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, []schema.ListType{schema.ListPassengerTrajectory}, cov.Missing, "a product before the window does not count")
	assert.Len(t, cov.Products[schema.ListAbnormalFinancialActivity], 1)

	pas := cycleProduct(0x12, schema.ListPassengerTrajectory, "transport-ministry", 0.7, cycleNow.Add(-2*time.Hour))
	require.NoError(t, cat.Put(ctx, pas))
	cov, err = sd.Meets(ctx, req)
	require.NoError(t, err)
	assert.True(t, cov.Met)
	assert.Empty(t, cov.Recommendations)

	// A specialized department applies directly, by the list's sector.
	apps, err := sd.Apply(ctx, fin)
	require.NoError(t, err)
	require.Len(t, apps, 1)
	assert.Equal(t, stage.ApplyAct, apps[0].Decision)
	assert.Equal(t, schema.EscalationActionRecommendFreezeFunds, apps[0].Action)
	low := cycleProduct(0x13, schema.ListAbnormalFinancialActivity, "central-bank", 0.2, cycleNow)
	apps, err = sd.Apply(ctx, low)
	require.NoError(t, err)
	assert.Empty(t, apps, "below MinScore")

	// A general business department handles or escalates.
	gbd, err := stage.NewApplier(stage.ApplierConfig{Directory: dir, Org: "central-bank", Now: func() time.Time { return cycleNow }})
	require.NoError(t, err)
	apps, err = gbd.Apply(ctx, pas) // a transport list at the central bank: decided all the same
	require.NoError(t, err)
	require.Len(t, apps, 1)
	require.NotNil(t, apps[0].Escalation)
	apps, err = gbd.Apply(ctx, cycleProduct(0x14, schema.ListAbnormalFinancialActivity, "central-bank", 0.6, cycleNow))
	require.NoError(t, err)
	require.Len(t, apps, 1)
	assert.Equal(t, stage.ApplyHandleHere, apps[0].Decision)
	assert.Equal(t, schema.EscalationActionRecommendFreezeFunds, apps[0].Action)
	apps, err = gbd.Apply(ctx, fin) // 0.9: escalate
	require.NoError(t, err)
	assert.Equal(t, stage.ApplyEscalate, apps[0].Decision)
	assert.Equal(t, schema.EscalationEscalate, apps[0].Escalation.Decision)

	_, err = gbd.Meets(ctx, req)
	assert.ErrorContains(t, err, "Meets needs a Catalog")
	err = stage.ApplierConfig{Directory: dir, Org: "bank-north-01", MinScore: 2, MinEntries: -1}.Validate()
	for _, s := range []string{`Org "bank-north-01" is a social_force`, "MinScore is 2", "MinEntries is -1"} {
		assert.ErrorContains(t, err, s)
	}
}

// TestPlannerCycle: a macro plan and a department plan with tasks; then
// monthly feedback revises the department plan and not the macro plan,
// annual feedback the macro plan; the application stage's gaps add a
// task; nothing widens.
func TestPlannerCycle(t *testing.T) {
	ctx := t.Context()
	dir := loadScheme(t)
	now := cycleNow
	clock := func() time.Time { return now }
	n := 0x100
	newID := func() (string, error) { n++; return cid(n), nil }
	req := cycleReq(schema.RequirementEarlyWarning)

	lg, err := stage.NewPlanner(stage.PlannerConfig{Directory: dir, Owner: "leading-group", Now: clock, NewID: newID})
	require.NoError(t, err)
	macro, err := lg.Plan(ctx, stage.PlanInput{Requirement: req})
	require.NoError(t, err)
	assert.Equal(t, schema.PlanMacro, macro.Plan.Level)
	assert.Equal(t, schema.HorizonLong, collab.Horizon(macro.Plan))
	assert.Empty(t, macro.Tasks, "no assignees named")
	macro.Plan.Collection[0].AssignedTo = []string{"central-bank"}

	cb, err := stage.NewPlanner(stage.PlannerConfig{Directory: dir, Owner: "central-bank", Now: clock, NewID: newID,
		Assignees: func(schema.PlanCollectionItem) []string { return []string{"bank-north-01", "bank-south-02"} }})
	require.NoError(t, err)
	dept, err := cb.Plan(ctx, stage.PlanInput{Requirement: req, Parent: &macro.Plan})
	require.NoError(t, err)
	assert.Equal(t, schema.PlanDepartment, dept.Plan.Level)
	assert.Equal(t, schema.HorizonMedium, collab.Horizon(dept.Plan))
	require.Len(t, dept.Tasks, 1)
	assert.Equal(t, []string{"bank-north-01", "bank-south-02"}, dept.Tasks[0].Assignee)
	dept.Plan.Collection[0].AssignedTo = []string{"bank-north-01", "bank-south-02"}

	now = now.AddDate(0, 1, 0)
	monthly := schema.FeedbackReport{ID: cid(0x201), Type: schema.FeedbackMonthly, Reporter: "central-bank", ProducedAt: now,
		Findings: []string{"Yield counted."}, Recommendations: []schema.FeedbackRecommendation{
			{Type: schema.RecommendAdjustFrequency, TargetID: dept.Plan.ID, Source: "bank-north-01", Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyRealTime, Note: "productive"},
			{Type: schema.RecommendStopSource, TargetID: dept.Plan.ID, Source: "bank-south-02", Kind: schema.KindFinanceTransaction, Note: "false positives"},
			{Type: schema.RecommendAdjustFrequency, TargetID: macro.Plan.ID, Frequency: schema.FrequencyRealTime, Note: "macro faster"},
		}}
	rev, err := cb.Plan(ctx, stage.PlanInput{Requirement: req, Parent: &macro.Plan, Current: &dept.Plan, Feedback: []schema.FeedbackReport{monthly}})
	require.NoError(t, err)
	assert.Equal(t, 2, rev.Plan.Revision)
	assert.Equal(t, monthly.ID, rev.Plan.FeedbackReportID)
	assert.Equal(t, []schema.PlanCollectionItem{{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyRealTime, AssignedTo: []string{"bank-north-01"}, Note: "productive"}}, rev.Plan.Collection)
	assert.NoError(t, collab.ScopeWithin(rev.Plan.Scope, macro.Plan.Scope))

	// The monthly report does not touch the long-term macro plan; the
	// annual one does.
	_, err = lg.Plan(ctx, stage.PlanInput{Requirement: req, Current: &macro.Plan, Feedback: []schema.FeedbackReport{monthly}})
	assert.ErrorIs(t, err, stage.ErrNoRevision)
	annual := monthly
	annual.ID, annual.Type = cid(0x202), schema.FeedbackAnnual
	mrev, err := lg.Plan(ctx, stage.PlanInput{Requirement: req, Current: &macro.Plan, Feedback: []schema.FeedbackReport{annual}})
	require.NoError(t, err)
	assert.Equal(t, schema.FrequencyRealTime, mrev.Plan.Collection[0].Frequency)

	// The application stage's gap, from the central bank's own desk:
	// an objective, and a task for a reporter that may be tasked.
	gap := []schema.FeedbackRecommendation{{Type: schema.RecommendAddTask, Note: "No abnormal_financial_activity product: task analysis."}}
	now = now.Add(time.Hour)
	g, err := cb.Plan(ctx, stage.PlanInput{Requirement: req, Parent: &macro.Plan, Current: &rev.Plan, Recommendations: gap})
	require.NoError(t, err)
	assert.Contains(t, g.Plan.Objectives, gap[0].Note)
	assert.Equal(t, "Application stage: "+gap[0].Note, g.Plan.RevisionReason)
	assert.Empty(t, g.Plan.FeedbackReportID)
	bankReport := schema.FeedbackReport{ID: cid(0x203), Type: schema.FeedbackMonthly, Reporter: "bank-north-01", ProducedAt: now,
		Recommendations: []schema.FeedbackRecommendation{{Type: schema.RecommendAddTask, Note: "Data quality: fix the merchant codes."},
			{Type: schema.RecommendReprioritize, TargetID: dept.Tasks[0].ID, Priority: schema.PriorityCritical, Note: "late"}}}
	now = now.Add(time.Hour)
	h, err := cb.Plan(ctx, stage.PlanInput{Requirement: req, Parent: &macro.Plan, Current: &g.Plan, Feedback: []schema.FeedbackReport{bankReport}})
	require.NoError(t, err)
	require.Len(t, h.Tasks, 1)
	assert.Equal(t, []string{"bank-north-01"}, h.Tasks[0].Assignee)
	require.Len(t, h.Changes, 1)
	assert.Equal(t, dept.Tasks[0].ID, h.Changes[0].TaskID)

	v, _ := schema.NewValidator()
	for _, p := range []schema.Plan{macro.Plan, dept.Plan, rev.Plan, mrev.Plan, g.Plan, h.Plan} {
		raw, _ := json.Marshal(p)
		assert.NoError(t, v.ValidatePayload(schema.KindPlan, 1, raw), p.ID)
	}
	for _, tk := range append(dept.Tasks, h.Tasks...) {
		raw, _ := json.Marshal(tk)
		assert.NoError(t, v.ValidatePayload(schema.KindTask, 1, raw), tk.ID)
	}

	// A task-specific requirement plans short-term, in real time.
	ts, err := lg.Plan(ctx, stage.PlanInput{Requirement: cycleReq(schema.RequirementTaskSpecific)})
	require.NoError(t, err)
	assert.Equal(t, schema.HorizonShort, ts.Plan.Horizon)
	assert.Equal(t, schema.FrequencyRealTime, ts.Plan.Collection[0].Frequency)
	assert.ErrorContains(t, stage.PlannerConfig{Directory: dir, Owner: "nobody", TaskDays: -1}.Validate(), `Owner "nobody"`)
}

// TestFeedbackerYieldAndReports: the feedback stage counts a source's
// yield from the journal and recommends for the plan; the leading group
// reads departments' reports.
func TestFeedbackerYieldAndReports(t *testing.T) {
	ctx := t.Context()
	j := collab.NewMemJournal()
	at := cycleNow.Add(24 * time.Hour)
	add := func(e collab.Entry) {
		t.Helper()
		_, err := j.Append(ctx, e)
		require.NoError(t, err)
	}
	outcome := func(from string, accepted int) collab.Entry {
		raw, _ := json.Marshal(collab.RecordsOutcome{Submitted: accepted, Accepted: accepted})
		return collab.Entry{At: at, Kind: collab.EntryRecordsOutcome, Interaction: collab.InteractionSubmission, Org: from, Counterpart: "central-bank", Data: raw}
	}
	add(outcome("bank-north-01", 1200))
	add(outcome("bank-south-02", 300))
	sources := map[string]string{}
	var products []schema.Product
	for i := range 4 {
		p := cycleProduct(0x300+i*2, schema.ListAbnormalFinancialActivity, "central-bank", 0.9, at)
		p.Entries[0].Subject.Pseudonym = strings.Repeat(fmt.Sprintf("%02x", i+1), 32)
		sources[p.Entries[0].EvidenceIDs[0]] = "bank-south-02"
		products = append(products, p)
		e, err := collab.EntryOfProduct(p)
		require.NoError(t, err)
		add(e)
	}
	for i, p := range products[:3] {
		e, err := collab.EntryOfEntryFeedback(schema.EntryFeedback{ID: cid(0x400 + i), ProductID: p.ID, Producer: "central-bank",
			Subject: p.Entries[0].Subject, By: "public-security", Verdict: schema.VerdictConfirmed, At: at.Add(time.Hour)})
		require.NoError(t, err)
		add(e)
	}
	plan := schema.Plan{ID: cid(0x500), Level: schema.PlanDepartment, ParentID: cid(0x501), RequirementID: cid(1), Owner: "central-bank",
		Revision: 1, RevisedAt: cycleNow, Scope: cycleReq(schema.RequirementEarlyWarning).Scope, Objectives: []string{"o"},
		Collection: []schema.PlanCollectionItem{{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyDaily, AssignedTo: []string{"bank-north-01", "bank-south-02"}}}}
	fb, err := stage.NewFeedbacker(stage.FeedbackerConfig{Reporter: "central-bank", Type: schema.FeedbackMonthly, Plan: &plan,
		SourceOf: func(id string) (string, bool) { s, ok := sources[id]; return s, ok }, Now: func() time.Time { return at.AddDate(0, 1, 0) }})
	require.NoError(t, err)
	rep, err := fb.Feedback(ctx, schema.Window{From: at, To: at.AddDate(0, 1, 0)}, j.Entries(ctx, 0))
	require.NoError(t, err)
	assert.Equal(t, 4, rep.Counts.Products)
	assert.Contains(t, rep.Findings, "Yield of bank-south-02: 300 records, 4 entries, 3 confirmed, 0 acted on, 0 false positives.")
	assert.Contains(t, rep.Findings, "Yield of bank-north-01: 1200 records, 0 entries, 0 confirmed, 0 acted on, 0 false positives.")
	var got []string
	for _, r := range rep.Recommendations {
		got = append(got, fmt.Sprintf("%s %s %s", r.Type, r.Source, r.Frequency))
	}
	assert.Equal(t, []string{"adjust_frequency bank-north-01 weekly", "adjust_frequency bank-south-02 real_time"}, got)

	// The leading group reads the central bank's report.
	sent := rep
	sent.ProducedAt = at.Add(48 * time.Hour)
	e, err := collab.EntryOfFeedbackReport(sent, "leading-group")
	require.NoError(t, err)
	assert.Equal(t, collab.InteractionSubmission, e.Interaction)
	add(e)
	other := sent
	other.ID, other.Reporter = cid(0x600), "customs"
	e, err = collab.EntryOfFeedbackReport(other, "public-security") // not the leading group's to read
	require.NoError(t, err)
	add(e)
	lgfb, err := stage.NewFeedbacker(stage.FeedbackerConfig{Reporter: "leading-group", Type: schema.FeedbackMonthly, Plan: &plan, ReadReports: true,
		Now: func() time.Time { return at.AddDate(0, 1, 0) }})
	require.NoError(t, err)
	lrep, err := lgfb.Feedback(ctx, schema.Window{From: at, To: at.AddDate(0, 1, 0)}, j.Entries(ctx, 0))
	require.NoError(t, err)
	assert.Contains(t, lrep.Findings, "Work report of central-bank (monthly): 0 records submitted, 4 products, 0 escalations, 0 actions, 0 of 0 tasks late.")
	read := 0
	for _, f := range lrep.Findings {
		if strings.HasPrefix(f, "Work report of ") {
			read++
		}
	}
	assert.Equal(t, 1, read, "only the report sent to the leading group")
	require.Len(t, lrep.Recommendations, 2)
	assert.True(t, strings.HasPrefix(lrep.Recommendations[0].Note, "From central-bank: "))

	err = stage.FeedbackerConfig{Type: "weekly"}.Validate()
	assert.ErrorContains(t, err, "Reporter is empty")
	assert.ErrorContains(t, err, `Type is "weekly"`)
	assert.ErrorContains(t, stage.FeedbackerConfig{Reporter: "x", Type: schema.FeedbackTask}.Validate(), "TaskID is empty")
}

// TestPlannerOffersCases: a new task-specific requirement gets the most
// similar past case, and its lesson as an objective.
func TestPlannerOffersCases(t *testing.T) {
	dir := loadScheme(t)
	lib := collab.NewCaseLibrary()
	past := cycleReq(schema.RequirementTaskSpecific)
	past.ID = cid(0x700)
	lib.Add(collab.LibraryCase{Requirement: past, Outcome: collab.CaseSucceeded, Lesson: "Real-time alerts from payment providers found the ring.", ClosedAt: cycleNow})
	unrelated := past
	unrelated.ID = cid(0x701)
	unrelated.Scope = schema.Scope{Kinds: []string{schema.KindServicesLodging}, Sectors: []string{"services"}, Regions: []string{"CN-SH"}, Window: past.Scope.Window}
	lib.Add(collab.LibraryCase{Requirement: unrelated, Outcome: collab.CaseSucceeded, Lesson: "other", ClosedAt: cycleNow})
	pl, err := stage.NewPlanner(stage.PlannerConfig{Directory: dir, Owner: "leading-group", Cases: lib, Now: func() time.Time { return cycleNow }})
	require.NoError(t, err)
	out, err := pl.Plan(t.Context(), stage.PlanInput{Requirement: cycleReq(schema.RequirementTaskSpecific)})
	require.NoError(t, err)
	require.Len(t, out.Cases, 1)
	assert.Equal(t, past.ID, out.Cases[0].Case.Requirement.ID)
	assert.Contains(t, out.Plan.Objectives[1], "Real-time alerts from payment providers found the ring.")
	// An early-warning requirement is offered none.
	out, err = pl.Plan(t.Context(), stage.PlanInput{Requirement: cycleReq(schema.RequirementEarlyWarning)})
	require.NoError(t, err)
	assert.Empty(t, out.Cases)
	assert.Len(t, out.Plan.Objectives, 1)
}

// TestFeedbackerEveryRule: each documented recommendation is produced
// when its rule fires, from one month of journal: reprioritize (a late
// open task), close_task (an escalated one), add_task (too many
// rejections), adjust_frequency faster (confirmed entries) and slower (no
// entries from many records), stop_source (false positives only).
func TestFeedbackerEveryRule(t *testing.T) {
	ctx := t.Context()
	j := collab.NewMemJournal()
	month := cycleNow // April 2026
	in := func(d int) time.Time { return month.AddDate(0, 0, d) }
	add := func(e collab.Entry, err error) {
		t.Helper()
		require.NoError(t, err)
		_, err = j.Append(ctx, e)
		require.NoError(t, err)
	}
	task := func(n int, deadline time.Time) schema.Task {
		return schema.Task{ID: cid(n), PlanID: cid(0x800), RequirementID: cid(1), Issuer: "leading-group", Assignee: []string{"central-bank"},
			Title: "t", Instructions: "i", Priority: schema.PriorityMedium, IssuedAt: in(1), Deadline: deadline}
	}
	add(collab.EntryOfTask(task(0x801, in(10))))
	add(collab.EntryOfTask(task(0x802, in(20))))
	add(collab.EntryOfTaskStatus(schema.TaskStatus{TaskID: cid(0x802), State: schema.TaskEscalated, By: "central-bank", At: in(5), EscalationID: cid(0x803)}))
	out, _ := json.Marshal(collab.RecordsOutcome{Submitted: 100, Accepted: 80, Rejected: 20})
	add(collab.Entry{At: in(3), Kind: collab.EntryRecordsOutcome, Interaction: collab.InteractionSubmission, Org: "central-bank", Counterpart: "public-security", Data: out}, nil)
	in1200, _ := json.Marshal(collab.RecordsOutcome{Submitted: 1200, Accepted: 1200})
	add(collab.Entry{At: in(3), Kind: collab.EntryRecordsOutcome, Interaction: collab.InteractionSubmission, Org: "bank-north-01", Counterpart: "central-bank", Data: in1200}, nil)

	sources := map[string]string{}
	verdicts := map[string]schema.EntryVerdict{"bank-south-02": schema.VerdictConfirmed, "payment-east-01": schema.VerdictFalsePositive}
	i := 0
	for _, src := range []string{"bank-south-02", "payment-east-01"} {
		for range 3 {
			i++
			p := cycleProduct(0x900+i*2, schema.ListAbnormalFinancialActivity, "central-bank", 0.9, in(6))
			p.Entries[0].Subject.Pseudonym = strings.Repeat(fmt.Sprintf("%02x", i), 32)
			sources[p.Entries[0].EvidenceIDs[0]] = src
			add(collab.EntryOfProduct(p))
			add(collab.EntryOfEntryFeedback(schema.EntryFeedback{ID: cid(0xa00 + i), ProductID: p.ID, Producer: "central-bank",
				Subject: p.Entries[0].Subject, By: "public-security", Verdict: verdicts[src], At: in(7)}))
		}
	}
	plan := schema.Plan{ID: cid(0x800), Level: schema.PlanDepartment, ParentID: cid(0x501), RequirementID: cid(1), Owner: "central-bank",
		Revision: 1, RevisedAt: month, Scope: cycleReq(schema.RequirementEarlyWarning).Scope, Objectives: []string{"o"},
		Collection: []schema.PlanCollectionItem{
			{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyDaily, AssignedTo: []string{"bank-north-01", "bank-south-02"}},
			{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyRealTime, AssignedTo: []string{"payment-east-01"}},
		}}
	fb, err := stage.NewFeedbacker(stage.FeedbackerConfig{Reporter: "central-bank", Type: schema.FeedbackMonthly, Plan: &plan,
		SourceOf: func(id string) (string, bool) { s, ok := sources[id]; return s, ok }, Now: func() time.Time { return in(25) }})
	require.NoError(t, err)
	rep, err := fb.Feedback(ctx, schema.Window{From: month, To: month.AddDate(0, 1, 0)}, j.Entries(ctx, 0))
	require.NoError(t, err)
	got := map[string]bool{}
	for _, r := range rep.Recommendations {
		got[fmt.Sprintf("%s %s %s %s", r.Type, r.TargetID, r.Source, r.Frequency)] = true
	}
	assert.Equal(t, map[string]bool{
		"reprioritize " + cid(0x801) + "  ":                        true,
		"close_task " + cid(0x802) + "  ":                          true,
		"add_task   ":                                              true,
		"adjust_frequency " + plan.ID + " bank-north-01 weekly":    true,
		"adjust_frequency " + plan.ID + " bank-south-02 real_time": true,
		"stop_source " + plan.ID + " payment-east-01 ":             true,
	}, got)

	// The next plan follows: bank-north-01 weekly, bank-south-02 in real
	// time, payment-east-01 no longer collected; the scope unchanged.
	pl, err := stage.NewPlanner(stage.PlannerConfig{Directory: loadScheme(t), Owner: "central-bank", Now: func() time.Time { return in(26) }})
	require.NoError(t, err)
	macroScope := plan.Scope
	next, err := pl.Plan(ctx, stage.PlanInput{Requirement: cycleReq(schema.RequirementEarlyWarning), Parent: &schema.Plan{ID: cid(0x501), Scope: macroScope},
		Current: &plan, Feedback: []schema.FeedbackReport{rep}})
	require.NoError(t, err)
	assert.Equal(t, plan.Scope, next.Plan.Scope)
	freq := map[string]schema.Frequency{}
	for _, it := range next.Plan.Collection {
		for _, a := range it.AssignedTo {
			freq[a] = it.Frequency
		}
	}
	assert.Equal(t, map[string]schema.Frequency{"bank-north-01": schema.FrequencyWeekly, "bank-south-02": schema.FrequencyRealTime}, freq)
	require.Len(t, next.Changes, 2, "reprioritize and close go to whoever manages the tasks")
}
