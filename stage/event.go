package stage

import (
	"slices"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// Event is what a record says about the world, independent of who reported
// it: the key of the event, when it happened and who took part.
type Event struct {
	// Key names the event (see EventOf); "" when the kind has no key.
	Key string
	// Time is when the event happened (see EventOf).
	Time time.Time
	// Subjects are the people in the record that have a pseudonym, each
	// once, without clear identity.
	Subjects []schema.Subject
}

// EventOf decodes env's payload with its kind's Go type and returns the
// event it describes. The key and the time, per kind:
//
//	finance.transaction      reference, executed_at, amount and currency  | executed_at
//	transport.passenger      traveller, carrier, service number,
//	                         scheduled departure, origin, destination     | scheduled_departure
//	transport.freight        waybill number, carrier                      | picked_up_at
//	telecom.account_report   platform, service, account, content hashes   | reported_at
//	commerce.hazmat_purchase seller and order reference, or else seller,
//	                         buyer, CAS number and purchase time          | purchased_at
//	services.lodging         premises, guest, check-in                    | check_in
//	health.infectious_source facility, report reference, report type     | reported_at
//	customs.entry_exit       traveller, port, direction, crossing time    | crossed_at
//	customs.inspection       declaration number, inspection reference     | inspected_at
//
// Other kinds have no key, and their time is the envelope's collected_at.
// Keys begin with the kind, so kinds never share a key.
func EventOf(env schema.Envelope) (Event, error) {
	return eventOf(env, true)
}

// eventOf is EventOf; without subjects it leaves Subjects empty, which
// spares a walk of the whole payload where only the key is wanted.
func eventOf(env schema.Envelope, withSubjects bool) (Event, error) {
	var buf [256]byte // the key is written on the stack, then copied once
	k, ev, err := appendEvent(buf[:0], &env, withSubjects)
	if err != nil {
		return Event{}, err
	}
	if len(k) > 0 {
		ev.Key = string(k)
	}
	return ev, nil
}

// appendEvent appends the key of env's event to k (nothing when its kind
// has none) and returns the event without its key.
func appendEvent(k []byte, env *schema.Envelope, withSubjects bool) ([]byte, Event, error) {
	d, err := decodePayload(env)
	if err != nil {
		return k, Event{}, err
	}
	defer d.release()
	p := d.p
	ev := Event{Time: env.CollectedAt}
	// The key is the kind, then each part after a unit separator.
	start := len(k)
	k = append(k, env.Kind...)
	switch r := p.(type) {
	case *schema.FinanceTransaction:
		k = keyTime(keyPart(k, r.Reference), r.ExecutedAt)
		k = keyPart(keyPart(k, r.Amount.Amount), r.Amount.Currency)
		ev.Time = r.ExecutedAt
	case *schema.PassengerTrip:
		k = keyPart(keyPart(k, r.Traveller.KeyID), r.Traveller.Pseudonym)
		k = keyPart(keyPart(keyPart(k, r.Carrier.Org), r.Carrier.Code), r.ServiceNumber)
		k = keyPlace(keyPlace(keyTime(k, r.ScheduledDeparture), r.Route.Origin), r.Route.Destination)
		ev.Time = r.ScheduledDeparture
	case *schema.FreightWaybill:
		k = keyPart(keyPart(keyPart(k, r.WaybillNumber), r.Carrier.Org), r.Carrier.Code)
		ev.Time = r.PickedUpAt
	case *schema.AccountReport:
		k = keyPart(keyPart(k, r.Platform.Org), r.Platform.Service)
		k = keyPart(keyPart(k, r.Account.PlatformAccount.KeyID), r.Account.PlatformAccount.Pseudonym)
		var hashes []string
		for _, c := range r.Content {
			hashes = append(hashes, c.SHA256)
		}
		slices.Sort(hashes)
		for _, h := range hashes {
			k = keyPart(k, h)
		}
		ev.Time = r.ReportedAt
	case *schema.HazmatPurchase:
		if r.OrderReference != "" {
			k = keyPart(keyPart(k, r.Seller), r.OrderReference)
		} else {
			k = keyPart(keyPart(keyPart(k, r.Seller), r.Buyer.KeyID), r.Buyer.Pseudonym)
			k = keyTime(keyPart(k, r.Item.CAS), r.PurchasedAt)
		}
		ev.Time = r.PurchasedAt
	case *schema.Lodging:
		k = keyPart(keyPart(keyPart(k, r.Premises.OrgID), r.Guest.KeyID), r.Guest.Pseudonym)
		k = keyTime(k, r.CheckIn)
		ev.Time = r.CheckIn
	case *schema.InfectiousSource:
		k = keyPart(keyPart(keyPart(k, r.Facility.OrgID), r.ReportRef), string(r.ReportType))
		ev.Time = r.ReportedAt
	case *schema.EntryExit:
		k = keyPlace(keyPart(keyPart(k, r.Traveller.KeyID), r.Traveller.Pseudonym), r.Port)
		k = keyTime(keyPart(k, string(r.Direction)), r.CrossedAt)
		ev.Time = r.CrossedAt
	case *schema.Inspection:
		k = keyPart(keyPart(k, r.DeclarationNo), r.InspectionRef)
		ev.Time = r.InspectedAt
	}
	if len(k) == start+len(env.Kind) {
		k = k[:start] // no part: no key
	}
	if withSubjects {
		ev.Subjects = uniqueSubjects(p)
	}
	return k, ev, nil
}

// keyPart appends one part of an event key, after a unit separator.
func keyPart(k []byte, s string) []byte {
	return append(append(k, '\x1f'), s...)
}

func keyTime(k []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(append(k, '\x1f'), time.RFC3339Nano)
}

// keyPlace appends a place as country/locode/iata.
func keyPlace(k []byte, p schema.Place) []byte {
	k = append(append(append(k, '\x1f'), p.Country...), '/')
	return append(append(append(k, p.Locode...), '/'), p.IATA...)
}

// KeyFunc returns the key of the event a record is about, and false when it
// has none (the record is then handled by id only).
type KeyFunc func(env schema.Envelope) (key string, ok bool, err error)

// EventKey is the default KeyFunc: the Key of EventOf.
func EventKey(env schema.Envelope) (string, bool, error) {
	ev, err := eventOf(env, false)
	if err != nil {
		return "", false, err
	}
	return ev.Key, ev.Key != "", nil
}
