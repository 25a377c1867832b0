package stage

import (
	"slices"
	"strings"
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
	p, err := decodePayload(&env)
	if err != nil {
		return Event{}, err
	}
	ev := Event{Time: env.CollectedAt}
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	place := func(p schema.Place) string { return p.Country + "/" + p.Locode + "/" + p.IATA }
	var parts []string
	switch r := p.(type) {
	case *schema.FinanceTransaction:
		parts = []string{r.Reference, ts(r.ExecutedAt), r.Amount.Amount, r.Amount.Currency}
		ev.Time = r.ExecutedAt
	case *schema.PassengerTrip:
		parts = []string{r.Traveller.KeyID, r.Traveller.Pseudonym, r.Carrier.Org, r.Carrier.Code, r.ServiceNumber,
			ts(r.ScheduledDeparture), place(r.Route.Origin), place(r.Route.Destination)}
		ev.Time = r.ScheduledDeparture
	case *schema.FreightWaybill:
		parts = []string{r.WaybillNumber, r.Carrier.Org, r.Carrier.Code}
		ev.Time = r.PickedUpAt
	case *schema.AccountReport:
		parts = []string{r.Platform.Org, r.Platform.Service, r.Account.PlatformAccount.KeyID, r.Account.PlatformAccount.Pseudonym}
		var hashes []string
		for _, c := range r.Content {
			hashes = append(hashes, c.SHA256)
		}
		slices.Sort(hashes)
		parts = append(parts, hashes...)
		ev.Time = r.ReportedAt
	case *schema.HazmatPurchase:
		if r.OrderReference != "" {
			parts = []string{r.Seller, r.OrderReference}
		} else {
			parts = []string{r.Seller, r.Buyer.KeyID, r.Buyer.Pseudonym, r.Item.CAS, ts(r.PurchasedAt)}
		}
		ev.Time = r.PurchasedAt
	case *schema.Lodging:
		parts = []string{r.Premises.OrgID, r.Guest.KeyID, r.Guest.Pseudonym, ts(r.CheckIn)}
		ev.Time = r.CheckIn
	case *schema.InfectiousSource:
		parts = []string{r.Facility.OrgID, r.ReportRef, string(r.ReportType)}
		ev.Time = r.ReportedAt
	case *schema.EntryExit:
		parts = []string{r.Traveller.KeyID, r.Traveller.Pseudonym, place(r.Port), string(r.Direction), ts(r.CrossedAt)}
		ev.Time = r.CrossedAt
	case *schema.Inspection:
		parts = []string{r.DeclarationNo, r.InspectionRef}
		ev.Time = r.InspectedAt
	}
	if parts != nil {
		ev.Key = env.Kind + "\x1f" + strings.Join(parts, "\x1f")
	}
	if withSubjects {
		ev.Subjects = uniqueSubjects(p)
	}
	return ev, nil
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
