package stage

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/sicollab/sicollab/schema"
)

// Canonical forms Normalize writes, by the name of the Go field that
// holds the string (the same name means the same convention in every kind):
//
//	Currency, Country, Nationality, OriginCountry,
//	DestinationCountry, IssuingCountry, Region, IATA, ICD10, Code  upper case
//	Locode, BIC, ServiceNumber, WaybillNumber                       upper case, spaces dropped ("DE FRA" -> "DEFRA")
//	HSCode                                                          dots and spaces dropped ("8471.30" -> "847130")
//	UNNumber                                                        upper case, spaces dropped, "UN" prefixed to 4 bare digits
//	Pseudonym, SHA256, PDQ, URLHost, MediaType                      lower case
//
// Every other string is trimmed of surrounding white space, and so is
// every string above before its rule applies.
var canonByField = map[string]func(string) string{
	"Currency": strings.ToUpper, "Country": strings.ToUpper, "Nationality": strings.ToUpper,
	"OriginCountry": strings.ToUpper, "DestinationCountry": strings.ToUpper,
	"IssuingCountry": strings.ToUpper, "Region": strings.ToUpper, "IATA": strings.ToUpper,
	"ICD10": strings.ToUpper, "Code": strings.ToUpper,
	"Locode": upperNoSpace, "BIC": upperNoSpace, "ServiceNumber": upperNoSpace, "WaybillNumber": upperNoSpace,
	"HSCode":    func(s string) string { return strings.NewReplacer(".", "", " ", "").Replace(s) },
	"UNNumber":  unNumber,
	"Pseudonym": strings.ToLower, "SHA256": strings.ToLower, "PDQ": strings.ToLower,
	"URLHost": strings.ToLower, "MediaType": strings.ToLower,
}

func upperNoSpace(s string) string {
	if strings.ContainsFunc(s, unicode.IsSpace) {
		s = strings.Join(strings.Fields(s), "")
	}
	return strings.ToUpper(s)
}

func unNumber(s string) string {
	s = upperNoSpace(s)
	if len(s) == 4 && strings.Trim(s, "0123456789") == "" {
		return "UN" + s
	}
	return s
}

// Normalize returns a processor that structures records (the scheme's
// "unify storage formats"): it decodes the payload into the Go type of its
// kind, writes every string in its canonical form (see the table above:
// trimmed; codes upper case; hex lower case; locodes without the space)
// and encodes the payload again if anything changed. It also trims the
// envelope's kind and upper-cases its handling label.
//
// A payload that does not decode into its kind's Go type (an unknown kind
// or version, a field the type lacks, a value of the wrong type) is an
// error for the step's policy. Normalize does not check the schema: run
// Validate after it. It changes the payload, so the digest of the last
// provenance hop no longer matches: run Verify before it and Stamp after.
//
// It is safe for concurrent use.
func Normalize() Processor {
	return ProcessorFunc(func(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error {
		env.Kind = strings.TrimSpace(env.Kind)
		env.Handling = schema.Handling(strings.ToUpper(strings.TrimSpace(string(env.Handling))))
		d, err := decodePayload(&env)
		if err != nil {
			return fmt.Errorf("stage: normalize %s: %w", env.ID, err)
		}
		defer d.release()
		if normalizeValue(d.p) {
			if err := env.SetPayload(d.p); err != nil {
				return fmt.Errorf("stage: normalize %s: %w", env.ID, err)
			}
		}
		emit(env)
		return nil
	})
}

// normalizeValue writes every string in p (a pointer to a payload) in its
// canonical form and reports whether anything changed.
func normalizeValue(p any) bool {
	changed := false
	walk(reflect.ValueOf(p), "", func(field string, v reflect.Value) bool {
		if v.Kind() != reflect.String {
			return true
		}
		s := v.String()
		n := strings.TrimSpace(s)
		if f := canonByField[field]; f != nil {
			n = f(n)
		}
		if n != s {
			v.SetString(n)
			changed = true
		}
		return false
	})
	return changed
}
