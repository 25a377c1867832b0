package schema

import "time"

// EntryExit is one person's crossing of a border (kind customs.entry_exit),
// as border control and API/PNR data record it. The traveller travels as a
// keyed pseudonym.
type EntryExit struct {
	// CrossingRef is the border authority's reference of the record.
	CrossingRef string `json:"crossing_ref"`
	// Port is the crossing point; Locode is required for this kind.
	Port Place `json:"port"`
	// Direction says whether the traveller entered or left.
	Direction CustomsDirection `json:"direction"`
	// CrossedAt is when the traveller passed border control.
	CrossedAt time.Time `json:"crossed_at"`
	// Traveller is the person crossing.
	Traveller Subject `json:"traveller"`
	// TravellerRole says whether the traveller was a passenger or crew.
	TravellerRole CustomsTravellerRole `json:"traveller_role,omitempty"`
	// Document is the travel document presented.
	Document CustomsTravelDocument `json:"document"`
	// Nationality is the traveller's ISO 3166-1 alpha-2 nationality.
	Nationality string `json:"nationality,omitempty"`
	// Mode is how the traveller crossed.
	Mode CustomsTransportMode `json:"mode"`
	// Conveyance is the flight number, vessel IMO number, train number or
	// vehicle plate, upper case.
	Conveyance string `json:"conveyance,omitempty"`
	// OriginCountry is where the traveller came from on this journey.
	OriginCountry string `json:"origin_country"`
	// DestinationCountry is where the traveller is going on this journey.
	DestinationCountry string `json:"destination_country"`
	// VisaCategory is the visa or permit category, if recorded.
	VisaCategory CustomsVisaCategory `json:"visa_category,omitempty"`
	// Remarks are the border officer's remarks.
	Remarks string `json:"remarks,omitempty"`
}

// CustomsDirection is the direction of a border crossing.
type CustomsDirection string

// Directions of customs.entry_exit v1.
const (
	CustomsEntry CustomsDirection = "entry"
	CustomsExit  CustomsDirection = "exit"
)

// CustomsTravellerRole tells a passenger from a crew member.
type CustomsTravellerRole string

// Traveller roles of customs.entry_exit v1.
const (
	CustomsRolePassenger CustomsTravellerRole = "passenger"
	CustomsRoleCrew      CustomsTravellerRole = "crew"
)

// CustomsTravelDocument is the travel document presented at a border: its
// type, issuing state and expiry, never its number (that is in the
// traveller's pseudonym).
type CustomsTravelDocument struct {
	// Type is the type of travel document.
	Type CustomsDocumentType `json:"type"`
	// IssuingCountry is the ISO 3166-1 alpha-2 code of the issuing state.
	IssuingCountry string `json:"issuing_country"`
	// ExpiresOn is the expiry date (RFC 3339 full-date), if read.
	ExpiresOn string `json:"expires_on,omitempty"`
}

// CustomsDocumentType is the type of a travel document.
type CustomsDocumentType string

// Travel document types of customs.entry_exit v1.
const (
	CustomsDocPassport                CustomsDocumentType = "passport"
	CustomsDocNationalID              CustomsDocumentType = "national_id"
	CustomsDocResidencePermit         CustomsDocumentType = "residence_permit"
	CustomsDocCrewCertificate         CustomsDocumentType = "crew_certificate"
	CustomsDocEmergencyTravelDocument CustomsDocumentType = "emergency_travel_document"
	CustomsDocOther                   CustomsDocumentType = "other"
)

// CustomsTransportMode is how a traveller crossed a border.
type CustomsTransportMode string

// Modes of customs.entry_exit v1.
const (
	CustomsModeAir  CustomsTransportMode = "air"
	CustomsModeSea  CustomsTransportMode = "sea"
	CustomsModeRail CustomsTransportMode = "rail"
	CustomsModeRoad CustomsTransportMode = "road"
	CustomsModeFoot CustomsTransportMode = "foot"
)

// CustomsVisaCategory is the category of visa or permit a traveller
// crossed under.
type CustomsVisaCategory string

// Visa categories of customs.entry_exit v1.
const (
	CustomsVisaExempt     CustomsVisaCategory = "visa_exempt"
	CustomsVisaTourist    CustomsVisaCategory = "tourist"
	CustomsVisaBusiness   CustomsVisaCategory = "business"
	CustomsVisaTransit    CustomsVisaCategory = "transit"
	CustomsVisaWork       CustomsVisaCategory = "work"
	CustomsVisaStudy      CustomsVisaCategory = "study"
	CustomsVisaFamily     CustomsVisaCategory = "family"
	CustomsVisaDiplomatic CustomsVisaCategory = "diplomatic"
	CustomsVisaOther      CustomsVisaCategory = "other"
)

// Inspection is the result of a customs or quarantine inspection of a
// declared consignment (kind customs.inspection), after the WCO data
// model.
type Inspection struct {
	// InspectionRef is the customs office's reference of the inspection.
	InspectionRef string `json:"inspection_ref"`
	// DeclarationNo is the number of the goods declaration (e.g. an MRN).
	DeclarationNo string `json:"declaration_no"`
	// Procedure is the customs procedure the goods were declared for.
	Procedure CustomsProcedure `json:"procedure"`
	// Port is the office or port of inspection; Locode is required.
	Port Place `json:"port"`
	// InspectedAt is when the inspection was completed.
	InspectedAt time.Time `json:"inspected_at"`
	// Type is the kind of check made.
	Type CustomsInspectionType `json:"type"`
	// Goods are the inspected goods items (1 to 999).
	Goods []CustomsGoodsItem `json:"goods"`
	// Declarant is who lodged the declaration.
	Declarant CustomsDeclarant `json:"declarant"`
	// Result is what customs did with the goods.
	Result CustomsResult `json:"result"`
	// Findings lists what was found; exactly [CustomsFindingNone] when
	// nothing was.
	Findings []CustomsFinding `json:"findings"`
	// Value is the declared customs value, if known.
	Value *Money `json:"value,omitempty"`
	// Notes are the inspecting officer's notes.
	Notes string `json:"notes,omitempty"`
}

// CustomsProcedure is the customs procedure goods are declared for.
type CustomsProcedure string

// Procedures of customs.inspection v1.
const (
	CustomsProcedureImport  CustomsProcedure = "import"
	CustomsProcedureExport  CustomsProcedure = "export"
	CustomsProcedureTransit CustomsProcedure = "transit"
)

// CustomsInspectionType is the kind of check an inspection made.
type CustomsInspectionType string

// Inspection types of customs.inspection v1.
const (
	CustomsCheckDocuments  CustomsInspectionType = "document_check"
	CustomsCheckPhysical   CustomsInspectionType = "physical"
	CustomsCheckXRay       CustomsInspectionType = "x_ray"
	CustomsCheckSampling   CustomsInspectionType = "sampling"
	CustomsCheckQuarantine CustomsInspectionType = "quarantine"
)

// CustomsGoodsItem is one inspected goods item of a declaration.
type CustomsGoodsItem struct {
	// Description of the goods, as declared or found.
	Description string `json:"description"`
	// HSCode is the Harmonized System code, 6 to 10 digits.
	HSCode string `json:"hs_code"`
	// Quantity of the item.
	Quantity Quantity `json:"quantity"`
	// OriginCountry is the ISO 3166-1 alpha-2 country of origin.
	OriginCountry string `json:"origin_country"`
	// DangerousGoods is set when the item is dangerous goods.
	DangerousGoods *CustomsDangerousGoods `json:"dangerous_goods,omitempty"`
}

// CustomsDangerousGoods classifies a goods item as dangerous goods by UN
// number and ADR/IMDG class; both are required together.
type CustomsDangerousGoods struct {
	// UNNumber is the UN number, e.g. UN1203.
	UNNumber string `json:"un_number"`
	// Class is the ADR/IMDG class or division, e.g. 3 or 6.1.
	Class string `json:"dg_class"`
}

// CustomsDeclarant is who lodged a declaration: exactly one of OrgID or
// Subject is set.
type CustomsDeclarant struct {
	// OrgID is the declarant organization as the directory knows it.
	OrgID string `json:"org_id,omitempty"`
	// Subject is the declarant person, as a keyed pseudonym.
	Subject *Subject `json:"subject,omitempty"`
}

// CustomsResult is what customs did with inspected goods.
type CustomsResult string

// Results of customs.inspection v1.
const (
	CustomsResultCleared     CustomsResult = "cleared"
	CustomsResultHeld        CustomsResult = "held"
	CustomsResultSeized      CustomsResult = "seized"
	CustomsResultDestroyed   CustomsResult = "destroyed"
	CustomsResultReturned    CustomsResult = "returned"
	CustomsResultQuarantined CustomsResult = "quarantined"
)

// CustomsFinding is one thing an inspection found.
type CustomsFinding string

// Findings of customs.inspection v1. CustomsFindingNone stands alone.
const (
	CustomsFindingUndeclaredGoods   CustomsFinding = "undeclared_goods"
	CustomsFindingMisdeclaredValue  CustomsFinding = "misdeclared_value"
	CustomsFindingProhibitedItem    CustomsFinding = "prohibited_item"
	CustomsFindingPrecursorChemical CustomsFinding = "precursor_chemical"
	CustomsFindingWeaponComponent   CustomsFinding = "weapon_component"
	CustomsFindingPestOrDisease     CustomsFinding = "pest_or_disease"
	CustomsFindingDocumentFraud     CustomsFinding = "document_fraud"
	CustomsFindingNone              CustomsFinding = "none"
)

func init() {
	register(KindCustomsEntryExit, 1, EntryExit{})
	register(KindCustomsInspection, 1, Inspection{})
}
