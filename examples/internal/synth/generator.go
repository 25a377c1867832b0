package synth

import (
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// ErrUnknownKind is returned by Generate for a kind the generator does not
// make (see Kinds).
var ErrUnknownKind = errors.New("synth: unknown record kind")

// ErrNoSource is returned by Generate and Plant when no organization of
// the directory may submit a kind the record or pattern needs.
var ErrNoSource = errors.New("synth: no organization may submit the kind")

// Generator makes synthetic records. Make one with New. A Generator and
// the sequences it returns are not safe for concurrent use: iterate one
// sequence at a time, from one goroutine.
type Generator struct {
	cfg       Config
	r         *rand.Rand // master stream: Generate, Plant, and the seeds of sequences
	master    *stream
	pop       *population
	orgs      []*org            // every source, sorted by id
	sources   map[string][]*org // kind -> its sources
	kinds     []string          // kinds with positive weight, sorted
	cum       []int             // cumulative weights of kinds
	services  []service
	legal     map[string]string
	purposes  map[string]schema.Purpose
	cashBanks []int // indices in pop.acctOrgs of institutions taking cash

	// cashBanks may include institutions outside Config.Sources: people
	// keep their accounts wherever they are.

	// Trips of planted people: background travellers share at most one
	// trip with a flagged planted subject, and plants never share trips.
	flaggedTrips map[tripKey]bool
	usedTrips    map[tripKey]bool
}

// org is a source organization and what the generator knows of it.
type org struct {
	collab.Org
	city    int    // index in cities of its seat
	ref     string // prefix of its references, e.g. BN01
	traits  traits
	acct    int // index in pop.acctOrgs, or -1
	svc     []int
	account schema.Subject // its own account (non-profits)
}

// traits of the organizations of the synthetic directory; an organization
// of another directory gets defaults from its sectors and kinds.
type traits struct {
	bic      string
	payments bool // a payment institution: no cash, no branches
	mode     schema.TransportMode
	code     string
	freight  []schema.TransportMode
	service  string
	channels []schema.HazmatChannel
	premises schema.LodgingPremisesType
	airline  bool
}

var knownTraits = map[string]traits{
	"bank-north-01":          {bic: "SYNBCNBJ"},
	"bank-south-02":          {bic: "SYSMCNGZ"},
	"payment-east-01":        {payments: true},
	"rail-north-01":          {mode: schema.TransportRail, code: "NRG", freight: []schema.TransportMode{schema.TransportRail}},
	"air-east-01":            {mode: schema.TransportAir, code: "ZE", airline: true},
	"road-south-01":          {mode: schema.TransportRoad, code: "SCL", freight: []schema.TransportMode{schema.TransportRoad}},
	"freight-east-01":        {code: "HFF", freight: []schema.TransportMode{schema.TransportWater, schema.TransportWater, schema.TransportRoad, schema.TransportAir}},
	"telecom-north-01":       {service: "Northern Messenger"},
	"platform-east-01":       {service: "East Social", channels: []schema.HazmatChannel{schema.HazmatMarketplace, schema.HazmatOnline}},
	"hazmat-maker-south-01":  {channels: []schema.HazmatChannel{schema.HazmatPhone, schema.HazmatOnline}},
	"hazmat-seller-north-01": {channels: []schema.HazmatChannel{schema.HazmatInStore, schema.HazmatInStore, schema.HazmatPhone}},
	"hotel-north-01":         {premises: schema.LodgingPremisesHotel},
	"hotel-south-02":         {premises: schema.LodgingPremisesHostel},
}

// defaultLegal is the legal basis each kind is collected under: invented
// article numbers of an invented statute.
var defaultLegal = map[string]string{
	schema.KindFinanceTransaction:   "Counter-Terrorism Law art. 24 (synthetic): reporting of suspicious fund flows",
	schema.KindTransportPassenger:   "Counter-Terrorism Law art. 21 (synthetic): real-name passenger registration",
	schema.KindTransportFreight:     "Counter-Terrorism Law art. 20 (synthetic): consignment inspection and registration",
	schema.KindTelecomAccountReport: "Counter-Terrorism Law art. 19 (synthetic): reporting of terrorist content",
	schema.KindCommerceHazmat:       "Counter-Terrorism Law art. 22 (synthetic): precursor and hazardous goods registration",
	schema.KindServicesLodging:      "Counter-Terrorism Law art. 21 (synthetic): real-name guest registration",
	schema.KindHealthInfectious:     "Counter-Terrorism Law art. 23 (synthetic): reporting of infectious sources",
	schema.KindCustomsEntryExit:     "Exit and Entry Administration Law art. 7 (synthetic)",
	schema.KindCustomsInspection:    "Customs Law art. 28 (synthetic): inspection and quarantine",
}

// New returns a Generator for cfg, with defaults for zero fields. Errors
// wrap ErrInvalidConfig and name every field at fault.
func New(cfg Config) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ps, err := schema.NewPseudonymizer(cfg.KeyID, cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	g := &Generator{
		cfg:          cfg,
		r:            rand.New(rand.NewPCG(cfg.Seed, 0x6d617374)),
		sources:      map[string][]*org{},
		legal:        map[string]string{},
		purposes:     map[string]schema.Purpose{},
		flaggedTrips: map[tripKey]bool{},
		usedTrips:    map[tripKey]bool{},
	}
	byID := map[string]*org{}
	var finance []*org // every financial institution, Sources or not
	for _, kind := range Kinds() {
		for _, o := range sourcesOf(cfg.Directory, kind) {
			x := byID[o.ID]
			if x == nil {
				x = newOrg(o)
				byID[o.ID] = x
				g.orgs = append(g.orgs, x)
			}
			if kind == schema.KindFinanceTransaction {
				finance = append(finance, x)
			}
			if len(cfg.Sources) == 0 || slices.Contains(cfg.Sources, o.ID) {
				g.sources[kind] = append(g.sources[kind], x)
			}
		}
		g.legal[kind] = defaultLegal[kind]
		if cfg.LegalBasis != "" {
			g.legal[kind] = cfg.LegalBasis
		}
		g.purposes[kind] = cfg.Purpose
		if p, ok := cfg.Purposes[kind]; ok {
			g.purposes[kind] = p
		}
	}
	slices.SortFunc(g.orgs, func(a, b *org) int { return strings.Compare(a.ID, b.ID) })

	// Accounts are held at the financial institutions of the directory.
	var acctOrgs []string
	for _, o := range finance {
		if slices.Contains(o.Sectors, collab.SectorFinance) {
			o.acct = len(acctOrgs)
			if !o.traits.payments {
				g.cashBanks = append(g.cashBanks, o.acct)
			}
			acctOrgs = append(acctOrgs, o.ID)
		}
	}
	g.pop = newPopulation(cfg.Seed, cfg.Population, ps, cfg.Identity, acctOrgs)
	for i, o := range g.orgs {
		raw := "SA00" + pad(splitmix64(cfg.Seed^uint64(i)^0x0a11)%1e14, 14)
		s, err := ps.Pseudonym(schema.IDAccount, raw)
		if err != nil {
			return nil, fmt.Errorf("synth: bug: org account refused: %v", err)
		}
		o.account = s
	}

	for _, k := range Kinds() {
		if w := cfg.Weights[k]; w > 0 && len(g.sources[k]) > 0 {
			g.kinds = append(g.kinds, k)
			g.cum = append(g.cum, w+sumLast(g.cum))
		}
	}
	g.buildTimetable()
	g.master = g.newStream(g.r)
	g.master.free = true
	return g, nil
}

func sumLast(c []int) int {
	if len(c) == 0 {
		return 0
	}
	return c[len(c)-1]
}

func newOrg(o collab.Org) *org {
	x := &org{Org: o, city: cityOfRegion(o.Region), acct: -1}
	t, known := knownTraits[o.ID]
	if !known {
		// Defaults for an organization of another directory.
		t.mode = schema.TransportRail
		t.freight = []schema.TransportMode{schema.TransportRoad}
		t.service = o.Name
		t.channels = []schema.HazmatChannel{schema.HazmatInStore, schema.HazmatOnline}
		t.premises = schema.LodgingPremisesHotel
	}
	if t.code == "" {
		t.code = codeOf(o.ID)
	}
	x.traits = t
	x.ref = refOf(o.ID)
	return x
}

// codeOf makes a 3-letter carrier code from an org id.
func codeOf(id string) string {
	var b []byte
	for _, part := range strings.Split(id, "-") {
		if part != "" && part[0] >= 'a' && part[0] <= 'z' {
			b = append(b, part[0]-'a'+'A')
		}
	}
	for len(b) < 3 {
		b = append(b, 'X')
	}
	return string(b[:3])
}

// refOf makes a reference prefix from an org id: the initials of its
// parts and its digits, e.g. bank-north-01 -> BN01.
func refOf(id string) string {
	var b []byte
	for _, part := range strings.Split(id, "-") {
		if part == "" {
			continue
		}
		if c := part[0]; c >= 'a' && c <= 'z' {
			b = append(b, c-'a'+'A')
		} else {
			for i := 0; i < len(part) && i < 4; i++ {
				if c := part[i]; c >= '0' && c <= '9' {
					b = append(b, c)
				}
			}
		}
	}
	if len(b) == 0 {
		return "ORG"
	}
	if len(b) > 12 {
		b = b[:12]
	}
	return string(b)
}

// Config returns the configuration in use, with defaults filled in.
func (g *Generator) Config() Config { return g.cfg }

// Pseudonym returns the subject a person with identifier raw of type t
// gets under the generator's key, so that a test or a demo can look up a
// known identifier. Errors are those of schema.Pseudonymizer.
func (g *Generator) Pseudonym(t schema.IDType, raw string) (schema.Subject, error) {
	return g.pop.pseudo.Pseudonym(t, raw)
}

// Generate returns one record of kind at a random time in the window,
// drawn from the generator's own stream (it moves Records' and
// Scenario's later output on, deterministically). Records made by
// Generate are not checked against the planted patterns: only Scenario
// keeps the background clear of them.
func (g *Generator) Generate(kind string) (schema.Envelope, error) {
	if !slices.Contains(recordKinds, kind) {
		return schema.Envelope{}, fmt.Errorf("%w: %q (it makes %v)", ErrUnknownKind, kind, Kinds())
	}
	if len(g.sources[kind]) == 0 {
		return schema.Envelope{}, fmt.Errorf("%w: %s", ErrNoSource, kind)
	}
	t := g.cfg.Start.Add(time.Duration(g.r.Int64N(int64(g.span()/time.Second))) * time.Second)
	return g.master.record(kind, t), nil
}

// Records returns a sequence of n background records (no planted
// pattern) in time order, spread over the window, in the mix of
// Config.Weights. The sequence holds no record after yielding it, so n
// may be in the millions; iterating it again yields the same records.
func (g *Generator) Records(n int) iter.Seq[schema.Envelope] {
	seq, _, _ := g.Scenario(n)
	return seq
}

func (g *Generator) span() time.Duration {
	return time.Duration(g.cfg.Days) * 24 * time.Hour
}

// end is the end of the window (exclusive).
func (g *Generator) end() time.Time { return g.cfg.Start.Add(g.span()) }

// background returns the sequence of n background records with times,
// from a stream seeded now; each iteration replays it.
func (g *Generator) background(n int) iter.Seq2[time.Time, schema.Envelope] {
	sid := g.r.Uint64()
	return func(yield func(time.Time, schema.Envelope) bool) {
		s := g.newStream(rand.New(rand.NewPCG(g.cfg.Seed, sid)))
		spanSec := float64(g.span() / time.Second)
		for i := range n {
			off := (float64(i) + s.r.Float64()) * spanSec / float64(n)
			t := g.cfg.Start.Add(time.Duration(off) * time.Second)
			if !yield(t, s.record(s.kind(), t)) {
				return
			}
		}
	}
}

// stream is one deterministic source of records: an rng and the state
// that keeps background records clear of the planted patterns.
type stream struct {
	g *Generator
	r *rand.Rand
	// cross is each person's border-crossing state (nil until needed).
	cross []crossState
	// band holds, per person, the times of their last two cash deposits
	// in the structuring band.
	band map[int][2]int64
	// hit marks people who already share a trip with a flagged planted
	// subject.
	hit map[int]bool
	// free streams (Generate's) make records at random times, out of
	// order: they keep no state, and promise nothing about the patterns.
	free bool
}

type crossState struct {
	last, lastShort int64 // unix seconds
	abroad, init    bool
}

func (g *Generator) newStream(r *rand.Rand) *stream {
	return &stream{g: g, r: r, band: map[int][2]int64{}, hit: map[int]bool{}}
}

// kind draws a kind by weight.
func (s *stream) kind() string {
	x := s.r.IntN(sumLast(s.g.cum))
	i, _ := slices.BinarySearch(s.g.cum, x+1)
	return s.g.kinds[i]
}

// record makes one background record of kind at event time t.
func (s *stream) record(kind string, t time.Time) schema.Envelope {
	switch kind {
	case schema.KindFinanceTransaction:
		return s.finance(t)
	case schema.KindTransportPassenger:
		return s.passenger(t)
	case schema.KindTransportFreight:
		return s.freight(t)
	case schema.KindTelecomAccountReport:
		return s.accountReport(t, s.flaggablePerson(), nil)
	case schema.KindCommerceHazmat:
		return s.hazmat(t)
	case schema.KindServicesLodging:
		return s.lodging(t)
	case schema.KindHealthInfectious:
		return s.health(t)
	case schema.KindCustomsEntryExit:
		return s.entryExit(t)
	case schema.KindCustomsInspection:
		return s.inspection(t)
	}
	panic("synth: bug: no builder for " + kind)
}

// envelope wraps payload, an event of src at t, in an envelope.
func (s *stream) envelope(kind string, src *org, t time.Time, payload any) schema.Envelope {
	b, err := json.Marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("synth: bug: encode %s: %v", kind, err))
	}
	collected := t.Add(time.Duration(60+s.r.IntN(int(MaxCollectionDelay/time.Second)-60)) * time.Second)
	e := schema.Envelope{
		ID:            s.uuid(t),
		Kind:          kind,
		SchemaVersion: 1,
		Source:        src.ID,
		CollectedAt:   collected,
		Purpose:       s.g.purposes[kind],
		LegalBasis:    s.g.legal[kind],
		Handling:      s.g.cfg.Handling,
		RetainUntil:   collected.Add(s.g.cfg.Retention).Truncate(time.Second),
		Payload:       b,
	}
	if s.g.cfg.Provenance {
		if err := e.Stamp(src.ID, schema.StageCollection, collected); err != nil {
			panic(fmt.Sprintf("synth: bug: stamp %s: %v", kind, err))
		}
	}
	return e
}

// uuid returns a UUID v7 whose timestamp is t and whose random bits come
// from the stream: ids sort by event time and are reproducible.
func (s *stream) uuid(t time.Time) string {
	var u uuid.UUID
	ms := uint64(t.UnixMilli())
	for i := range 6 {
		u[i] = byte(ms >> (40 - 8*i))
	}
	a, b := s.r.Uint64(), s.r.Uint64()
	u[6] = 0x70 | byte(a>>8)&0x0f
	u[7] = byte(a)
	u[8] = 0x80 | byte(a>>16)&0x3f
	for i := 9; i < 16; i++ {
		u[i] = byte(b >> (8 * (i - 9)))
	}
	return u.String()
}

// pick returns a random source of kind.
func (s *stream) pick(kind string) *org {
	src := s.g.sources[kind]
	return src[s.r.IntN(len(src))]
}

// person returns a random background person.
func (s *stream) person() person {
	return s.g.pop.derive(s.r.IntN(s.g.pop.size))
}

// plainPerson returns a random background person who is not flaggable.
func (s *stream) plainPerson() person {
	for {
		if p := s.person(); !p.flaggable {
			return p
		}
	}
}

// flaggablePerson returns a random flaggable background person (there
// are at least two: the population has at least 100 people).
func (s *stream) flaggablePerson() person {
	n := (s.g.pop.size - flaggableEvery/7 + flaggableEvery - 1) / flaggableEvery
	return s.g.pop.derive(s.r.IntN(n)*flaggableEvery + flaggableEvery/7)
}

// between returns a random int in [lo, hi].
func (s *stream) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + s.r.IntN(hi-lo+1)
}

// chance reports true with probability p.
func (s *stream) chance(p float64) bool { return s.r.Float64() < p }

// digits returns n random decimal digits.
func (s *stream) digits(n int) string {
	var b [24]byte
	for i := range n {
		b[i] = byte('0' + s.r.IntN(10))
	}
	return string(b[:n])
}

// alnum returns n random characters of A-Z, 0-9 (no I or O).
func (s *stream) alnum(n int) string {
	const set = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	var b [32]byte
	for i := range n {
		b[i] = set[s.r.IntN(len(set))]
	}
	return string(b[:n])
}

// hex returns 2n random lower-case hex digits.
func (s *stream) hex(n int) string {
	const set = "0123456789abcdef"
	b := make([]byte, 2*n)
	for i := 0; i < n; i += 8 {
		x := s.r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			c := byte(x >> (8 * j))
			b[2*(i+j)] = set[c>>4]
			b[2*(i+j)+1] = set[c&15]
		}
	}
	return string(b)
}

// yuan formats an amount in fen (hundredths) as a decimal string.
func yuan(fen int64) string {
	return fmt.Sprintf("%d.%02d", fen/100, fen%100)
}

// dateRef formats t as yyyymmdd.
func dateRef(t time.Time) string {
	return t.Format("20060102")
}
