package schema

import "time"

// Money is an amount as a decimal string (never a float) and its ISO 4217
// currency, as goAML and ISO 20022 carry it.
type Money struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// Place locates an event: an ISO 3166-1 country and, as precisely as known,
// an ISO 3166-2 region, a UN/LOCODE, an IATA airport code and a name.
type Place struct {
	Country string `json:"country"`
	Region  string `json:"region,omitempty"`
	Locode  string `json:"locode,omitempty"`
	IATA    string `json:"iata,omitempty"`
	Name    string `json:"name,omitempty"`
}

// Quantity is a decimal amount of something in a unit (g, kg, t, ml, l,
// m3, piece, package).
type Quantity struct {
	Value string `json:"value"`
	Unit  string `json:"unit"`
}

// Subject refers to a person by keyed pseudonym. Identity is set only
// under AMBER+STRICT or RED handling; Validate refuses it otherwise.
type Subject struct {
	Pseudonym string    `json:"pseudonym"`
	IDType    IDType    `json:"id_type"`
	KeyID     string    `json:"key_id"`
	Identity  *Identity `json:"identity,omitempty"`
}

// Identity is the clear identity of a subject.
type Identity struct {
	Name        string `json:"name,omitempty"`
	Identifier  string `json:"identifier"`
	BirthDate   string `json:"birth_date,omitempty"`
	Nationality string `json:"nationality,omitempty"`
}

// Window is a span of time, From inclusive, To exclusive.
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Contains reports whether t falls inside the window.
func (w Window) Contains(t time.Time) bool {
	return !t.Before(w.From) && t.Before(w.To)
}

// Scope is what a requirement or plan covers.
type Scope struct {
	Kinds   []string `json:"kinds"`
	Sectors []string `json:"sectors"`
	Regions []string `json:"regions"`
	Window  Window   `json:"window"`
}
