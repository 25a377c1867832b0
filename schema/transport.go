package schema

import "time"

func init() {
	register(KindTransportPassenger, 1, PassengerTrip{})
	register(KindTransportFreight, 1, FreightWaybill{})
}

// TransportMode is a mode of transport.
type TransportMode string

// Modes of transport.
const (
	TransportRail  TransportMode = "rail"
	TransportAir   TransportMode = "air"
	TransportRoad  TransportMode = "road"
	TransportWater TransportMode = "water"
)

// TransportCarrier names a carrier by at least one of its org id, its
// carrier code (IATA/ICAO airline designator, UIC/RICS company code, SCAC)
// or its trading name.
type TransportCarrier struct {
	// Org id of the carrier, when it takes part in the scheme.
	Org string `json:"org,omitempty"`
	// Carrier code: IATA (2) or ICAO (3) airline designator, UIC/RICS company
	// code (4 digits), or SCAC (2 to 4 letters).
	Code string `json:"code,omitempty"`
	// Trading name of the carrier.
	Name string `json:"name,omitempty"`
}

// TransportRoute is where a journey or a carriage starts and ends, and the
// places in between, in order. For passengers every place carries a
// UN/LOCODE or an IATA code.
type TransportRoute struct {
	// Where the journey or the carriage begins: for goods, the place of
	// taking over (port or airport of loading for sea and air).
	Origin Place `json:"origin"`
	// Where it ends: for goods, the place of delivery (port or airport of
	// discharge for sea and air).
	Destination Place `json:"destination"`
	// Places in between, in order: stops, or for goods, transhipment and
	// transit places.
	Via []Place `json:"via,omitempty"`
}

// PassengerTrip is one traveller on one journey segment
// (transport.passenger v1), as PNR/API data or a rail or coach booking
// carries it.
type PassengerTrip struct {
	// Mode, Carrier, ServiceNumber (flight or train number) and Route say
	// which service the traveller is on.
	Mode TransportMode `json:"mode"`
	// The operating carrier.
	Carrier TransportCarrier `json:"carrier"`
	// Flight number with airline designator (LH400), train number (ICE1511) or
	// coach or ferry service number, as printed on the ticket, without spaces.
	ServiceNumber string `json:"service_number"`
	// Where the segment starts and ends, by UN/LOCODE or IATA code.
	Route TransportRoute `json:"route"`

	// Scheduled and actual times of departure and arrival; only the
	// scheduled departure is required.
	ScheduledDeparture time.Time `json:"scheduled_departure"`
	// Scheduled arrival at the destination.
	ScheduledArrival *time.Time `json:"scheduled_arrival,omitempty"`
	// Actual departure, once known.
	ActualDeparture *time.Time `json:"actual_departure,omitempty"`
	// Actual arrival, once known.
	ActualArrival *time.Time `json:"actual_arrival,omitempty"`

	// Status is how far the traveller got; Seat and BookingReference (the
	// opaque PNR locator or order number) are as the carrier issued them.
	Status PassengerStatus `json:"status,omitempty"`
	// Seat as allocated: 14C on a flight, coach and seat (12/45) on a train.
	Seat string `json:"seat,omitempty"`
	// The carrier's booking reference (PNR record locator, rail order number):
	// an opaque string, kept as issued so that co-travellers on one booking
	// link.
	BookingReference string `json:"booking_reference,omitempty"`

	// Traveller is the passenger by pseudonym; CoTravellers counts the
	// others on the same booking (nil when unknown, 0 when alone).
	Traveller Subject `json:"traveller"`
	// How many other travellers are on the same booking (0 when travelling
	// alone).
	CoTravellers *int `json:"co_travellers,omitempty"`

	// PurchaseChannel, PurchasedAt and PaymentMethod describe how the
	// ticket was bought.
	PurchaseChannel PassengerPurchaseChannel `json:"purchase_channel,omitempty"`
	// When the ticket was bought.
	PurchasedAt *time.Time `json:"purchased_at,omitempty"`
	// How the ticket was paid (PNR form of payment, by type only: never a card
	// number).
	PaymentMethod PassengerPaymentMethod `json:"payment_method,omitempty"`
}

// PassengerStatus is how far a traveller got on a segment.
type PassengerStatus string

// Traveller statuses.
const (
	PassengerBooked    PassengerStatus = "booked"
	PassengerCheckedIn PassengerStatus = "checked_in"
	PassengerBoarded   PassengerStatus = "boarded"
	PassengerNoShow    PassengerStatus = "no_show"
	PassengerCancelled PassengerStatus = "cancelled"
)

// PassengerPurchaseChannel is where a ticket was bought.
type PassengerPurchaseChannel string

// Ticket purchase channels.
const (
	PassengerBoughtOnline         PassengerPurchaseChannel = "online"
	PassengerBoughtMobileApp      PassengerPurchaseChannel = "mobile_app"
	PassengerBoughtTicketOffice   PassengerPurchaseChannel = "ticket_office"
	PassengerBoughtTravelAgent    PassengerPurchaseChannel = "travel_agent"
	PassengerBoughtVendingMachine PassengerPurchaseChannel = "vending_machine"
	PassengerBoughtOnBoard        PassengerPurchaseChannel = "on_board"
	PassengerBoughtPhone          PassengerPurchaseChannel = "phone"
)

// PassengerPaymentMethod is how a ticket was paid, by type only.
type PassengerPaymentMethod string

// Ticket payment methods.
const (
	PassengerPaidCard          PassengerPaymentMethod = "card"
	PassengerPaidCash          PassengerPaymentMethod = "cash"
	PassengerPaidBankTransfer  PassengerPaymentMethod = "bank_transfer"
	PassengerPaidMobilePayment PassengerPaymentMethod = "mobile_payment"
	PassengerPaidVoucher       PassengerPaymentMethod = "voucher"
	PassengerPaidInvoice       PassengerPaymentMethod = "invoice"
	PassengerPaidLoyaltyPoints PassengerPaymentMethod = "loyalty_points"
	PassengerPaidCrypto        PassengerPaymentMethod = "crypto"
)

// FreightWaybill is one consignment under one transport document
// (transport.freight v1): CMR, air waybill, sea waybill or bill of lading,
// CIM consignment note.
type FreightWaybill struct {
	// WaybillNumber, Mode and Carrier identify the document and who
	// carries the goods.
	WaybillNumber string `json:"waybill_number"`
	// Mode of transport of the main carriage.
	Mode TransportMode `json:"mode"`
	// The contracting carrier named on the waybill.
	Carrier TransportCarrier `json:"carrier"`

	// Shipper sends the goods, Consignee receives them.
	Shipper FreightParty `json:"shipper"`
	// Who the goods are consigned to.
	Consignee FreightParty `json:"consignee"`

	// Goods are the declared items (at least one).
	Goods []FreightItem `json:"goods"`

	// Route and TransportUnits say where the goods go and in what.
	Route TransportRoute `json:"route"`
	// The containers, trailers, wagons, ULDs, vessel or vehicle the goods
	// travel in.
	TransportUnits []FreightTransportUnit `json:"transport_units,omitempty"`

	// PickedUpAt is when the carrier took over the goods; DeliveredAt is
	// nil while they are in transit.
	PickedUpAt time.Time `json:"picked_up_at"`
	// When the goods were delivered; absent while in transit.
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
}

// FreightParty is a shipper or consignee: a business by Org or a private
// person by Subject (exactly one), at Place.
type FreightParty struct {
	// Org id of a business party.
	Org string `json:"org,omitempty"`
	// A private person, by keyed pseudonym.
	Subject *Subject `json:"subject,omitempty"`
	// The party's address as far as the waybill gives it: country, region,
	// UN/LOCODE of the town, name of the site.
	Place Place `json:"place"`
}

// FreightItem is one goods item of a waybill.
type FreightItem struct {
	// Description is the nature of the goods as declared; HSCode is its
	// Harmonized System code (6 to 10 digits).
	Description string `json:"description"`
	// Harmonized System code, 6 digits or a national extension up to 10,
	// without dots.
	HSCode string `json:"hs_code,omitempty"`

	// Quantity counts packages or pieces or gives the net quantity;
	// GrossWeight is in g, kg or t.
	Quantity Quantity `json:"quantity"`
	// Gross weight including packaging, in g, kg or t.
	GrossWeight Quantity `json:"gross_weight"`

	// DangerousGoods is set when the item is dangerous goods.
	DangerousGoods *FreightDangerousGoods `json:"dangerous_goods,omitempty"`
}

// FreightDangerousGoods is the dangerous-goods declaration of an item:
// UN number, ADR/IMDG class and, where the class has one, packing group.
type FreightDangerousGoods struct {
	// UN number of the substance or article.
	UNNumber string `json:"un_number"`
	// Class or division.
	DGClass string `json:"dg_class"`
	// Packing group: I (high danger), II (medium), III (low); absent for
	// classes without one.
	PackingGroup FreightPackingGroup `json:"packing_group,omitempty"`
}

// FreightPackingGroup is a dangerous-goods packing group.
type FreightPackingGroup string

// Packing groups, from high to low danger.
const (
	FreightPackingGroupI   FreightPackingGroup = "I"
	FreightPackingGroupII  FreightPackingGroup = "II"
	FreightPackingGroupIII FreightPackingGroup = "III"
)

// FreightTransportUnit is a container, trailer, wagon, ULD, vessel or
// vehicle the goods travel in, with its identifier (ISO 6346 container
// number, UIC wagon number, IMO number, registration) without spaces.
type FreightTransportUnit struct {
	// What the unit is.
	Type FreightUnitType `json:"type"`
	// Its identifier without spaces: ISO 6346 container number, trailer or
	// vehicle registration, 12-digit UIC wagon number, IATA ULD id, IMO ship
	// number (IMO9321483).
	ID string `json:"id"`
}

// FreightUnitType is the type of a transport unit.
type FreightUnitType string

// Transport unit types.
const (
	FreightUnitContainer FreightUnitType = "container"
	FreightUnitTrailer   FreightUnitType = "trailer"
	FreightUnitRailWagon FreightUnitType = "rail_wagon"
	FreightUnitULD       FreightUnitType = "uld"
	FreightUnitVessel    FreightUnitType = "vessel"
	FreightUnitVehicle   FreightUnitType = "vehicle"
)
