package schema

// IDType says which kind of identifier a pseudonym was made from.
type IDType string

// Identifier types a Pseudonymizer normalizes.
const (
	IDPassport   IDType = "passport"
	IDNationalID IDType = "national_id"
	IDPhone      IDType = "phone"
	IDAccount    IDType = "account"
	IDEmail      IDType = "email"
)
