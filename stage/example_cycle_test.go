package stage_test

import (
	"context"
	"fmt"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/demoscheme"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// The planner makes a macro plan, then revises it only from the report
// that reaches its horizon: a monthly report does not adjust the
// long-term macro plan, an annual one does.
func ExampleHorizonPlanner() {
	dir, err := collab.ParseDirectory(demoscheme.JSON())
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	pl, err := stage.NewPlanner(stage.PlannerConfig{Directory: dir, Owner: "leading-group", Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	req := schema.Requirement{ID: "01960000-0000-7000-8000-000000000001", Type: schema.RequirementEarlyWarning,
		Title: "Hazmat watch", Description: "Watch precursor purchases.", Issuer: "leading-group", IssuedAt: now,
		Priority: schema.PriorityMedium, LegalBasis: "Synthetic Act, art. 2", Status: schema.RequirementActive,
		Scope: schema.Scope{Kinds: []string{schema.KindCommerceHazmat}, Sectors: []string{"commerce"}, Regions: []string{"CN-GD"},
			Window: schema.Window{From: now, To: now.AddDate(2, 0, 0)}}}
	ctx := context.Background()
	out, err := pl.Plan(ctx, stage.PlanInput{Requirement: req})
	if err != nil {
		panic(err)
	}
	macro := out.Plan
	fmt.Println(macro.Level, collab.Horizon(macro), macro.Collection[0].Frequency)

	now = now.AddDate(0, 1, 0)
	rec := schema.FeedbackRecommendation{Type: schema.RecommendAdjustFrequency, TargetID: macro.ID, Frequency: schema.FrequencyRealTime, Note: "Purchases cluster before events."}
	monthly := schema.FeedbackReport{ID: "01960000-0000-7000-8000-000000000101", Type: schema.FeedbackMonthly, Findings: []string{"Clusters."},
		Recommendations: []schema.FeedbackRecommendation{rec}}
	_, err = pl.Plan(ctx, stage.PlanInput{Requirement: req, Current: &macro, Feedback: []schema.FeedbackReport{monthly}})
	fmt.Println(err != nil)
	annual := monthly
	annual.ID, annual.Type = "01960000-0000-7000-8000-000000000102", schema.FeedbackAnnual
	out, err = pl.Plan(ctx, stage.PlanInput{Requirement: req, Current: &macro, Feedback: []schema.FeedbackReport{annual}})
	if err != nil {
		panic(err)
	}
	fmt.Println(out.Plan.Revision, out.Plan.Collection[0].Frequency)
	// Output:
	// macro long daily
	// true
	// 2 real_time
}
