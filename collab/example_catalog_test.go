package collab_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

func ExampleCatalog() {
	ctx := context.Background()
	cat, err := collab.NewMemCatalog() // collab.OpenBoltCatalog(path) keeps them on disk
	if err != nil {
		fmt.Println(err)
		return
	}
	// The key is a test fixture; a real one comes from a secret store.
	pz, _ := schema.NewPseudonymizer("test-2026-01", []byte("sicollab-test-key-0123456789abcd"))
	suspect, _ := pz.Pseudonym(schema.IDPhone, "+8613800000000")

	// The central bank puts one abnormal-financial-activity list a day.
	day := time.Date(2026, 3, 1, 18, 0, 0, 0, time.UTC)
	for i := range 5 {
		at := day.AddDate(0, 0, i)
		p := schema.Product{
			ID:       fmt.Sprintf("01960000-0000-7000-8000-00000000010%d", i),
			ListType: schema.ListAbnormalFinancialActivity, Frequency: schema.FrequencyDaily,
			Producer: "central-bank", RequirementID: "01960000-0000-7000-8000-000000000001",
			Period: schema.Window{From: at.Add(-24 * time.Hour), To: at}, ProducedAt: at,
		}
		if i%2 == 0 { // the suspect shows up every other day
			p.Entries = []schema.ProductEntry{{
				Subject: suspect, Score: 0.8, Reasons: []string{"structuring"},
				EvidenceIDs: []string{fmt.Sprintf("01960000-0000-7000-8000-00000000020%d", i)},
			}}
		}
		if err := cat.Put(ctx, p); err != nil {
			fmt.Println(err)
			return
		}
	}

	// A specialized department first looks for what exists: every list
	// naming the suspect, two at a time.
	q := collab.ProductQuery{Subject: suspect.Pseudonym, Limit: 2}
	for {
		page, err := cat.Query(ctx, q)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, p := range page.Products {
			fmt.Println(p.ProducedAt.Format(time.DateOnly), p.Producer, p.ListType, p.Entries[0].Score)
		}
		if page.Next == "" {
			break
		}
		fmt.Println("-- next page")
		q.Cursor = page.Next
	}

	// A cursor belongs to its query.
	_, err = cat.Query(ctx, collab.ProductQuery{Producer: "miit", Cursor: "eyJ2IjoxfQ"})
	fmt.Println(errors.Is(err, collab.ErrBadCursor))
	// Output:
	// 2026-03-01 central-bank abnormal_financial_activity 0.8
	// 2026-03-03 central-bank abnormal_financial_activity 0.8
	// -- next page
	// 2026-03-05 central-bank abnormal_financial_activity 0.8
	// true
}

func ExampleMonthlyReport() {
	ctx := context.Background()
	j := collab.NewMemJournal() // collab.OpenBoltJournal(path) keeps it on disk
	record := func(at time.Time, kind, org, counterpart string, data any) {
		raw, _ := json.Marshal(data)
		if _, err := j.Append(ctx, collab.Entry{At: at, Kind: kind, Org: org, Counterpart: counterpart, Data: raw}); err != nil {
			fmt.Println(err)
		}
	}
	march := func(d int) time.Time { return time.Date(2026, 3, d, 10, 0, 0, 0, time.UTC) }

	// The central bank gets a task due on 20 March and never reports it done.
	task := schema.Task{
		ID: "01960000-0000-7000-8000-000000000301", PlanID: "01960000-0000-7000-8000-000000000002",
		RequirementID: "01960000-0000-7000-8000-000000000001", Issuer: "leading-group",
		Assignee: []string{"central-bank"}, Title: "Review March fund flows", Instructions: "...",
		Priority: schema.PriorityMedium, IssuedAt: march(1), Deadline: march(20),
	}
	record(march(1), schema.KindTask, "leading-group", "central-bank", task)
	// Public security journals what it made of the bank's submissions.
	record(march(5), collab.EntryRecordsOutcome, "central-bank", "public-security", collab.RecordsOutcome{Submitted: 40, Accepted: 33, Rejected: 6, Duplicate: 1})
	record(march(25), collab.EntryRecordsOutcome, "central-bank", "public-security", collab.RecordsOutcome{Submitted: 10, Accepted: 10})
	// February's submissions are not March's.
	record(time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC), collab.EntryRecordsOutcome, "central-bank", "public-security", collab.RecordsOutcome{Submitted: 99, Accepted: 99})

	now := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	report, err := collab.MonthlyReport(ctx, j, "central-bank", march(1), now)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(report.Type, report.Period.From.Format(time.DateOnly), "to", report.Period.To.Format(time.DateOnly))
	for _, f := range report.Findings {
		fmt.Println("finding:", f)
	}
	for _, r := range report.Recommendations {
		fmt.Println("recommend:", strings.TrimSpace(fmt.Sprint(r.Type, " ", r.TargetID, " ", r.Priority)))
		fmt.Println("  ", r.Note)
	}
	// Output:
	// monthly 2026-03-01 to 2026-04-01
	// finding: 50 records submitted: 43 accepted, 6 rejected (12.0%), 1 duplicate.
	// finding: 1 of 1 task late; 0 done on time, 0 failed or cancelled.
	// recommend: reprioritize 01960000-0000-7000-8000-000000000301 high
	//    Past its deadline of 2026-03-20T10:00:00Z and not done: raise to high.
	// recommend: add_task
	//    6 of 50 records rejected (12.0%, above 10%): add a data-quality task to find and fix the cause.
}

func ExampleReviseFromFeedback() {
	report := schema.FeedbackReport{
		ID: "01960000-0000-7000-8000-000000000401", Type: schema.FeedbackMonthly,
		Period:   schema.Window{From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
		Findings: []string{"Transactions arrive a day late."},
		Recommendations: []schema.FeedbackRecommendation{{
			Type: schema.RecommendAdjustFrequency, TargetID: "01960000-0000-7000-8000-000000000002",
			Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyRealTime, Note: "Collect as it happens.",
		}, {
			Type: schema.RecommendReprioritize, TargetID: "01960000-0000-7000-8000-000000000301",
			Priority: schema.PriorityHigh, Note: "Past its deadline.",
		}},
	}
	plan := schema.Plan{
		ID: "01960000-0000-7000-8000-000000000002", Level: schema.PlanDepartment,
		RequirementID: "01960000-0000-7000-8000-000000000001", Owner: "central-bank",
		Revision: 1, RevisedAt: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC),
		Scope: schema.Scope{
			Kinds: []string{schema.KindFinanceTransaction}, Sectors: []string{"finance"}, Regions: []string{"CN-BJ"},
			Window: schema.Window{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		},
		Objectives: []string{"Find abnormal fund flows."},
		Collection: []schema.PlanCollectionItem{{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyDaily}},
	}
	rev, err := collab.ReviseFromFeedback(report, plan, time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("revision", rev.Plan.Revision, "scope", rev.Plan.Scope.Kinds, "collects", rev.Plan.Collection[0].Kind, rev.Plan.Collection[0].Frequency)
	fmt.Println(rev.Plan.RevisionReason)
	for _, c := range rev.Tasks {
		fmt.Println(c.Type, c.TaskID, c.Priority)
	}
	// Output:
	// revision 2 scope [finance.transaction] collects finance.transaction real_time
	// Feedback report 01960000-0000-7000-8000-000000000401 (monthly, 2026-03-01 to 2026-04-01) Transactions arrive a day late.
	// reprioritize 01960000-0000-7000-8000-000000000301 high
}
