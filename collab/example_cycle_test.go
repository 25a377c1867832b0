package collab_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// A tip desk folds the same tip from three reporters into one, and the
// corroboration raises its priority.
func ExampleTipDesk() {
	now := time.Date(2026, 4, 3, 18, 0, 0, 0, time.UTC)
	desk, err := collab.NewTipDesk(collab.TipDeskConfig{Directory: mustLoad(), Desk: "public-security", Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	for i, text := range []string{"A man filming the gates at night.", "a man filming the gates at night", "A MAN FILMING THE GATES, AT NIGHT!"} {
		rc, err := desk.Take(context.Background(), schema.PublicTip{
			Reporter: schema.Subject{Pseudonym: strings.Repeat(fmt.Sprintf("%02x", i+1), 32), IDType: schema.IDPhone, KeyID: "k1"},
			Category: schema.TipSuspiciousBehaviour, Summary: text, Channel: schema.TipHotline, ReportedAt: now,
		})
		if err != nil {
			panic(err)
		}
		fmt.Println(rc.Folded, rc.Reporters, rc.Priority, rc.To)
	}
	// Output:
	// false 1 medium public-security
	// true 2 medium public-security
	// true 3 high public-security
}

// A source's yield drives the next plan: the payment provider's entries
// were confirmed, so its collection is raised.
func ExampleYieldPolicy_Recommend() {
	plan := schema.Plan{ID: "01960000-0000-7000-8000-000000000002", Collection: []schema.PlanCollectionItem{
		{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyDaily, AssignedTo: []string{"payment-east-01"}},
	}}
	recs, err := collab.DefaultYieldPolicy().Recommend(plan, []collab.SourceYield{
		{Source: "payment-east-01", Records: 400, Entries: 4, Confirmed: 3},
	})
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		fmt.Println(r.Type, r.Source, r.Frequency)
		fmt.Println(r.Note)
	}
	// Output:
	// adjust_frequency payment-east-01 real_time
	// 3 of 4 entries from payment-east-01 confirmed or acted on, from 400 records: collect finance.transaction real_time instead of daily.
}
