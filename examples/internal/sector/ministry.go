package sector

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// Lists names the domain list each general business department of the
// synthetic scheme produces.
var Lists = map[string]schema.ListType{
	"central-bank":       schema.ListAbnormalFinancialActivity,
	"transport-ministry": schema.ListPassengerTrajectory,
	"miit":               schema.ListFlaggedAccounts,
	"customs":            schema.ListAbnormalEntryExit,
}

// Thresholds of a ministry's lists: a record scoring RealTimeScore lists
// its subjects at once; a subject whose week scores DailyScore is on the
// daily list; a week with BusyWeek records about one subject scores too.
// A case scoring EscalateScore is escalated; below, it is handled here.
const (
	EscalateScore = 0.7
	RealTimeScore = 0.5
	DailyScore    = 0.5
	BusyWeek      = 6
)

// Ministry is a general business department at work. Its hub receives
// from its sector; every record goes through its processing pipeline
// (verify, validate, normalize, dedupe, integrate submissions about the
// same event from different enterprises and regions, assess, stamp) and
// is relayed upward; two analyzers make its domain list, one in real time
// (a product as soon as a record of high value names a subject) and one
// daily (a list each day of the subjects whose last seven days add up). Each product goes to the catalog
// and upward, and each entry to the escalator: handle here, or escalate
// to a specialized department (interaction 5).
type Ministry struct {
	Org string
	Hub *Hub

	s      *Scheme
	req    schema.Requirement
	kinds  []string        // the record kinds of its sector, the evidence of its cases
	assess *stage.Assessor // for the analyzers
	step   *stage.Assessor // the processing step, which counts
	esc    *collab.Escalator
	in     chan schema.Envelope
	pipe   *stage.Pipeline

	gate      sync.RWMutex // closed and in: the hub's tee reads, Finish writes
	closed    bool
	mu        sync.Mutex
	products  map[schema.Frequency]int
	decisions map[schema.EscalationDecision]int
	merged    atomic.Int64
	assessed  atomic.Int64
}

// MinistryResult is what a Ministry did.
type MinistryResult struct {
	Pipeline  stage.Stats
	Merged    int64 // records merged into another about the same event
	OfValue   int64 // records the assessment scored above 0
	Products  map[schema.Frequency]int
	Decisions map[schema.EscalationDecision]int
}

// StartMinistry starts the hub of org and its pipeline, relaying to the
// specialized departments the directory routes to (they must be
// reachable when records come).
func (s *Scheme) StartMinistry(ctx context.Context, org string, req schema.Requirement) (*Ministry, error) {
	o, ok := s.Dir.Org(org)
	if !ok || o.Tier != collab.GeneralBusinessDepartment {
		return nil, fmt.Errorf("%q is not a general business department of the directory", org)
	}
	m := &Ministry{
		Org: org, s: s, req: req, in: make(chan schema.Envelope, 256),
		products: map[schema.Frequency]int{}, decisions: map[schema.EscalationDecision]int{},
	}
	for _, k := range o.Receives {
		if !collab.IsMessageKind(k) && o.CanSubmit(k) {
			m.kinds = append(m.kinds, k)
		}
	}
	rules := []stage.Rule{stage.IndicatorRule(0.5)}
	var err error
	if m.assess, err = stage.NewAssessor(stage.AssessConfig{Rules: rules}); err != nil {
		return nil, err
	}
	if m.step, err = stage.NewAssessor(stage.AssessConfig{
		Rules: rules,
		OnAssess: func(_ schema.Envelope, a stage.Assessment) {
			if a.Score > 0 {
				m.assessed.Add(1)
			}
		},
	}); err != nil {
		return nil, err
	}
	if m.esc, err = collab.NewEscalator(collab.EscalatorConfig{
		Directory: s.Dir, Journal: s.Journal, Policy: collab.ThresholdPolicy{Threshold: EscalateScore},
	}); err != nil {
		return nil, err
	}
	cfg, err := m.pipeline()
	if err != nil {
		return nil, err
	}
	if m.Hub, err = s.StartHub(org, m.tee); err != nil {
		return nil, err
	}
	m.pipe, err = stage.Start(ctx, cfg)
	return m, err
}

func (m *Ministry) pipeline() (stage.Config, error) {
	verify, err := stage.NewVerify(stage.VerifyConfig{Directory: m.s.Dir})
	if err != nil {
		return stage.Config{}, err
	}
	dedupe, err := stage.NewDedupe(stage.DedupeConfig{})
	if err != nil {
		return stage.Config{}, err
	}
	integrate, err := stage.NewIntegrate(stage.IntegrateConfig{Org: m.Org, OnMerge: func(i stage.MergeInfo) {
		m.merged.Add(int64(len(i.MergedIDs)))
	}})
	if err != nil {
		return stage.Config{}, err
	}
	product := stage.ProductConfig{ListType: Lists[m.Org], Frequency: schema.FrequencyDaily, Producer: m.Org, RequirementID: m.req.ID}
	daily, err := stage.NewWindowAnalyzer(stage.WindowAnalyzerConfig[day]{
		Window: stage.WindowConfig{Size: 7 * 24 * time.Hour, Slide: 24 * time.Hour,
			// The social forces' backlogs arrive interleaved in any order:
			// windows wait for the whole backlog rather than drop late records.
			AllowedLateness: (Days + 1) * 24 * time.Hour},
		Fold: m.fold, Score: scoreDay, Product: product,
	})
	if err != nil {
		return stage.Config{}, err
	}
	return stage.Config{
		Collector: stage.CollectorFunc(func(ctx context.Context, emit func(schema.Envelope) error) error {
			for env := range m.in {
				if err := emit(env); err != nil {
					return err
				}
			}
			return nil
		}),
		Steps: []stage.Step{
			{Name: "verify", Processor: verify, OnError: stage.PolicyDrop, DropReason: "unverified"},
			{Name: "normalize", Processor: stage.Normalize(), OnError: stage.PolicyDrop, DropReason: "malformed"},
			{Name: "dedupe", Processor: dedupe},
			{Name: "integrate", Processor: integrate},
			{Name: "assess", Processor: m.step},
			{Name: "stamp", Processor: stage.Stamp(m.Org, schema.StageProcessing, nil)},
		},
		// No validate step: the hub validated each record on arrival,
		// and the client validates it once more as processed and stamped.
		Sink:            ValidatedBySink(stage.SubmitterFunc(m.relay)),
		SinkConcurrency: 8,
		Analyzers:       []stage.Analyzer{realTime{m}, daily},
		Products:        stage.PublisherFunc(m.publish),
	}, nil
}

// tee hands the records the hub stored to the pipeline; the pipeline's
// backpressure holds the hub's answer, and so the sender.
// Collaboration messages (tasks, expert requests) only stay in the store,
// also once processing has stopped.
func (m *Ministry) tee(ctx context.Context, envs []schema.Envelope) error {
	m.gate.RLock()
	defer m.gate.RUnlock()
	for _, env := range envs {
		if collab.IsMessageKind(env.Kind) {
			continue
		}
		if m.closed {
			return errors.New("ministry: processing stopped")
		}
		select {
		case m.in <- env:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// relay forwards a processed record to the specialized departments the
// directory routes it to (interaction 2), through the scheme's Router.
// RED records stay here.
func (m *Ministry) relay(ctx context.Context, env schema.Envelope) error {
	if env.Handling == schema.HandlingRed {
		return stage.Drop("red_stays")
	}
	r, err := m.s.Router(m.Org, true)
	if err != nil {
		return err
	}
	return r.Submit(ctx, env)
}

// day is what the daily list keeps of a subject's last seven days.
type day struct {
	records int
	value   float64 // the week's records' scores combined as independent evidence
	reasons []string
}

func (m *Ministry) fold(d day, r stage.Record) day {
	d.records++
	a, err := m.assess.Assess(context.Background(), r.Env)
	if err == nil && a.Score > 0 {
		d.value = 1 - (1-d.value)*(1-a.Score)
		for _, why := range a.Reasons {
			if !slices.Contains(d.reasons, why) {
				d.reasons = append(d.reasons, why)
			}
		}
	}
	return d
}

func scoreDay(r stage.WindowResult[day]) (schema.ProductEntry, bool) {
	d := r.Value
	score, reasons := d.value, slices.Clone(d.reasons)
	if d.records >= BusyWeek {
		score = 1 - (1-score)*0.5
		reasons = append(reasons, fmt.Sprintf("%d records in a week", d.records))
	}
	return schema.ProductEntry{Score: score, Reasons: reasons}, score >= DailyScore
}

// realTime lists the subjects of a record of high value at once.
type realTime struct{ m *Ministry }

func (a realTime) Analyze(ctx context.Context, env schema.Envelope, emit func(schema.Product) error) error {
	as, err := a.m.assess.Assess(ctx, env)
	if err != nil || as.Score < RealTimeScore {
		return err
	}
	subjects, err := stage.Subjects(env)
	if err != nil || len(subjects) == 0 {
		return err
	}
	ev, err := stage.EventOf(env)
	if err != nil {
		return err
	}
	p := schema.Product{
		ID: NewID(), ListType: Lists[a.m.Org], Frequency: schema.FrequencyRealTime, Producer: a.m.Org,
		RequirementID: a.m.req.ID, ProducedAt: time.Now().UTC(),
		Period: schema.Window{From: ev.Time.Truncate(time.Second), To: ev.Time.Truncate(time.Second).Add(time.Second)},
	}
	for _, s := range subjects {
		p.Entries = append(p.Entries, schema.ProductEntry{Subject: s, Score: as.Score, Reasons: as.Reasons, EvidenceIDs: []string{env.ID}})
	}
	return emit(p)
}

func (realTime) Flush(context.Context, func(schema.Product) error) error { return nil }

// publish keeps a product in the catalog, journals it, sends it upward
// and puts each of its entries to the escalator.
func (m *Ministry) publish(ctx context.Context, p schema.Product) error {
	if err := m.Hub.Catalog.Put(ctx, p); err != nil {
		return err
	}
	entry, err := collab.EntryOfProduct(p)
	if err != nil {
		return err
	}
	if _, err := m.s.Journal.Append(ctx, entry); err != nil {
		return err
	}
	purpose := schema.Purpose{RequirementID: m.req.ID}
	if err := m.s.Post(ctx, m.Org, schema.KindProduct, purpose, p, m.reachable(schema.KindProduct)...); err != nil {
		return err
	}
	m.mu.Lock()
	m.products[p.Frequency]++
	m.mu.Unlock()
	for _, e := range p.Entries {
		d, err := m.esc.Decide(ctx, m.Org, collab.Case{
			Subjects: []schema.Subject{e.Subject}, EvidenceIDs: append([]string{p.ID}, e.EvidenceIDs[:min(len(e.EvidenceIDs), 50)]...),
			EvidenceKinds: m.kinds, Score: e.Score, Reasons: e.Reasons, RequirementID: m.req.ID,
		})
		if err != nil {
			return err
		}
		m.mu.Lock()
		m.decisions[d.Decision]++
		m.mu.Unlock()
		if m.s.Reaches(d.To) {
			if err := m.s.Post(ctx, m.Org, schema.KindEscalation, purpose, d, d.To); err != nil {
				return err
			}
		}
	}
	return nil
}

// reachable lists the hubs a message of kind from the ministry goes to
// that this process reaches.
func (m *Ministry) reachable(kind string) []string {
	to, _ := m.s.Dir.Route(m.Org, kind)
	return slices.DeleteFunc(to, func(t string) bool { return !m.s.Reaches(t) })
}

// Finish stops taking records once every sender has had its receipts,
// drains the pipeline (the daily windows close), and waits for the
// receipts of what the ministry relayed and sent.
func (m *Ministry) Finish(ctx context.Context) (MinistryResult, error) {
	m.gate.Lock()
	if !m.closed {
		m.closed = true
		close(m.in)
	}
	m.gate.Unlock()
	err := m.pipe.Wait()
	if err == nil {
		err = m.s.Flush(ctx, m.Org)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return MinistryResult{
		Pipeline: m.pipe.Stats(), Merged: m.merged.Load(), OfValue: m.assessed.Load(),
		Products: mapsClone(m.products), Decisions: mapsClone(m.decisions),
	}, err
}

func mapsClone[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// StartDepartments starts the hubs of every specialized department: where
// general business departments relay, send products and escalate.
func (s *Scheme) StartDepartments() ([]string, error) {
	var ids []string
	for _, o := range s.Dir.ByTier(collab.SpecializedDepartment) {
		if _, err := s.StartHub(o.ID, nil); err != nil {
			return nil, err
		}
		ids = append(ids, o.ID)
	}
	return ids, nil
}

// Supervised lists the social forces org supervises.
func Supervised(dir *collab.Directory, org string) []string {
	var out []string
	for _, o := range dir.Orgs() {
		if o.Supervisor == org {
			out = append(out, o.ID)
		}
	}
	return out
}

// Total sums counts by reason.
func Total(m map[string]uint64) uint64 { return sum(m) }
