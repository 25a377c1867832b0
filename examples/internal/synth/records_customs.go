package synth

import (
	"strconv"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// The background builders of the customs kinds (see records.go).

// ----- customs.entry_exit -----

// crossing describes one border crossing to make.
type crossing struct {
	p    *person
	port *borderPort
	mode schema.CustomsTransportMode
	dir  schema.CustomsDirection
	away string // the country on the other side
}

var visaCategories = []schema.CustomsVisaCategory{
	schema.CustomsVisaTourist, schema.CustomsVisaTourist, schema.CustomsVisaBusiness, schema.CustomsVisaBusiness,
	schema.CustomsVisaExempt, schema.CustomsVisaWork, schema.CustomsVisaStudy, schema.CustomsVisaFamily, schema.CustomsVisaTransit,
}

func (s *stream) entryExit(t time.Time) schema.Envelope {
	if s.free {
		p := s.person()
		dir := pickOf(s, schema.CustomsExit, schema.CustomsEntry)
		port := &borderPorts[s.r.IntN(len(borderPorts))]
		return s.crossingRecord(t, crossing{p: &p, port: port, mode: port.modes[s.r.IntN(len(port.modes))], dir: dir}, nil)
	}
	p, ok := s.crosser(t)
	if !ok {
		// Everyone crossed too recently (a tiny population and a dense
		// stream): record a stay instead.
		return s.lodging(t)
	}
	st := &s.cross[p.idx]
	dir := schema.CustomsExit
	if st.abroad {
		dir = schema.CustomsEntry
	}
	now := t.Unix()
	if dir == schema.CustomsEntry && now-st.last < int64(EntryExitShortTrip/time.Second) {
		st.lastShort = now
	}
	st.last, st.abroad = now, !st.abroad
	port := &borderPorts[s.r.IntN(len(borderPorts))]
	if s.chance(0.4) {
		port = &borderPorts[s.r.IntN(4)] // airports carry most travellers
	}
	c := crossing{p: &p, port: port, mode: port.modes[s.r.IntN(len(port.modes))], dir: dir}
	return s.crossingRecord(t, c, nil)
}

// crosser picks a background person who may cross the border at t
// without the background ever making the abnormal entry-exit pattern: a
// return within EntryExitShortTrip of leaving is allowed at most once in
// EntryExitWindow plus a day (the rule needs EntryExitMinShortTrips), and
// nobody crosses twice within two hours. It gives up after 256 draws.
func (s *stream) crosser(t time.Time) (person, bool) {
	if s.cross == nil {
		s.cross = make([]crossState, s.g.pop.size)
	}
	now := t.Unix()
	short := int64(EntryExitShortTrip / time.Second)
	win := int64(EntryExitWindow/time.Second) + 86400
	for range 256 {
		p := s.person()
		st := &s.cross[p.idx]
		if !st.init {
			st.init = true
			st.abroad = p.foreign() != ((p.h>>20)%10 == 0)
			st.last, st.lastShort = -1<<40, -1<<40
		}
		gap := now - st.last
		switch {
		case gap < 2*3600:
		case st.abroad && gap < short && now-st.lastShort < win:
		default:
			return p, true
		}
	}
	return person{}, false
}

// crossingRecord makes the record of crossing c at t; src nil draws one
// (the airline for some air crossings, customs for the rest).
func (s *stream) crossingRecord(t time.Time, c crossing, src *org) schema.Envelope {
	if src == nil {
		src = s.crossingSource(c.mode)
	}
	p := c.p
	away := c.away
	if away == "" {
		if c.port.abroad >= 0 {
			away = destinations[c.port.abroad].country
		} else {
			away = destinations[s.r.IntN(len(destinations))].country
		}
	}
	e := &schema.EntryExit{
		CrossingRef:   "EE-" + c.port.place.Locode[2:] + "-" + dateRef(t) + "-" + s.digits(6),
		Port:          c.port.place,
		Direction:     c.dir,
		CrossedAt:     t,
		Traveller:     s.g.pop.subject(p, idPassport),
		TravellerRole: schema.CustomsRolePassenger,
		Document:      schema.CustomsTravelDocument{Type: schema.CustomsDocPassport, IssuingCountry: p.nat},
		Nationality:   p.nat,
		Mode:          c.mode,
	}
	// Passports of a person expire on the same day in every record.
	exp := time.Date(2027+int(p.h>>52)%9, time.Month(p.birth[1]), p.birth[2], 0, 0, 0, 0, time.UTC)
	e.Document.ExpiresOn = exp.Format(time.DateOnly)
	if p.nat == "HK" || p.nat == "MO" {
		e.Document.Type = schema.CustomsDocOther
	}
	if c.dir == schema.CustomsExit {
		e.OriginCountry, e.DestinationCountry = "CN", away
	} else {
		e.OriginCountry, e.DestinationCountry = away, "CN"
	}
	switch c.mode {
	case schema.CustomsModeAir:
		code := "ZX"
		if src.traits.airline {
			code = src.traits.code
		}
		e.Conveyance = code + strconv.Itoa(100+s.r.IntN(900))
	case schema.CustomsModeSea:
		e.Conveyance = "IMO9" + s.digits(6)
	case schema.CustomsModeRail:
		e.Conveyance = "Z" + strconv.Itoa(1+s.r.IntN(99))
	case schema.CustomsModeRoad:
		if s.chance(0.7) {
			e.Conveyance = "YUE Z" + s.alnum(4)
		}
	}
	if p.foreign() && c.dir == schema.CustomsEntry {
		e.VisaCategory = visaCategories[s.r.IntN(len(visaCategories))]
	}
	return s.envelope(schema.KindCustomsEntryExit, src, t, e)
}

// crossingSource picks who records a crossing: an airline among the
// sources only for air crossings.
func (s *stream) crossingSource(mode schema.CustomsTransportMode) *org {
	src := s.g.sources[schema.KindCustomsEntryExit]
	for range 8 {
		o := src[s.r.IntN(len(src))]
		if !o.traits.airline || mode == schema.CustomsModeAir {
			return o
		}
	}
	return src[0]
}

// ----- customs.inspection -----

var inspectionTypes = []schema.CustomsInspectionType{
	schema.CustomsCheckDocuments, schema.CustomsCheckDocuments, schema.CustomsCheckDocuments, schema.CustomsCheckXRay,
	schema.CustomsCheckXRay, schema.CustomsCheckPhysical, schema.CustomsCheckPhysical, schema.CustomsCheckSampling,
}

func (s *stream) inspection(t time.Time) schema.Envelope {
	src := s.pick(schema.KindCustomsInspection)
	var port schema.Place
	switch r := s.r.IntN(10); {
	case r < 7:
		sp := cnSeaports[s.r.IntN(len(cnSeaports))]
		port = schema.Place{Country: "CN", Region: sp.region, Locode: sp.locode, Name: sp.name}
	case r < 9:
		port = borderPorts[s.r.IntN(4)].place
	default:
		port = borderPorts[4].place
	}
	proc := pickOf(s, schema.CustomsProcedureImport, schema.CustomsProcedureImport, schema.CustomsProcedureImport, schema.CustomsProcedureExport, schema.CustomsProcedureExport, schema.CustomsProcedureTransit)
	in := &schema.Inspection{
		InspectionRef: "INSP-" + port.Locode[2:] + "-" + dateRef(t)[:4] + "-" + s.digits(6),
		DeclarationNo: port.Locode[2:] + dateRef(t)[2:4] + s.digits(13),
		Procedure:     proc,
		Port:          port,
		InspectedAt:   t,
		Type:          inspectionTypes[s.r.IntN(len(inspectionTypes))],
		Result:        schema.CustomsResultCleared,
		Findings:      []schema.CustomsFinding{schema.CustomsFindingNone},
	}
	worst := findNone
	var value int64
	for range 1 + s.r.IntN(3) {
		gd := &goodsTable[s.r.IntN(len(goodsTable))]
		origin := gd.origin[s.r.IntN(len(gd.origin))]
		switch {
		case proc == schema.CustomsProcedureExport:
			origin = "CN"
		case origin == "CN":
			origin = foreignSeaports[s.r.IntN(len(foreignSeaports))].country
		}
		q := s.between(gd.qty[0], gd.qty[1])
		it := schema.CustomsGoodsItem{Description: gd.desc, HSCode: gd.hs, Quantity: schema.Quantity{Value: strconv.Itoa(q), Unit: gd.unit}, OriginCountry: origin}
		if gd.dg != nil {
			it.DangerousGoods = &schema.CustomsDangerousGoods{UNNumber: gd.dg.un, Class: gd.dg.class}
		}
		in.Goods = append(in.Goods, it)
		if gd.finding > worst {
			worst = gd.finding
		}
		value += int64(q) * int64(s.between(50, 3000)) * 100
	}
	if worst == findPest && s.chance(0.5) {
		in.Type = schema.CustomsCheckQuarantine
	}
	if s.chance(0.12) {
		switch worst {
		case findPrecursor:
			in.Result = pickOf(s, schema.CustomsResultHeld, schema.CustomsResultSeized)
			in.Findings = []schema.CustomsFinding{schema.CustomsFindingPrecursorChemical}
			in.Notes = "Consignee not registered for precursor chemicals; goods detained pending the precursor authority."
		case findPest:
			in.Result = pickOf(s, schema.CustomsResultQuarantined, schema.CustomsResultDestroyed)
			in.Findings = []schema.CustomsFinding{schema.CustomsFindingPestOrDisease}
			in.Notes = "Live pests found in the consignment; quarantine ordered."
		case findWeapon:
			in.Result = pickOf(s, schema.CustomsResultHeld, schema.CustomsResultReturned)
			in.Findings = []schema.CustomsFinding{schema.CustomsFindingWeaponComponent}
			in.Notes = "Items subject to arms export control without a licence."
		case findProhibited:
			in.Result = schema.CustomsResultSeized
			in.Findings = []schema.CustomsFinding{schema.CustomsFindingProhibitedItem, schema.CustomsFindingUndeclaredGoods}
			in.Notes = "Goods infringing registered trade marks."
		default:
			in.Result = schema.CustomsResultHeld
			in.Findings = []schema.CustomsFinding{pickOf(s, schema.CustomsFindingMisdeclaredValue, schema.CustomsFindingDocumentFraud, schema.CustomsFindingUndeclaredGoods)}
			in.Notes = "Declaration does not match the goods found; held for further checks."
		}
	}
	if s.chance(0.9) {
		in.Declarant.OrgID = s.company()
	} else {
		p := s.person()
		sub := s.g.pop.subject(&p, docID(&p))
		in.Declarant.Subject = &sub
	}
	if s.chance(0.8) {
		in.Value = &schema.Money{Amount: yuan(value), Currency: pickOf(s, "CNY", "CNY", "USD")}
	}
	return s.envelope(schema.KindCustomsInspection, src, t, in)
}
