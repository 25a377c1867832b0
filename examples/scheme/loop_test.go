package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/examples/internal/synth"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit/taxii"
)

// changesOf returns the run's plan changes of one kind of change.
func changesOf(rep report, change string) []planChange {
	var out []planChange
	for _, c := range rep.Loop.Changes {
		if c.Change == change {
			out = append(out, c)
		}
	}
	return out
}

// TestRound2ChangesBecauseOfFeedback: the verdicts public security sent
// on the central bank's list raise the banks whose entries it confirmed,
// stop the source of the false positives and drop the kinds no list uses;
// round 2 collects accordingly, and the summary and report say what
// changed and why, with the numbers of each round.
func TestRound2ChangesBecauseOfFeedback(t *testing.T) {
	r := runScheme(t)
	rep := r.rep
	require.NotNil(t, rep.Loop)
	r1, r2 := rep.Rounds[0], rep.Rounds[1]

	assert.Equal(t, decoyMerchants, r1.Verdicts["central-bank false_positive"], "the misreported merchants are judged false positives")
	assert.Positive(t, r1.Verdicts["central-bank confirmed"])
	assert.Zero(t, r2.Verdicts["central-bank false_positive"], "no false positive comes back once their source is stopped")

	stops := changesOf(rep, "stop")
	require.Len(t, stops, 1)
	assert.Equal(t, planChange{Plan: "central-bank", Revision: 2, Change: "stop", Source: decoySource, Kind: schema.KindFinanceTransaction,
		Why: stops[0].Why, Round1: r1.BySource[decoySource][schema.KindFinanceTransaction]}, stops[0])
	assert.Contains(t, stops[0].Why, "3 of 3 entries from payment-east-01 found false positives")
	assert.Positive(t, stops[0].Round1)
	assert.Zero(t, r2.BySource[decoySource][schema.KindFinanceTransaction])
	assert.Positive(t, r2.Withheld[decoySource+" "+schema.KindFinanceTransaction])

	raises := changesOf(rep, "raise")
	require.NotEmpty(t, raises)
	for _, c := range raises {
		assert.Equal(t, "central-bank", c.Plan)
		assert.True(t, strings.HasPrefix(c.Source, "bank-"), c.Source)
		assert.Equal(t, [2]string{"daily", "real_time"}, [2]string{c.From, c.To})
		assert.Positive(t, c.Round1)
		assert.Positive(t, c.Round2, "a raised source still collects")
	}

	drops := changesOf(rep, "drop")
	require.NotEmpty(t, drops)
	for _, c := range drops {
		assert.Equal(t, "public-security", c.Plan)
		assert.NotContains(t, readKinds[synth.PatternCoTravel], c.Kind, "a kind a list reads is never dropped")
		assert.Positive(t, c.Round1, c.Kind)
		assert.Zero(t, c.Round2, c.Kind)
		assert.NotContains(t, r2.Task.Kinds, c.Kind, "the task-specific requirement leaves it out")
	}
	assert.NotContains(t, rep.Revision.Scope.Kinds, drops[0].Kind)

	for _, want := range []string{
		"what feedback changed for round 2 (records collected: round 1 -> round 2):",
		"stop  payment-east-01 finance.transaction (plan of central-bank, revision 2): records ",
		"daily -> real_time, records ",
		"drop  services.lodging (plan of public-security, revision 2): records ",
		"Yield of payment-east-01: ",
		"Work report of central-bank (monthly): ",
	} {
		assert.Contains(t, r.stdout, want)
	}
	assert.NotContains(t, r.stdout, "map[", "numbers, not Go values")
	assert.NotContains(t, r.stdout, "{", "numbers, not Go values")

	html, err := os.ReadFile(filepath.Join(r.out, "report.html"))
	require.NoError(t, err)
	assert.Contains(t, string(html), `<table id="changes">`)
	assert.Contains(t, string(html), "<td>stop</td><td>central-bank (2)</td><td>payment-east-01</td>")
	assert.Contains(t, string(html), "daily &rarr; real_time")
}

// TestTaskOrientedRoundOffersACase: round 2 runs under a task-specific
// requirement, is offered round 1's operation from the case library, and
// is kept as a case itself.
func TestTaskOrientedRoundOffersACase(t *testing.T) {
	r := runScheme(t)
	assert.Nil(t, r.rep.Rounds[0].Task)
	tr := r.rep.Rounds[1].Task
	require.NotNil(t, tr)
	require.NotEmpty(t, tr.Cases)
	assert.Equal(t, "Early warning across sectors", tr.Cases[0].Requirement)
	assert.Equal(t, "succeeded", tr.Cases[0].Outcome)
	assert.Greater(t, tr.Cases[0].Similarity, 0.5)
	assert.Equal(t, "succeeded", tr.Kept)
	assert.Contains(t, r.stdout, `task-oriented under the task-specific requirement "Disrupt the structuring and precursor network"`)
	assert.Contains(t, r.stdout, `case offered: "Early warning across sectors", succeeded, similarity `)

	var req schema.Requirement
	cases, products := 0, 0
	for e := range journalEntries(t, r.out) {
		switch e.Kind {
		case schema.KindRequirement:
			if e.Ref == tr.RequirementID {
				require.NoError(t, json.Unmarshal(e.Data, &req))
			}
		case collab.EntryCase:
			cases++
		case schema.KindProduct:
			var p schema.Product
			require.NoError(t, json.Unmarshal(e.Data, &p))
			if p.RequirementID == tr.RequirementID {
				products++
			}
		}
	}
	assert.Equal(t, schema.RequirementTaskSpecific, req.Type)
	assert.NotNil(t, req.ValidUntil)
	assert.Equal(t, 2, cases, "round 1 kept before round 2 is planned, round 2 after it")
	assert.Positive(t, products, "round 2's products serve the task-specific requirement")
}

// TestInteractionFourHappens: in round 2 public security hires an
// expert from a social force (interaction 4), counted in the report.
func TestInteractionFourHappens(t *testing.T) {
	r := runScheme(t)
	n := 0
	for _, e := range r.rep.Edges {
		if e.Interaction == int(collab.InteractionHire) {
			n += e.Count
			o, ok := synth.Directory().Org(e.From)
			if !ok || o.Tier != collab.SocialForce {
				o, _ = synth.Directory().Org(e.To)
			}
			assert.Equal(t, collab.SocialForce, o.Tier, "a hire involves a social force: %s -> %s", e.From, e.To)
		}
	}
	assert.Positive(t, n)
	assert.Contains(t, strings.Join(r.rep.Rounds[1].Experts, "; "), "(hire): assigned")
	assert.Regexp(t, `\n  4 external expert hire +[1-9][0-9]*\n`, r.stdout)
}

// TestTAXIIReadBeforeTasking: public security reads the ministries'
// lists over TAXII (journaled reads on their hubs) before it issues its
// first task.
func TestTAXIIReadBeforeTasking(t *testing.T) {
	r := runScheme(t)
	var firstRead, firstTask uint64
	readers := map[string]bool{}
	for e := range journalEntries(t, r.out) {
		switch {
		case e.Kind == taxii.EntryRead && e.Org == "public-security":
			readers[e.Counterpart] = true
			if firstRead == 0 {
				firstRead = e.Seq
			}
		case e.Kind == schema.KindTask && e.Org == "public-security" && firstTask == 0:
			firstTask = e.Seq
		}
	}
	require.NotZero(t, firstRead, "public security read over TAXII")
	require.NotZero(t, firstTask, "public security tasked someone")
	assert.Less(t, firstRead, firstTask)
	assert.True(t, readers["central-bank"], "it read the central bank's hub: %v", readers)
	tr := r.rep.Rounds[1].Task
	assert.True(t, slices.ContainsFunc(tr.Existing, func(p productSummary) bool { return p.Producer == "central-bank" }),
		"the central bank's list is among the existing products found")
}

// journalEntries reads the run's journal once the run has closed it.
func journalEntries(t *testing.T, out string) func(func(collab.Entry) bool) {
	t.Helper()
	j, err := collab.OpenBoltJournal(filepath.Join(out, "journal.db"))
	require.NoError(t, err)
	var all []collab.Entry
	for e, err := range j.Entries(t.Context(), 0) {
		require.NoError(t, err)
		all = append(all, e)
	}
	require.NoError(t, j.Close())
	return func(yield func(collab.Entry) bool) {
		for _, e := range all {
			if !yield(e) {
				return
			}
		}
	}
}

// TestCollectsFollowsPlans: a source left out of its hub's plan for a
// kind is not collected; a kind outside the requirement is not; a source
// whose hub's plan names no one for the kind is.
func TestCollectsFollowsPlans(t *testing.T) {
	dir := synth.Directory()
	req := schema.Requirement{Scope: schema.Scope{Kinds: []string{schema.KindFinanceTransaction, schema.KindCommerceHazmat}}}
	plans := map[string]schema.Plan{
		"central-bank": {Collection: []schema.PlanCollectionItem{{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyRealTime, AssignedTo: []string{"bank-north-01"}}}},
		"miit":         {Collection: []schema.PlanCollectionItem{{Kind: schema.KindCommerceHazmat, Frequency: schema.FrequencyDaily}}},
	}
	keep := collects(dir, req, plans)
	for _, tc := range []struct {
		source, kind string
		want         bool
	}{
		{"bank-north-01", schema.KindFinanceTransaction, true},
		{"payment-east-01", schema.KindFinanceTransaction, false},
		{"hazmat-seller-north-01", schema.KindCommerceHazmat, true},
		{"hotel-north-01", schema.KindServicesLodging, false},
		{"nonprofit-north-01", schema.KindFinanceTransaction, true}, // to public security, whose plan is not given
	} {
		assert.Equal(t, tc.want, keep(tc.source, tc.kind), "%s %s", tc.source, tc.kind)
	}
	assert.Equal(t, []string{"bank-north-01", "bank-south-02", "central-bank", "payment-east-01"}, firstHopSources(dir, "central-bank", schema.KindFinanceTransaction))
	assert.Equal(t, []string{"customs"}, firstHopSources(dir, "customs", schema.KindCustomsInspection))
}

// TestDecoysAreValidAndListedOnlyByTheDomainRule: the misreported records
// validate; the central bank's domain rule lists their merchants, public
// security's cross-sector rule does not.
func TestDecoysAreValidAndListedOnlyByTheDomainRule(t *testing.T) {
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	g, err := synth.New(synth.Config{Seed: 3, Start: start, Days: 30, Purpose: schema.Purpose{RequirementID: "01960000-0000-7000-8000-000000000001"}})
	require.NoError(t, err)
	records, _, err := g.Scenario(1000)
	require.NoError(t, err)
	envs, err := decoys(records, 1, start)
	require.NoError(t, err)
	require.Len(t, envs, 5*decoyMerchants)
	v, err := schema.NewValidator()
	require.NoError(t, err)
	for _, env := range envs {
		require.NoError(t, v.ValidateEnvelope(env), env.ID)
	}
	period := schema.Window{From: start, To: start.AddDate(0, 0, 31)}
	listed := func(minInstitutions int) int {
		a := newAnalyst(synth.PatternStructuring, "central-bank", schema.Purpose{}, period, time.Now)
		a.minInstitutions = minInstitutions
		for _, env := range envs {
			require.NoError(t, a.Analyze(t.Context(), env, nil))
		}
		return len(a.entries())
	}
	assert.Equal(t, decoyMerchants, listed(1))
	assert.Zero(t, listed(synth.StructuringMinInstitutions))
}

// TestWrittenReported: the report says what each kind of file wrote,
// every commit at least a meta page, and the summary divides it by the
// records collected.
func TestWrittenReported(t *testing.T) {
	r := runScheme(t)
	for _, kind := range []string{"ledgers", "outboxes", "journal", "catalogs"} {
		w, ok := r.rep.Written[kind]
		if assert.True(t, ok, kind) {
			assert.Positive(t, w.Commits, kind)
			assert.GreaterOrEqual(t, w.Bytes, w.Commits*4096, kind)
		}
	}
	assert.Regexp(t, `\nwritten to the stores' files: [0-9.]+ KB per collected record \([0-9,]+ MB\)\n  catalogs +[0-9.]+ KB in [0-9,]+ commits\n`, r.stdout)
}
