package collab_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// day is 09:00 UTC on a day of 2026.
func day(month time.Month, d int) time.Time { return time.Date(2026, month, d, 9, 0, 0, 0, time.UTC) }

// fbTask is the id of task n of the known journal.
func fbTask(n int) string { return catID(0x600000 + n) }

// knownJournal is the journal every feedback test reads: central-bank's
// work around March 2026, with events of February and April, and of other
// organizations, that a March report of central-bank must not count.
func knownJournal(t testing.TB) collab.Journal {
	t.Helper()
	j := collab.NewMemJournal()
	add := func(at time.Time, kind string, in collab.Interaction, org, counterpart string, data any) {
		raw, err := json.Marshal(data)
		require.NoError(t, err)
		_, err = j.Append(context.Background(), collab.Entry{At: at, Kind: kind, Interaction: in, Org: org, Counterpart: counterpart, Data: raw})
		require.NoError(t, err)
	}
	outcome := func(at time.Time, hub, sender string, s, a, r, d int) {
		add(at, collab.EntryRecordsOutcome, collab.InteractionSubmission, sender, hub, collab.RecordsOutcome{Submitted: s, Accepted: a, Rejected: r, Duplicate: d})
	}
	task := func(n int, assignee string, issued, deadline time.Time, p schema.Priority) {
		add(issued, schema.KindTask, collab.InteractionTask, "leading-group", assignee, schema.Task{
			ID: fbTask(n), PlanID: catID(2), RequirementID: catID(1), Issuer: "leading-group", Assignee: []string{assignee},
			Title: fmt.Sprintf("task %d", n), Instructions: "collect", Priority: p, IssuedAt: issued, Deadline: deadline,
		})
	}
	status := func(n int, by string, at time.Time, st schema.TaskState) {
		add(at, schema.KindTaskStatus, collab.InteractionNone, by, "leading-group", schema.TaskStatus{TaskID: fbTask(n), State: st, By: by, At: at, Reason: "r"})
	}
	product := func(at time.Time, org, taskID string) {
		p := catProduct(1)
		p.Producer, p.ProducedAt, p.TaskID = org, at, taskID
		add(at, schema.KindProduct, collab.InteractionNone, org, "", p)
	}
	escalation := func(at time.Time, org string, d schema.EscalationDecision, taskID string) {
		e := schema.Escalation{ID: catID(0x700000 + at.Day()), From: org, To: "public-security", Decision: d, Reason: "r", Urgency: schema.PriorityHigh, TaskID: taskID, DecidedAt: at}
		if d == schema.EscalationHandleHere {
			e.Action = schema.EscalationActionRecommendFreezeFunds
		}
		add(at, schema.KindEscalation, collab.InteractionEscalation, org, "public-security", e)
	}
	action := func(at time.Time, org, taskID string) {
		add(at, collab.EntryAction, collab.InteractionNone, org, "", map[string]string{"task_id": taskID})
	}
	expert := func(at time.Time, to, from string, o schema.AssignmentOutcome, request int) {
		add(at, schema.KindExpertAssignment, collab.InteractionSecondment, to, from, schema.ExpertAssignment{
			ID: catID(0x800000 + at.Day()), RequestID: catID(0x900000 + request), Outcome: o, AssignedTo: to, FromOrg: from, AssignedAt: at,
		})
	}
	const me = "central-bank"
	mar, feb, apr := time.March, time.February, time.April

	// Records central-bank submitted, as public-security journaled them.
	outcome(day(feb, 27), "public-security", me, 100, 100, 0, 0)
	outcome(day(mar, 2), "public-security", me, 50, 45, 4, 1)
	outcome(day(mar, 20), "state-security", me, 30, 20, 8, 2)
	outcome(time.Date(2026, 3, 31, 23, 59, 59, 999999999, time.UTC), "public-security", me, 10, 10, 0, 0)
	outcome(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), "public-security", me, 7, 7, 0, 0)
	// Records central-bank received: not what it submitted.
	outcome(day(mar, 3), me, "bank-north-01", 500, 400, 100, 0)

	product(day(feb, 28), me, "")
	product(day(mar, 5), me, "")
	product(day(mar, 6), me, fbTask(3))
	product(day(mar, 7), "miit", "")

	escalation(day(mar, 10), me, schema.EscalationEscalate, fbTask(7))
	escalation(day(mar, 11), me, schema.EscalationHandleHere, "")
	escalation(day(apr, 2), me, schema.EscalationEscalate, "")
	escalation(day(mar, 12), "miit", schema.EscalationEscalate, "")

	action(day(mar, 11), me, "")
	action(day(mar, 15), me, fbTask(3))
	action(day(mar, 15), "miit", "")

	add(day(feb, 1), schema.KindExpertRequest, collab.InteractionSecondment, "public-security", me, schema.ExpertRequest{
		ID: catID(0x900001), Requester: "public-security", TaskID: fbTask(3), Domain: schema.ExpertDomainFinance,
		Channel: schema.ExpertSecondment, NeededCount: 1, RequestedAt: day(feb, 1),
	})
	expert(day(mar, 8), "public-security", me, schema.AssignmentAssigned, 1)
	expert(day(mar, 9), me, "bank-north-01", schema.AssignmentAssigned, 2)
	expert(day(mar, 9), me, "", schema.AssignmentNoExpertAvailable, 3)
	expert(day(mar, 9), "public-security", "miit", schema.AssignmentAssigned, 4)
	expert(day(feb, 9), me, "bank-north-01", schema.AssignmentAssigned, 5)

	issued := day(feb, 1)
	task(1, me, issued, day(mar, 10), schema.PriorityMedium) // done on time
	status(1, me, day(mar, 9), schema.TaskDone)
	task(2, me, issued, day(mar, 15), schema.PriorityMedium) // done late
	status(2, me, day(mar, 1), schema.TaskInProgress)
	status(2, me, day(mar, 18), schema.TaskDone)
	task(3, me, issued, day(mar, 20), schema.PriorityMedium) // late, still open
	task(4, me, issued, day(mar, 25), schema.PriorityLow)    // failed
	status(4, me, day(mar, 22), schema.TaskFailed)
	task(5, me, issued, day(apr, 10), schema.PriorityLow) // due in April
	status(5, me, day(mar, 2), schema.TaskInProgress)
	task(6, me, issued, day(feb, 20), schema.PriorityLow) // late in February, done in March
	status(6, me, day(mar, 3), schema.TaskDone)
	task(7, me, issued, day(mar, 28), schema.PriorityHigh) // escalated before its deadline
	status(7, me, day(mar, 26), schema.TaskEscalated)
	task(8, "miit", issued, day(mar, 12), schema.PriorityHigh) // someone else's
	task(9, me, issued, day(mar, 30), schema.PriorityHigh)     // cancelled by its issuer
	status(9, "leading-group", day(mar, 5), schema.TaskCancelled)
	task(10, me, issued, day(mar, 29), schema.PriorityHigh) // "done" by someone else: late, open
	status(10, "bank-north-01", day(mar, 1), schema.TaskDone)
	task(11, me, issued, day(mar, 5), schema.PriorityLow) // re-issued with a later deadline
	task(11, me, day(mar, 4), day(apr, 5), schema.PriorityLow)
	return j
}

var reportNow = time.Date(2026, 4, 3, 12, 0, 0, 0, time.UTC)

func TestFeedbackReports(t *testing.T) {
	ctx := context.Background()
	j := knownJournal(t)
	type rec struct {
		typ      schema.RecommendationType
		target   string
		priority schema.Priority
	}
	cases := []struct {
		name     string
		report   func() (schema.FeedbackReport, error)
		period   schema.Window
		counts   schema.FeedbackCounts
		findings []string
		recs     []rec
	}{
		{
			name: "March",
			report: func() (schema.FeedbackReport, error) {
				return collab.MonthlyReport(ctx, j, "central-bank", day(time.March, 17), reportNow)
			},
			period: schema.Window{From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
			counts: schema.FeedbackCounts{
				RecordsSubmitted: 90, RecordsAccepted: 75, RecordsRejected: 12, RecordsDuplicate: 3,
				Products: 2, Escalations: 1, Actions: 2,
				TasksDone: 1, TasksLate: 3, TasksFailed: 2, ExpertAssignments: 2,
			},
			findings: []string{
				"90 records submitted: 75 accepted, 12 rejected (13.3%), 3 duplicate.",
				"3 of 6 tasks late; 1 done on time, 2 failed or cancelled.",
				"2 products produced.",
				"1 incident escalated to a specialized department; 2 actions taken here.",
				"2 expert assignments.",
			},
			recs: []rec{
				{schema.RecommendReprioritize, fbTask(3), schema.PriorityHigh},
				{schema.RecommendReprioritize, fbTask(10), schema.PriorityCritical},
				{schema.RecommendCloseTask, fbTask(7), ""},
				{schema.RecommendAddTask, "", ""},
			},
		},
		{
			name: "February",
			report: func() (schema.FeedbackReport, error) {
				return collab.MonthlyReport(ctx, j, "central-bank", day(time.February, 1), reportNow)
			},
			period: schema.Window{From: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
			counts: schema.FeedbackCounts{RecordsSubmitted: 100, RecordsAccepted: 100, Products: 1, TasksLate: 1, ExpertAssignments: 1},
			findings: []string{
				"100 records submitted: 100 accepted, 0 rejected (0.0%), 0 duplicate.",
				"1 of 1 task late; 0 done on time, 0 failed or cancelled.",
				"1 product produced.",
				"1 expert assignment.",
			},
		},
		{
			name: "April, not over",
			report: func() (schema.FeedbackReport, error) {
				return collab.MonthlyReport(ctx, j, "central-bank", day(time.April, 30), reportNow)
			},
			period: schema.Window{From: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)},
			counts: schema.FeedbackCounts{RecordsSubmitted: 7, RecordsAccepted: 7, Escalations: 1},
			findings: []string{
				"The period is not over; counts run to the time of the report.",
				"7 records submitted: 7 accepted, 0 rejected (0.0%), 0 duplicate.",
				"No task fell due or ended.",
				"1 incident escalated to a specialized department; 0 actions taken here.",
			},
		},
		{
			name: "January: nothing",
			report: func() (schema.FeedbackReport, error) {
				return collab.MonthlyReport(ctx, j, "central-bank", day(time.January, 9), reportNow)
			},
			period:   schema.Window{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
			findings: []string{"No records submitted.", "No task fell due or ended."},
		},
		{
			name: "March, given in another zone",
			report: func() (schema.FeedbackReport, error) {
				// 2026-04-01T07:00+08:00 is still March in UTC.
				return collab.MonthlyReport(ctx, j, "central-bank", time.Date(2026, 4, 1, 7, 0, 0, 0, time.FixedZone("CST", 8*3600)), reportNow)
			},
			period: schema.Window{From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
			counts: schema.FeedbackCounts{
				RecordsSubmitted: 90, RecordsAccepted: 75, RecordsRejected: 12, RecordsDuplicate: 3,
				Products: 2, Escalations: 1, Actions: 2,
				TasksDone: 1, TasksLate: 3, TasksFailed: 2, ExpertAssignments: 2,
			},
		},
		{
			name: "the year so far",
			report: func() (schema.FeedbackReport, error) {
				return collab.AnnualReport(ctx, j, "central-bank", day(time.June, 1), reportNow)
			},
			period: schema.Window{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
			counts: schema.FeedbackCounts{
				RecordsSubmitted: 197, RecordsAccepted: 182, RecordsRejected: 12, RecordsDuplicate: 3,
				Products: 3, Escalations: 2, Actions: 2,
				TasksDone: 1, TasksLate: 4, TasksFailed: 2, ExpertAssignments: 3,
			},
		},
		{
			name: "miit's March",
			report: func() (schema.FeedbackReport, error) {
				return collab.MonthlyReport(ctx, j, "miit", day(time.March, 1), reportNow)
			},
			period: schema.Window{From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
			counts: schema.FeedbackCounts{Products: 1, Escalations: 1, Actions: 1, TasksLate: 1, ExpertAssignments: 1},
			recs:   []rec{{schema.RecommendReprioritize, fbTask(8), schema.PriorityCritical}},
		},
		{
			name: "task 3",
			report: func() (schema.FeedbackReport, error) {
				return collab.TaskReport(ctx, j, "central-bank", fbTask(3), reportNow)
			},
			period: schema.Window{From: day(time.February, 1), To: reportNow},
			counts: schema.FeedbackCounts{
				RecordsSubmitted: 197, RecordsAccepted: 182, RecordsRejected: 12, RecordsDuplicate: 3,
				Products: 1, Actions: 1, TasksLate: 1, ExpertAssignments: 1,
			},
			recs: []rec{{schema.RecommendReprioritize, fbTask(3), schema.PriorityHigh}},
		},
		{
			name: "task 7",
			report: func() (schema.FeedbackReport, error) {
				return collab.TaskReport(ctx, j, "central-bank", fbTask(7), reportNow)
			},
			period: schema.Window{From: day(time.February, 1), To: reportNow},
			counts: schema.FeedbackCounts{RecordsSubmitted: 197, RecordsAccepted: 182, RecordsRejected: 12, RecordsDuplicate: 3, Escalations: 1},
			recs:   []rec{{schema.RecommendCloseTask, fbTask(7), ""}},
		},
		{
			name: "task 1, done on time",
			report: func() (schema.FeedbackReport, error) {
				return collab.TaskReport(ctx, j, "central-bank", fbTask(1), reportNow)
			},
			period: schema.Window{From: day(time.February, 1), To: reportNow},
			counts: schema.FeedbackCounts{RecordsSubmitted: 197, RecordsAccepted: 182, RecordsRejected: 12, RecordsDuplicate: 3, TasksDone: 1},
		},
	}
	v, err := schema.NewValidator()
	require.NoError(t, err)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.report()
			require.NoError(t, err)
			raw, err := json.Marshal(r)
			require.NoError(t, err)
			require.NoError(t, v.ValidatePayload(schema.KindFeedbackReport, 1, raw), "%s", raw)
			assert.Equal(t, tc.period, r.Period)
			assert.Equal(t, tc.counts, r.Counts)
			assert.Equal(t, reportNow, r.ProducedAt)
			if tc.findings != nil {
				assert.Equal(t, tc.findings, r.Findings)
			}
			if tc.name != "March, given in another zone" && tc.name != "the year so far" {
				var got []rec
				for _, x := range r.Recommendations {
					got = append(got, rec{x.Type, x.TargetID, x.Priority})
					assert.NotEmpty(t, x.Note)
				}
				assert.Equal(t, tc.recs, got)
			}
		})
	}
}

func TestFeedbackReportFields(t *testing.T) {
	ctx := context.Background()
	j := knownJournal(t)
	r, err := collab.TaskReport(ctx, j, "central-bank", fbTask(3), reportNow)
	require.NoError(t, err)
	assert.Equal(t, schema.FeedbackTask, r.Type)
	assert.Equal(t, fbTask(3), r.TaskID)
	assert.Equal(t, catID(1), r.RequirementID)
	assert.Equal(t, "central-bank", r.Reporter)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-7`, r.ID)
	m, err := collab.MonthlyReport(ctx, j, "central-bank", day(time.March, 1), reportNow)
	require.NoError(t, err)
	assert.Equal(t, schema.FeedbackMonthly, m.Type)
	assert.Empty(t, m.TaskID)
	assert.NotEqual(t, r.ID, m.ID)
	assert.Equal(t, "Past its deadline of 2026-03-20T09:00:00Z and not done: raise to high.", m.Recommendations[0].Note)
	assert.Equal(t, "12 of 90 records rejected (13.3%, above 10%): add a data-quality task to find and fix the cause.", m.Recommendations[3].Note)
}

func TestFeedbackReportErrors(t *testing.T) {
	ctx := context.Background()
	j := knownJournal(t)
	_, err := collab.MonthlyReport(ctx, j, "", day(time.March, 1), reportNow)
	assert.ErrorContains(t, err, "reporter is empty")
	_, err = collab.MonthlyReport(ctx, j, "central-bank", day(time.March, 1), time.Time{})
	assert.ErrorContains(t, err, "now is zero")
	_, err = collab.MonthlyReport(ctx, j, "central-bank", day(time.May, 1), reportNow)
	assert.ErrorContains(t, err, "is before the period, which begins 2026-05-01T00:00:00Z")
	_, err = collab.TaskReport(ctx, j, "central-bank", "", reportNow)
	assert.ErrorContains(t, err, "task id is empty")
	_, err = collab.TaskReport(ctx, j, "central-bank", fbTask(8), reportNow)
	assert.ErrorIs(t, err, collab.ErrNotFound, "task 8 is miit's")
	_, err = collab.TaskReport(ctx, j, "central-bank", fbTask(1), day(time.January, 1))
	assert.ErrorContains(t, err, "is not after the task's issued_at")

	// A journal that fails or holds unreadable data fails the report, naming the entry.
	bad := collab.NewMemJournal()
	_, err = bad.Append(ctx, collab.Entry{At: day(time.March, 2), Kind: collab.EntryRecordsOutcome, Org: "central-bank", Counterpart: "public-security", Data: json.RawMessage(`{"submitted":"many"}`)})
	require.NoError(t, err)
	_, err = collab.MonthlyReport(ctx, bad, "central-bank", day(time.March, 1), reportNow)
	assert.ErrorContains(t, err, "journal entry 1 (journal.records_outcome)")
	negative := collab.NewMemJournal()
	_, err = negative.Append(ctx, collab.Entry{At: day(time.March, 2), Kind: schema.KindProduct, Org: "central-bank", Data: json.RawMessage(`{}`)})
	require.NoError(t, err)
	_, err = negative.Append(ctx, collab.Entry{At: day(time.March, 2), Kind: collab.EntryRecordsOutcome, Org: "central-bank", Counterpart: "public-security", Data: json.RawMessage(`{"submitted":-1}`)})
	require.NoError(t, err)
	_, err = collab.MonthlyReport(ctx, negative, "central-bank", day(time.March, 1), reportNow)
	assert.ErrorContains(t, err, `journal entry 2 (journal.records_outcome): negative count in {"submitted":-1}`)
	require.NoError(t, bad.Close())
	_, err = collab.MonthlyReport(ctx, bad, "central-bank", day(time.March, 1), reportNow)
	assert.ErrorIs(t, err, collab.ErrJournalClosed)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = collab.MonthlyReport(cctx, j, "central-bank", day(time.March, 1), reportNow)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestFeedbackRecommendationsCapped(t *testing.T) {
	ctx := context.Background()
	j := collab.NewMemJournal()
	add := func(at time.Time, kind, org, counterpart string, data any) {
		raw, _ := json.Marshal(data)
		_, err := j.Append(ctx, collab.Entry{At: at, Kind: kind, Org: org, Counterpart: counterpart, Data: raw})
		require.NoError(t, err)
	}
	for n := range 120 {
		add(day(time.March, 1), schema.KindTask, "leading-group", "central-bank", schema.Task{
			ID: fbTask(1000 + n), Assignee: []string{"central-bank"}, Priority: schema.PriorityLow,
			IssuedAt: day(time.March, 1), Deadline: day(time.March, 2).Add(time.Duration(n) * time.Minute),
		})
	}
	add(day(time.March, 3), collab.EntryRecordsOutcome, "central-bank", "public-security", collab.RecordsOutcome{Submitted: 10, Accepted: 5, Rejected: 5})
	r, err := collab.MonthlyReport(ctx, j, "central-bank", day(time.March, 1), reportNow)
	require.NoError(t, err)
	assert.Equal(t, 120, r.Counts.TasksLate)
	require.Len(t, r.Recommendations, collab.MaxRecommendations)
	assert.Equal(t, fbTask(1000), r.Recommendations[0].TargetID, "earliest deadline first")
	assert.Equal(t, schema.RecommendAddTask, r.Recommendations[99].Type, "the data-quality task is kept")
	assert.Contains(t, r.Findings, "21 further recommendations left out; the report carries at most 100.")
	raw, _ := json.Marshal(r)
	v, _ := schema.NewValidator()
	assert.NoError(t, v.ValidatePayload(schema.KindFeedbackReport, 1, raw))
}

// fbPlan is a plan of central-bank in force before the March report.
func fbPlan() schema.Plan {
	return schema.Plan{
		ID: catID(2), Level: schema.PlanDepartment, ParentID: catID(3), RequirementID: catID(1), Owner: "central-bank",
		Revision: 3, RevisedAt: day(time.January, 5), RevisionReason: "earlier feedback",
		Scope: schema.Scope{
			Kinds:   []string{schema.KindFinanceTransaction, schema.KindCustomsEntryExit},
			Sectors: []string{"finance"}, Regions: []string{"CN-BJ", "CN-SH"},
			Window: schema.Window{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		},
		Objectives: []string{"Find abnormal fund flows."},
		Collection: []schema.PlanCollectionItem{
			{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyDaily, AssignedTo: []string{"bank-north-01"}},
			{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyWeekly, AssignedTo: []string{"bank-south-01"}},
		},
	}
}

func TestReviseFromFeedback(t *testing.T) {
	ctx := context.Background()
	report, err := collab.MonthlyReport(ctx, knownJournal(t), "central-bank", day(time.March, 1), reportNow)
	require.NoError(t, err)
	plan := fbPlan()
	at := reportNow.Add(time.Hour)
	rev, err := collab.ReviseFromFeedback(report, plan, at)
	require.NoError(t, err)
	p := rev.Plan
	assert.Equal(t, 4, p.Revision)
	assert.Equal(t, at, p.RevisedAt)
	assert.Equal(t, report.ID, p.FeedbackReportID)
	assert.Contains(t, p.RevisionReason, "Feedback report "+report.ID+" (monthly, 2026-03-01 to 2026-04-01) 90 records submitted")
	assert.Equal(t, plan.Scope, p.Scope)
	assert.Equal(t, plan.Collection, p.Collection)
	assert.Equal(t, append(fbPlan().Objectives, report.Recommendations[3].Note), p.Objectives)
	assert.Equal(t, []collab.TaskChange{
		{Type: schema.RecommendReprioritize, TaskID: fbTask(3), PlanID: plan.ID, Priority: schema.PriorityHigh, Note: report.Recommendations[0].Note},
		{Type: schema.RecommendReprioritize, TaskID: fbTask(10), PlanID: plan.ID, Priority: schema.PriorityCritical, Note: report.Recommendations[1].Note},
		{Type: schema.RecommendCloseTask, TaskID: fbTask(7), PlanID: plan.ID, Note: report.Recommendations[2].Note},
		{Type: schema.RecommendAddTask, PlanID: plan.ID, Note: report.Recommendations[3].Note},
	}, rev.Tasks)
	raw, err := json.Marshal(p)
	require.NoError(t, err)
	v, _ := schema.NewValidator()
	require.NoError(t, v.ValidatePayload(schema.KindPlan, 1, raw), "%s", raw)

	// Revising again from the same report is idempotent on objectives.
	again, err := collab.ReviseFromFeedback(report, rev.Plan, at.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 5, again.Plan.Revision)
	assert.Len(t, again.Plan.Objectives, 2)

	// The revision shares nothing with the plan it revises.
	p.Scope.Kinds[0], p.Scope.Regions[0], p.Collection[0].AssignedTo[0], p.Objectives[0] = "x.y", "CN-XX", "other", "other"
	assert.Equal(t, fbPlan(), plan)
}

func TestReviseAdjustFrequency(t *testing.T) {
	plan := fbPlan()
	report := schema.FeedbackReport{ID: catID(0xa00001), Type: schema.FeedbackMonthly, Findings: []string{"Too slow."}}
	at := day(time.April, 3)
	cases := []struct {
		name string
		rec  schema.FeedbackRecommendation
		err  error
		says string
		want []schema.Frequency // frequencies of the collection after
	}{
		{"kind named", schema.FeedbackRecommendation{Type: schema.RecommendAdjustFrequency, TargetID: plan.ID, Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyRealTime, Note: "n"},
			nil, "", []schema.Frequency{schema.FrequencyRealTime, schema.FrequencyRealTime}},
		{"the plan's only kind", schema.FeedbackRecommendation{Type: schema.RecommendAdjustFrequency, TargetID: plan.ID, Frequency: schema.FrequencyDaily, Note: "n"},
			nil, "", []schema.Frequency{schema.FrequencyDaily, schema.FrequencyDaily}},
		{"a kind of the scope the plan does not collect", schema.FeedbackRecommendation{Type: schema.RecommendAdjustFrequency, TargetID: plan.ID, Kind: schema.KindCustomsEntryExit, Frequency: schema.FrequencyDaily, Note: "n"},
			collab.ErrScopeWidened, `the plan does not collect "customs.entry_exit"`, nil},
		{"a kind outside the scope", schema.FeedbackRecommendation{Type: schema.RecommendAdjustFrequency, TargetID: plan.ID, Kind: schema.KindTelecomAccountReport, Frequency: schema.FrequencyDaily, Note: "n"},
			collab.ErrScopeWidened, `the plan does not collect "telecom.account_report"`, nil},
		{"no frequency", schema.FeedbackRecommendation{Type: schema.RecommendAdjustFrequency, TargetID: plan.ID, Note: "n"},
			nil, "names no frequency", nil},
		{"another plan's", schema.FeedbackRecommendation{Type: schema.RecommendAdjustFrequency, TargetID: catID(9), Frequency: schema.FrequencyDaily, Note: "n"},
			collab.ErrNoRecommendation, "", nil},
		{"reprioritize the plan itself", schema.FeedbackRecommendation{Type: schema.RecommendReprioritize, TargetID: plan.ID, Priority: schema.PriorityHigh, Note: "n"},
			collab.ErrNoRecommendation, "", nil},
		{"add a task to another plan", schema.FeedbackRecommendation{Type: schema.RecommendAddTask, TargetID: catID(9), Note: "n"},
			collab.ErrNoRecommendation, "", nil},
		{"reprioritize without priority", schema.FeedbackRecommendation{Type: schema.RecommendReprioritize, TargetID: fbTask(3), Note: "n"},
			nil, "reprioritize needs a target id and, to reprioritize, a priority", nil},
		{"close without target", schema.FeedbackRecommendation{Type: schema.RecommendCloseTask, Note: "n"},
			nil, "close_task needs a target id", nil},
		{"unknown type", schema.FeedbackRecommendation{Type: "widen", TargetID: plan.ID, Note: "n"},
			nil, `unknown type "widen"`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := report
			r.Recommendations = []schema.FeedbackRecommendation{tc.rec}
			rev, err := collab.ReviseFromFeedback(r, plan, at)
			if tc.want == nil {
				require.Error(t, err)
				if tc.err != nil {
					assert.ErrorIs(t, err, tc.err)
				}
				assert.ErrorContains(t, err, tc.says)
				return
			}
			require.NoError(t, err)
			var got []schema.Frequency
			for _, item := range rev.Plan.Collection {
				got = append(got, item.Frequency)
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, fbPlan(), plan, "the plan given is unchanged")
		})
	}
}

func TestReviseNeverWidens(t *testing.T) {
	plan := fbPlan()
	recs := []schema.FeedbackRecommendation{
		{Type: schema.RecommendAdjustFrequency, TargetID: plan.ID, Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyRealTime, Note: "faster"},
		{Type: schema.RecommendAddTask, Note: "data quality"},
		{Type: schema.RecommendAddTask, TargetID: plan.ID, Note: "review lodging links"},
		{Type: schema.RecommendReprioritize, TargetID: fbTask(3), Priority: schema.PriorityHigh, Note: "late"},
		{Type: schema.RecommendCloseTask, TargetID: fbTask(7), Note: "escalated"},
		{Type: schema.RecommendAdjustFrequency, TargetID: catID(9), Kind: schema.KindTelecomAccountReport, Frequency: schema.FrequencyDaily, Note: "another plan's"},
	}
	v, _ := schema.NewValidator()
	// Every combination of the recommendations: the scope stays the
	// plan's, and everything collected stays within it.
	for mask := 1; mask < 1<<len(recs); mask++ {
		var some []schema.FeedbackRecommendation
		for i, r := range recs {
			if mask&(1<<i) != 0 {
				some = append(some, r)
			}
		}
		report := schema.FeedbackReport{ID: catID(0xa00002), Type: schema.FeedbackAnnual, Recommendations: some}
		rev, err := collab.ReviseFromFeedback(report, plan, day(time.April, 3))
		if mask == 1<<5 {
			require.ErrorIs(t, err, collab.ErrNoRecommendation)
			continue
		}
		require.NoError(t, err, "mask %b", mask)
		assert.Equal(t, plan.Scope, rev.Plan.Scope, "mask %b", mask)
		for _, item := range rev.Plan.Collection {
			assert.Contains(t, rev.Plan.Scope.Kinds, item.Kind)
		}
		assert.Len(t, rev.Plan.Collection, len(plan.Collection))
		raw, _ := json.Marshal(rev.Plan)
		assert.NoError(t, v.ValidatePayload(schema.KindPlan, 1, raw), "mask %b", mask)
	}

	// A plan that already collects outside its scope is refused.
	bad := fbPlan()
	bad.Collection = append(bad.Collection, schema.PlanCollectionItem{Kind: schema.KindTelecomAccountReport, Frequency: schema.FrequencyDaily})
	_, err := collab.ReviseFromFeedback(schema.FeedbackReport{Recommendations: recs[1:2]}, bad, day(time.April, 3))
	assert.ErrorIs(t, err, collab.ErrScopeWidened)
	assert.ErrorContains(t, err, `collects "telecom.account_report" (collection 2), outside its scope's kinds`)

	// Nothing to do, or a time that does not move the plan on.
	_, err = collab.ReviseFromFeedback(schema.FeedbackReport{}, plan, day(time.April, 3))
	assert.ErrorIs(t, err, collab.ErrNoRecommendation)
	_, err = collab.ReviseFromFeedback(schema.FeedbackReport{Recommendations: recs[:1]}, plan, plan.RevisedAt)
	assert.ErrorContains(t, err, "is not after its revision 3")
}

// TestEntryOfProductCounts: a product journaled with EntryOfProduct counts in
// its producer's report.
func TestEntryOfProductCounts(t *testing.T) {
	j := collab.NewMemJournal()
	p := schema.Product{ID: catID(0x700001), ListType: schema.ListHazmatPurchases, Frequency: schema.FrequencyDaily,
		Producer: "miit", RequirementID: catID(1), Period: schema.Window{From: day(time.March, 1), To: day(time.March, 2)},
		ProducedAt: day(time.March, 3)}
	e, err := collab.EntryOfProduct(p)
	require.NoError(t, err)
	assert.Equal(t, schema.KindProduct, e.Kind)
	assert.Equal(t, "miit", e.Org)
	_, err = j.Append(t.Context(), e)
	require.NoError(t, err)
	rep, err := collab.MonthlyReport(t.Context(), j, "miit", day(time.March, 10), day(time.April, 10))
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Counts.Products)
}
