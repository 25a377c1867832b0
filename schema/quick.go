package schema

import (
	"sync"
	"time"

	"github.com/sicollab/sicollab/schema/internal/compile"
	"github.com/sicollab/sicollab/schema/internal/jsontext"
)

// Validating on bytes.
//
// A record is checked first by the checks package compile builds from
// the schema files as written, on the document's tokens (package
// jsontext): one pass over the bytes, no map, no string, nothing
// allocated but the envelope returned. The checks only ever say
// "passes"; a record they do not pass, or are not sure of, is parsed and
// validated by jsonschema, which reports its violations with the same
// pointers and keywords as ever. FuzzQuick compares the two paths, and
// the package compile's FuzzAgainstWritten compares its checks with
// jsonschema on the files as written.

// tapes holds tapes between documents.
var tapes = sync.Pool{New: func() any { return new(jsontext.Tape) }}

// maxPooledTokens bounds the tape a pool keeps (a few pages).
const maxPooledTokens = 1 << 14

func getTape() *jsontext.Tape { return tapes.Get().(*jsontext.Tape) }

func putTape(t *jsontext.Tape) {
	if cap(t.Tokens) <= maxPooledTokens {
		t.Data = nil
		tapes.Put(t)
	}
}

// identityKey is the reserved property name of clear identities (see
// findIdentity).
const identityKey = "identity"

// quickChecks are the compiled checks of the envelope and of every kind,
// by kind and version; nil where none could be built.
type quickChecks struct {
	envelope *compile.Checker
	payloads map[kindVersion]*compile.Checker
}

// quickValidate is Validate's fast path: the envelope of raw, and true,
// when raw certainly passes.
func (v *Validator) quickValidate(raw []byte) (Envelope, bool) {
	q := v.reg.quick
	if q.envelope == nil {
		return Envelope{}, false
	}
	t := getTape()
	defer putTape(t)
	if !jsontext.Tokenize(t, raw, v.maxDepth, identityKey) || t.Tokens[0].Kind != jsontext.Object {
		return Envelope{}, false
	}
	if ok, _ := q.envelope.Check(t, 0); !ok {
		return Envelope{}, false
	}
	env, ok := v.envelopeOf(t)
	if !ok {
		return Envelope{}, false
	}
	c := q.payloads[kindVersion{env.Kind, env.SchemaVersion}]
	if c == nil {
		return Envelope{}, false
	}
	p := t.Member(0, "payload")
	if ok, _ := c.Check(t, p); !ok || t.SawKey && !env.Handling.AllowsIdentity() {
		return Envelope{}, false
	}
	tok := t.Tokens[p]
	env.Payload = append([]byte(nil), raw[tok.Start:tok.End]...)
	return env, true
}

// quickPayload tells whether payload, a record of kind at version,
// certainly passes its schema within maxDepth levels; with watch set, a
// clear identity makes it unsure.
func (v *Validator) quickPayload(kind string, version int, payload []byte, maxDepth int, h Handling, watch bool) bool {
	c := v.reg.quick.payloads[kindVersion{kind, version}]
	if c == nil || len(payload) > v.maxBytes {
		return false
	}
	t := getTape()
	defer putTape(t)
	key := ""
	if watch {
		key = identityKey
	}
	if !jsontext.Tokenize(t, payload, maxDepth, key) || t.Tokens[0].Kind != jsontext.Object {
		return false
	}
	ok, _ := c.Check(t, 0)
	return ok && !(watch && t.SawKey && !h.AllowsIdentity())
}

// envelopeOf builds the envelope (its payload aside) from a tape the
// envelope's checks passed, so every member has its type and form.
func (v *Validator) envelopeOf(t *jsontext.Tape) (Envelope, bool) {
	var e Envelope
	ok := true
	str := func(i int) string {
		b := t.Text(i)
		if t.Tokens[i].Escaped {
			b, _ = jsontext.Unescape(nil, b)
		}
		if s, known := v.reg.intern[string(b)]; known {
			return s
		}
		return string(b)
	}
	tm := func(i int) time.Time {
		at, good := jsontext.ParseUTC(t.Text(i))
		ok = ok && good && !t.Tokens[i].Escaped
		return at
	}
	k := 1
	for range t.Tokens[0].Len {
		val := k + 1
		switch string(t.Text(k)) {
		case "id":
			e.ID = str(val)
		case "kind":
			e.Kind = str(val)
		case "schema_version":
			n, good := jsontext.PlainInt(t.Text(val))
			ok = ok && good && t.Tokens[val].Int
			e.SchemaVersion = int(n)
		case "source":
			e.Source = str(val)
		case "collected_at":
			e.CollectedAt = tm(val)
		case "purpose":
			if r := t.Member(val, "requirement_id"); r >= 0 {
				e.Purpose.RequirementID = str(r)
			}
			if r := t.Member(val, "task_id"); r >= 0 {
				e.Purpose.TaskID = str(r)
			}
		case "legal_basis":
			e.LegalBasis = str(val)
		case "handling":
			e.Handling = Handling(str(val))
		case "retain_until":
			e.RetainUntil = tm(val)
		case "supersedes":
			e.Supersedes = str(val)
		case "provenance":
			e.Provenance = make([]Hop, 0, t.Tokens[val].Len)
			h := val + 1
			for range t.Tokens[val].Len {
				seal, good := sealOfTape(t, h)
				ok = ok && good
				hop := Hop{
					Org: str(t.Member(h, "org")), Stage: Stage(str(t.Member(h, "stage"))),
					At: tm(t.Member(h, "at")), Digest: str(t.Member(h, "digest")), Seal: seal,
				}
				if i := t.Member(h, "trace_id"); i >= 0 {
					hop.TraceID = str(i)
				}
				e.Provenance = append(e.Provenance, hop)
				h = int(t.Tokens[h].Next)
			}
		}
		k = int(t.Tokens[val].Next)
	}
	return e, ok
}

// compileQuick builds the checks of every file in files (by $id, as
// written), for the kinds in kinds. A kind whose checks cannot be built
// goes without; validation is then jsonschema's alone.
func compileQuick(files map[string][]byte, kinds []kindVersion) quickChecks {
	set := compile.NewSet()
	for id, raw := range files {
		if set.Add(id, raw) != nil {
			return quickChecks{}
		}
	}
	q := quickChecks{payloads: map[kindVersion]*compile.Checker{}}
	q.envelope, _ = set.Checker(SchemaURI(envelopeDir, 1))
	for _, kv := range kinds {
		if c, err := set.Checker(SchemaURI(kv.kind, kv.version)); err == nil {
			q.payloads[kv] = c
		}
	}
	return q
}
