package schema

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

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

// Limits of pseudonymization.
const (
	// MinKeyBytes is the shortest key NewPseudonymizer accepts: 32 bytes,
	// the output size of SHA-256, so the key is never the weak part.
	MinKeyBytes = 32
	// MaxIdentifierBytes bounds a raw identifier before normalization.
	// Real identifiers, with all their spaces and separators, are far
	// shorter; the bound keeps a hostile input from costing anything.
	MaxIdentifierBytes = 512
	// MaxEmailBytes bounds a normalized e-mail address (RFC 5321 path).
	MaxEmailBytes = 254
)

var (
	// ErrBadIdentifier: Normalize or Pseudonymizer.Pseudonym was given an
	// identifier that does not follow the rule of its IDType, or an IDType
	// it does not know. The error is an *IdentifierError.
	ErrBadIdentifier = errors.New("schema: bad identifier")
	// ErrBadKey: NewPseudonymizer was given a key shorter than MinKeyBytes
	// or a key id that does not match the subject schema's key_id; also
	// returned by Pseudonym on a Pseudonymizer not made by NewPseudonymizer.
	ErrBadKey = errors.New("schema: bad pseudonym key")
)

// IdentifierError says why an identifier was refused. It never holds the
// identifier itself, which is personal data: only its type, its length and
// the rule it breaks, so the error is safe to log. It wraps ErrBadIdentifier.
type IdentifierError struct {
	// Type is the identifier type asked for (possibly an unknown one).
	Type IDType
	// Length is the length of the raw identifier in bytes.
	Length int
	// Reason says what is wrong, in words a developer can act on.
	Reason string
}

// Error says which identifier type failed, its length and why; never the
// identifier itself.
func (e *IdentifierError) Error() string {
	name := string(e.Type)
	switch e.Type {
	case IDPassport, IDNationalID, IDPhone, IDAccount, IDEmail:
	default:
		name = fmt.Sprintf("%q", name)
	}
	return fmt.Sprintf("schema: %s identifier (%d bytes) %s", name, e.Length, e.Reason)
}

// Unwrap returns ErrBadIdentifier.
func (e *IdentifierError) Unwrap() error { return ErrBadIdentifier }

func badID(t IDType, raw string, format string, args ...any) error {
	return &IdentifierError{Type: t, Length: len(raw), Reason: fmt.Sprintf(format, args...)}
}

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Pseudonymizer turns person identifiers into keyed pseudonyms, so that
// records about the same person from different sources can be linked
// without the identity number itself travelling.
//
// A pseudonym is the lower-case hex of HMAC-SHA-256 under the key, over
// the bytes of the identifier type, a colon and the normalized identifier:
//
//	pseudonym = hex(HMAC-SHA-256(key, id_type + ":" + Normalize(id_type, raw)))
//
// The type in the message separates domains: the same characters read as
// a passport number and as an account number give unrelated pseudonyms.
// Partners writing their own implementation check it against the test
// vectors in pseudonym_test.go.
//
// What a pseudonym protects, and what it does not:
//   - Identifiers are short and guessable (a phone number has a few billion
//     values), so an unkeyed hash is reversed by trying them all. The key
//     stops that dictionary attack only while it stays secret: whoever holds
//     the key can recompute the pseudonym of any identifier they can guess.
//     Keep it in a secret store, never in a record, a log or source code.
//   - Linking works only between pseudonyms made under the same key. Every
//     party that must link its sources shares one key per key id, and the
//     key id travels in each Subject so a receiver knows which key applies.
//   - Rotating the key (a new key under a new key id) breaks linkage across
//     the rotation: the same person gets a new pseudonym, and records before
//     and after can be linked only by someone holding both keys.
//   - A pseudonym is still personal data: it singles out one person across
//     records. It hides the identifier, not the pattern of activity.
//
// A Pseudonymizer is safe for concurrent use. Its key is never printed:
// formatting a Pseudonymizer with any verb shows only the key id.
type Pseudonymizer struct {
	keyID string
	key   []byte
}

// NewPseudonymizer returns a Pseudonymizer with key, known to receivers
// as keyID. The key must be at least MinKeyBytes long and should be
// random (from crypto/rand, or a secret store); keyID must match
// ^[A-Za-z0-9._-]{1,64}$, as the subject schema's key_id does. The key is
// copied, so the caller may zero its own slice afterwards. Errors wrap
// ErrBadKey.
func NewPseudonymizer(keyID string, key []byte) (*Pseudonymizer, error) {
	if !keyIDPattern.MatchString(keyID) {
		return nil, fmt.Errorf("%w: key id must be 1 to 64 of A-Z, a-z, 0-9, '.', '_', '-'; got %d bytes %q",
			ErrBadKey, len(keyID), truncate(keyID, 80))
	}
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("%w: key must be at least %d bytes, got %d", ErrBadKey, MinKeyBytes, len(key))
	}
	return &Pseudonymizer{keyID: keyID, key: append([]byte(nil), key...)}, nil
}

// KeyID returns the id of the key, as it appears in every Subject made.
func (p *Pseudonymizer) KeyID() string { return p.keyID }

// Pseudonym normalizes raw as an identifier of type t and returns the
// Subject that refers to it: the pseudonym, t and the key id. Errors are
// *IdentifierError values wrapping ErrBadIdentifier, or wrap ErrBadKey when
// p was not made by NewPseudonymizer.
func (p *Pseudonymizer) Pseudonym(t IDType, raw string) (Subject, error) {
	if p == nil || len(p.key) < MinKeyBytes {
		return Subject{}, fmt.Errorf("%w: pseudonymizer has no key; make it with NewPseudonymizer", ErrBadKey)
	}
	norm, err := Normalize(t, raw)
	if err != nil {
		return Subject{}, err
	}
	mac := hmac.New(sha256.New, p.key)
	io.WriteString(mac, string(t))
	io.WriteString(mac, ":")
	io.WriteString(mac, norm)
	return Subject{Pseudonym: hex.EncodeToString(mac.Sum(nil)), IDType: t, KeyID: p.keyID}, nil
}

// Format writes the Pseudonymizer without its key, whatever the verb, so
// that logging one by mistake does not leak the key.
func (p Pseudonymizer) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "schema.Pseudonymizer{KeyID: %q}", p.keyID)
}

// String returns the Pseudonymizer's key id, never its key.
func (p Pseudonymizer) String() string {
	return fmt.Sprintf("schema.Pseudonymizer{KeyID: %q}", p.keyID)
}

// Normalize returns the canonical spelling of raw as an identifier of type
// t: the spelling Pseudonym hashes, so that every source writing the same
// identifier differently gets the same pseudonym. It is exported so that
// collectors can check an identifier at the point of entry.
//
// The rules, per type:
//   - passport: spaces and hyphens dropped, letters upper-cased; 5 to 20
//     of A-Z, 0-9.
//   - national_id: as passport; 4 to 32 of A-Z, 0-9.
//   - phone: E.164. Spaces, hyphens, dots and parentheses dropped, a
//     leading "00" becomes "+"; the result is "+", a country code not
//     starting with 0, and 7 to 15 digits in all. A number without "+" or
//     "00" is refused, and so is a "(0)" trunk prefix: national prefixes
//     are never guessed, the caller supplies E.164.
//   - account: spaces and hyphens dropped, letters upper-cased; 4 to 34 of
//     A-Z, 0-9 (an IBAN or a domestic account number).
//   - email: surrounding white space trimmed, the whole address
//     lower-cased; exactly one '@', a non-empty local part, a domain with a
//     dot (not at either end, no empty label), no white space or control
//     character, at most MaxEmailBytes bytes.
//
// Letters other than ASCII are refused in every type but email. Errors are
// *IdentifierError values wrapping ErrBadIdentifier; they give the length
// of raw and the position of a bad character, never raw itself.
func Normalize(t IDType, raw string) (string, error) {
	if len(raw) > MaxIdentifierBytes {
		return "", badID(t, raw, "is longer than %d bytes", MaxIdentifierBytes)
	}
	switch t {
	case IDPassport:
		return normalizeAlnum(t, raw, 5, 20)
	case IDNationalID:
		return normalizeAlnum(t, raw, 4, 32)
	case IDAccount:
		return normalizeAlnum(t, raw, 4, 34)
	case IDPhone:
		return normalizePhone(raw)
	case IDEmail:
		return normalizeEmail(raw)
	}
	return "", &IdentifierError{Type: IDType(truncate(string(t), 32)), Length: len(raw),
		Reason: "has an unknown type; use passport, national_id, phone, account or email"}
}

// normalizeAlnum drops white space and hyphens, upper-cases ASCII letters
// and requires min..max characters of A-Z, 0-9.
func normalizeAlnum(t IDType, raw string, min, max int) (string, error) {
	if strings.TrimSpace(raw) == "" {
		return "", badID(t, raw, "is empty")
	}
	b := make([]byte, 0, len(raw))
	for i, r := range raw {
		switch {
		case r == '-' || unicode.IsSpace(r):
		case 'a' <= r && r <= 'z':
			b = append(b, byte(r-'a'+'A'))
		case 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
			b = append(b, byte(r))
		default:
			return "", badID(t, raw, "has a character other than A-Z, 0-9, space or hyphen at byte %d", i)
		}
	}
	if len(b) < min || len(b) > max {
		return "", badID(t, raw, "has %d letters and digits, want %d to %d", len(b), min, max)
	}
	return string(b), nil
}

func normalizePhone(raw string) (string, error) {
	const t = IDPhone
	if strings.TrimSpace(raw) == "" {
		return "", badID(t, raw, "is empty")
	}
	b := make([]byte, 0, len(raw))
	for i, r := range raw {
		switch {
		case unicode.IsSpace(r), r == '-', r == '.', r == '(', r == ')':
		case '0' <= r && r <= '9':
			b = append(b, byte(r))
		case r == '+' && len(b) == 0:
			b = append(b, '+')
		case r == '+':
			return "", badID(t, raw, "has a '+' after the start, at byte %d", i)
		default:
			return "", badID(t, raw, "has a character other than digits, a leading '+', space, hyphen, dot or parentheses at byte %d", i)
		}
	}
	if strings.Contains(strings.Map(dropSpace, raw), "(0)") {
		return "", badID(t, raw, "has a \"(0)\" trunk prefix; drop it and give the number in E.164, after the country code")
	}
	s := string(b)
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	if !strings.HasPrefix(s, "+") {
		return "", badID(t, raw, "is not in E.164 form; give it with its country code, starting with '+' or '00' (national prefixes are not guessed)")
	}
	digits := s[1:]
	switch {
	case digits == "":
		return "", badID(t, raw, "has no digits after '+'")
	case digits[0] == '0':
		return "", badID(t, raw, "has a country code starting with 0; E.164 country codes start with 1-9")
	case len(digits) < 7 || len(digits) > 15:
		return "", badID(t, raw, "has %d digits, E.164 allows 7 to 15", len(digits))
	}
	return s, nil
}

func dropSpace(r rune) rune {
	if unicode.IsSpace(r) {
		return -1
	}
	return r
}

func normalizeEmail(raw string) (string, error) {
	const t = IDEmail
	if !utf8.ValidString(raw) {
		return "", badID(t, raw, "is not valid UTF-8")
	}
	lead := len(raw) - len(strings.TrimLeftFunc(raw, unicode.IsSpace))
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", badID(t, raw, "is empty")
	}
	for i, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "", badID(t, raw, "has white space or a control character at byte %d", lead+i)
		}
	}
	s = strings.ToLower(s)
	local, domain, ok := strings.Cut(s, "@")
	switch {
	case !ok:
		return "", badID(t, raw, "has no '@'")
	case strings.Contains(domain, "@"):
		return "", badID(t, raw, "has more than one '@'")
	case local == "":
		return "", badID(t, raw, "has an empty local part before '@'")
	case !strings.Contains(domain, "."):
		return "", badID(t, raw, "has a domain without a dot")
	case strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, ".."):
		return "", badID(t, raw, "has a domain with an empty label (a dot at either end or two dots in a row)")
	case len(s) > MaxEmailBytes:
		return "", badID(t, raw, "is %d bytes once normalized, limit is %d", len(s), MaxEmailBytes)
	}
	return s, nil
}

// truncate shortens s to at most n bytes, on a rune boundary, for messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
