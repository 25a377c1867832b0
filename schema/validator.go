package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/sicollab/sicollab/schema/internal/compile"
)

// Default limits of a Validator.
const (
	// DefaultMaxBytes bounds one document (one envelope with its payload).
	DefaultMaxBytes = 1 << 20
	// DefaultMaxDepth bounds nesting of objects and arrays. The deepest
	// valid envelope nests 7 levels; 32 leaves room for growth and stops
	// stack-exhaustion documents long before they cost anything.
	DefaultMaxDepth = 32
)

// Validator checks envelopes and payloads against the embedded schemas.
// It is safe for concurrent use; make one with NewValidator and share it.
type Validator struct {
	reg      *registry
	maxBytes int
	maxDepth int
	onCheck  func() // see WithOnCheck; nil if none
}

// Option configures a Validator.
type Option func(*Validator) error

// WithMaxBytes sets the largest document Validate accepts (at least 1).
func WithMaxBytes(n int) Option {
	return func(v *Validator) error {
		if n < 1 {
			return fmt.Errorf("schema: max bytes must be at least 1, got %d", n)
		}
		v.maxBytes = n
		return nil
	}
}

// WithMaxDepth sets the deepest nesting Validate accepts (at least 8, the
// depth of valid envelopes plus one).
func WithMaxDepth(n int) Option {
	return func(v *Validator) error {
		if n < 8 {
			return fmt.Errorf("schema: max depth must be at least 8, got %d", n)
		}
		v.maxDepth = n
		return nil
	}
}

// WithOnCheck has the validator call f once each time Validate,
// ValidateDigest, ValidateEnvelope or ValidatePayload is asked to check a
// record, and each time QuickStamp stamps one (when QuickStamp declines,
// the caller's ValidateEnvelope is the record's check): a count of the records a
// process validates (a test that a record is validated once on its way,
// a metric). f is called from the goroutines that validate, so it must be
// safe for concurrent use, and cheap (an atomic add).
func WithOnCheck(f func()) Option {
	return func(v *Validator) error {
		v.onCheck = f
		return nil
	}
}

// checking calls the WithOnCheck hook, if any.
func (v *Validator) checking() {
	if v.onCheck != nil {
		v.onCheck()
	}
}

// NewValidator returns a Validator over the embedded schemas. Schemas are
// compiled once per process; nothing is loaded from disk or network.
func NewValidator(opts ...Option) (*Validator, error) {
	reg, err := compiled()
	if err != nil {
		return nil, fmt.Errorf("schema: compile embedded schemas: %w", err)
	}
	v := &Validator{reg: reg, maxBytes: DefaultMaxBytes, maxDepth: DefaultMaxDepth}
	for _, o := range opts {
		if err := o(v); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// MaxBytes returns the largest document the validator accepts.
func (v *Validator) MaxBytes() int { return v.maxBytes }

// MaxDepth returns the deepest nesting the validator accepts.
func (v *Validator) MaxDepth() int { return v.maxDepth }

// Validate checks raw, one JSON envelope, against the envelope schema and
// its payload against the schema of its kind and version, and returns the
// decoded envelope. On failure the error is a *ValidationError wrapping
// ErrInvalid, ErrSyntax, ErrTrailingData, ErrDuplicateKey, ErrTooDeep,
// ErrTooLarge, ErrUnknownKind or ErrUnknownVersion.
func (v *Validator) Validate(raw []byte) (Envelope, error) {
	v.checking()
	return v.validate(raw)
}

// validate is Validate without the hook.
func (v *Validator) validate(raw []byte) (Envelope, error) {
	if len(raw) <= v.maxBytes {
		if env, _, ok := v.quickValidate(raw, false); ok { // see quick.go
			return env, nil
		}
	}
	return v.validateParsed(raw)
}

// ValidateDigest is Validate that also returns the payload digest
// (PayloadDigest's value) of the envelope it accepted. The digest is
// written from the tokens the validation read, without reading the
// payload again, wherever the payload has the common shape (ASCII keys,
// integers of at most 15 digits); otherwise, and for a record the fast
// path did not pass, it is PayloadDigest's. A hub that checks every
// record's provenance hops against its digest pays for one pass.
func (v *Validator) ValidateDigest(raw []byte) (Envelope, string, error) {
	v.checking()
	var env Envelope
	var d string
	ok := false
	if len(raw) <= v.maxBytes {
		env, d, ok = v.quickValidate(raw, true)
	}
	if !ok {
		var err error
		if env, err = v.validateParsed(raw); err != nil {
			return env, "", err
		}
	}
	if d == "" {
		var err error
		if d, err = PayloadDigest(env.Payload); err != nil {
			return Envelope{}, "", &ValidationError{Kind: env.Kind, Version: env.SchemaVersion, Offset: -1, cause: ErrInvalid, Violations: []Violation{{
				Pointer: "/payload", Keyword: "digest", Message: err.Error(),
			}}}
		}
	}
	return env, d, nil
}

// validateParsed is Validate by parsing raw and asking jsonschema: what
// reports the violations.
func (v *Validator) validateParsed(raw []byte) (Envelope, error) {
	doc, p, verr := v.parse(raw)
	if verr != nil {
		return Envelope{}, verr
	}
	if !envelopeOK(doc) {
		if err := v.reg.envelope.Validate(doc); err != nil {
			return Envelope{}, schemaError(err, doc, "", "", 0)
		}
	}
	m := doc.(map[string]any) // the envelope schema requires an object
	if err := v.checkPayload(m); err != nil {
		return Envelope{}, err
	}
	env, err := envelopeFrom(m, raw[p.payloadStart:p.payloadEnd])
	if err != nil {
		return Envelope{}, &ValidationError{Kind: env.Kind, Version: env.SchemaVersion, Offset: -1, cause: ErrInvalid, Violations: []Violation{{
			Keyword: "format", Message: err.Error(),
		}}}
	}
	return env, nil
}

// checkPayload validates the payload of m, an envelope the envelope
// schema accepted, against the schema of its kind and version, and its
// handling label against the clear identities it holds.
func (v *Validator) checkPayload(m map[string]any) error {
	return v.checkPayloadOf(m["kind"].(string), intOf(m["schema_version"]), Handling(m["handling"].(string)), m["payload"])
}

// checkPayloadOf is checkPayload on the envelope's values.
func (v *Validator) checkPayloadOf(kind string, version int, handling Handling, payload any) error {
	s, err := v.payloadSchema(kind, version)
	if err != nil {
		return err
	}
	if err := s.Validate(payload); err != nil {
		return schemaError(err, payload, "/payload", kind, version)
	}
	if !handling.AllowsIdentity() {
		var vs []Violation
		var path [16]string
		findIdentity(payload, append(path[:0], "payload"), handling, &vs)
		if len(vs) > 0 {
			sort.Slice(vs, func(i, j int) bool { return vs[i].Pointer < vs[j].Pointer })
			return &ValidationError{Kind: kind, Version: version, Violations: vs, Offset: -1, cause: ErrInvalid}
		}
	}
	return nil
}

// ValidatePayload checks payload, the JSON of one record of kind at
// version, on its own. Pointers in the error are relative to the payload.
func (v *Validator) ValidatePayload(kind string, version int, payload []byte) error {
	v.checking()
	if v.quickPayload(kind, version, payload, v.maxDepth, "", false) { // see quick.go
		return nil
	}
	doc, _, verr := v.parse(payload)
	if verr != nil {
		return verr
	}
	s, err := v.payloadSchema(kind, version)
	if err != nil {
		return err
	}
	if err := s.Validate(doc); err != nil {
		return schemaError(err, doc, "", kind, version)
	}
	return nil
}

func (v *Validator) parse(raw []byte) (any, *parser, *ValidationError) {
	if len(raw) > v.maxBytes {
		return nil, nil, &ValidationError{Offset: v.maxBytes, cause: ErrTooLarge, Violations: []Violation{{
			Keyword: "size",
			Message: fmt.Sprintf("document is %d bytes, limit is %d", len(raw), v.maxBytes),
		}}}
	}
	doc, p := parseDocument(raw, v.maxDepth, v.reg.intern)
	if e := p.err; e != nil {
		kw := map[error]string{ErrTooDeep: "depth", ErrDuplicateKey: "duplicate-key"}[e.cause]
		if kw == "" {
			kw = "syntax"
		}
		return nil, nil, &ValidationError{Offset: e.offset, cause: e.cause, Violations: []Violation{{
			Pointer: e.pointer, Keyword: kw, Message: e.msg,
		}}}
	}
	return doc, p, nil
}

func (v *Validator) payloadSchema(kind string, version int) (*payloadSchema, error) {
	if s, ok := v.reg.payloads[kindVersion{kind, version}]; ok {
		return s, nil
	}
	latest, known := v.reg.latest[kind]
	if !known {
		return nil, &ValidationError{Kind: kind, Version: version, Offset: -1, cause: ErrUnknownKind, Violations: []Violation{{
			Pointer: "/kind", Keyword: "kind", Message: fmt.Sprintf("no schema for kind %q", kind),
		}}}
	}
	return nil, &ValidationError{Kind: kind, Version: version, Offset: -1, cause: ErrUnknownVersion, Violations: []Violation{{
		Pointer: "/schema_version", Keyword: "schema_version",
		Message: fmt.Sprintf("kind %q has no version %d (newest is %d)", kind, version, latest),
	}}}
}

// findIdentity reports every clear identity under a handling label that
// does not allow one. "identity" is a reserved property name: it appears
// only inside subject references. The path is kept as segments and turned
// into a pointer only when something is found.
func findIdentity(v any, path []string, h Handling, out *[]Violation) {
	switch t := v.(type) {
	case map[string]any:
		if _, ok := t["identity"]; ok {
			var b strings.Builder
			for _, p := range path {
				b.WriteByte('/')
				b.WriteString(escapePointer(p))
			}
			*out = append(*out, Violation{
				Pointer: b.String() + "/identity", Keyword: "handling",
				Message: fmt.Sprintf("clear identity needs handling AMBER+STRICT or RED, envelope has %s", h),
			})
		}
		for k, c := range t {
			switch c.(type) {
			case map[string]any, []any:
				if k != "identity" {
					findIdentity(c, append(path, k), h, out)
				}
			}
		}
	case []any:
		for i, c := range t {
			switch c.(type) {
			case map[string]any, []any:
				findIdentity(c, append(path, strconv.Itoa(i)), h, out)
			}
		}
	}
}

// envelopeFrom builds the Go envelope from a document the envelope schema
// accepted, so every type assertion below holds. The utc_time pattern
// admits only what time.Parse reads; an error here means the two drifted.
func envelopeFrom(m map[string]any, payload []byte) (Envelope, error) {
	str := func(k string) string { s, _ := m[k].(string); return s }
	var terr error
	tm := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil && terr == nil {
			terr = err
		}
		return t
	}
	version := intOf(m["schema_version"])
	e := Envelope{
		ID: str("id"), Kind: str("kind"), SchemaVersion: version, Source: str("source"),
		CollectedAt: tm(str("collected_at")), LegalBasis: str("legal_basis"),
		Handling: Handling(str("handling")), RetainUntil: tm(str("retain_until")),
		Payload: append([]byte(nil), payload...),
	}
	e.Supersedes, _ = m["supersedes"].(string)
	pm := m["purpose"].(map[string]any)
	e.Purpose.RequirementID, _ = pm["requirement_id"].(string)
	e.Purpose.TaskID, _ = pm["task_id"].(string)
	if hops, ok := m["provenance"].([]any); ok {
		e.Provenance = make([]Hop, 0, len(hops))
		for _, h := range hops {
			hm := h.(map[string]any)
			e.Provenance = append(e.Provenance, Hop{
				Org: hm["org"].(string), Stage: Stage(hm["stage"].(string)),
				At: tm(hm["at"].(string)), Digest: hm["digest"].(string), Seal: sealOfMap(hm),
			})
			e.Provenance[len(e.Provenance)-1].TraceID, _ = hm["trace_id"].(string)
		}
	}
	return e, terr
}

// schemaError turns jsonschema's error tree into our flat, sorted list of
// violations, with pointers prefixed by base (the location of doc in the
// whole document). Missing and forbidden properties point at the property.
func schemaError(err error, doc any, base, kind string, version int) error {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("schema: validate %s v%d: %w", kind, version, err)
	}
	var out []Violation
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		kw := keywordOf(e.KeywordLocation)
		ptr := base + e.InstanceLocation
		switch kw {
		case "required":
			names := strings.TrimPrefix(e.Message, "missing properties: ")
			for _, n := range strings.Split(names, ", ") {
				n = strings.Trim(n, "'")
				out = append(out, Violation{Pointer: ptr + "/" + escapePointer(n), Keyword: kw, Message: "required property is missing"})
			}
			return
		case "additionalProperties":
			if obj, ok := lookup(doc, e.InstanceLocation).(map[string]any); ok {
				var extra []string
				for k := range obj {
					if strings.Contains(e.Message, compile.QuoteName(k)) {
						extra = append(extra, k)
					}
				}
				sort.Strings(extra)
				for _, k := range extra {
					out = append(out, Violation{Pointer: ptr + "/" + escapePointer(k), Keyword: kw, Message: "property is not allowed here"})
				}
				if len(extra) > 0 {
					return
				}
			}
		}
		msg := e.Message
		if kw == "format" && strings.HasSuffix(msg, "'"+compile.IntegerFormat+"'") {
			msg = "must be an integer written as digits (3, not 3.0 or 3e0)"
		}
		if kw == "pattern" {
			if p, ok := strings.CutPrefix(msg, "does not match pattern "); ok {
				if hint, ok := patternHints()[strings.Trim(p, "'")]; ok {
					msg = hint
				}
			}
		}
		out = append(out, Violation{Pointer: ptr, Keyword: kw, Message: msg})
	}
	walk(ve)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Pointer < out[j].Pointer })
	// A time with an offset or a malformed UUID breaks both the standard
	// format and our stricter pattern; one mistake gets one violation.
	hasFormat := map[string]bool{}
	for _, x := range out {
		if x.Keyword == "format" {
			hasFormat[x.Pointer] = true
		}
	}
	kept := out[:0]
	for _, x := range out {
		if x.Keyword != "pattern" || !hasFormat[x.Pointer] {
			kept = append(kept, x)
		}
	}
	out = kept
	return &ValidationError{Kind: kind, Version: version, Violations: out, Offset: -1, cause: ErrInvalid}
}

// lookup resolves an RFC 6901 pointer in a decoded document.
func lookup(doc any, ptr string) any {
	if ptr == "" {
		return doc
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch t := doc.(type) {
		case map[string]any:
			doc = t[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(t) {
				return nil
			}
			doc = t[i]
		default:
			return nil
		}
	}
	return doc
}

// intOf converts a number the schema already proved integral ("1", "1.0"
// and "1e0" are all the integer 1 in JSON Schema).
func intOf(v any) int {
	n, _ := v.(json.Number)
	f, _ := strconv.ParseFloat(string(n), 64)
	return int(f)
}

// keywords that can fail, for keywordOf.
var keywords = map[string]bool{
	"type": true, "enum": true, "const": true, "multipleOf": true, "maximum": true,
	"exclusiveMaximum": true, "minimum": true, "exclusiveMinimum": true, "maxLength": true,
	"minLength": true, "pattern": true, "maxItems": true, "minItems": true, "uniqueItems": true,
	"maxContains": true, "minContains": true, "contains": true, "maxProperties": true,
	"minProperties": true, "required": true, "dependentRequired": true, "additionalProperties": true,
	"propertyNames": true, "unevaluatedProperties": true, "unevaluatedItems": true, "format": true,
	"not": true, "oneOf": true, "anyOf": true, "allOf": true, "if": true, "then": true, "else": true,
}

// keywordOf names the keyword that failed from a keyword location such
// as /properties/a/$ref/pattern or /dependentRequired/a/0: the last
// segment that is a keyword; "false" when a property's schema is false.
func keywordOf(loc string) string {
	segs := strings.Split(loc, "/")
	for i := len(segs) - 1; i >= 0; i-- {
		if keywords[segs[i]] && (i == 0 || segs[i-1] != "properties") {
			return segs[i]
		}
	}
	if n := len(segs); n >= 2 && segs[n-2] == "properties" {
		return "false"
	}
	return segs[len(segs)-1]
}
