package schema

import "time"

// Lodging is one guest's registration at a lodging establishment (kind
// services.lodging), as hotel guest registration forms and police lodging
// reports carry it. The guest travels as a keyed pseudonym.
type Lodging struct {
	// RegistrationRef is the premises' own number of the registration card.
	RegistrationRef string `json:"registration_ref"`
	// Premises is the establishment that registered the guest.
	Premises LodgingPremises `json:"premises"`
	// CheckIn is when the guest checked in.
	CheckIn time.Time `json:"check_in"`
	// CheckOut is when the guest checked out; nil while still staying.
	CheckOut *time.Time `json:"check_out,omitempty"`
	// Room is the room or unit as the premises names it (opaque).
	Room string `json:"room"`
	// Guest is the registered guest.
	Guest Subject `json:"guest"`
	// GuestsInRoom counts the guests registered in the room, this one
	// included (at least 1).
	GuestsInRoom int `json:"guests_in_room"`
	// Document is the travel or identity document the guest showed.
	Document LodgingDocument `json:"document"`
	// BookingChannel is how the stay was booked.
	BookingChannel LodgingBookingChannel `json:"booking_channel"`
	// PaymentMethod is how the stay is paid or guaranteed.
	PaymentMethod LodgingPaymentMethod `json:"payment_method"`
	// StayPurpose is the purpose the guest stated, if asked.
	StayPurpose LodgingStayPurpose `json:"stay_purpose,omitempty"`
}

// LodgingPremises identifies the lodging establishment of a registration.
type LodgingPremises struct {
	// OrgID is the premises as the directory knows it.
	OrgID string `json:"org_id"`
	// Name is the trading name.
	Name string `json:"name"`
	// Type is the sort of lodging offered.
	Type LodgingPremisesType `json:"type"`
	// Place locates the premises; Region is required for this kind.
	Place Place `json:"place"`
}

// LodgingPremisesType is the sort of lodging a premises offers.
type LodgingPremisesType string

// Premises types of services.lodging v1.
const (
	LodgingPremisesHotel           LodgingPremisesType = "hotel"
	LodgingPremisesHostel          LodgingPremisesType = "hostel"
	LodgingPremisesGuesthouse      LodgingPremisesType = "guesthouse"
	LodgingPremisesShortTermRental LodgingPremisesType = "short_term_rental"
	LodgingPremisesCampsite        LodgingPremisesType = "campsite"
	LodgingPremisesOther           LodgingPremisesType = "other"
)

// LodgingDocument is the document a guest registered with: its type and
// issuing state, never its number (that is in the guest's pseudonym).
type LodgingDocument struct {
	// Type is the type of document.
	Type LodgingDocumentType `json:"type"`
	// IssuingCountry is the ISO 3166-1 alpha-2 code of the issuing state.
	IssuingCountry string `json:"issuing_country"`
}

// LodgingDocumentType is the type of document a guest registered with.
type LodgingDocumentType string

// Document types of services.lodging v1.
const (
	LodgingDocPassport        LodgingDocumentType = "passport"
	LodgingDocNationalID      LodgingDocumentType = "national_id"
	LodgingDocResidencePermit LodgingDocumentType = "residence_permit"
	LodgingDocOther           LodgingDocumentType = "other"
)

// LodgingBookingChannel is how a stay was booked.
type LodgingBookingChannel string

// Booking channels of services.lodging v1.
const (
	LodgingBookingWalkIn             LodgingBookingChannel = "walk_in"
	LodgingBookingDirect             LodgingBookingChannel = "direct"
	LodgingBookingOnlineTravelAgency LodgingBookingChannel = "online_travel_agency"
	LodgingBookingTravelAgency       LodgingBookingChannel = "travel_agency"
	LodgingBookingCorporate          LodgingBookingChannel = "corporate"
	LodgingBookingOther              LodgingBookingChannel = "other"
)

// LodgingPaymentMethod is how a stay is paid or guaranteed.
type LodgingPaymentMethod string

// Payment methods of services.lodging v1.
const (
	LodgingPayCash           LodgingPaymentMethod = "cash"
	LodgingPayCard           LodgingPaymentMethod = "card"
	LodgingPayBankTransfer   LodgingPaymentMethod = "bank_transfer"
	LodgingPayMobileWallet   LodgingPaymentMethod = "mobile_wallet"
	LodgingPayVoucher        LodgingPaymentMethod = "voucher"
	LodgingPayCompanyInvoice LodgingPaymentMethod = "company_invoice"
	LodgingPayOther          LodgingPaymentMethod = "other"
)

// LodgingStayPurpose is the purpose of a stay as the guest stated it.
type LodgingStayPurpose string

// Stated purposes of services.lodging v1.
const (
	LodgingPurposeBusiness LodgingStayPurpose = "business"
	LodgingPurposeTourism  LodgingStayPurpose = "tourism"
	LodgingPurposeOther    LodgingStayPurpose = "other"
)

func init() {
	register(KindServicesLodging, 1, Lodging{})
}
