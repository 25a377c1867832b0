package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sicollab/sicollab/examples/internal/sector"
	"github.com/sicollab/sicollab/examples/internal/synth"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// analyst is a stage.Analyzer that looks for one planted pattern in what a
// department holds, linking sources by pseudonym only, and lists the
// subjects it finds as a product when flushed. It keeps per subject only
// what its rule needs.
type analyst struct {
	pattern  synth.Pattern
	listType schema.ListType
	// minInstitutions is how many institutions structuring deposits
	// must be spread over (synth.StructuringMinInstitutions unless a
	// domain rule says otherwise).
	minInstitutions int
	producer        string
	purpose         schema.Purpose
	period          schema.Window
	now             func() time.Time

	mu sync.Mutex
	// Shared by the rules: flagged subjects (contacts of flagged accounts).
	flagged map[string]bool
	subject map[string]schema.Subject // pseudonym -> subject as records carry it
	// Per rule.
	deposits  map[string][]event           // depositor -> cash deposits in the band
	runs      map[string][]string          // service+departure -> travellers
	runIDs    map[string]map[string]string // run -> traveller -> record id
	purchases map[string][]event           // buyer -> purchases (key: CAS)
	crossings map[string][]event           // traveller -> crossings (key: exit/entry + port)
}

// event is one record a rule weighs: when, a key (institution, substance,
// port), and the record's id for the evidence.
type event struct {
	at   time.Time
	key  string
	exit bool
	id   string
}

func newAnalyst(p synth.Pattern, producer string, purpose schema.Purpose, period schema.Window, now func() time.Time) *analyst {
	lt := map[synth.Pattern]schema.ListType{
		synth.PatternStructuring: schema.ListAbnormalFinancialActivity,
		synth.PatternCoTravel:    schema.ListPassengerTrajectory,
		synth.PatternPrecursor:   schema.ListHazmatPurchases,
		synth.PatternEntryExit:   schema.ListAbnormalEntryExit,
	}[p]
	return &analyst{
		pattern: p, listType: lt, producer: producer, minInstitutions: synth.StructuringMinInstitutions, purpose: purpose, period: period, now: now,
		flagged: map[string]bool{}, subject: map[string]schema.Subject{},
		deposits: map[string][]event{}, runs: map[string][]string{}, runIDs: map[string]map[string]string{},
		purchases: map[string][]event{}, crossings: map[string][]event{},
	}
}

// Analyze takes one record.
func (a *analyst) Analyze(_ context.Context, env schema.Envelope, _ func(schema.Product) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch env.Kind {
	case schema.KindTelecomAccountReport:
		var r schema.AccountReport
		if err := env.DecodePayload(&r); err != nil {
			return err
		}
		if r.Account.Contact != nil {
			a.flagged[r.Account.Contact.Pseudonym] = true
		}
	case schema.KindFinanceTransaction:
		if a.pattern != synth.PatternStructuring {
			return nil
		}
		var tx schema.FinanceTransaction
		if err := env.DecodePayload(&tx); err != nil {
			return err
		}
		if tx.Type != schema.FinanceTxCashDeposit || tx.Amount.Currency != "CNY" || !inBand(tx.Amount.Amount) {
			return nil
		}
		var who *schema.Subject
		if c := tx.Counterparty; c != nil && c.Role == schema.FinanceRoleConductor && c.Subject != nil {
			who = c.Subject
		} else if b := tx.Beneficiary; b != nil && b.Holder != nil {
			who = b.Holder
		}
		if who != nil {
			a.remember(*who)
			a.deposits[who.Pseudonym] = append(a.deposits[who.Pseudonym], event{at: tx.ExecutedAt, key: env.Source, id: env.ID})
		}
	case schema.KindTransportPassenger:
		if a.pattern != synth.PatternCoTravel {
			return nil
		}
		var p schema.PassengerTrip
		if err := env.DecodePayload(&p); err != nil {
			return err
		}
		if p.Status == schema.PassengerCancelled || p.Status == schema.PassengerNoShow {
			return nil
		}
		run := p.ServiceNumber + "@" + p.ScheduledDeparture.Format(time.RFC3339)
		who := p.Traveller.Pseudonym
		a.remember(p.Traveller)
		if a.runIDs[run] == nil {
			a.runIDs[run] = map[string]string{}
		}
		if _, seen := a.runIDs[run][who]; !seen {
			a.runs[run] = append(a.runs[run], who)
			a.runIDs[run][who] = env.ID
		}
	case schema.KindCommerceHazmat:
		if a.pattern != synth.PatternPrecursor {
			return nil
		}
		var h schema.HazmatPurchase
		if err := env.DecodePayload(&h); err != nil {
			return err
		}
		a.remember(h.Buyer)
		a.purchases[h.Buyer.Pseudonym] = append(a.purchases[h.Buyer.Pseudonym], event{at: h.PurchasedAt, key: h.Item.CAS, id: env.ID})
	case schema.KindCustomsEntryExit:
		if a.pattern != synth.PatternEntryExit {
			return nil
		}
		var x schema.EntryExit
		if err := env.DecodePayload(&x); err != nil {
			return err
		}
		a.remember(x.Traveller)
		a.crossings[x.Traveller.Pseudonym] = append(a.crossings[x.Traveller.Pseudonym],
			event{at: x.CrossedAt, key: x.Port.Locode, exit: x.Direction == schema.CustomsExit, id: env.ID})
	}
	return nil
}

func (a *analyst) remember(s schema.Subject) {
	if _, ok := a.subject[s.Pseudonym]; !ok {
		s.Identity = nil
		a.subject[s.Pseudonym] = s
	}
}

// Flush applies the rule to everything seen and emits one product listing
// every subject found (none if nobody is).
func (a *analyst) Flush(_ context.Context, emit func(schema.Product) error) error {
	a.mu.Lock()
	entries := a.entries()
	a.mu.Unlock()
	if len(entries) == 0 {
		return nil
	}
	p := schema.Product{
		ID: sector.NewID(), ListType: a.listType, Frequency: schema.FrequencyDaily, Producer: a.producer,
		RequirementID: a.purpose.RequirementID, Period: a.period, ProducedAt: a.now().UTC(),
		Entries: entries, Summary: fmt.Sprintf("%d subjects: %s", len(entries), a.pattern),
	}
	return emit(p)
}

// entries applies the pattern's documented rule (package synth's doc).
func (a *analyst) entries() []schema.ProductEntry {
	var out []schema.ProductEntry
	add := func(who string, score float64, reason string, ids []string) {
		slices.Sort(ids)
		ids = slices.Compact(ids)
		if len(ids) > 1000 {
			ids = ids[:1000]
		}
		out = append(out, schema.ProductEntry{Subject: a.subject[who], Score: score, Reasons: []string{reason}, EvidenceIDs: ids})
	}
	byTime := func(a, b event) int { return a.at.Compare(b.at) }
	switch a.pattern {
	case synth.PatternStructuring:
		for _, who := range sortedKeys(a.deposits) {
			ds := a.deposits[who]
			slices.SortFunc(ds, byTime)
			for i := range ds {
				insts, j := map[string]bool{}, i
				for ; j < len(ds) && ds[j].at.Sub(ds[i].at) < synth.StructuringWindow; j++ {
					insts[ds[j].key] = true
				}
				if j-i >= synth.StructuringMinDeposits && len(insts) >= a.minInstitutions {
					add(who, 0.9, fmt.Sprintf("%d cash deposits just under the reporting threshold within 7 days at %d institutions", j-i, len(insts)), ids(ds[i:j]))
					break
				}
			}
		}
	case synth.PatternCoTravel:
		shared := map[[2]string][]string{}
		for _, run := range sortedKeys(a.runs) {
			ts := a.runs[run]
			for _, f := range ts {
				if !a.flagged[f] {
					continue
				}
				for _, x := range ts {
					if x != f {
						k := [2]string{x, f}
						shared[k] = append(shared[k], a.runIDs[run][x], a.runIDs[run][f])
					}
				}
			}
		}
		for _, k := range sortedPairs(shared) {
			if n := len(shared[k]) / 2; n >= synth.CoTravelMinRuns {
				add(k[0], 0.85, fmt.Sprintf("shared %d trips with a subject of a flagged account", n), shared[k])
			}
		}
	case synth.PatternPrecursor:
		for _, who := range sortedKeys(a.purchases) {
			if !a.flagged[who] {
				continue
			}
			ps := a.purchases[who]
			slices.SortFunc(ps, byTime)
			for i := range ps {
				cas, j := map[string]bool{}, i
				for ; j < len(ps) && ps[j].at.Sub(ps[i].at) < synth.PrecursorWindow; j++ {
					cas[ps[j].key] = true
				}
				if len(cas) >= synth.PrecursorMinSubstances {
					add(who, 0.95, fmt.Sprintf("flagged account holder bought %d precursor substances within 30 days", len(cas)), ids(ps[i:j]))
					break
				}
			}
		}
	case synth.PatternEntryExit:
		for _, who := range sortedKeys(a.crossings) {
			cs := a.crossings[who]
			slices.SortFunc(cs, byTime)
			type trip struct {
				at       time.Time
				switched bool
				ids      []string
			}
			var trips []trip
			for i := 0; i+1 < len(cs); i++ {
				if cs[i].exit && !cs[i+1].exit && cs[i+1].at.Sub(cs[i].at) < synth.EntryExitShortTrip {
					trips = append(trips, trip{cs[i].at, cs[i].key != cs[i+1].key, []string{cs[i].id, cs[i+1].id}})
				}
			}
			for i := range trips {
				n, sw, evidence := 0, 0, []string{}
				for j := i; j < len(trips) && trips[j].at.Sub(trips[i].at) < synth.EntryExitWindow; j++ {
					n++
					evidence = append(evidence, trips[j].ids...)
					if trips[j].switched {
						sw++
					}
				}
				if n >= synth.EntryExitMinShortTrips && sw >= synth.EntryExitMinPortSwitches {
					add(who, 0.8, fmt.Sprintf("%d short trips abroad within 14 days, %d back through another port", n, sw), evidence)
					break
				}
			}
		}
	}
	return out
}

func ids(es []event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.id
	}
	return out
}

// inBand reports whether a decimal amount is in [StructuringFloor,
// StructuringThreshold).
func inBand(amount string) bool {
	whole, _, _ := strings.Cut(amount, ".")
	n := 0
	for _, c := range whole {
		n = n*10 + int(c-'0')
	}
	return n >= synth.StructuringFloor && n < synth.StructuringThreshold
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func sortedPairs[V any](m map[[2]string]V) [][2]string {
	keys := make([][2]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return strings.Compare(a[0]+a[1], b[0]+b[1]) })
	return keys
}

var _ stage.Analyzer = (*analyst)(nil)
