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
	Org  string `json:"org,omitempty"`
	Code string `json:"code,omitempty"`
	Name string `json:"name,omitempty"`
}

// TransportRoute is where a journey or a carriage starts and ends, and the
// places in between, in order. For passengers every place carries a
// UN/LOCODE or an IATA code.
type TransportRoute struct {
	Origin      Place   `json:"origin"`
	Destination Place   `json:"destination"`
	Via         []Place `json:"via,omitempty"`
}

// PassengerTrip is one traveller on one journey segment
// (transport.passenger v1), as PNR/API data or a rail or coach booking
// carries it.
type PassengerTrip struct {
	// Mode, Carrier, ServiceNumber (flight or train number) and Route say
	// which service the traveller is on.
	Mode          TransportMode    `json:"mode"`
	Carrier       TransportCarrier `json:"carrier"`
	ServiceNumber string           `json:"service_number"`
	Route         TransportRoute   `json:"route"`

	// Scheduled and actual times of departure and arrival; only the
	// scheduled departure is required.
	ScheduledDeparture time.Time  `json:"scheduled_departure"`
	ScheduledArrival   *time.Time `json:"scheduled_arrival,omitempty"`
	ActualDeparture    *time.Time `json:"actual_departure,omitempty"`
	ActualArrival      *time.Time `json:"actual_arrival,omitempty"`

	// Status is how far the traveller got; Seat and BookingReference (the
	// opaque PNR locator or order number) are as the carrier issued them.
	Status           PassengerStatus `json:"status,omitempty"`
	Seat             string          `json:"seat,omitempty"`
	BookingReference string          `json:"booking_reference,omitempty"`

	// Traveller is the passenger by pseudonym; CoTravellers counts the
	// others on the same booking (nil when unknown, 0 when alone).
	Traveller    Subject `json:"traveller"`
	CoTravellers *int    `json:"co_travellers,omitempty"`

	// PurchaseChannel, PurchasedAt and PaymentMethod describe how the
	// ticket was bought.
	PurchaseChannel PassengerPurchaseChannel `json:"purchase_channel,omitempty"`
	PurchasedAt     *time.Time               `json:"purchased_at,omitempty"`
	PaymentMethod   PassengerPaymentMethod   `json:"payment_method,omitempty"`
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
	WaybillNumber string           `json:"waybill_number"`
	Mode          TransportMode    `json:"mode"`
	Carrier       TransportCarrier `json:"carrier"`

	// Shipper sends the goods, Consignee receives them.
	Shipper   FreightParty `json:"shipper"`
	Consignee FreightParty `json:"consignee"`

	// Goods are the declared items (at least one).
	Goods []FreightItem `json:"goods"`

	// Route and TransportUnits say where the goods go and in what.
	Route          TransportRoute         `json:"route"`
	TransportUnits []FreightTransportUnit `json:"transport_units,omitempty"`

	// PickedUpAt is when the carrier took over the goods; DeliveredAt is
	// nil while they are in transit.
	PickedUpAt  time.Time  `json:"picked_up_at"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
}

// FreightParty is a shipper or consignee: a business by Org or a private
// person by Subject (exactly one), at Place.
type FreightParty struct {
	Org     string   `json:"org,omitempty"`
	Subject *Subject `json:"subject,omitempty"`
	Place   Place    `json:"place"`
}

// FreightItem is one goods item of a waybill.
type FreightItem struct {
	// Description is the nature of the goods as declared; HSCode is its
	// Harmonized System code (6 to 10 digits).
	Description string `json:"description"`
	HSCode      string `json:"hs_code,omitempty"`

	// Quantity counts packages or pieces or gives the net quantity;
	// GrossWeight is in g, kg or t.
	Quantity    Quantity `json:"quantity"`
	GrossWeight Quantity `json:"gross_weight"`

	// DangerousGoods is set when the item is dangerous goods.
	DangerousGoods *FreightDangerousGoods `json:"dangerous_goods,omitempty"`
}

// FreightDangerousGoods is the dangerous-goods declaration of an item:
// UN number, ADR/IMDG class and, where the class has one, packing group.
type FreightDangerousGoods struct {
	UNNumber     string              `json:"un_number"`
	DGClass      string              `json:"dg_class"`
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
	Type FreightUnitType `json:"type"`
	ID   string          `json:"id"`
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
