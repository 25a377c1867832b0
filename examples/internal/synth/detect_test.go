package synth_test

import (
	"cmp"
	"slices"
	"time"

	"github.com/sicollab/sicollab/examples/internal/synth"
	"github.com/sicollab/sicollab/schema"
)

// detector is a reference detector of the four planted patterns, written
// from the rules in doc.go and the package's thresholds alone. It reads
// records as a specialized department would: linking sources by pseudonym
// only. It holds what it needs of every record of the kinds it reads, so
// it is for tests, not for millions of records.
type detector struct {
	deposits  map[string][]deposit   // depositor -> band deposits
	contacts  map[string]bool        // contacts of flagged accounts
	runs      map[run][]string       // run -> travellers on it
	purchases map[string][]purchase  // buyer -> purchases
	crossings map[string][]crossingX // traveller -> crossings
}

type deposit struct {
	t    time.Time
	inst string
}

type run struct {
	service string
	dep     time.Time
}

type purchase struct {
	t   time.Time
	cas string
}

type crossingX struct {
	t    time.Time
	exit bool
	port string
}

func newDetector() *detector {
	return &detector{
		deposits:  map[string][]deposit{},
		contacts:  map[string]bool{},
		runs:      map[run][]string{},
		purchases: map[string][]purchase{},
		crossings: map[string][]crossingX{},
	}
}

func (d *detector) feed(e schema.Envelope) error {
	switch e.Kind {
	case schema.KindFinanceTransaction:
		var tx schema.FinanceTransaction
		if err := e.DecodePayload(&tx); err != nil {
			return err
		}
		if tx.Type != schema.FinanceTxCashDeposit || tx.Amount.Currency != "CNY" || !inBand(tx.Amount.Amount) {
			return nil
		}
		who := ""
		if c := tx.Counterparty; c != nil && c.Role == schema.FinanceRoleConductor && c.Subject != nil {
			who = c.Subject.Pseudonym
		} else if b := tx.Beneficiary; b != nil && b.Holder != nil {
			who = b.Holder.Pseudonym
		}
		if who != "" {
			d.deposits[who] = append(d.deposits[who], deposit{tx.ExecutedAt, e.Source})
		}
	case schema.KindTelecomAccountReport:
		var r schema.AccountReport
		if err := e.DecodePayload(&r); err != nil {
			return err
		}
		if r.Account.Contact != nil {
			d.contacts[r.Account.Contact.Pseudonym] = true
		}
	case schema.KindTransportPassenger:
		var p schema.PassengerTrip
		if err := e.DecodePayload(&p); err != nil {
			return err
		}
		if p.Status == schema.PassengerCancelled || p.Status == schema.PassengerNoShow {
			return nil
		}
		k := run{p.ServiceNumber, p.ScheduledDeparture}
		if !slices.Contains(d.runs[k], p.Traveller.Pseudonym) {
			d.runs[k] = append(d.runs[k], p.Traveller.Pseudonym)
		}
	case schema.KindCommerceHazmat:
		var h schema.HazmatPurchase
		if err := e.DecodePayload(&h); err != nil {
			return err
		}
		d.purchases[h.Buyer.Pseudonym] = append(d.purchases[h.Buyer.Pseudonym], purchase{h.PurchasedAt, h.Item.CAS})
	case schema.KindCustomsEntryExit:
		var x schema.EntryExit
		if err := e.DecodePayload(&x); err != nil {
			return err
		}
		d.crossings[x.Traveller.Pseudonym] = append(d.crossings[x.Traveller.Pseudonym],
			crossingX{x.CrossedAt, x.Direction == schema.CustomsExit, x.Port.Locode})
	}
	return nil
}

// inBand reports whether a decimal amount is in [StructuringFloor,
// StructuringThreshold).
func inBand(amount string) bool {
	whole := 0
	for _, c := range amount {
		if c == '.' {
			break
		}
		whole = whole*10 + int(c-'0')
	}
	return whole >= synth.StructuringFloor && whole < synth.StructuringThreshold
}

func (d *detector) findings() []synth.Finding {
	var out []synth.Finding
	// Structuring: >= StructuringMinDeposits band deposits within
	// StructuringWindow at >= StructuringMinInstitutions institutions.
	for who, ds := range d.deposits {
		slices.SortFunc(ds, func(a, b deposit) int { return a.t.Compare(b.t) })
		for i := range ds {
			j := i
			insts := map[string]bool{}
			for ; j < len(ds) && ds[j].t.Sub(ds[i].t) < synth.StructuringWindow; j++ {
				insts[ds[j].inst] = true
			}
			if j-i >= synth.StructuringMinDeposits && len(insts) >= synth.StructuringMinInstitutions {
				out = append(out, synth.Finding{Pattern: synth.PatternStructuring, Subjects: []string{who}})
				break
			}
		}
	}
	// Co-travel: a traveller on >= CoTravelMinRuns runs with a flagged
	// subject.
	shared := map[[2]string]int{} // {traveller, flagged} -> runs
	for _, ts := range d.runs {
		for _, f := range ts {
			if !d.contacts[f] {
				continue
			}
			for _, x := range ts {
				if x != f {
					shared[[2]string{x, f}]++
				}
			}
		}
	}
	for pair, n := range shared {
		if n >= synth.CoTravelMinRuns {
			out = append(out, synth.Finding{Pattern: synth.PatternCoTravel, Subjects: []string{pair[0], pair[1]}})
		}
	}
	// Precursors: a flagged subject buys >= PrecursorMinSubstances
	// distinct substances within PrecursorWindow.
	for who, ps := range d.purchases {
		if !d.contacts[who] {
			continue
		}
		slices.SortFunc(ps, func(a, b purchase) int { return a.t.Compare(b.t) })
		for i := range ps {
			cas := map[string]bool{}
			for j := i; j < len(ps) && ps[j].t.Sub(ps[i].t) < synth.PrecursorWindow; j++ {
				cas[ps[j].cas] = true
			}
			if len(cas) >= synth.PrecursorMinSubstances {
				out = append(out, synth.Finding{Pattern: synth.PatternPrecursor, Subjects: []string{who}})
				break
			}
		}
	}
	// Entry-exit: >= EntryExitMinShortTrips short trips starting within
	// EntryExitWindow, >= EntryExitMinPortSwitches of them switching ports.
	for who, cs := range d.crossings {
		slices.SortFunc(cs, func(a, b crossingX) int { return a.t.Compare(b.t) })
		type short struct {
			t       time.Time
			switch_ bool
		}
		var shorts []short
		for i := 0; i+1 < len(cs); i++ {
			if cs[i].exit && !cs[i+1].exit && cs[i+1].t.Sub(cs[i].t) < synth.EntryExitShortTrip {
				shorts = append(shorts, short{cs[i].t, cs[i].port != cs[i+1].port})
			}
		}
		for i := range shorts {
			n, sw := 0, 0
			for j := i; j < len(shorts) && shorts[j].t.Sub(shorts[i].t) < synth.EntryExitWindow; j++ {
				n++
				if shorts[j].switch_ {
					sw++
				}
			}
			if n >= synth.EntryExitMinShortTrips && sw >= synth.EntryExitMinPortSwitches {
				out = append(out, synth.Finding{Pattern: synth.PatternEntryExit, Subjects: []string{who}})
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b synth.Finding) int {
		return cmp.Or(cmp.Compare(a.Pattern, b.Pattern), slices.Compare(a.Subjects, b.Subjects))
	})
	return out
}

// nearMisses counts what a looser detector would mistake for the
// patterns: people with band deposits, travellers sharing a run with a
// flagged subject, short trips abroad, flagged subjects' purchases.
func (d *detector) nearMisses() map[string]int {
	m := map[string]int{}
	for _, ds := range d.deposits {
		m["band depositors"]++
		if len(ds) >= 2 {
			m["band depositors with 2+"]++
		}
	}
	for _, ts := range d.runs {
		for _, f := range ts {
			if d.contacts[f] {
				m["travellers sharing a run with a flagged subject"] += len(ts) - 1
			}
		}
	}
	for _, cs := range d.crossings {
		slices.SortFunc(cs, func(a, b crossingX) int { return a.t.Compare(b.t) })
		for i := 0; i+1 < len(cs); i++ {
			if cs[i].exit && !cs[i+1].exit && cs[i+1].t.Sub(cs[i].t) < synth.EntryExitShortTrip {
				m["short trips"]++
			}
		}
	}
	for who, ps := range d.purchases {
		if len(ps) >= 2 {
			m["buyers of 2+ substances"]++
		}
		if d.contacts[who] {
			m["flagged buyers"]++
		}
	}
	return m
}
