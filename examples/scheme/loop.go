package main

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/examples/internal/sector"
	"github.com/sicollab/sicollab/examples/internal/synth"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// decoySource is the payment provider whose export misreports: it labels
// merchants' wallet top-ups at agents as cash deposits. Each of
// decoyMerchants merchants gets five of them in five days, just under the
// reporting threshold, all at this one institution. The central bank's
// domain rule (repeated band deposits, at any number of institutions)
// lists them; public security's cross-sector rule (deposits spread over
// institutions) does not, so its verdict on them is false positive and
// the planted patterns' precision is untouched.
const (
	decoySource    = "payment-east-01"
	decoyMerchants = 3
)

// demoYield is the yield policy of the demo's ministries: the default,
// but one verdict judges a source, as one planted structuring per round
// gives a bank one entry.
var demoYield = collab.YieldPolicy{MinRecords: 1000, MinVerdicts: 1, RaiseShare: 0.5, StopShare: 0.8}

// decoys returns the misreported records of decoySource for a round whose
// data starts at start, modelled on the source's first record in records.
func decoys(records iter.Seq[schema.Envelope], round int, start time.Time) ([]schema.Envelope, error) {
	var tmpl schema.Envelope
	found := false
	for env := range records {
		if env.Source == decoySource && env.Kind == schema.KindFinanceTransaction {
			tmpl, found = env, true
			break
		}
	}
	if !found {
		return nil, fmt.Errorf("no %s record from %s to model the decoys on", schema.KindFinanceTransaction, decoySource)
	}
	ps, err := schema.NewPseudonymizer(synth.DefaultKeyID, synth.DefaultKey())
	if err != nil {
		return nil, err
	}
	var out []schema.Envelope
	for m := range decoyMerchants {
		holder, err := ps.Pseudonym(schema.IDNationalID, fmt.Sprintf("SNDECOY%d%04d", round, m))
		if err != nil {
			return nil, err
		}
		wallet, err := ps.Pseudonym(schema.IDAccount, fmt.Sprintf("W%d%08d", round, m))
		if err != nil {
			return nil, err
		}
		for i := range 5 {
			t := start.Add(time.Duration(3+2*m+i)*24*time.Hour + time.Duration(2+i)*time.Hour).UTC()
			tx := schema.FinanceTransaction{
				Reference: fmt.Sprintf("PE-TOPUP-%s-%d%02d%d", t.Format("20060102"), round, m, i), ExecutedAt: t,
				Amount: schema.Money{Amount: fmt.Sprintf("%d.00", 46000+700*i+150*m), Currency: "CNY"},
				Type:   schema.FinanceTxCashDeposit, Channel: schema.FinanceChannelAgent,
				Beneficiary: &schema.FinanceAccount{Account: wallet, Holder: &holder, Institution: decoySource, Country: "CN"},
			}
			env := schema.Envelope{
				ID: sector.NewID(), Kind: tmpl.Kind, SchemaVersion: tmpl.SchemaVersion, Source: decoySource,
				CollectedAt: t.Add(time.Hour), Purpose: tmpl.Purpose, LegalBasis: tmpl.LegalBasis, Handling: tmpl.Handling,
				RetainUntil: tmpl.RetainUntil,
			}
			if err := env.SetPayload(tx); err != nil {
				return nil, err
			}
			if len(tmpl.Provenance) > 0 {
				if err := env.Stamp(decoySource, schema.StageCollection, env.CollectedAt); err != nil {
					return nil, err
				}
			}
			out = append(out, env)
		}
	}
	return out, nil
}

// judge is public security's verdict on the ministries' lists of this
// round, read over TAXII: an entry whose subject its own cross-sector
// analysis found too is confirmed; any other is a false positive. Each verdict goes back to the
// list's producer (collab.entry_feedback), whose hub checks and journals
// it.
func (w *world) judge(ctx context.Context, p *planning, since time.Time, found map[string]bool, res *roundResult) error {
	lists, err := w.pullLists(ctx, "public-security", since)
	if err != nil {
		return err
	}
	now := w.now().UTC()
	for _, prod := range lists {
		res.Read = append(res.Read, productSummary{prod.Producer, prod.ListType, len(prod.Entries)})
		for _, e := range prod.Entries {
			var verdicts []schema.EntryFeedback
			base := schema.EntryFeedback{ProductID: prod.ID, Producer: prod.Producer, Subject: e.Subject, By: "public-security", At: now}
			if found[e.Subject.Pseudonym] {
				// Public security acts on its own list's entry about the
				// subject (apply); the ministry's entry it confirms.
				c := base
				c.ID, c.Verdict, c.Note = sector.NewID(), schema.VerdictConfirmed, "Found by cross-sector analysis too."
				verdicts = append(verdicts, c)
			} else {
				f := base
				f.ID, f.Verdict, f.Note = sector.NewID(), schema.VerdictFalsePositive, "Not borne out by cross-sector analysis."
				verdicts = append(verdicts, f)
			}
			for _, v := range verdicts {
				res.Verdicts[prod.Producer+" "+string(v.Verdict)]++
				if err := w.Post(ctx, "public-security", schema.KindEntryFeedback, schema.Purpose{RequirementID: p.req.ID}, v, prod.Producer); err != nil {
					return err
				}
			}
		}
	}
	return w.Flush(ctx, "public-security")
}

// planChange is one change feedback made to a plan between the rounds,
// with its reason and the numbers before and after.
type planChange struct {
	Plan     string `json:"plan"` // its owner
	Revision int    `json:"revision"`
	Change   string `json:"change"` // raise, lower, stop, drop
	Source   string `json:"source,omitempty"`
	Kind     string `json:"kind"`
	From     string `json:"from,omitempty"` // frequency before
	To       string `json:"to,omitempty"`   // frequency after
	Why      string `json:"why"`
	Round1   int    `json:"records_round_1"` // collected, by the source (or of the kind)
	Round2   int    `json:"records_round_2"`
}

// loopFeedback is what the feedback stage produced between the rounds.
type loopFeedback struct {
	Reports []schema.FeedbackReport `json:"reports"` // the ministry's and the leading group's reading
	Changes []planChange            `json:"changes"`
}

// storeSource names the source of a record a hub holds.
func (w *world) storeSource(ctx context.Context, org string) func(string) (string, bool) {
	store := w.hub(org).Store
	return func(id string) (string, bool) {
		env, err := store.Get(ctx, id)
		if err != nil {
			return "", false
		}
		return env.Source, true
	}
}

// ministryFeedback is the central bank's monthly report with its
// sources' yield (verdicts from public security included), and the plan
// revision the HorizonPlanner makes from it: raise a productive bank,
// stop the source of false positives.
func (w *world) ministryFeedback(ctx context.Context, p *planning, lf *loopFeedback) error {
	const org = "central-bank"
	plan := p.plans[org]
	fb, err := stage.NewFeedbacker(stage.FeedbackerConfig{
		Reporter: org, Type: schema.FeedbackMonthly, Plan: &plan, Yield: &demoYield, SourceOf: w.storeSource(ctx, org), Now: w.now,
	})
	if err != nil {
		return err
	}
	now := w.now().UTC()
	rep, err := fb.Feedback(ctx, schema.Window{From: now, To: now}, w.journal.Entries(ctx, 0))
	if err != nil {
		return err
	}
	e, err := collab.EntryOfFeedbackReport(rep, w.Dir.LeadingGroup().ID)
	if err != nil {
		return err
	}
	if _, err := w.journal.Append(ctx, e); err != nil {
		return err
	}
	lf.Reports = append(lf.Reports, rep)
	pl, err := stage.NewPlanner(stage.PlannerConfig{Directory: w.Dir, Owner: org, Now: func() time.Time { return w.now().Add(time.Second) }})
	if err != nil {
		return err
	}
	out, err := pl.Plan(ctx, stage.PlanInput{Requirement: p.req, Parent: &p.macro, Current: &plan, Feedback: []schema.FeedbackReport{rep}})
	if errors.Is(err, stage.ErrNoRevision) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := w.record(ctx, func() (collab.Entry, error) { return collab.EntryOfPlan(out.Plan) }); err != nil {
		return err
	}
	p.plans[org] = out.Plan
	for _, r := range rep.Recommendations {
		c := planChange{Plan: org, Revision: out.Plan.Revision, Source: r.Source, Kind: r.Kind, Why: r.Note}
		switch r.Type {
		case schema.RecommendStopSource:
			c.Change = "stop"
		case schema.RecommendAdjustFrequency:
			c.To = string(r.Frequency)
			for _, it := range plan.Collection {
				if it.Kind == r.Kind && slices.Contains(it.AssignedTo, r.Source) {
					c.From = string(it.Frequency)
				}
			}
			c.Change = "raise"
			if f, ok := collab.Faster(schema.Frequency(c.To)); ok && string(f) == c.From {
				c.Change = "lower"
			}
		default:
			continue
		}
		lf.Changes = append(lf.Changes, c)
	}
	return nil
}

// readKinds are the kinds each of public security's rules reads.
var readKinds = map[synth.Pattern][]string{
	synth.PatternStructuring: {schema.KindFinanceTransaction},
	synth.PatternCoTravel:    {schema.KindTransportPassenger, schema.KindTelecomAccountReport},
	synth.PatternPrecursor:   {schema.KindCommerceHazmat, schema.KindTelecomAccountReport},
	synth.PatternEntryExit:   {schema.KindCustomsEntryExit},
}

// departmentFeedback is public security's side: a kind of its plan of
// which it took records in that no rule of its analysis reads and no
// entry of its lists cites is an unproductive scope, dropped from its
// plan (a narrowing, never a widening).
func (w *world) departmentFeedback(ctx context.Context, p *planning, r1 *roundResult, report schema.FeedbackReport, lf *loopFeedback) error {
	const org = "public-security"
	plan := p.plans[org]
	held, err := w.hub(org).Held(ctx)
	if err != nil {
		return err
	}
	read := map[string]bool{}
	for _, ks := range readKinds {
		for _, k := range ks {
			read[k] = true
		}
	}
	var keep, dropped []string
	for _, k := range plan.Scope.Kinds {
		if held[k] > 0 && !read[k] {
			dropped = append(dropped, k)
			continue
		}
		keep = append(keep, k)
	}
	if len(dropped) == 0 {
		return nil
	}
	scope := plan.Scope
	scope.Kinds = keep
	var items []schema.PlanCollectionItem
	for _, it := range plan.Collection {
		if slices.Contains(keep, it.Kind) {
			items = append(items, it)
		}
	}
	var why []string
	for _, k := range dropped {
		why = append(why, fmt.Sprintf("%s (%d records held, no list reads it, no entry cites it)", k, held[k]))
	}
	reason := "Monthly review: unproductive scope dropped: " + strings.Join(why, "; ") + "."
	revised, err := collab.Revise(w.Dir, plan, p.macro.Scope, collab.PlanRevision{
		At: w.now().Add(time.Second), Reason: reason, FeedbackReportID: report.ID, Scope: &scope, Collection: items,
	})
	if err != nil {
		return err
	}
	if err := w.record(ctx, func() (collab.Entry, error) { return collab.EntryOfPlan(revised) }); err != nil {
		return err
	}
	p.plans[org] = revised
	for _, k := range dropped {
		lf.Changes = append(lf.Changes, planChange{Plan: org, Revision: revised.Revision, Change: "drop", Kind: k,
			Why:    fmt.Sprintf("%d records of %s held after round 1, read by no list, cited by no entry: dropped from the plan's scope.", held[k], k),
			Round1: r1.kindTotal(k)})
	}
	return nil
}

// leadingGroupReading is the leading group's monthly report, which reads
// the departments' work reports (study 4.2.5: it "applies departmental
// work reports").
func (w *world) leadingGroupReading(ctx context.Context, p *planning, psReport schema.FeedbackReport, lf *loopFeedback) error {
	e, err := collab.EntryOfFeedbackReport(psReport, w.Dir.LeadingGroup().ID)
	if err != nil {
		return err
	}
	if _, err := w.journal.Append(ctx, e); err != nil {
		return err
	}
	fb, err := stage.NewFeedbacker(stage.FeedbackerConfig{
		Reporter: w.Dir.LeadingGroup().ID, Type: schema.FeedbackMonthly, ReadReports: true, Plan: &p.macro, Now: w.now,
	})
	if err != nil {
		return err
	}
	now := w.now().UTC()
	rep, err := fb.Feedback(ctx, schema.Window{From: now, To: now}, w.journal.Entries(ctx, 0))
	if err != nil {
		return err
	}
	lf.Reports = append(lf.Reports, rep)
	return nil
}

// kindTotal is how many records of kind the round collected.
func (r *roundResult) kindTotal(kind string) int {
	n := 0
	for _, by := range r.BySource {
		n += by[kind]
	}
	return n
}

// collects returns whether the plans in force collect kind from source:
// the requirement's scope covers the kind, and the plan of a hub the
// source's records of the kind go to first (its own, for a ministry's own
// records) collects the kind from it: an item of the kind names it, or
// names no one.
func collects(dir *collab.Directory, req schema.Requirement, plans map[string]schema.Plan) func(source, kind string) bool {
	return func(source, kind string) bool {
		if !slices.Contains(req.Scope.Kinds, kind) {
			return false
		}
		hops, err := dir.Route(source, kind)
		if err != nil {
			return false
		}
		if isGBD(dir, source) {
			hops = []string{source}
		}
		governed := false
		for _, hub := range hops {
			pl, ok := plans[hub]
			if !ok {
				continue
			}
			governed = true
			for _, it := range pl.Collection {
				if it.Kind == kind && (len(it.AssignedTo) == 0 || slices.Contains(it.AssignedTo, source)) {
					return true
				}
			}
		}
		return !governed
	}
}

// firstHopSources are the organizations whose records of kind go first
// to the hub of dept (a ministry's own records included), sorted.
func firstHopSources(dir *collab.Directory, dept, kind string) []string {
	var out []string
	for _, o := range dir.Orgs() {
		if !slices.Contains(o.Submits, kind) {
			continue
		}
		if o.ID == dept && isGBD(dir, dept) {
			out = append(out, o.ID)
			continue
		}
		if o.Tier != collab.SocialForce {
			continue
		}
		if next, err := dir.Route(o.ID, kind); err == nil && slices.Contains(next, dept) {
			out = append(out, o.ID)
		}
	}
	slices.Sort(out)
	return out
}
