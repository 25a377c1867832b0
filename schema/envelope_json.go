package schema

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/sicollab/sicollab/schema/internal/jsontext"
)

// AppendJSON appends the JSON encoding of e to dst and returns the
// extended slice: byte for byte what json.Marshal(e) writes, or the error
// it returns. Envelopes are encoded once or twice on every hop (the
// outbox, the store); encoding/json spends most of that time on
// reflection, and this does without it for the common envelope:
// identifiers and labels in plain ASCII, times in years 0-9999, a compact
// payload. Anything else is left to json.Marshal. FuzzAppendJSON compares
// the two.
func (e *Envelope) AppendJSON(dst []byte) ([]byte, error) {
	if !e.plainJSON() {
		b, err := json.Marshal(e)
		if err != nil {
			return dst, err
		}
		return append(dst, b...), nil
	}
	// Room for the fields (about 330 bytes, 150 a hop) and the payload.
	dst = slices.Grow(dst, 330+150*len(e.Provenance)+len(e.Payload)+len(e.LegalBasis))
	dst = append(dst, `{"id":`...)
	dst = appendPlain(dst, e.ID)
	dst = append(dst, `,"kind":`...)
	dst = appendPlain(dst, e.Kind)
	dst = append(dst, `,"schema_version":`...)
	dst = strconv.AppendInt(dst, int64(e.SchemaVersion), 10)
	dst = append(dst, `,"source":`...)
	dst = appendPlain(dst, e.Source)
	dst = append(dst, `,"collected_at":`...)
	dst = appendTime(dst, e.CollectedAt)
	dst = append(dst, `,"purpose":{`...)
	if e.Purpose.RequirementID != "" {
		dst = append(dst, `"requirement_id":`...)
		dst = appendPlain(dst, e.Purpose.RequirementID)
	}
	if e.Purpose.TaskID != "" {
		if e.Purpose.RequirementID != "" {
			dst = append(dst, ',')
		}
		dst = append(dst, `"task_id":`...)
		dst = appendPlain(dst, e.Purpose.TaskID)
	}
	dst = append(dst, `},"legal_basis":`...)
	dst = appendPlain(dst, e.LegalBasis)
	dst = append(dst, `,"handling":`...)
	dst = appendPlain(dst, string(e.Handling))
	dst = append(dst, `,"retain_until":`...)
	dst = appendTime(dst, e.RetainUntil)
	if len(e.Provenance) > 0 {
		dst = append(dst, `,"provenance":[`...)
		for i, h := range e.Provenance {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"org":`...)
			dst = appendPlain(dst, h.Org)
			dst = append(dst, `,"stage":`...)
			dst = appendPlain(dst, string(h.Stage))
			dst = append(dst, `,"at":`...)
			dst = appendTime(dst, h.At)
			dst = append(dst, `,"digest":`...)
			dst = appendPlain(dst, h.Digest)
			if h.TraceID != "" {
				dst = append(dst, `,"trace_id":`...)
				dst = appendPlain(dst, h.TraceID)
			}
			if h.Seal != nil {
				dst = appendSeal(dst, h.Seal)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if e.Supersedes != "" {
		dst = append(dst, `,"supersedes":`...)
		dst = appendPlain(dst, e.Supersedes)
	}
	dst = append(dst, `,"payload":`...)
	if e.Payload == nil {
		dst = append(dst, "null"...)
	} else {
		dst = appendPayload(dst, e.Payload)
	}
	return append(dst, '}'), nil
}

// plainJSON tells whether AppendJSON may encode e by itself.
func (e *Envelope) plainJSON() bool {
	ok := e.eachString(plainString) && plainTime(e.CollectedAt) && plainTime(e.RetainUntil)
	for _, h := range e.Provenance {
		ok = ok && plainTime(h.At)
	}
	return ok && plainPayload(e.Payload)
}

// plainString: printable ASCII that encoding/json writes unescaped (it
// escapes quotes, backslashes and, for HTML, <, > and &).
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// plainTime: a time time.Time.MarshalJSON encodes, with an offset of
// whole minutes.
func plainTime(t time.Time) bool {
	_, off := t.Zone()
	y := t.Year()
	return y >= 0 && y <= 9999 && off%60 == 0 && off > -24*3600 && off < 24*3600
}

// plainPayload: valid JSON with no whitespace between its tokens, which
// json.Marshal would compact away. The lexer reads more strictly than
// encoding/json (invalid UTF-8, unpaired surrogates): what it refuses goes
// to json.Marshal, which writes the same bytes or the error.
func plainPayload(p json.RawMessage) bool {
	if p == nil {
		return true
	}
	inString, escaped := false, false
	for _, c := range p {
		switch {
		case inString:
			if escaped {
				escaped = false
			} else if c == '\\' {
				escaped = true
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			return false
		}
	}
	return jsontext.Valid(p, maxPayloadDepth)
}

// maxPayloadDepth is the nesting encoding/json itself reads.
const maxPayloadDepth = 10000

// appendPayload appends p, which plainPayload accepted, escaped as
// json.Marshal escapes for HTML: <, > and & (only ever inside strings in
// valid JSON) and the line and paragraph separators U+2028 and U+2029.
func appendPayload(dst []byte, p json.RawMessage) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '<' || c == '>' || c == '&':
			dst = append(dst, p[start:i]...)
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			start = i + 1
		case c == 0xE2 && i+2 < len(p) && p[i+1] == 0x80 && p[i+2]&^1 == 0xA8:
			dst = append(dst, p[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[p[i+2]&0xf])
			i += 2
			start = i + 1
		}
	}
	return append(dst, p[start:]...)
}

func appendPlain(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}
