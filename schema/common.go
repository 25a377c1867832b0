package schema

import "time"

// Money is an amount as a decimal string (never a float) and its ISO 4217
// currency, as goAML and ISO 20022 carry it.
type Money struct {
	// Non-negative decimal number as a string: up to 18 integer digits and 6
	// fraction digits, no exponent, no leading zeros.
	Amount string `json:"amount"`
	// ISO 4217 alphabetic currency code.
	Currency string `json:"currency"`
}

// Place locates an event: an ISO 3166-1 country and, as precisely as known,
// an ISO 3166-2 region, a UN/LOCODE, an IATA airport code and a name.
type Place struct {
	// ISO 3166-1 alpha-2 country code.
	Country string `json:"country"`
	// ISO 3166-2 subdivision code.
	Region string `json:"region,omitempty"`
	// UN/LOCODE of a port, station, airport or other location, without the
	// space (e.g. CNSHA).
	Locode string `json:"locode,omitempty"`
	// IATA three-letter airport code.
	IATA string `json:"iata,omitempty"`
	// Name of the place, e.g. a station or branch.
	Name string `json:"name,omitempty"`
}

// Quantity is a decimal amount of something in a unit (g, kg, t, ml, l,
// m3, piece, package).
type Quantity struct {
	// Non-negative decimal number as a string: up to 18 integer digits and 6
	// fraction digits, no exponent, no leading zeros.
	Value string `json:"value"`
	// Unit of the value.
	Unit string `json:"unit"`
}

// Subject refers to a person by keyed pseudonym. Identity is set only
// under AMBER+STRICT or RED handling; Validate refuses it otherwise.
type Subject struct {
	// The pseudonym: HMAC-SHA-256 over the identifier's type and normalized
	// value, under the key KeyID names, in lower-case hex.
	Pseudonym string `json:"pseudonym"`
	// What kind of identifier a pseudonym was made from.
	IDType IDType `json:"id_type"`
	// Id of the pseudonymization key; subjects link only under the same key id.
	KeyID string `json:"key_id"`
	// Clear identity of a subject. Allowed only when the envelope's handling is
	// AMBER+STRICT or RED.
	Identity *Identity `json:"identity,omitempty"`
}

// Identity is the clear identity of a subject.
type Identity struct {
	// Full name as on the identity document.
	Name string `json:"name,omitempty"`
	// The identifier in clear, as normalized for the pseudonym.
	Identifier string `json:"identifier"`
	// Date of birth.
	BirthDate string `json:"birth_date,omitempty"`
	// Nationality, ISO 3166-1 alpha-2.
	Nationality string `json:"nationality,omitempty"`
}

// Window is a span of time, From inclusive, To exclusive.
type Window struct {
	// Start of the window, inclusive, in UTC.
	From time.Time `json:"from"`
	// End of the window, exclusive, in UTC.
	To time.Time `json:"to"`
}

// Contains reports whether t falls inside the window.
func (w Window) Contains(t time.Time) bool {
	return !t.Before(w.From) && t.Before(w.To)
}

// Scope is what a requirement or plan covers.
type Scope struct {
	// Record kinds covered.
	Kinds []string `json:"kinds"`
	// Sectors covered.
	Sectors []string `json:"sectors"`
	// Regions covered, ISO 3166-2.
	Regions []string `json:"regions"`
	// A time window; from is inclusive, to exclusive.
	Window Window `json:"window"`
}
