package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/examples/internal/sector"
	"github.com/sicollab/sicollab/examples/internal/synth"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
	"github.com/sicollab/sicollab/submit"
)

// options are the demo's flags.
type options struct {
	records int
	seed    uint64
	days    int
	rate    float64
	data    string
	say     func(format string, args ...any)
}

// planning is what the leading group and the departments set up before
// collection: the requirement, the macro plan, each department's plan and
// the analysis task.
type planning struct {
	req   schema.Requirement
	macro schema.Plan
	plans map[string]schema.Plan // department -> its plan
	task  schema.Task
}

// plan is the planning stage (study 4.2.1): the leading group issues an
// early-warning requirement and a macro plan, each department derives its
// plan, and the leading group assigns public security the analysis task.
// Requirement and task travel down to every hub, which learns from them
// which purposes are active.
func (w *world) plan(ctx context.Context, start time.Time, days int) (*planning, error) {
	lg := w.Dir.LeadingGroup().ID
	now := w.now().UTC().Truncate(time.Second)
	var kinds, regions []string
	sectors := map[string]bool{}
	for _, o := range w.Dir.Orgs() {
		for _, k := range o.Submits {
			if !collab.IsMessageKind(k) && !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
		if !slices.Contains(regions, o.Region) {
			regions = append(regions, o.Region)
		}
		for _, s := range o.Sectors {
			sectors[string(s)] = true
		}
	}
	slices.Sort(kinds)
	slices.Sort(regions)
	scope := schema.Scope{
		Kinds: kinds, Sectors: slices.Sorted(mapsKeys(sectors)), Regions: regions,
		Window: schema.Window{From: start, To: now.AddDate(0, 0, 60)},
	}
	p := &planning{plans: map[string]schema.Plan{}}
	p.req = schema.Requirement{
		ID: sector.NewID(), Type: schema.RequirementEarlyWarning, Title: "Early warning across sectors",
		Description: "Standing early-warning collection from every sector of the scheme (synthetic demonstration).",
		Issuer:      lg, IssuedAt: now, Scope: scope, Priority: schema.PriorityHigh,
		LegalBasis: "synthetic demonstration basis", Status: schema.RequirementActive,
	}
	if err := collab.CheckRequirement(w.Dir, p.req); err != nil {
		return nil, err
	}
	p.macro = schema.Plan{
		ID: sector.NewID(), Level: schema.PlanMacro, RequirementID: p.req.ID, Owner: lg, Revision: 1, RevisedAt: now,
		Scope: scope, Objectives: []string{"Collect and link early-warning data from every sector"},
	}
	for _, k := range kinds {
		p.macro.Collection = append(p.macro.Collection, schema.PlanCollectionItem{Kind: k, Frequency: schema.FrequencyRealTime})
	}
	if err := collab.CheckMacroPlan(w.Dir, p.req, p.macro); err != nil {
		return nil, err
	}
	entries := []func() (collab.Entry, error){
		func() (collab.Entry, error) { return collab.EntryOfRequirement(p.req) },
		func() (collab.Entry, error) { return collab.EntryOfPlan(p.macro) },
	}
	for _, d := range departments(w.Dir) {
		var dk []string
		for _, k := range kinds {
			if d.CanReceive(k) {
				dk = append(dk, k)
			}
		}
		child := p.macro
		child.ID, child.Level, child.ParentID, child.Owner = sector.NewID(), schema.PlanDepartment, p.macro.ID, d.ID
		child.Scope.Kinds = dk
		child.Objectives = []string{"Process and analyse " + d.Name + "'s domain data"}
		child.Collection = nil
		for _, k := range dk {
			// The sources that submit here first are named, so that
			// feedback can change one source's collection.
			child.Collection = append(child.Collection, schema.PlanCollectionItem{
				Kind: k, Frequency: schema.FrequencyDaily, AssignedTo: firstHopSources(w.Dir, d.ID, k),
			})
		}
		if err := collab.Derive(w.Dir, p.macro, child); err != nil {
			return nil, fmt.Errorf("derive the plan of %s: %w", d.ID, err)
		}
		p.plans[d.ID] = child
		entries = append(entries, func() (collab.Entry, error) { return collab.EntryOfPlan(child) })
	}
	p.task = schema.Task{
		ID: sector.NewID(), PlanID: p.macro.ID, RequirementID: p.req.ID, Issuer: lg, Assignee: []string{"public-security"},
		Title: "Link cross-sector indicators", Instructions: "Link fund flows, travel, flagged accounts, precursor purchases and border crossings by subject; list what you find.",
		Kinds:    []string{schema.KindFinanceTransaction, schema.KindTransportPassenger, schema.KindTelecomAccountReport, schema.KindCommerceHazmat, schema.KindCustomsEntryExit},
		Priority: schema.PriorityHigh, IssuedAt: now, Deadline: now.AddDate(0, 0, 30),
	}
	if err := collab.AssignTask(w.Dir, p.macro, p.task); err != nil {
		return nil, err
	}
	entries = append(entries, func() (collab.Entry, error) { return collab.EntryOfTask(p.task) })
	for _, e := range entries {
		if err := w.record(ctx, e); err != nil {
			return nil, err
		}
	}
	// Interaction 1: requirement and task down to every hub.
	var hubs []string
	for _, d := range departments(w.Dir) {
		hubs = append(hubs, d.ID)
	}
	for kind, payload := range map[string]any{schema.KindRequirement: p.req, schema.KindTask: p.task} {
		if err := w.Post(ctx, lg, kind, schema.Purpose{RequirementID: p.req.ID}, payload, hubs...); err != nil {
			return nil, err
		}
	}
	if err := w.flush(ctx, collab.LeadingGroup); err != nil {
		return nil, err
	}
	return p, nil
}

func (w *world) record(ctx context.Context, entry func() (collab.Entry, error)) error {
	e, err := entry()
	if err != nil {
		return err
	}
	_, err = w.journal.Append(ctx, e)
	return err
}

// roundResult is what one cycle of collection, processing, analysis and
// application produced.
type roundResult struct {
	Round       int                           `json:"round"`
	Records     int                           `json:"records"`
	Pipeline    map[string]pipelineCounts     `json:"pipeline"` // by social force
	Products    []productSummary              `json:"products"`
	Escalations map[string]int                `json:"escalations"` // decision -> count
	Experts     []string                      `json:"experts"`
	Scores      []synth.Score                 `json:"scores"`
	Truth       []synth.Truth                 `json:"-"`
	Stored      map[string]int                `json:"stored"`  // hub -> records in its store after the round
	Clients     map[string]submit.ClientStats `json:"clients"` // this round's counters of each client
	Flow        *flowReport                   `json:"flow"`
	Yield       []sourceYield                 `json:"yield"` // by social force, for the analysing department's lists
	// BySource counts the records collected, by source and kind;
	// Withheld those the plans in force did not collect ("source kind").
	BySource map[string]map[string]int `json:"collected_by_source"`
	Withheld map[string]int            `json:"withheld_by_plan,omitempty"`
	// Read are the ministries' lists public security read over TAXII
	// after its analysis, and Verdicts what it sent back ("producer
	// verdict" -> count).
	Read     []productSummary `json:"read_over_taxii"`
	Verdicts map[string]int   `json:"verdicts"`
	// Task is set for a round run task-oriented.
	Task *taskRound `json:"task_oriented,omitempty"`
}

type pipelineCounts struct {
	Collected uint64            `json:"collected"`
	Delivered uint64            `json:"delivered"`
	Dropped   map[string]uint64 `json:"dropped,omitempty"`
}

type productSummary struct {
	Producer string          `json:"producer"`
	ListType schema.ListType `json:"list_type"`
	Entries  int             `json:"entries"`
}

// progressEvery is how often a long phase says how far it got.
const progressEvery = 2 * time.Second

// round runs one cycle over n synthetic records.
// Analysis reads everything the hubs hold, so findings are scored
// against the truth of this round and the rounds before (earlier).
// keep says whether the plans in force collect a kind from a source;
// channel is how public security gets an expert it lacks.
func (w *world) round(ctx context.Context, n, number int, seed uint64, start time.Time, days int, p *planning, earlier []synth.Truth,
	keep func(source, kind string) bool, channel schema.ExpertChannel, say func(string, ...any)) (*roundResult, error) {
	began := w.now()
	res := &roundResult{Round: number, Pipeline: map[string]pipelineCounts{}, Escalations: map[string]int{}, Stored: map[string]int{},
		BySource: map[string]map[string]int{}, Withheld: map[string]int{}, Verdicts: map[string]int{}}
	g, err := synth.New(synth.Config{Seed: seed, Start: start, Days: days, Purpose: schema.Purpose{RequirementID: p.req.ID}})
	if err != nil {
		return nil, err
	}
	records, truth, err := g.Scenario(n, synth.Patterns()...)
	if err != nil {
		return nil, err
	}
	res.Truth = truth
	misreported, err := decoys(records, number, start)
	if err != nil {
		return nil, err
	}

	// Collection and processing at the social forces (4.2.2, 4.2.3), then
	// submission upward (interaction 2).
	say("round %d: collecting and submitting %d records (%d planted patterns)", number, n, len(truth))
	w.flows.reset()
	before := w.stats()
	stop := progress(say, fmt.Sprintf("round %d: submitted", number), n, func() int {
		done := 0
		for org, s := range since(w.stats(), before) {
			if o, ok := w.Dir.Org(org); ok && o.Tier == collab.SocialForce {
				done += int(s.Delivered + s.Duplicate + s.DeadLettered)
			}
		}
		return done
	}, progressEvery, time.Now)
	collected := map[string]int{} // by source, for the yield
	st, err := w.collect(ctx, func(yield func(schema.Envelope) bool) {
		take := func(env schema.Envelope) bool {
			if !keep(env.Source, env.Kind) {
				res.Withheld[env.Source+" "+env.Kind]++
				return true
			}
			collected[env.Source]++
			if res.BySource[env.Source] == nil {
				res.BySource[env.Source] = map[string]int{}
			}
			res.BySource[env.Source][env.Kind]++
			return yield(env)
		}
		for env := range records {
			if !take(env) {
				return
			}
		}
		for _, env := range misreported {
			if !take(env) {
				return
			}
		}
	})
	if err == nil {
		err = w.flush(ctx, collab.SocialForce)
	}
	stop()
	if err != nil {
		return nil, err
	}
	res.Records = int(st.Collected)
	res.Pipeline["social forces"] = pipelineCounts{Collected: st.Collected, Delivered: st.Delivered, Dropped: st.Dropped()}
	say("round %d: ministries relaying upward", number)
	if err := w.flush(ctx, collab.GeneralBusinessDepartment); err != nil {
		return nil, err
	}

	// Analysis and application at the general business departments: domain
	// lists, then handle here or escalate (4.2.4, 4.2.5; interaction 5).
	gbdPatterns := map[string]synth.Pattern{
		"central-bank": synth.PatternStructuring, "miit": synth.PatternPrecursor, "customs": synth.PatternEntryExit,
	}
	for _, org := range slices.Sorted(mapsKeys(gbdPatterns)) {
		products, err := w.analyse(ctx, org, []synth.Pattern{gbdPatterns[org]}, p, start, days, keep)
		if err != nil {
			return nil, err
		}
		for _, prod := range products {
			res.Products = append(res.Products, productSummary{org, prod.ListType, len(prod.Entries)})
			if err := w.escalate(ctx, org, prod, p, res); err != nil {
				return nil, err
			}
		}
	}
	if err := w.flush(ctx, collab.GeneralBusinessDepartment); err != nil {
		return nil, err
	}

	// Analysis at public security: an expert first if the task needs one,
	// then every pattern over every source.
	say("round %d: public security analysing", number)
	if err := w.second(ctx, p, res, channel); err != nil {
		return nil, err
	}
	products, err := w.analyse(ctx, "public-security", synth.Patterns(), p, start, days, func(string, string) bool { return true })
	if err != nil {
		return nil, err
	}
	var findings []synth.Finding
	found := map[string]bool{}
	for _, prod := range products {
		res.Products = append(res.Products, productSummary{"public-security", prod.ListType, len(prod.Entries)})
		pattern := map[schema.ListType]synth.Pattern{
			schema.ListAbnormalFinancialActivity: synth.PatternStructuring, schema.ListPassengerTrajectory: synth.PatternCoTravel,
			schema.ListHazmatPurchases: synth.PatternPrecursor, schema.ListAbnormalEntryExit: synth.PatternEntryExit,
		}[prod.ListType]
		for _, e := range prod.Entries {
			findings = append(findings, synth.Finding{Pattern: pattern, Subjects: []string{e.Subject.Pseudonym}})
			found[e.Subject.Pseudonym] = true
		}
	}
	res.Scores = synth.Evaluate(append(slices.Clone(earlier), truth...), findings)

	// Application (4.2.5): public security first queries the products that
	// exist, then acts on each entry.
	if err := w.apply(ctx, p, res); err != nil {
		return nil, err
	}
	// It reads the ministries' lists over TAXII and sends its verdicts
	// on their entries back to them.
	if err := w.judge(ctx, p, began, found, res); err != nil {
		return nil, err
	}
	for _, d := range departments(w.Dir) {
		if n, err := w.hub(d.ID).Store.Count(); err == nil {
			res.Stored[d.ID] = n
		}
	}
	res.Clients = since(w.stats(), before)
	res.Flow = w.flows.report()
	if res.Yield, err = w.yields(ctx, "public-security", products, collected); err != nil {
		return nil, err
	}
	return res, nil
}

// collect is the collection and first processing of every collecting
// organization, each in a pipeline of its own as in its own systems:
// drop duplicates, and submit to where the directory routes each record
// (a ministry's own records enter its own hub), whose client validates it
// once as it stamps it (an invalid record is dropped as invalid). The synthetic
// source is read once and dealt to the organizations through bounded
// channels, so a slow one holds the others back rather than memory grow.
func (w *world) collect(ctx context.Context, records iter.Seq[schema.Envelope]) (stage.Stats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	feeds := map[string]chan schema.Envelope{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var total stage.Stats
	var errs []error
	start := func(org string) chan schema.Envelope {
		ch := make(chan schema.Envelope, 256)
		feeds[org] = ch
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := w.collectAt(ctx, org, ch)
			mu.Lock()
			defer mu.Unlock()
			total.Collected += st.Collected
			total.Delivered += st.Delivered
			if total.Steps == nil {
				total.Steps = st.Steps
			} else {
				for i := range st.Steps {
					for r, n := range st.Steps[i].Dropped {
						if total.Steps[i].Dropped == nil {
							total.Steps[i].Dropped = map[string]uint64{}
						}
						total.Steps[i].Dropped[r] += n
					}
				}
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", org, err))
				cancel()
				for range ch { // let the dealer go on
				}
			}
		}()
		return ch
	}
	for env := range records {
		ch, ok := feeds[env.Source]
		if !ok {
			ch = start(env.Source)
		}
		select {
		case ch <- env:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	for _, ch := range feeds {
		close(ch)
	}
	wg.Wait()
	return total, errors.Join(append(errs, context.Cause(ctx))...)
}

// collectAt is one organization's pipeline.
func (w *world) collectAt(ctx context.Context, org string, in <-chan schema.Envelope) (stage.Stats, error) {
	dedupe, err := stage.NewDedupe(stage.DedupeConfig{})
	if err != nil {
		return stage.Stats{}, err
	}
	// A ministry's own records enter its own hub (which relays them); a
	// social force's go wherever the directory routes them.
	var sink stage.Submitter
	if isGBD(w.Dir, org) {
		if sink, err = w.Client(org, org, true); err != nil {
			return stage.Stats{}, err
		}
	} else if sink, err = w.Router(org, false); err != nil {
		return stage.Stats{}, err
	}
	return stage.Run(ctx, stage.Config{
		Collector: stage.CollectorFunc(func(ctx context.Context, emit func(schema.Envelope) error) error {
			for env := range in {
				if err := emit(env); err != nil {
					return err
				}
			}
			return nil
		}),
		Steps: []stage.Step{
			{Name: "dedupe", Processor: dedupe, Concurrency: 1},
		},
		Sink: sector.ValidatedBySink(sink),
		// Concurrent Submits to one client share one outbox commit:
		// enough of them that a commit holds a few hundred records.
		SinkConcurrency: 256,
	})
}

func isGBD(dir *collab.Directory, org string) bool {
	o, ok := dir.Org(org)
	return ok && o.Tier == collab.GeneralBusinessDepartment
}

// analyse reads what org's hub holds through analysts for patterns, keeps
// the products in org's catalog and, from a general business department,
// sends them up to public security. Only the records of sources and kinds
// the plans in force collect (keep) are read: a source stopped for its
// false positives is no longer listed from its earlier records either.
func (w *world) analyse(ctx context.Context, org string, patterns []synth.Pattern, p *planning, start time.Time, days int,
	keep func(source, kind string) bool) ([]schema.Product, error) {
	h := w.hub(org)
	period := schema.Window{From: start, To: start.AddDate(0, 0, days+1)}
	var analyzers []stage.Analyzer
	for _, pat := range patterns {
		a := newAnalyst(pat, org, schema.Purpose{RequirementID: p.req.ID}, period, w.now)
		if isGBD(w.Dir, org) {
			a.minInstitutions = 1 // a ministry's domain rule: repeated band deposits anywhere
		}
		analyzers = append(analyzers, a)
	}
	var mu sync.Mutex
	var out []schema.Product
	_, err := stage.Run(ctx, stage.Config{
		Collector: stage.CollectorFunc(func(ctx context.Context, emit func(schema.Envelope) error) error {
			return w.scan(ctx, h, func(env schema.Envelope) error {
				if !keep(env.Source, env.Kind) {
					return nil
				}
				return emit(env)
			})
		}),
		Sink:      stage.SubmitterFunc(func(context.Context, schema.Envelope) error { return nil }),
		Analyzers: analyzers,
		Products: stage.PublisherFunc(func(ctx context.Context, prod schema.Product) error {
			if err := h.Catalog.Put(ctx, prod); err != nil {
				return err
			}
			if err := w.record(ctx, func() (collab.Entry, error) { return collab.EntryOfProduct(prod) }); err != nil {
				return err
			}
			mu.Lock()
			out = append(out, prod)
			mu.Unlock()
			if isGBD(w.Dir, org) {
				return w.Post(ctx, org, schema.KindProduct, schema.Purpose{RequirementID: p.req.ID}, prod, "public-security")
			}
			return nil
		}),
	})
	slices.SortFunc(out, func(a, b schema.Product) int { return cmp.Compare(a.ListType, b.ListType) })
	return out, err
}

// scan emits every record a hub holds, kind by kind, a page at a time.
func (w *world) scan(ctx context.Context, h *sector.Hub, emit func(schema.Envelope) error) error {
	for _, k := range synth.Kinds() {
		if err := h.Scan(ctx, k, emit); err != nil {
			return err
		}
	}
	return nil
}

// apply is public security's application stage: it queries the catalog
// for existing products first, acts on every entry (an action in the
// journal), and reports the task done.
func (w *world) apply(ctx context.Context, p *planning, res *roundResult) error {
	cat := w.hub("public-security").Catalog
	cursor := ""
	for {
		page, err := cat.Query(ctx, collab.ProductQuery{Producer: "public-security", Limit: 100, Cursor: cursor})
		if err != nil {
			return err
		}
		for _, prod := range page.Products {
			for _, e := range prod.Entries {
				data := fmt.Sprintf(`{"product":%q,"subject":%q,"action":"open_case"}`, prod.ID, e.Subject.Pseudonym)
				if _, err := w.journal.Append(ctx, collab.Entry{
					At: w.now().UTC(), Kind: collab.EntryAction, Org: "public-security", Ref: prod.ID, Data: []byte(data),
				}); err != nil {
					return err
				}
			}
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	return nil
}

// report is public security's monthly work report (4.2.6), from the
// journal; the plan revisions feedback prompts follow it (loop.go).
func (w *world) report(ctx context.Context, p *planning) (schema.FeedbackReport, error) {
	now := w.now().UTC()
	return collab.MonthlyReport(ctx, w.journal, "public-security", now, now)
}

func firstOr(s []string, d string) string {
	if len(s) > 0 {
		return s[0]
	}
	return d
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// moveTask records public security moving its task on (interaction 1).
func (w *world) moveTask(ctx context.Context, p *planning, from, to schema.TaskState) error {
	s := schema.TaskStatus{TaskID: p.task.ID, State: to, PreviousState: from, By: "public-security", At: w.now().UTC()}
	if err := collab.Transition(p.task, from, s); err != nil {
		return err
	}
	return w.record(ctx, func() (collab.Entry, error) { return collab.EntryOfTaskStatus(s) })
}
