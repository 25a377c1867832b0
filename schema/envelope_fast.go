package schema

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/sicollab/sicollab/schema/internal/jsontext"
)

// envelopeOK is a hand-written check of the envelope schema
// (jsonschema/envelope/v1.schema.json) for the common case. It answers
// true only when the document certainly satisfies the schema; anything
// unusual (a number spelled 1.0, an unexpected key, a bad value) answers
// false and the compiled schema decides, and reports the violations. The
// envelope is a sixth of the work of validating a record and its shape is
// fixed, so it is worth the fast path; FuzzValidate checks that what this
// accepts the schema accepts too.
func envelopeOK(doc any) bool {
	m, ok := doc.(map[string]any)
	if !ok || len(m) < 10 || len(m) > 12 {
		return false
	}
	for k, v := range m {
		var ok bool
		switch k {
		case "id":
			ok = isUUID7(v)
		case "kind":
			ok = isKind(v)
		case "schema_version":
			ok = isSmallPositive(v, 1000)
		case "source":
			ok = isOrgID(v)
		case "collected_at", "retain_until":
			ok = isUTCTime(v)
		case "purpose":
			ok = isPurpose(v)
		case "legal_basis":
			s, isStr := v.(string)
			ok = isStr && isLegalBasis(s)
		case "handling":
			s, isStr := v.(string)
			ok = isStr && isHandling(s)
		case "provenance":
			ok = isProvenance(v)
		case "supersedes":
			ok = isUUID7(v)
		case "payload":
			_, ok = v.(map[string]any)
		}
		if !ok {
			return false
		}
	}
	n := 10
	if _, has := m["provenance"]; has {
		n++
	}
	if _, has := m["supersedes"]; has {
		n++
	}
	return len(m) == n
}

func isPurpose(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 || len(m) > 2 {
		return false
	}
	for k, id := range m {
		if k != "requirement_id" && k != "task_id" || !isUUID7(id) {
			return false
		}
	}
	return true
}

func isProvenance(v any) bool {
	hops, ok := v.([]any)
	if !ok || len(hops) > maxHops {
		return false
	}
	for _, h := range hops {
		m, ok := h.(map[string]any)
		if !ok || len(m) < 4 || len(m) > 6 || !isOrgID(m["org"]) || !isUTCTime(m["at"]) {
			return false
		}
		n := 4
		if tid, present := m["trace_id"]; present {
			if s, _ := tid.(string); !IsTraceID(s) {
				return false
			}
			n++
		}
		if seal, present := m["seal"]; present {
			if !isSealDoc(seal) {
				return false
			}
			n++
		}
		if len(m) != n {
			return false
		}
		stage, _ := m["stage"].(string)
		digest, _ := m["digest"].(string)
		if !isStage(stage) || !isDigest(digest) {
			return false
		}
	}
	return true
}

// maxHops is the envelope schema's maxItems of provenance.
const maxHops = 32

func isLegalBasis(s string) bool { return s != "" && utf8.RuneCountInString(s) <= 256 }

func isHandling(s string) bool {
	switch Handling(s) {
	case HandlingClear, HandlingGreen, HandlingAmber, HandlingAmberStrict, HandlingRed:
		return true
	}
	return false
}

func isStage(s string) bool {
	switch Stage(s) {
	case StagePlanning, StageCollection, StageProcessing, StageAnalysis, StageApplication, StageFeedback:
		return true
	}
	return false
}

// IsTraceID tells whether s is a W3C trace id as a hop's trace_id holds
// it: 32 lower-case hex digits, not all zero.
func IsTraceID(s string) bool {
	return len(s) == 32 && jsontext.LowerHex(s) && strings.Trim(s, "0") != ""
}

// isDigest matches "sha-256:" and 64 lower-case hex digits.
func isDigest(d string) bool {
	return len(d) == len("sha-256:")+64 && d[:8] == "sha-256:" && jsontext.LowerHex(d[8:])
}

// isUUID7 matches the uuid7 definition (see jsontext.UUID7).
func isUUID7(v any) bool {
	s, ok := v.(string)
	return ok && jsontext.UUID7(s)
}

// isKind matches ^[a-z]+\.[a-z_]+$ with at most 64 characters.
func isKind(v any) bool {
	s, ok := v.(string)
	if !ok || len(s) > 64 {
		return false
	}
	dot := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && dot < 0 && i > 0:
			dot = i
		case c >= 'a' && c <= 'z':
		case c == '_' && dot >= 0:
		default:
			return false
		}
	}
	return dot > 0 && dot < len(s)-1
}

// isOrgID matches ^[a-z0-9][a-z0-9._-]{1,63}$.
func isOrgID(v any) bool {
	s, ok := v.(string)
	if !ok || len(s) < 2 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && (c == '.' || c == '_' || c == '-')) {
			return false
		}
	}
	return true
}

// isSmallPositive accepts a JSON number spelled as plain digits in 1..max.
func isSmallPositive(v any, max int) bool {
	n, ok := v.(json.Number)
	if !ok || len(n) == 0 || len(n) > 4 || n[0] == '0' {
		return false
	}
	x := 0
	for i := 0; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return false
		}
		x = x*10 + int(n[i]-'0')
	}
	return x <= max
}

// isUTCTime accepts what the utc_time definition does, for a real date
// and time (see jsontext.UTCTime).
func isUTCTime(v any) bool {
	s, ok := v.(string)
	return ok && jsontext.UTCTime(s)
}
