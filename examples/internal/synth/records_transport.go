package synth

import (
	"slices"
	"strconv"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// The background builders of the carriers' kinds (see records.go).

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
