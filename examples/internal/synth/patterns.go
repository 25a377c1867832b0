package synth

import (
	"cmp"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// Pattern names a pattern the generator can plant.
type Pattern string

// The planted patterns. doc.go states the rule a detector applies to find
// each, with the thresholds below.
const (
	// PatternStructuring: one person pays cash into accounts at several
	// banks, each deposit just under the reporting threshold.
	PatternStructuring Pattern = "structuring"
	// PatternCoTravel: a traveller is repeatedly on the same runs of the
	// same services as a subject with a flagged account.
	PatternCoTravel Pattern = "co_travel"
	// PatternPrecursor: a subject with a flagged account buys several
	// explosives precursors.
	PatternPrecursor Pattern = "precursor_purchase"
	// PatternEntryExit: a traveller leaves and comes back within hours,
	// again and again, returning through a port other than the one left by.
	PatternEntryExit Pattern = "abnormal_entry_exit"
)

// Patterns returns every pattern, in a fixed order.
func Patterns() []Pattern {
	return []Pattern{PatternStructuring, PatternCoTravel, PatternPrecursor, PatternEntryExit}
}

// Thresholds of the detection rules (see doc.go). Planted instances
// exceed them with a margin; the background stays below them by
// construction.
const (
	// StructuringThreshold is the large-cash reporting threshold in CNY
	// (the PBoC large-value threshold for cash).
	StructuringThreshold = 50000
	// StructuringFloor is the bottom of the band of amounts just under the
	// threshold: a band deposit is in [StructuringFloor,
	// StructuringThreshold).
	StructuringFloor = 45000
	// StructuringWindow is the span in which the band deposits of one
	// person are counted.
	StructuringWindow = 7 * 24 * time.Hour
	// StructuringMinDeposits is how many band deposits within
	// StructuringWindow make the pattern. Planted: 6 to 9 within 5 days.
	// Background: at most 2 per person in any window.
	StructuringMinDeposits = 4
	// StructuringMinInstitutions is how many institutions the deposits
	// must be spread over. Planted: 2 or 3.
	StructuringMinInstitutions = 2

	// CoTravelMinRuns is how many distinct runs (service number and
	// scheduled departure) a traveller must share with a flagged subject.
	// Planted: 4 or 5. Background: at most 1.
	CoTravelMinRuns = 3

	// PrecursorMinSubstances is how many distinct substances (CAS numbers)
	// a flagged subject must buy within PrecursorWindow. Planted: 3 within
	// 20 days. Background: flagged subjects buy none.
	PrecursorMinSubstances = 2
	// PrecursorWindow is the span in which a flagged subject's purchases
	// are counted.
	PrecursorWindow = 30 * 24 * time.Hour

	// EntryExitShortTrip is the longest stay abroad of a short trip: an
	// exit followed, within it, by the traveller's next crossing, an
	// entry.
	EntryExitShortTrip = 48 * time.Hour
	// EntryExitWindow is the span in which the starts of short trips are
	// counted.
	EntryExitWindow = 14 * 24 * time.Hour
	// EntryExitMinShortTrips is how many short trips within
	// EntryExitWindow make the pattern. Planted: 4 within 12 days.
	// Background: at most 1 in any 15 days.
	EntryExitMinShortTrips = 3
	// EntryExitMinPortSwitches is how many of those short trips must
	// return through another port (locode) than the exit's. Planted:
	// every one.
	EntryExitMinPortSwitches = 2
)

// maxBackgroundBand is the most structuring-band deposits a background
// person makes within StructuringWindow.
const maxBackgroundBand = 2

// minDays is the shortest window each pattern fits in.
var minDays = map[Pattern]int{
	PatternStructuring: 6,
	PatternCoTravel:    9,
	PatternPrecursor:   12,
	PatternEntryExit:   13,
}

// ErrUnknownPattern is returned by Plant and Scenario for a pattern not in
// Patterns.
var ErrUnknownPattern = errors.New("synth: unknown pattern")

// ErrWindowTooShort is returned by Plant and Scenario when Config.Days is
// too short for a pattern.
var ErrWindowTooShort = errors.New("synth: window too short for the pattern")

// Truth is the ground truth of one planted instance of a pattern, kept
// aside from the records.
type Truth struct {
	// Pattern is what was planted.
	Pattern Pattern `json:"pattern"`
	// Subjects are the people involved, as the records carry them.
	// Subjects[0] is the key subject a detector must name: the depositor,
	// the co-traveller (Subjects[1] is the flagged subject they travel
	// with), the buyer, the traveller.
	Subjects []schema.Subject `json:"subjects"`
	// Records are the ids of the planted records, in time order.
	Records []string `json:"records"`
	// From is the first event time of the instance.
	From time.Time `json:"from"`
	// To is the last event time of the instance.
	To time.Time `json:"to"`
	// Description says what was planted, for a summary.
	Description string `json:"description"`
}

// timed is a record with its event time, for merging by time.
type timed struct {
	t   time.Time
	env schema.Envelope
}

// Plant makes the records of one instance of pattern p and its ground
// truth, from the generator's own stream, with new people who take no
// part in the background. Mix the records in yourself, or use Scenario,
// which also keeps the background from sharing trips with the planted
// people beyond the rules' margins (Plant registers the trips, so a
// Records sequence made after Plant respects them too).
func (g *Generator) Plant(p Pattern) ([]schema.Envelope, Truth, error) {
	recs, tr, err := g.plant(p)
	if err != nil {
		return nil, Truth{}, err
	}
	out := make([]schema.Envelope, len(recs))
	for i, r := range recs {
		out[i] = r.env
	}
	return out, tr, nil
}

// Scenario returns n background records with one planted instance of
// each pattern given (repeat a pattern to plant it more than once),
// interleaved in time order, and the ground truth of the planted
// instances. Only the planted records are held in memory; the background
// is made as the sequence is iterated, and iterating again yields the same
// records.
func (g *Generator) Scenario(n int, patterns ...Pattern) (iter.Seq[schema.Envelope], []Truth, error) {
	if n < 0 {
		return nil, nil, fmt.Errorf("synth: Scenario: n must be at least 0, got %d", n)
	}
	var planted []timed
	var truth []Truth
	for _, p := range patterns {
		recs, tr, err := g.plant(p)
		if err != nil {
			return nil, nil, err
		}
		planted = append(planted, recs...)
		truth = append(truth, tr)
	}
	slices.SortStableFunc(planted, func(a, b timed) int { return a.t.Compare(b.t) })
	bg := g.background(n)
	seq := func(yield func(schema.Envelope) bool) {
		i := 0
		for t, e := range bg {
			for ; i < len(planted) && !planted[i].t.After(t); i++ {
				if !yield(planted[i].env) {
					return
				}
			}
			if !yield(e) {
				return
			}
		}
		for ; i < len(planted); i++ {
			if !yield(planted[i].env) {
				return
			}
		}
	}
	return seq, truth, nil
}

func (g *Generator) plant(p Pattern) ([]timed, Truth, error) {
	need, ok := minDays[p]
	if !ok {
		return nil, Truth{}, fmt.Errorf("%w: %q (known: %v)", ErrUnknownPattern, p, Patterns())
	}
	if g.cfg.Days < need {
		return nil, Truth{}, fmt.Errorf("%w: %s needs Days >= %d, have %d", ErrWindowTooShort, p, need, g.cfg.Days)
	}
	var recs []timed
	var tr Truth
	var err error
	switch p {
	case PatternStructuring:
		recs, tr, err = g.master.plantStructuring()
	case PatternCoTravel:
		recs, tr, err = g.master.plantCoTravel()
	case PatternPrecursor:
		recs, tr, err = g.master.plantPrecursor()
	case PatternEntryExit:
		recs, tr, err = g.master.plantEntryExit()
	}
	if err != nil {
		return nil, Truth{}, err
	}
	slices.SortStableFunc(recs, func(a, b timed) int { return a.t.Compare(b.t) })
	tr.Pattern = p
	tr.From, tr.To = recs[0].t, recs[len(recs)-1].t
	for _, r := range recs {
		tr.Records = append(tr.Records, r.env.ID)
	}
	return recs, tr, nil
}

// startFor returns a random start, a whole second, such that span fits in
// the window after it.
func (s *stream) startFor(span time.Duration) time.Time {
	room := s.g.span() - span
	return s.g.cfg.Start.Add(time.Duration(s.r.Int64N(int64(room/time.Second))) * time.Second)
}

// needSources fails unless every kind has a source.
func (g *Generator) needSources(p Pattern, kinds ...string) error {
	for _, k := range kinds {
		if len(g.sources[k]) == 0 {
			return fmt.Errorf("%w: pattern %s needs %s", ErrNoSource, p, k)
		}
	}
	return nil
}

func (s *stream) plantStructuring() ([]timed, Truth, error) {
	g := s.g
	if err := g.needSources(PatternStructuring, schema.KindFinanceTransaction); err != nil {
		return nil, Truth{}, err
	}
	var banks []int
	for _, b := range g.cashBanks {
		if slices.Contains(g.sources[schema.KindFinanceTransaction], g.acctOrg(b)) {
			banks = append(banks, b)
		}
	}
	if len(banks) < StructuringMinInstitutions {
		return nil, Truth{}, fmt.Errorf("%w: pattern %s needs %d institutions that take cash among the finance sources, have %d",
			ErrNoSource, PatternStructuring, StructuringMinInstitutions, len(banks))
	}
	s.r.Shuffle(len(banks), func(i, j int) { banks[i], banks[j] = banks[j], banks[i] })
	banks = banks[:min(len(banks), maxAccounts, 2+s.r.IntN(2))]
	p := g.pop.newActor(func(q *person) {
		q.nat = "CN"
		q.nAcct = len(banks)
		copy(q.acctInst[:], banks)
	})
	holder := g.pop.subject(&p, docID(&p))
	n := 6 + s.r.IntN(4)
	days := 2 + s.r.IntN(4)
	day0 := s.startFor(time.Duration(days+1) * 24 * time.Hour).Truncate(24 * time.Hour)
	if day0.Before(g.cfg.Start) {
		day0 = day0.Add(24 * time.Hour)
	}
	var recs []timed
	var total int64
	for i := range n {
		inst := banks[i%len(banks)]
		src := g.acctOrg(inst)
		acct, _ := g.pop.accountAt(&p, inst)
		// Business hours in China: 01:00 to 09:00 UTC.
		t := day0.Add(time.Duration(i*days/n)*24*time.Hour + time.Duration(3600+s.r.IntN(8*3600))*time.Second)
		fen := int64(s.between(StructuringFloor/10, StructuringThreshold/10-1)) * 1000
		total += fen
		city := p.home
		if s.chance(0.5) {
			city = s.r.IntN(len(cities))
		}
		tx := &schema.FinanceTransaction{
			Reference:    src.ref + "-" + dateRef(t) + "-" + s.digits(6),
			ExecutedAt:   t,
			Amount:       schema.Money{Amount: yuan(fen), Currency: "CNY"},
			Type:         schema.FinanceTxCashDeposit,
			Channel:      schema.FinanceChannelBranch,
			Beneficiary:  &schema.FinanceAccount{Account: acct, Holder: &holder, Institution: src.ID, BIC: src.traits.bic, Country: "CN"},
			Counterparty: &schema.FinanceCounterparty{Role: schema.FinanceRoleConductor, Subject: &holder, Country: "CN"},
			Place:        s.branch(src, city),
		}
		recs = append(recs, timed{t, s.envelope(schema.KindFinanceTransaction, src, t, tx)})
	}
	return recs, Truth{
		Subjects:    []schema.Subject{holder},
		Description: fmt.Sprintf("%d cash deposits totalling %s CNY, each %d-%d CNY, at %d banks within %d days", n, yuan(total), StructuringFloor, StructuringThreshold-10, len(banks), days),
	}, nil
}

// acctOrg returns the source that holds accounts under index inst.
func (g *Generator) acctOrg(inst int) *org {
	for _, o := range g.orgs {
		if o.acct == inst {
			return o
		}
	}
	panic("synth: bug: no institution for account index")
}

func (s *stream) plantCoTravel() ([]timed, Truth, error) {
	g := s.g
	if err := g.needSources(PatternCoTravel, schema.KindTransportPassenger, schema.KindTelecomAccountReport); err != nil {
		return nil, Truth{}, err
	}
	// A carrier and an out-and-back pair of its domestic services.
	var pairs [][2]int
	for _, c := range g.sources[schema.KindTransportPassenger] {
		for i := 0; i+1 < len(c.svc); i += 2 {
			if !g.services[c.svc[i]].intl {
				pairs = append(pairs, [2]int{c.svc[i], c.svc[i+1]})
			}
		}
	}
	if len(pairs) == 0 {
		return nil, Truth{}, fmt.Errorf("%w: pattern %s needs a domestic passenger service", ErrNoSource, PatternCoTravel)
	}
	pair := pairs[s.r.IntN(len(pairs))]
	flagged := g.pop.newActor(func(q *person) { q.nat = "CN" })
	companion := g.pop.newActor(func(q *person) { q.nat = "CN" })

	shared := 4 + s.r.IntN(2)
	solo := 1 + s.r.IntN(2)
	spanDays := min(g.cfg.Days-2, 21)
	first := dayOf(s.startFor(time.Duration(spanDays+1) * 24 * time.Hour))
	// Distinct days for the shared runs and the solo ones.
	days := s.r.Perm(spanDays)[:shared+solo]
	var recs []timed
	var firstDep time.Time
	for i, d := range days {
		key := tripKey{svc: pair[i%2], day: first + int32(d)}
		if g.departure(key.svc, key.day).Before(g.cfg.Start) {
			key.day++
		}
		for g.usedTrips[key] {
			key.day++
		}
		dep := g.departure(key.svc, key.day)
		g.usedTrips[key], g.flaggedTrips[key] = true, true
		if firstDep.IsZero() || dep.Before(firstDep) {
			firstDep = dep
		}
		travellers := []*person{&flagged, &companion}
		if i >= shared {
			travellers = travellers[:1]
		}
		for _, p := range travellers {
			t := dep.Add(time.Duration(20+s.r.IntN(100)) * time.Minute)
			trip := s.trip(key, p, schema.PassengerBoughtMobileApp, t)
			trip.Status = schema.PassengerBoarded
			ad := dep.Add(time.Duration(s.r.IntN(10)) * time.Minute)
			trip.ActualDeparture, trip.ActualArrival = &ad, nil
			zero := 0
			trip.CoTravellers = &zero
			recs = append(recs, timed{t, s.envelope(schema.KindTransportPassenger, g.services[key.svc].carrier, t, trip)})
		}
	}
	// The platform flagged the subject's account before the travels.
	rt := firstDep.Add(-time.Duration(86400+s.r.IntN(9*86400)) * time.Second)
	if rt.Before(g.cfg.Start) {
		rt = g.cfg.Start.Add(time.Duration(s.r.IntN(3600)) * time.Second)
	}
	recs = append(recs, timed{rt, s.accountReport(rt, flagged, nil)})
	svc := &g.services[pair[0]]
	return recs, Truth{
		Subjects: []schema.Subject{g.pop.subject(&companion, idPhone), g.pop.subject(&flagged, idPhone)},
		Description: fmt.Sprintf("traveller on %d runs of %s/%s with a flagged subject (%d more runs alone), %s to %s and back",
			shared, svc.number, g.services[pair[1]].number, solo, placeName(svc.from), placeName(svc.to)),
	}, nil
}

func placeName(p schema.Place) string {
	if p.Name != "" {
		return p.Name
	}
	return cmp.Or(p.Locode, p.IATA)
}

func (s *stream) plantPrecursor() ([]timed, Truth, error) {
	g := s.g
	if err := g.needSources(PatternPrecursor, schema.KindCommerceHazmat, schema.KindTelecomAccountReport); err != nil {
		return nil, Truth{}, err
	}
	buyer := g.pop.newActor(func(q *person) { q.nat = "CN" })
	span := time.Duration(min(g.cfg.Days-1, 20)) * 24 * time.Hour
	step := int((span/3 - 24*time.Hour) / time.Second)
	rt := s.startFor(span)
	recs := []timed{{rt, s.accountReport(rt, buyer, nil)}}
	sellers := g.sources[schema.KindCommerceHazmat]
	var names []string
	t := rt
	for _, group := range plantedPrecursors {
		sub := &substances[group[s.r.IntN(len(group))]]
		t = t.Add(time.Duration(86400+s.r.IntN(step)) * time.Second)
		src := sellers[s.r.IntN(len(sellers))]
		ch := src.traits.channels[s.r.IntN(len(src.traits.channels))]
		if ch == schema.HazmatInStore && len(src.traits.channels) > 1 {
			ch = src.traits.channels[len(src.traits.channels)-1]
		}
		h := s.hazmatRecord(t, src, &buyer, sub, ch, false)
		// Known to the seller by the phone number of a customer account.
		h.Buyer = g.pop.subject(&buyer, idPhone)
		h.Outcome = schema.HazmatCompleted
		q := sub.qty[1] + s.r.IntN(sub.qty[1]+1)
		h.Quantity.Value = fmt.Sprint(q)
		h.Price.Amount = yuan(int64(q) * int64(s.between(sub.price[0]*100, sub.price[1]*100)))
		if sub.conc[1] > 0 && sub.conc[0] != 99 {
			h.Item.Concentration = fmt.Sprint(sub.conc[1])
		}
		h.Indicators, h.Reason = nil, ""
		if s.chance(0.5) {
			h.Indicators = []schema.HazmatIndicator{pickOf(s, schema.HazmatUnusualQuantity, schema.HazmatEvasiveAboutUse, schema.HazmatLacksHandlingKnowledge)}
			h.Reason = "Buyer bought more than a private customer usually does and would not say what for."
		}
		recs = append(recs, timed{t, s.envelope(schema.KindCommerceHazmat, src, t, h)})
		names = append(names, sub.name)
	}
	return recs, Truth{
		Subjects:    []schema.Subject{g.pop.subject(&buyer, idPhone)},
		Description: fmt.Sprintf("subject with a flagged account buys %s, %s and %s within %d days", names[0], names[1], names[2], int(t.Sub(rt).Hours()/24)+1),
	}, nil
}

func (s *stream) plantEntryExit() ([]timed, Truth, error) {
	g := s.g
	if err := g.needSources(PatternEntryExit, schema.KindCustomsEntryExit); err != nil {
		return nil, Truth{}, err
	}
	p := g.pop.newActor(func(q *person) { q.nat = "CN" })
	const trips = 4
	t := s.startFor(12 * 24 * time.Hour)
	var recs []timed
	switches := 0
	for range trips {
		// Out by land or ferry, back through another port.
		out := &borderPorts[4+s.r.IntN(len(borderPorts)-4)]
		back := out
		for back == out {
			back = &borderPorts[s.r.IntN(len(borderPorts))]
		}
		if back.place.Locode != out.place.Locode {
			switches++
		}
		away := destinations[out.abroad].country
		c := crossing{p: &p, port: out, mode: out.modes[s.r.IntN(len(out.modes))], dir: schema.CustomsExit, away: away}
		recs = append(recs, timed{t, s.crossingRecord(t, c, nil)})
		t = t.Add(time.Duration(6*3600+s.r.IntN(24*3600)) * time.Second)
		c = crossing{p: &p, port: back, mode: back.modes[s.r.IntN(len(back.modes))], dir: schema.CustomsEntry, away: away}
		if back.abroad >= 0 {
			c.away = destinations[back.abroad].country
		}
		recs = append(recs, timed{t, s.crossingRecord(t, c, nil)})
		t = t.Add(time.Duration(12*3600+s.r.IntN(28*3600)) * time.Second)
	}
	return recs, Truth{
		Subjects:    []schema.Subject{g.pop.subject(&p, idPassport)},
		Description: fmt.Sprintf("%d returns within 30 hours of leaving, %d of them through another port", trips, switches),
	}, nil
}
