package schema

import "time"

// The public is a source of the scheme (study, 4.1): members of the public
// report what they saw to an intake desk, which passes tips on to public
// security.

func init() {
	register(KindPublicTip, 1, PublicTip{})
}

// TipCategory is what a public tip is about, from a fixed list.
type TipCategory string

// The tip categories.
const (
	TipSuspiciousBehaviour TipCategory = "suspicious_behaviour"
	TipSuspiciousObject    TipCategory = "suspicious_object"
	TipSuspiciousPurchase  TipCategory = "suspicious_purchase"
	TipSuspiciousVehicle   TipCategory = "suspicious_vehicle"
	TipOnlineContent       TipCategory = "online_content"
	TipOther               TipCategory = "other"
)

// TipChannel is how a tip came in.
type TipChannel string

// The tip channels.
const (
	TipHotline  TipChannel = "hotline"
	TipWebForm  TipChannel = "web_form"
	TipApp      TipChannel = "app"
	TipInPerson TipChannel = "in_person"
)

// MaxTipSummary is the most characters a tip's summary holds, and
// MinTipSummary the fewest.
const (
	MaxTipSummary = 1000
	MinTipSummary = 10
)

// PublicTip is a public.tip: what a member of the public reported. The
// reporter is a keyed pseudonym, never a clear identity; no field holds a
// special category.
type PublicTip struct {
	// The reporter, as a keyed pseudonym of the phone number or e-mail
	// address the tip came from; Identity must be nil.
	Reporter Subject `json:"reporter"`
	// What the tip is about.
	Category TipCategory `json:"category"`
	// What the reporter saw, in their words, MinTipSummary to
	// MaxTipSummary characters.
	Summary string `json:"summary"`
	// Where it was seen, when the reporter says.
	Location *Place `json:"location,omitempty"`
	// When it was seen, when the reporter says.
	ObservedAt *time.Time `json:"observed_at,omitempty"`
	// How the tip came in.
	Channel TipChannel `json:"channel"`
	// When the tip was taken in.
	ReportedAt time.Time `json:"reported_at"`
}
