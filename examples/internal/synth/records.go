package synth

import (
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// The background builders: one per kind, each making a plausible record
// at event time t. They keep the background clear of the planted patterns
// by the rules of doc.go; the planted records are made in patterns.go.

// ----- finance.transaction -----

var financeIndicators = []schema.FinanceIndicator{
	schema.FinanceIndicatorRapidMovement, schema.FinanceIndicatorHighRiskJurisdiction,
	schema.FinanceIndicatorUnusualForProfile, schema.FinanceIndicatorThirdPartyCash,
	schema.FinanceIndicatorRoundAmounts, schema.FinanceIndicatorFunnelAccount,
	schema.FinanceIndicatorDormantReactivated, schema.FinanceIndicatorUnclearPurpose,
}

var financeReasons = map[schema.FinanceIndicator]string{
	schema.FinanceIndicatorRapidMovement:        "Funds credited and moved on within the hour.",
	schema.FinanceIndicatorHighRiskJurisdiction: "Counterparty in a jurisdiction on the institution's high-risk list.",
	schema.FinanceIndicatorUnusualForProfile:    "Amount far above the customer's usual activity.",
	schema.FinanceIndicatorThirdPartyCash:       "Cash paid in by a person other than the account holder.",
	schema.FinanceIndicatorRoundAmounts:         "Series of round amounts without a stated purpose.",
	schema.FinanceIndicatorFunnelAccount:        "Many small credits from unrelated payers, withdrawn at once.",
	schema.FinanceIndicatorDormantReactivated:   "Account dormant for over a year, reactivated with a large credit.",
	schema.FinanceIndicatorUnclearPurpose:       "Customer could not explain the purpose of the payment.",
}

// The structuring rule's band: cash deposits in CNY from
// StructuringFloor (inclusive) to StructuringThreshold (exclusive).
const (
	structuringFloorFen     = StructuringFloor * 100
	structuringThresholdFen = StructuringThreshold * 100
)

func (s *stream) finance(t time.Time) schema.Envelope {
	src := s.pick(schema.KindFinanceTransaction)
	if src.acct < 0 {
		return s.donation(t, src)
	}
	// A customer of the institution.
	var p person
	var acct schema.Subject
	for try := 0; ; try++ {
		p = s.person()
		if a, ok := s.g.pop.accountAt(&p, src.acct); ok || try == 16 {
			acct = a
			if !ok {
				acct, _ = s.g.pop.account(&p, 0)
			}
			break
		}
	}
	holder := s.g.pop.subject(&p, docID(&p))
	own := &schema.FinanceAccount{Account: acct, Holder: &holder, Institution: src.ID, BIC: src.traits.bic, Country: "CN"}
	tx := schema.FinanceTransaction{
		Reference:  src.ref + "-" + dateRef(t) + "-" + s.digits(6),
		ExecutedAt: t,
	}
	var fen int64
	roll := s.r.IntN(100)
	if src.traits.payments {
		roll = roll / 2 // transfers and card payments only
	}
	switch {
	case roll < 30:
		tx.Type = schema.FinanceTxTransfer
		tx.Channel = pickOf(s, schema.FinanceChannelOnline, schema.FinanceChannelMobile, schema.FinanceChannelMobile, schema.FinanceChannelBranch)
		tx.Originator = own
		tx.Beneficiary = s.otherAccount()
		fen = s.logAmount(100, 50000) * 100
	case roll < 50:
		tx.Type = schema.FinanceTxCardPayment
		tx.Channel = pickOf(s, schema.FinanceChannelPOS, schema.FinanceChannelPOS, schema.FinanceChannelOnline, schema.FinanceChannelMobile)
		tx.Originator = own
		m := merchants[s.r.IntN(len(merchants))]
		tx.Counterparty = &schema.FinanceCounterparty{Role: schema.FinanceRoleMerchant, Name: m.name, MCC: m.mcc, Country: "CN"}
		fen = int64(s.between(m.amt[0]*100, m.amt[1]*100))
	case roll < 65:
		tx.Type = schema.FinanceTxCashDeposit
		tx.Channel = pickOf(s, schema.FinanceChannelBranch, schema.FinanceChannelATM)
		tx.Beneficiary = own
		if s.chance(0.7) {
			tx.Counterparty = &schema.FinanceCounterparty{Role: schema.FinanceRoleConductor, Subject: &holder, Country: "CN"}
		}
		tx.Place = s.branch(src, p.home)
		fen = s.cashDeposit(p.idx, t)
	case roll < 77:
		tx.Type = schema.FinanceTxCashWithdrawal
		tx.Channel = pickOf(s, schema.FinanceChannelATM, schema.FinanceChannelATM, schema.FinanceChannelBranch)
		tx.Originator = own
		tx.Place = s.branch(src, p.home)
		fen = int64(s.between(1, 200)) * 10000
	case roll < 85:
		tx.Type = schema.FinanceTxRemittance
		tx.Channel = pickOf(s, schema.FinanceChannelOnline, schema.FinanceChannelBranch, schema.FinanceChannelAgent)
		tx.Originator = own
		q := s.person()
		payee := s.g.pop.subject(&q, idPassport)
		d := destinations[s.r.IntN(len(destinations))]
		tx.Counterparty = &schema.FinanceCounterparty{Role: schema.FinanceRolePayee, Subject: &payee, Country: d.country}
		fen = s.logAmount(500, 60000) * 100
	case roll < 92:
		tx.Type = schema.FinanceTxCurrencyExchange
		tx.Channel = schema.FinanceChannelBranch
		tx.Originator = own
		tx.Place = s.branch(src, p.home)
		fen = int64(s.between(10, 300)) * 10000
	default:
		tx.Type = schema.FinanceTxCheque
		tx.Channel = schema.FinanceChannelBranch
		tx.Originator = own
		tx.Beneficiary = s.otherAccount()
		fen = s.logAmount(1000, 150000) * 100
	}
	tx.Amount = schema.Money{Amount: yuan(fen), Currency: "CNY"}
	if s.chance(0.06) {
		ind := financeIndicators[s.r.IntN(len(financeIndicators))]
		tx.Indicators = []schema.FinanceIndicator{ind}
		tx.Reason = financeReasons[ind]
	}
	return s.envelope(schema.KindFinanceTransaction, src, t, &tx)
}

// donation is a non-profit's record of a donation received or a grant paid.
func (s *stream) donation(t time.Time, src *org) schema.Envelope {
	p := s.person()
	acct, inst := s.g.pop.account(&p, s.r.IntN(maxAccounts))
	holder := s.g.pop.subject(&p, docID(&p))
	person := &schema.FinanceAccount{Account: acct, Holder: &holder, Institution: inst, Country: "CN"}
	own := &schema.FinanceAccount{Account: src.account, Country: "CN"}
	tx := schema.FinanceTransaction{
		Reference:  src.ref + "-" + dateRef(t) + "-" + s.digits(5),
		ExecutedAt: t,
		Type:       schema.FinanceTxTransfer,
		Channel:    pickOf(s, schema.FinanceChannelOnline, schema.FinanceChannelMobile),
	}
	var fen int64
	if s.chance(0.8) {
		tx.Originator, tx.Beneficiary = person, own
		fen = s.logAmount(20, 5000) * 100
	} else {
		tx.Originator, tx.Beneficiary = own, person
		fen = s.logAmount(1000, 50000) * 100
	}
	if s.chance(0.05) {
		tx.Indicators = []schema.FinanceIndicator{pickOf(s, schema.FinanceIndicatorNonprofitDiversion, schema.FinanceIndicatorCrowdfunding)}
		tx.Reason = "Donation pattern unusual for the association's programmes."
	}
	tx.Amount = schema.Money{Amount: yuan(fen), Currency: "CNY"}
	return s.envelope(schema.KindFinanceTransaction, src, t, &tx)
}

// cashDeposit draws the amount of a background cash deposit of person idx
// at t, in fen. At most two of any person's deposits fall in the
// structuring band within StructuringWindow; others fall below it, or far
// above the threshold (declared large cash).
func (s *stream) cashDeposit(idx int, t time.Time) int64 {
	switch r := s.r.Float64(); {
	case r < 0.03 && s.free:
		return int64(s.between(StructuringFloor/10, StructuringThreshold/10-1)) * 1000
	case r < 0.03:
		last, seen := s.band[idx]
		now := t.Unix()
		win := int64(StructuringWindow / time.Second)
		n := 0
		for _, x := range last {
			if seen && x != 0 && now-x < win {
				n++
			}
		}
		if n < maxBackgroundBand {
			s.band[idx] = [2]int64{last[1], now}
			return int64(s.between(StructuringFloor/10, StructuringThreshold/10-1)) * 1000
		}
	case r < 0.07:
		return int64(s.between(StructuringThreshold/100, 2000)) * 10000
	}
	return s.logAmount(100, StructuringFloor*8/10) * 100
}

// logAmount returns a whole amount between lo and hi, log-uniform, rounded
// to look like what people pay.
func (s *stream) logAmount(lo, hi int) int64 {
	v := int64(float64(lo) * math.Exp(s.r.Float64()*math.Log(float64(hi)/float64(lo))))
	switch {
	case v >= 10000:
		v -= v % 100
	case v >= 1000:
		v -= v % 10
	}
	return min(max(v, int64(lo)), int64(hi))
}

// otherAccount is a random person's account, at their institution.
func (s *stream) otherAccount() *schema.FinanceAccount {
	q := s.person()
	acct, inst := s.g.pop.account(&q, s.r.IntN(maxAccounts))
	return &schema.FinanceAccount{Account: acct, Institution: inst, Country: "CN"}
}

// branch is a branch of src in city i.
func (s *stream) branch(src *org, i int) *schema.Place {
	c := cities[i]
	return &schema.Place{Country: "CN", Region: c.region, Locode: c.locode,
		Name: src.Name + ", " + c.name + " branch " + pad(uint64(1+s.r.IntN(40)), 2)}
}

// ----- transport.passenger -----

var purchaseChannels = []schema.PassengerPurchaseChannel{
	schema.PassengerBoughtMobileApp, schema.PassengerBoughtMobileApp, schema.PassengerBoughtMobileApp,
	schema.PassengerBoughtOnline, schema.PassengerBoughtOnline, schema.PassengerBoughtTicketOffice,
	schema.PassengerBoughtTravelAgent, schema.PassengerBoughtVendingMachine, schema.PassengerBoughtPhone,
}

var payMethods = []schema.PassengerPaymentMethod{
	schema.PassengerPaidMobilePayment, schema.PassengerPaidMobilePayment, schema.PassengerPaidCard,
	schema.PassengerPaidCard, schema.PassengerPaidCash, schema.PassengerPaidInvoice, schema.PassengerPaidLoyaltyPoints,
}

func (s *stream) passenger(t time.Time) schema.Envelope {
	src := s.pick(schema.KindTransportPassenger)
	svc := src.svc[s.r.IntN(len(src.svc))]
	key := tripKey{svc: svc, day: dayOf(t)}
	p := s.plainPerson()
	if s.g.flaggedTrips[key] {
		// A flagged planted subject is on this run: take a traveller who
		// has not shared a run with one yet, or, failing that, the first
		// run of the service that no flagged subject is on.
		for try := 0; s.hit[p.idx]; try++ {
			if try == 32 {
				for d := key.day + 1; s.g.flaggedTrips[key]; d++ {
					key.day = d
				}
				break
			}
			p = s.plainPerson()
		}
		if s.g.flaggedTrips[key] {
			s.hit[p.idx] = true
		}
	}
	ch := purchaseChannels[s.r.IntN(len(purchaseChannels))]
	trip := s.trip(key, &p, ch, t)
	return s.envelope(schema.KindTransportPassenger, src, t, trip)
}

// trip makes the record of person p on the run key of a service, as known
// to the carrier at t, bought through ch.
func (s *stream) trip(key tripKey, p *person, ch schema.PassengerPurchaseChannel, t time.Time) *schema.PassengerTrip {
	svc := &s.g.services[key.svc]
	dep := s.g.departure(key.svc, key.day)
	arr := dep.Add(time.Duration(svc.dur) * time.Minute)
	if ch == schema.PassengerBoughtVendingMachine && svc.mode != schema.TransportRail {
		ch = schema.PassengerBoughtOnline
	}
	// The traveller as the carrier knows them: passport abroad, the phone
	// number a ticket bought remotely is registered with, else the
	// identity document shown.
	id := docID(p)
	switch {
	case svc.intl:
		id = idPassport
	case ch == schema.PassengerBoughtMobileApp || ch == schema.PassengerBoughtOnline || ch == schema.PassengerBoughtPhone:
		id = idPhone
	}
	co := 0
	if s.chance(0.2) {
		co = s.between(1, 3)
	}
	trip := &schema.PassengerTrip{
		Mode:               svc.mode,
		Carrier:            schema.TransportCarrier{Org: svc.carrier.ID, Code: svc.carrier.traits.code, Name: svc.carrier.Name},
		ServiceNumber:      svc.number,
		Route:              schema.TransportRoute{Origin: svc.from, Destination: svc.to},
		ScheduledDeparture: dep,
		ScheduledArrival:   &arr,
		BookingReference:   s.alnum(6),
		Traveller:          s.g.pop.subject(p, id),
		CoTravellers:       &co,
		PurchaseChannel:    ch,
		PaymentMethod:      payMethods[s.r.IntN(len(payMethods))],
		Seat:               s.seat(svc.mode),
	}
	bought := earliest(t, dep).Add(-time.Duration(600+s.r.IntN(20*86400)) * time.Second)
	trip.PurchasedAt = &bought
	switch {
	case t.Before(dep):
		trip.Status = schema.PassengerBooked
		if dep.Sub(t) < 24*time.Hour && s.chance(0.5) {
			trip.Status = schema.PassengerCheckedIn
		}
		if s.chance(0.03) {
			trip.Status = schema.PassengerCancelled
		}
	default:
		switch r := s.r.IntN(100); {
		case r < 94:
			trip.Status = schema.PassengerBoarded
			late := time.Duration(s.r.IntN(40)) * time.Minute
			ad := dep.Add(late)
			trip.ActualDeparture = &ad
			if aa := arr.Add(late); !t.Before(aa) {
				trip.ActualArrival = &aa
			}
		case r < 98:
			trip.Status = schema.PassengerNoShow
		default:
			trip.Status = schema.PassengerCancelled
		}
	}
	return trip
}

func (s *stream) seat(mode schema.TransportMode) string {
	switch mode {
	case schema.TransportAir:
		return strconv.Itoa(1+s.r.IntN(45)) + string("ABCDEF"[s.r.IntN(6)])
	case schema.TransportRoad:
		return strconv.Itoa(1 + s.r.IntN(49))
	}
	return pad(uint64(1+s.r.IntN(16)), 2) + "-" + pad(uint64(1+s.r.IntN(20)), 2) + string("ABCDF"[s.r.IntN(5)])
}

// ----- transport.freight -----

var industries = []string{"chemicals", "electronics", "textiles", "furniture", "machinery", "foods", "agri", "toys", "autoparts", "ceramics"}

// company returns the org id of an invented company (not a scheme member).
func (s *stream) company() string {
	return "ex-" + industries[s.r.IntN(len(industries))] + "-" + pad(uint64(s.r.IntN(200)), 3)
}

func (s *stream) freight(t time.Time) schema.Envelope {
	src := s.pick(schema.KindTransportFreight)
	modes := src.traits.freight
	mode := modes[s.r.IntN(len(modes))]
	w := &schema.FreightWaybill{
		Mode:    mode,
		Carrier: schema.TransportCarrier{Org: src.ID, Code: src.traits.code, Name: src.Name},
	}
	a := s.r.IntN(len(cities))
	var origin, dest schema.Place
	switch mode {
	case schema.TransportWater:
		cn := cnSeaports[s.r.IntN(len(cnSeaports))]
		fo := foreignSeaports[s.r.IntN(len(foreignSeaports))]
		origin = schema.Place{Country: cn.country, Region: cn.region, Locode: cn.locode, Name: cn.name}
		dest = schema.Place{Country: fo.country, Locode: fo.locode, Name: fo.name}
		w.WaybillNumber = src.traits.code + cn.locode[2:] + s.digits(10)
		w.TransportUnits = []schema.FreightTransportUnit{{Type: schema.FreightUnitContainer, ID: s.container()}}
	case schema.TransportAir:
		origin = stop(schema.TransportAir, a)
		d := destinations[s.r.IntN(len(destinations))]
		dest = schema.Place{Country: d.country, IATA: d.iata, Name: d.name}
		serial := s.r.IntN(10_000_000)
		w.WaybillNumber = "999-" + pad(uint64(serial), 7) + strconv.Itoa(serial%7)
		w.TransportUnits = []schema.FreightTransportUnit{{Type: schema.FreightUnitULD, ID: "AKE" + s.digits(5) + src.traits.code[:2]}}
	default:
		b := (a + 1 + s.r.IntN(len(cities)-1)) % len(cities)
		origin = stop(schema.TransportRail, a)
		origin.Name = cities[a].name + " freight yard"
		dest = stop(schema.TransportRail, b)
		dest.Name = cities[b].name + " freight yard"
		if mode == schema.TransportRail {
			w.WaybillNumber = "CIM-" + dateRef(t)[:4] + "-" + s.digits(7)
			w.TransportUnits = []schema.FreightTransportUnit{{Type: schema.FreightUnitRailWagon, ID: "31" + s.digits(10)}}
		} else {
			w.WaybillNumber = "CMR-" + dateRef(t)[:4] + "-" + s.digits(6)
			w.TransportUnits = []schema.FreightTransportUnit{
				{Type: schema.FreightUnitVehicle, ID: cities[a].locode[2:] + "-" + s.alnum(5)},
				{Type: schema.FreightUnitTrailer, ID: "TR-" + s.digits(5)},
			}
		}
	}
	if s.chance(0.2) {
		origin, dest = dest, origin
	}
	w.Route = schema.TransportRoute{Origin: origin, Destination: dest}
	w.Shipper = s.party(origin)
	w.Consignee = s.party(dest)
	var lines [3]int
	for n := range 1 + s.r.IntN(3) {
		i := s.r.IntN(len(goodsTable))
		if goodsTable[i].dg != nil && s.chance(0.5) {
			i = s.r.IntN(9) // fewer dangerous goods
		}
		if slices.Contains(lines[:n], i+1) {
			continue
		}
		lines[n] = i + 1
		gd := &goodsTable[i]
		q := s.between(gd.qty[0], gd.qty[1])
		it := schema.FreightItem{
			Description: gd.desc,
			HSCode:      gd.hs,
			Quantity:    schema.Quantity{Value: strconv.Itoa(q), Unit: gd.unit},
			GrossWeight: schema.Quantity{Value: strconv.Itoa(q * s.between(gd.kgPer[0], gd.kgPer[1])), Unit: "kg"},
		}
		if gd.dg != nil {
			it.DangerousGoods = &schema.FreightDangerousGoods{UNNumber: gd.dg.un, DGClass: gd.dg.class, PackingGroup: gd.dg.pg}
		}
		w.Goods = append(w.Goods, it)
	}
	transit := time.Duration(6+s.r.IntN(24*20)) * time.Hour
	if mode != schema.TransportWater {
		transit = time.Duration(4+s.r.IntN(72)) * time.Hour
	}
	if s.chance(0.5) {
		w.PickedUpAt = t.Add(-transit)
		w.DeliveredAt = &t
	} else {
		w.PickedUpAt = t
	}
	return s.envelope(schema.KindTransportFreight, src, t, w)
}

// party is a shipper or consignee at place: mostly a company, sometimes a
// private person.
func (s *stream) party(place schema.Place) schema.FreightParty {
	if s.chance(0.9) || place.Country != "CN" {
		return schema.FreightParty{Org: s.company(), Place: place}
	}
	p := s.person()
	sub := s.g.pop.subject(&p, pickOf(s, idPhone, docID(&p)))
	return schema.FreightParty{Subject: &sub, Place: place}
}

// container returns an ISO 6346 container number with a valid check
// digit, under an invented owner code.
func (s *stream) container() string {
	owner := "SY" + string("ABCDEFGHJK"[s.r.IntN(10)]) + "U"
	serial := s.digits(6)
	return owner + serial + strconv.Itoa(iso6346Check(owner+serial))
}

// iso6346Check is the check digit of the first ten characters of a
// container number: letters count 10 upwards, skipping multiples of 11;
// the i-th character is weighted 2^i; the digit is the sum mod 11 mod 10.
func iso6346Check(code string) int {
	sum, w := 0, 1
	for i := 0; i < len(code); i++ {
		c := code[i]
		v := int(c - '0')
		if c >= 'A' && c <= 'Z' {
			v = 10
			for l := byte('A'); l < c; l++ {
				v++
				if v%11 == 0 {
					v++
				}
			}
		}
		sum += v * w
		w *= 2
	}
	return sum % 11 % 10
}

// ----- telecom.account_report -----

var detections = []schema.AccountDetection{
	schema.AccountDetectedAutomated, schema.AccountDetectedAutomated, schema.AccountDetectedByUserReport,
	schema.AccountDetectedByUserReport, schema.AccountDetectedByTrustedFlagger, schema.AccountDetectedByAuthorityRequest,
}

var surfaces = []schema.AccountSurface{
	schema.AccountSurfacePost, schema.AccountSurfacePost, schema.AccountSurfaceComment, schema.AccountSurfaceDirectMessage,
	schema.AccountSurfaceGroupMessage, schema.AccountSurfaceProfile, schema.AccountSurfaceChannel, schema.AccountSurfaceLivestream,
}

// accountReport reports p's account on a platform at t. With src nil a
// source is drawn. The contact is p's phone (or, in the background,
// sometimes their email); planted reports always carry the phone.
func (s *stream) accountReport(t time.Time, p person, src *org) schema.Envelope {
	if src == nil {
		src = s.pick(schema.KindTelecomAccountReport)
	}
	created := t.Add(-time.Duration(86400+s.r.IntN(900*86400)) * time.Second)
	ref := schema.AccountRef{PlatformAccount: s.g.pop.subject(&p, idPlatform), CreatedAt: &created}
	switch {
	case p.flaggable && s.chance(0.1):
	case p.flaggable && s.chance(0.25):
		c := s.g.pop.subject(&p, idEmail)
		ref.Contact = &c
	default:
		c := s.g.pop.subject(&p, idPhone)
		ref.Contact = &c
	}
	cat := accountCategories[s.r.IntN(len(accountCategories))]
	reasons := categoryReasons[cat]
	rep := &schema.AccountReport{
		Platform:   schema.AccountPlatform{Org: src.ID, Service: src.traits.service},
		Account:    ref,
		Category:   cat,
		Reason:     reasons[s.r.IntN(len(reasons))],
		Detection:  detections[s.r.IntN(len(detections))],
		Action:     pickOf(s, schema.AccountActionRemoved, schema.AccountActionSuspended, schema.AccountActionRestricted, schema.AccountActionNone),
		ReportedAt: t,
	}
	for range 1 + s.r.IntN(3) {
		mt := mediaTypes[s.r.IntN(len(mediaTypes))]
		posted := t.Add(-time.Duration(s.r.IntN(20*86400)) * time.Second)
		if posted.Before(created) {
			posted = created
		}
		c := schema.AccountContent{SHA256: s.hex(32), MediaType: mt, Surface: surfaces[s.r.IntN(len(surfaces))], PostedAt: posted}
		if mt == "image/jpeg" || mt == "image/png" || mt == "video/mp4" {
			c.PDQ = s.hex(32)
		}
		if s.chance(0.3) {
			c.URLHost = urlHosts[s.r.IntN(len(urlHosts))]
		}
		rep.Content = append(rep.Content, c)
	}
	return s.envelope(schema.KindTelecomAccountReport, src, t, rep)
}

// ----- commerce.hazmat_purchase -----

var statedUses = []string{
	"Cleaning a swimming pool.", "Garden fertilizer.", "Hair salon supplies.", "Laboratory teaching at a school.",
	"Model engine fuel.", "Metal etching for a workshop.", "Restoring old furniture.", "Did not say.",
}

var hazmatIndicators = []schema.HazmatIndicator{
	schema.HazmatUnusualQuantity, schema.HazmatHighConcentration, schema.HazmatCashPayment, schema.HazmatEvasiveAboutUse,
	schema.HazmatNoBusinessNeed, schema.HazmatRepeatedPurchases, schema.HazmatSplitPurchases, schema.HazmatIdentityRefused,
	schema.HazmatUnusualDelivery, schema.HazmatLacksHandlingKnowledge,
}

func (s *stream) hazmat(t time.Time) schema.Envelope {
	src := s.pick(schema.KindCommerceHazmat)
	p := s.plainPerson()
	sub := &substances[s.r.IntN(len(substances))]
	ch := src.traits.channels[s.r.IntN(len(src.traits.channels))]
	h := s.hazmatRecord(t, src, &p, sub, ch, s.r.IntN(100) < 60 && sub.business)
	if s.chance(0.35) {
		n := 1 + s.r.IntN(2)
		for i := range n {
			ind := hazmatIndicators[s.r.IntN(len(hazmatIndicators))]
			if i == 0 || ind != h.Indicators[0] {
				h.Indicators = append(h.Indicators, ind)
			}
		}
		h.Reason = "Reported under the seller's suspicious-transaction procedure."
	}
	return s.envelope(schema.KindCommerceHazmat, src, t, h)
}

// hazmatRecord is p's purchase of sub from src through ch at t. A buyer
// in a shop shows an identity document; a remote buyer is known by the
// phone number of the order.
func (s *stream) hazmatRecord(t time.Time, src *org, p *person, sub *substance, ch schema.HazmatChannel, business bool) *schema.HazmatPurchase {
	q := s.between(sub.qty[0], sub.qty[1])
	bt := schema.HazmatBuyerPrivate
	if business {
		bt = schema.HazmatBuyerBusiness
		q *= 10
	}
	price := int64(q) * int64(s.between(sub.price[0]*100, sub.price[1]*100))
	h := &schema.HazmatPurchase{
		Seller:         src.ID,
		Channel:        ch,
		OrderReference: src.ref + "-" + s.digits(8),
		Item:           schema.HazmatItem{Name: sub.name, CAS: sub.cas, UNNumber: sub.un, DGClass: sub.class},
		Quantity:       schema.Quantity{Value: strconv.Itoa(q), Unit: sub.unit},
		Price:          schema.Money{Amount: yuan(price), Currency: "CNY"},
		PurchasedAt:    t,
		Outcome:        schema.HazmatCompleted,
		BuyerType:      bt,
	}
	if sub.conc[1] > 0 {
		h.Item.Concentration = strconv.Itoa(s.between(sub.conc[0], sub.conc[1]))
		if sub.conc[0] == 99 {
			h.Item.Concentration = "99.5"
		}
	}
	switch r := s.r.IntN(100); {
	case r < 8:
		h.Outcome = schema.HazmatRefused
	case r < 13:
		h.Outcome = schema.HazmatAbandoned
	}
	home := cities[p.home]
	if ch == schema.HazmatInStore {
		h.Buyer = s.g.pop.subject(p, docID(p))
		c := cities[src.city]
		h.SalePlace = &schema.Place{Country: "CN", Region: c.region, Locode: c.locode, Name: src.Name + ", " + c.name + " shop"}
		h.PaymentMethod = pickOf(s, schema.HazmatPaidCash, schema.HazmatPaidCard, schema.HazmatPaidOnlineWallet)
	} else {
		h.Buyer = s.g.pop.subject(p, idPhone)
		h.DeliveryPlace = &schema.Place{Country: "CN", Region: home.region, Locode: home.locode,
			Name: pickOf(s, "parcel locker", "residential address", "business address", "pick-up point") + ", " + home.name}
		h.PaymentMethod = pickOf(s, schema.HazmatPaidOnlineWallet, schema.HazmatPaidCard, schema.HazmatPaidBankTransfer, schema.HazmatPaidCashOnDelivery)
	}
	if business {
		h.PaymentMethod = pickOf(s, schema.HazmatPaidInvoice, schema.HazmatPaidBankTransfer)
	}
	if s.chance(0.6) {
		h.StatedUse = statedUses[s.r.IntN(len(statedUses))]
	}
	return h
}

// ----- services.lodging -----

var (
	bookingChannels = []schema.LodgingBookingChannel{
		schema.LodgingBookingOnlineTravelAgency, schema.LodgingBookingOnlineTravelAgency, schema.LodgingBookingDirect,
		schema.LodgingBookingWalkIn, schema.LodgingBookingCorporate, schema.LodgingBookingTravelAgency,
	}
	lodgingPayments = []schema.LodgingPaymentMethod{
		schema.LodgingPayMobileWallet, schema.LodgingPayMobileWallet, schema.LodgingPayCard, schema.LodgingPayCash,
		schema.LodgingPayCompanyInvoice, schema.LodgingPayBankTransfer, schema.LodgingPayVoucher,
	}
	stayPurposes = []schema.LodgingStayPurpose{schema.LodgingPurposeBusiness, schema.LodgingPurposeTourism, schema.LodgingPurposeOther}
)

func (s *stream) lodging(t time.Time) schema.Envelope {
	src := s.pick(schema.KindServicesLodging)
	p := s.person()
	c := cities[src.city]
	l := &schema.Lodging{
		RegistrationRef: src.ref + "-" + dateRef(t) + "-" + s.digits(4),
		Premises: schema.LodgingPremises{OrgID: src.ID, Name: src.Name, Type: src.traits.premises,
			Place: schema.Place{Country: "CN", Region: c.region, Locode: c.locode}},
		GuestsInRoom:   1 + s.r.IntN(2),
		BookingChannel: bookingChannels[s.r.IntN(len(bookingChannels))],
		PaymentMethod:  lodgingPayments[s.r.IntN(len(lodgingPayments))],
	}
	if src.traits.premises == schema.LodgingPremisesHostel {
		l.Room = "D" + strconv.Itoa(1+s.r.IntN(6)) + "-B" + strconv.Itoa(1+s.r.IntN(8))
	} else {
		l.Room = strconv.Itoa(2+s.r.IntN(24)) + pad(uint64(1+s.r.IntN(40)), 2)
	}
	id := docID(&p)
	switch {
	case p.foreign():
		l.Document = schema.LodgingDocument{Type: schema.LodgingDocPassport, IssuingCountry: p.nat}
	case s.chance(0.08):
		id = idPassport
		l.Document = schema.LodgingDocument{Type: schema.LodgingDocPassport, IssuingCountry: "CN"}
	default:
		l.Document = schema.LodgingDocument{Type: schema.LodgingDocNationalID, IssuingCountry: "CN"}
	}
	l.Guest = s.g.pop.subject(&p, id)
	if s.chance(0.8) {
		l.StayPurpose = stayPurposes[s.r.IntN(len(stayPurposes))]
	}
	if s.chance(0.4) {
		// Registered at check-out.
		in := t.Add(-time.Duration(s.between(1, 6)*86400-s.r.IntN(8*3600)) * time.Second)
		l.CheckIn, l.CheckOut = in, &t
	} else {
		l.CheckIn = t
	}
	return s.envelope(schema.KindServicesLodging, src, t, l)
}

// ----- health.infectious_source -----

var healthNotes = []string{
	"Cases linked to a shared canteen; samples sent to the provincial laboratory.",
	"Cluster among residents of one building; water samples taken.",
	"Cases among visitors of a livestock market; veterinary authority informed.",
	"Household cluster; contacts under observation.",
}

func (s *stream) health(t time.Time) schema.Envelope {
	src := s.pick(schema.KindHealthInfectious)
	pg := &pathogens[s.r.IntN(len(pathogens))]
	total := s.between(pg.cases[0], pg.cases[1])
	confirmed := s.r.IntN(total + 1)
	c := cities[src.city]
	if s.chance(0.3) {
		c = cities[s.r.IntN(len(cities))]
	}
	rep := &schema.InfectiousSource{
		ReportRef:       "HR-" + src.ref + "-" + dateRef(t)[:4] + "-" + s.digits(5),
		ReportType:      pickOf(s, schema.HealthReportInitial, schema.HealthReportInitial, schema.HealthReportUpdate, schema.HealthReportFinal),
		Facility:        schema.HealthFacility{OrgID: src.ID, Name: src.Name},
		Pathogen:        schema.HealthPathogen{Name: pg.name, ICD10: pg.icd10},
		CaseCount:       schema.HealthCaseCount{Confirmed: confirmed, Suspected: total - confirmed},
		Area:            schema.Place{Country: "CN", Region: c.region, Locode: c.locode, Name: c.name},
		ReportedAt:      t,
		SuspectedSource: pg.sources[s.r.IntN(len(pg.sources))],
		LabConfirmed:    confirmed > 0,
	}
	if total > 10 && s.chance(0.1) {
		rep.CaseCount.Deaths = 1 + s.r.IntN(2)
	}
	if pg.icd10 == "A22.0" && s.chance(0.05) {
		rep.SuspectedSource = schema.HealthSourceDeliberateRelease
	}
	if s.chance(0.7) {
		from := t.Add(-time.Duration(s.between(2, 20)*86400) * time.Second).Truncate(time.Hour)
		to := from.Add(time.Duration(s.between(1, 48)) * time.Hour)
		if to.After(t) {
			to = t
		}
		rep.Onset = &schema.Window{From: from, To: to}
	}
	if s.chance(0.5) {
		rep.Notes = healthNotes[s.r.IntN(len(healthNotes))]
	}
	return s.envelope(schema.KindHealthInfectious, src, t, rep)
}

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

// pickOf returns one of xs at random.
func pickOf[T any](s *stream, xs ...T) T {
	return xs[s.r.IntN(len(xs))]
}

// earliest returns the earlier of a and b.
func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
