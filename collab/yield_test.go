package collab_test

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
)

func pseud(n int) schema.Subject {
	return schema.Subject{Pseudonym: strings.Repeat(fmt.Sprintf("%02x", n%256), 32), IDType: schema.IDAccount, KeyID: "k1"}
}

// yieldProduct lists subjects 1..n, subject i's evidence the record
// "<source>-i" of each source.
func yieldProduct(id int, n int, sources ...string) schema.Product {
	p := schema.Product{ID: catID(id), ListType: schema.ListAbnormalFinancialActivity, Frequency: schema.FrequencyDaily,
		Producer: "central-bank", RequirementID: catID(1), Period: schema.Window{From: day(time.March, 1), To: day(time.March, 2)},
		ProducedAt: day(time.March, 2)}
	for i := 1; i <= n; i++ {
		var ev []string
		for _, s := range sources {
			ev = append(ev, fmt.Sprintf("%s-%d", s, i))
		}
		p.Entries = append(p.Entries, schema.ProductEntry{Subject: pseud(id*10 + i), Score: 0.9, Reasons: []string{"r"}, EvidenceIDs: ev})
	}
	return p
}

func sourceOfID(id string) (string, bool) {
	i := strings.LastIndex(id, "-")
	if i < 0 {
		return "", false
	}
	return id[:i], true
}

func verdict(p schema.Product, i int, v schema.EntryVerdict) schema.EntryFeedback {
	f := schema.EntryFeedback{ID: catID(0xf0000 + i), ProductID: p.ID, Producer: p.Producer, Subject: p.Entries[i].Subject,
		By: "public-security", Verdict: v, At: day(time.March, 5)}
	if v == schema.VerdictActedOn {
		f.Action = schema.EscalationActionMonitor
	}
	return f
}

// TestYieldDrivesRecommendations: a productive source is raised, a false
// positive stopped, a source that yields nothing lowered, and the
// revision applies each without widening the plan.
func TestYieldDrivesRecommendations(t *testing.T) {
	good := yieldProduct(0x101, 4, "payment-east-01")
	bad := yieldProduct(0x102, 3, "bank-south-02")
	tally := collab.NewYieldTally()
	tally.Records("payment-east-01", 500)
	tally.Records("bank-south-02", 800)
	tally.Records("bank-north-01", 5000) // no entry at all
	tally.Product(good, sourceOfID)
	tally.Product(good, sourceOfID) // counted once
	tally.Product(bad, sourceOfID)
	tally.Feedback(verdict(good, 0, schema.VerdictConfirmed))
	tally.Feedback(verdict(good, 1, schema.VerdictActedOn))
	tally.Feedback(verdict(good, 2, schema.VerdictConfirmed))
	for i := range 3 {
		tally.Feedback(verdict(bad, i, schema.VerdictFalsePositive))
	}
	ys := tally.Yields()
	require.Equal(t, []collab.SourceYield{
		{Source: "bank-north-01", Records: 5000},
		{Source: "bank-south-02", Records: 800, Entries: 3, FalsePositive: 3},
		{Source: "payment-east-01", Records: 500, Entries: 4, Confirmed: 2, ActedOn: 1},
	}, ys)

	plan := fbPlan()
	plan.Collection = []schema.PlanCollectionItem{
		{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyDaily, AssignedTo: []string{"bank-north-01", "bank-south-02"}},
		{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyWeekly, AssignedTo: []string{"payment-east-01"}},
	}
	recs, err := collab.DefaultYieldPolicy().Recommend(plan, ys)
	require.NoError(t, err)
	require.Len(t, recs, 3)
	assert.Equal(t, schema.RecommendAdjustFrequency, recs[0].Type)
	assert.Equal(t, "bank-north-01", recs[0].Source)
	assert.Equal(t, schema.FrequencyWeekly, recs[0].Frequency, "lowered from daily")
	assert.Equal(t, schema.RecommendStopSource, recs[1].Type)
	assert.Equal(t, "bank-south-02", recs[1].Source)
	assert.Equal(t, schema.RecommendAdjustFrequency, recs[2].Type)
	assert.Equal(t, "payment-east-01", recs[2].Source)
	assert.Equal(t, schema.FrequencyDaily, recs[2].Frequency, "raised from weekly")

	report := schema.FeedbackReport{ID: catID(0xa00010), Type: schema.FeedbackMonthly, Reporter: "central-bank",
		Period: schema.Window{From: day(time.March, 1), To: day(time.April, 1)}, ProducedAt: day(time.April, 1),
		Findings: []string{"Yield counted."}, Recommendations: recs}
	raw, _ := json.Marshal(report)
	v, _ := schema.NewValidator()
	require.NoError(t, v.ValidatePayload(schema.KindFeedbackReport, 1, raw))

	rev, err := collab.ReviseFromFeedback(report, plan, day(time.April, 2))
	require.NoError(t, err)
	assert.Equal(t, plan.Scope, rev.Plan.Scope)
	assert.Equal(t, []schema.PlanCollectionItem{
		{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyWeekly, AssignedTo: []string{"bank-north-01"}, Note: recs[0].Note},
		{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyDaily, AssignedTo: []string{"payment-east-01"}, Note: recs[2].Note},
	}, rev.Plan.Collection)
	assert.Contains(t, rev.Plan.Objectives, "Collect nothing from bank-south-02: "+recs[1].Note)
	raw, _ = json.Marshal(rev.Plan)
	require.NoError(t, v.ValidatePayload(schema.KindPlan, 1, raw))
}

func TestYieldPolicyEdges(t *testing.T) {
	err := collab.YieldPolicy{}.Validate()
	for _, f := range []string{"MinRecords is 0", "MinVerdicts is 0", "RaiseShare is 0", "StopShare is 0"} {
		assert.ErrorContains(t, err, f)
	}
	// Too few verdicts: not judged; a source the plan does not collect
	// from: nothing; real_time already: no faster.
	plan := fbPlan()
	plan.Collection = []schema.PlanCollectionItem{{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyRealTime}}
	recs, err := collab.DefaultYieldPolicy().Recommend(plan, []collab.SourceYield{
		{Source: "bank-north-01", Records: 10, Entries: 2, FalsePositive: 2},
		{Source: "payment-east-01", Records: 10, Entries: 3, Confirmed: 3},
	})
	require.NoError(t, err)
	assert.Empty(t, recs)
	// An open item (everyone) is how a source not named collects.
	plan.Collection[0].Frequency = schema.FrequencyDaily
	recs, err = collab.DefaultYieldPolicy().Recommend(plan, []collab.SourceYield{{Source: "payment-east-01", Records: 10, Entries: 3, Confirmed: 3}})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, schema.FrequencyRealTime, recs[0].Frequency)
	// Stopping the only source of the only item is refused.
	plan.Collection[0].AssignedTo = []string{"bank-north-01"}
	_, err = collab.ReviseFromFeedback(schema.FeedbackReport{ID: catID(0xa00011), Type: schema.FeedbackMonthly, Recommendations: []schema.FeedbackRecommendation{
		{Type: schema.RecommendStopSource, TargetID: plan.ID, Source: "bank-north-01", Note: "n"}}}, plan, day(time.April, 3))
	assert.ErrorContains(t, err, "leaves the plan collecting nothing; close the plan instead")

	for _, c := range []struct {
		f      schema.Frequency
		faster schema.Frequency
		slower schema.Frequency
	}{
		{schema.FrequencyRealTime, schema.FrequencyRealTime, schema.FrequencyDaily},
		{schema.FrequencyDaily, schema.FrequencyRealTime, schema.FrequencyWeekly},
		{schema.FrequencyMonthly, schema.FrequencyWeekly, schema.FrequencyMonthly},
		{schema.FrequencyTask, schema.FrequencyTask, schema.FrequencyTask},
	} {
		f, _ := collab.Faster(c.f)
		s, _ := collab.Slower(c.f)
		assert.Equal(t, c.faster, f, c.f)
		assert.Equal(t, c.slower, s, c.f)
	}
}

// TestReviseByHorizon: monthly reports adjust short and medium plans,
// annual reports long ones; task reports any; the horizon is kept.
func TestReviseByHorizon(t *testing.T) {
	rec := []schema.FeedbackRecommendation{{Type: schema.RecommendAddTask, Note: "Review the corridor rules."}}
	for _, c := range []struct {
		level   schema.PlanLevel
		horizon schema.PlanHorizon
		typ     schema.FeedbackType
		ok      bool
	}{
		{schema.PlanDepartment, "", schema.FeedbackMonthly, true},
		{schema.PlanDepartment, "", schema.FeedbackAnnual, false},
		{schema.PlanInternal, "", schema.FeedbackMonthly, true},
		{schema.PlanMacro, "", schema.FeedbackMonthly, false},
		{schema.PlanMacro, "", schema.FeedbackAnnual, true},
		{schema.PlanMacro, "", schema.FeedbackTask, true},
		{schema.PlanDepartment, schema.HorizonLong, schema.FeedbackAnnual, true},
		{schema.PlanDepartment, schema.HorizonLong, schema.FeedbackMonthly, false},
		{schema.PlanMacro, schema.HorizonShort, schema.FeedbackMonthly, true},
	} {
		plan := fbPlan()
		plan.Level, plan.Horizon = c.level, c.horizon
		rev, err := collab.ReviseFromFeedback(schema.FeedbackReport{ID: catID(0xa00012), Type: c.typ, TaskID: catID(7), Recommendations: rec}, plan, day(time.April, 3))
		name := fmt.Sprintf("%s/%s/%s", c.level, c.horizon, c.typ)
		if !c.ok {
			assert.ErrorIs(t, err, collab.ErrHorizon, name)
			continue
		}
		require.NoError(t, err, name)
		assert.Equal(t, c.horizon, rev.Plan.Horizon, name)
	}
	assert.Equal(t, schema.HorizonLong, collab.Horizon(schema.Plan{Level: schema.PlanMacro}))
	assert.Equal(t, schema.HorizonMedium, collab.Horizon(schema.Plan{Level: schema.PlanDepartment}))
	assert.Equal(t, schema.HorizonShort, collab.Horizon(schema.Plan{Level: schema.PlanInternal}))
}

func TestCheckEntryFeedback(t *testing.T) {
	dir := loadScheme(t)
	cat, err := collab.NewMemCatalog()
	require.NoError(t, err)
	p := yieldProduct(0x103, 2, "bank-north-01")
	for i := range p.Entries {
		p.Entries[i].EvidenceIDs = []string{catID(0x50000 + i)}
	}
	require.NoError(t, cat.Put(t.Context(), p))
	ok := verdict(p, 0, schema.VerdictConfirmed)
	require.NoError(t, collab.CheckEntryFeedback(t.Context(), dir, cat, ok))

	e, err := collab.EntryOfEntryFeedback(ok)
	require.NoError(t, err)
	assert.Equal(t, schema.KindEntryFeedback, e.Kind)
	assert.Equal(t, "public-security", e.Org)
	assert.Equal(t, "central-bank", e.Counterpart)

	for _, c := range []struct {
		name string
		edit func(*schema.EntryFeedback)
		says string
	}{
		{"acted on without action", func(f *schema.EntryFeedback) { f.Verdict = schema.VerdictActedOn }, "/action"},
		{"unknown consumer", func(f *schema.EntryFeedback) { f.By = "nobody-01" }, `/by: "nobody-01" is not in the directory`},
		{"own product", func(f *schema.EntryFeedback) { f.By = "central-bank" }, "gives feedback on its own product"},
		{"other producer", func(f *schema.EntryFeedback) { f.Producer = "customs" }, `/producer: product ` + p.ID + ` was produced by "central-bank"`},
		{"subject not listed", func(f *schema.EntryFeedback) { f.Subject = pseud(0xee) }, "/subject/pseudonym: product " + p.ID + " has no entry"},
	} {
		f := ok
		c.edit(&f)
		err := collab.CheckEntryFeedback(t.Context(), dir, cat, f)
		assert.ErrorIs(t, err, collab.ErrBadEntryFeedback, c.name)
		assert.ErrorContains(t, err, c.says, c.name)
	}
	f := ok
	f.ProductID = catID(0x999)
	assert.ErrorIs(t, collab.CheckEntryFeedback(t.Context(), dir, cat, f), collab.ErrNotFound)

	// The producer receives verdicts into its journal; a bad one is not
	// journaled, and the same verdict twice counts once.
	j := collab.NewMemJournal()
	require.NoError(t, collab.ReceiveEntryFeedback(t.Context(), dir, cat, j, ok))
	require.NoError(t, collab.ReceiveEntryFeedback(t.Context(), dir, cat, j, ok))
	assert.ErrorIs(t, collab.ReceiveEntryFeedback(t.Context(), dir, cat, j, f), collab.ErrNotFound)
	tally := collab.NewYieldTally()
	tally.Product(p, func(string) (string, bool) { return "bank-north-01", true })
	n := 0
	for e, err := range j.Entries(t.Context(), 0) {
		require.NoError(t, err)
		var v schema.EntryFeedback
		require.NoError(t, json.Unmarshal(e.Data, &v))
		tally.Feedback(v)
		n++
	}
	assert.Equal(t, 2, n)
	assert.Equal(t, []collab.SourceYield{{Source: "bank-north-01", Entries: 2, Confirmed: 1}}, tally.Yields())
}

// TestHorizonDeriveAndRevise: a derived plan looks no further ahead than
// its parent; a revision keeps the horizon.
func TestHorizonDeriveAndRevise(t *testing.T) {
	fx := newPlanFixture(t)
	require.NoError(t, collab.Derive(fx.dir, fx.macro, fx.dept), "medium under long")
	short := fx.macro
	short.Horizon = schema.HorizonShort
	err := collab.Derive(fx.dir, short, fx.dept)
	assert.ErrorIs(t, err, collab.ErrInvalidPlan)
	assert.ErrorContains(t, err, `horizon "medium" looks further ahead than the parent's "short"`)
	fx.dept.Horizon = schema.HorizonShort
	require.NoError(t, collab.Derive(fx.dir, short, fx.dept))

	next := fx.dept
	next.Revision, next.RevisedAt, next.RevisionReason = 2, fx.dept.RevisedAt.Add(time.Hour), "feedback"
	require.NoError(t, collab.CheckRevision(fx.dir, fx.dept, next, fx.macro.Scope))
	next.Horizon = schema.HorizonLong
	assert.ErrorContains(t, collab.CheckRevision(fx.dir, fx.dept, next, fx.macro.Scope), `horizon changed from "short" to "long"`)
}
