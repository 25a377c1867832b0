package synth

import (
	"strconv"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// The background builders of the telecom, hazmat, lodging and health kinds
// (see records.go).

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
