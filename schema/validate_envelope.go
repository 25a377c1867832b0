package schema

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// ValidateEnvelope checks env as Validate checks its JSON encoding
// (json.Marshal(env)) and reports the same violations, without encoding
// the envelope: only the payload is parsed, and the envelope's fields are
// checked as the values they are. Use it where envelopes are already Go
// values (a processing pipeline); use Validate on bytes from outside.
//
// Two things differ from Validate on the encoding: the size limit applies
// to the payload alone, and a syntax error in the payload has its offset
// counted from the start of the payload. A payload that is not valid JSON
// fails with ErrSyntax where json.Marshal would have failed.
func (v *Validator) ValidateEnvelope(env Envelope) error {
	v.checking()
	if !env.eachString(utf8.ValidString) {
		// json.Marshal replaces invalid bytes; let it, and check what
		// it wrote, rather than imitate it.
		raw, err := json.Marshal(env)
		if err != nil {
			return &ValidationError{Kind: env.Kind, Version: env.SchemaVersion, Offset: -1, cause: ErrSyntax, Violations: []Violation{{
				Pointer: "/payload", Keyword: "syntax", Message: err.Error(),
			}}}
		}
		_, err = v.validate(raw)
		return err
	}
	if len(env.Payload) <= v.maxBytes {
		// The payload sits one level inside the envelope. A payload
		// its checks pass on bytes needs no parse (see quick.go).
		if envelopeStructOK(&env) && v.quickPayload(env.Kind, env.SchemaVersion, env.Payload, max(v.maxDepth-1, 0), env.Handling, true) {
			return nil
		}
	}
	var payload any
	if len(env.Payload) > 0 {
		// The payload sits one level inside the envelope.
		vv := *v
		vv.maxDepth = max(v.maxDepth-1, 0)
		doc, _, verr := vv.parse(env.Payload)
		if verr != nil {
			for i := range verr.Violations {
				verr.Violations[i].Pointer = "/payload" + verr.Violations[i].Pointer
			}
			return verr
		}
		payload = doc
	}
	if _, isObject := payload.(map[string]any); isObject && envelopeStructOK(&env) {
		return v.checkPayloadOf(env.Kind, env.SchemaVersion, env.Handling, payload)
	}
	m, terr := envelopeMap(env, payload)
	if terr != nil {
		return &ValidationError{Kind: env.Kind, Version: env.SchemaVersion, Offset: -1, cause: ErrInvalid, Violations: []Violation{{
			Pointer: terr.pointer, Keyword: "format", Message: terr.msg,
		}}}
	}
	if !envelopeOK(m) {
		if err := v.reg.envelope.Validate(m); err != nil {
			return schemaError(err, m, "", "", 0)
		}
	}
	return v.checkPayload(m)
}

// eachString tells whether ok holds for every string field of e, its
// hops' included (the payload aside).
func (e *Envelope) eachString(ok func(string) bool) bool {
	all := ok(e.ID) && ok(e.Kind) && ok(e.Source) && ok(e.LegalBasis) && ok(string(e.Handling)) &&
		ok(e.Purpose.RequirementID) && ok(e.Purpose.TaskID) && ok(e.Supersedes)
	for _, h := range e.Provenance {
		all = all && ok(h.Org) && ok(string(h.Stage)) && ok(h.Digest) && ok(h.TraceID) && sealStrings(h.Seal, ok)
	}
	return all
}

// envelopeStructOK is envelopeOK on the Go envelope: true only when its
// encoding certainly satisfies the envelope schema (the payload aside).
// Building the document for the schema costs more than the rest of the
// check, so the common case does without it.
func envelopeStructOK(env *Envelope) bool {
	if !isUUID7(env.ID) || !isKind(env.Kind) || env.SchemaVersion < 1 || env.SchemaVersion > 1000 ||
		!isOrgID(env.Source) || !plainUTC(env.CollectedAt) || !plainUTC(env.RetainUntil) {
		return false
	}
	if p := env.Purpose; p.RequirementID == "" && p.TaskID == "" ||
		p.RequirementID != "" && !isUUID7(p.RequirementID) || p.TaskID != "" && !isUUID7(p.TaskID) {
		return false
	}
	if !isLegalBasis(env.LegalBasis) || !isHandling(string(env.Handling)) || len(env.Provenance) > maxHops ||
		env.Supersedes != "" && !isUUID7(env.Supersedes) {
		return false
	}
	for _, h := range env.Provenance {
		if !isOrgID(h.Org) || !plainUTC(h.At) || !isStage(string(h.Stage)) || !isDigest(h.Digest) ||
			h.TraceID != "" && !IsTraceID(h.TraceID) || h.Seal != nil && !h.Seal.structOK() {
			return false
		}
	}
	return true
}

// plainUTC tells whether t encodes as a utc_time: time.Time writes RFC
// 3339 with a fraction of at most nine digits and no trailing zeros, and
// "Z" when the offset is zero; the pattern and the date-time format
// accept that for every year of four digits.
func plainUTC(t time.Time) bool {
	_, off := t.Zone()
	return off == 0 && plainTime(t)
}

// timeError is a time json.Marshal refuses to encode.
type timeError struct{ pointer, msg string }

// envelopeMap returns the document json.Marshal(env) would encode, with
// payload as its payload, in the form the parser produces.
func envelopeMap(env Envelope, payload any) (map[string]any, *timeError) {
	var terr *timeError
	tm := func(ptr string, t time.Time) any {
		// time.Time.MarshalJSON: RFC 3339 with nanoseconds, in t's own
		// offset, and an error outside years 0-9999.
		if y := t.Year(); y < 0 || y > 9999 {
			if terr == nil {
				terr = &timeError{ptr, "year " + strconv.Itoa(y) + " is outside 0-9999 and has no RFC 3339 form"}
			}
			return ""
		}
		return t.Format(time.RFC3339Nano)
	}
	purpose := make(map[string]any, 2)
	if env.Purpose.RequirementID != "" {
		purpose["requirement_id"] = env.Purpose.RequirementID
	}
	if env.Purpose.TaskID != "" {
		purpose["task_id"] = env.Purpose.TaskID
	}
	m := map[string]any{
		"id":             env.ID,
		"kind":           env.Kind,
		"schema_version": json.Number(strconv.Itoa(env.SchemaVersion)),
		"source":         env.Source,
		"collected_at":   tm("/collected_at", env.CollectedAt),
		"purpose":        purpose,
		"legal_basis":    env.LegalBasis,
		"handling":       string(env.Handling),
		"retain_until":   tm("/retain_until", env.RetainUntil),
		"payload":        payload,
	}
	if len(env.Provenance) > 0 {
		hops := make([]any, len(env.Provenance))
		for i, h := range env.Provenance {
			hm := map[string]any{
				"org": h.Org, "stage": string(h.Stage),
				"at": tm("/provenance/"+strconv.Itoa(i)+"/at", h.At), "digest": h.Digest,
			}
			if h.TraceID != "" {
				hm["trace_id"] = h.TraceID
			}
			if h.Seal != nil {
				hm["seal"] = sealMap(h.Seal)
			}
			hops[i] = hm
		}
		m["provenance"] = hops
	}
	if env.Supersedes != "" {
		m["supersedes"] = env.Supersedes
	}
	return m, terr
}

// QuickStamp appends to env the provenance hop (org, stage, at, the
// payload digest), as Envelope.Stamp does, when env so stamped certainly
// passes ValidateEnvelope, and reports whether it did: the payload is
// read once, for its checks and its digest together. When it returns
// false, env is unchanged, and the caller stamps and validates as usual
// (Stamp, then ValidateEnvelope), which says what is wrong. A client
// that stamps every record before it queues it pays for one pass.
func (v *Validator) QuickStamp(env *Envelope, org string, stage Stage, at time.Time) bool {
	if len(env.Payload) > v.maxBytes || len(env.Provenance) >= MaxHops || !env.eachString(utf8.ValidString) || !utf8.ValidString(org) {
		return false
	}
	ok, d := v.quickPayloadDigest(env.Kind, env.SchemaVersion, env.Payload, max(v.maxDepth-1, 0), env.Handling, true, true)
	if !ok || d == "" {
		return false
	}
	stamped := *env
	stamped.Provenance = append(slices.Clip(env.Provenance), Hop{Org: org, Stage: stage, At: at.UTC(), Digest: d})
	if !envelopeStructOK(&stamped) {
		return false
	}
	*env = stamped
	v.checking() // only when it stamps: otherwise the caller's ValidateEnvelope counts
	return true
}
