package schema

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// parser is a single-pass JSON decoder into the generic form jsonschema
// validates (map[string]any, []any, json.Number, string, bool, nil).
//
// It exists because encoding/json cannot refuse duplicate object keys (two
// parsers that disagree on which duplicate wins are a known way to smuggle a
// value past a validator), cannot bound nesting depth below its own 10,000,
// and scans every document twice. It also remembers where the top-level
// "payload" member starts and ends, so the envelope's payload bytes are
// kept without a second encode.
type parser struct {
	data     []byte
	pos      int
	depth    int
	maxDepth int
	path     []seg

	payloadStart, payloadEnd int
	err                      *decodeError

	// intern holds strings the schemas name (property names, enum values);
	// a key or value found there is shared instead of allocated. Read only.
	intern map[string]string
}

// seg is one step of the path from the root, for error pointers.
type seg struct {
	key   string
	index int
	isKey bool
}

type decodeError struct {
	pointer string
	offset  int
	cause   error
	msg     string
}

func (p *parser) fail(cause error, msg string) {
	if p.err == nil {
		p.err = &decodeError{pointer: p.pointer(), offset: p.pos, cause: cause, msg: msg}
	}
}

func (p *parser) pointer() string {
	var b strings.Builder
	for _, s := range p.path {
		b.WriteByte('/')
		if s.isKey {
			b.WriteString(escapePointer(s.key))
		} else {
			b.WriteString(strconv.Itoa(s.index))
		}
	}
	return b.String()
}

// escapePointer escapes a reference token as RFC 6901 requires.
func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// parseDocument decodes data, which must hold exactly one JSON value.
func parseDocument(data []byte, maxDepth int, intern map[string]string) (any, *parser) {
	p := &parser{data: data, maxDepth: maxDepth, payloadStart: -1, intern: intern}
	p.skipSpace()
	v := p.value()
	if p.err != nil {
		return nil, p
	}
	p.skipSpace()
	if p.pos < len(p.data) {
		p.fail(ErrTrailingData, "data after the end of the JSON value")
		return nil, p
	}
	return v, p
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value() any {
	if p.pos >= len(p.data) {
		p.fail(ErrSyntax, "unexpected end of input")
		return nil
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, _ := p.str()
		return s
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", nil)
	default:
		p.fail(ErrSyntax, "invalid character "+strconv.QuoteRune(rune(c))+" looking for a value")
		return nil
	}
}

func (p *parser) literal(word string, v any) any {
	if len(p.data)-p.pos >= len(word) && string(p.data[p.pos:p.pos+len(word)]) == word {
		p.pos += len(word)
		return v
	}
	p.fail(ErrSyntax, "invalid literal, expected "+word)
	return nil
}

func (p *parser) enter() bool {
	p.depth++
	if p.depth > p.maxDepth {
		p.fail(ErrTooDeep, "nesting deeper than "+strconv.Itoa(p.maxDepth)+" levels")
		return false
	}
	return true
}

func (p *parser) object() any {
	if !p.enter() {
		return nil
	}
	p.pos++ // '{'
	m := make(map[string]any)
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		p.depth--
		return m
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			p.fail(ErrSyntax, "expected a string for an object key")
			return nil
		}
		keyStart := p.pos
		key, ok := p.str()
		if !ok {
			return nil
		}
		p.path = append(p.path, seg{key: key, isKey: true})
		if _, dup := m[key]; dup {
			p.pos = keyStart
			p.fail(ErrDuplicateKey, "duplicate object key "+strconv.Quote(key))
			return nil
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			p.fail(ErrSyntax, "expected ':' after object key")
			return nil
		}
		p.pos++
		p.skipSpace()
		start := p.pos
		v := p.value()
		if p.err != nil {
			return nil
		}
		if p.depth == 1 && key == "payload" {
			p.payloadStart, p.payloadEnd = start, p.pos
		}
		m[key] = v
		p.skipSpace()
		if p.pos >= len(p.data) {
			p.fail(ErrSyntax, "unexpected end of input in object")
			return nil
		}
		p.path = p.path[:len(p.path)-1]
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			return m
		default:
			p.path = append(p.path, seg{key: key, isKey: true})
			p.fail(ErrSyntax, "expected ',' or '}' after object member")
			return nil
		}
	}
}

func (p *parser) array() any {
	if !p.enter() {
		return nil
	}
	p.pos++ // '['
	a := make([]any, 0, 4)
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		p.depth--
		return a
	}
	for i := 0; ; i++ {
		p.path = append(p.path, seg{index: i})
		p.skipSpace()
		v := p.value()
		if p.err != nil {
			return nil
		}
		a = append(a, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			p.fail(ErrSyntax, "unexpected end of input in array")
			return nil
		}
		p.path = p.path[:len(p.path)-1]
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			return a
		default:
			p.path = append(p.path, seg{index: i})
			p.fail(ErrSyntax, "expected ',' or ']' after array element")
			return nil
		}
	}
}

// str decodes a string starting at the opening quote. Invalid UTF-8 and
// unpaired surrogate escapes are refused (RFC 7493, I-JSON), so every hop
// sees the same text and the canonical digest is well defined.
func (p *parser) str() (string, bool) {
	p.pos++ // opening quote
	start := p.pos
	ascii := true
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			raw := p.data[start:p.pos]
			p.pos++
			if !ascii && !utf8.Valid(raw) {
				p.pos = start
				p.fail(ErrSyntax, "invalid UTF-8 in string")
				return "", false
			}
			if s, ok := p.intern[string(raw)]; ok { // no allocation for the lookup
				return s, true
			}
			return string(raw), true
		case c == '\\':
			return p.strEscaped(start)
		case c < 0x20:
			p.fail(ErrSyntax, "control character in string")
			return "", false
		case c >= 0x80:
			ascii = false
		}
		p.pos++
	}
	p.fail(ErrSyntax, "unexpected end of input in string")
	return "", false
}

func (p *parser) strEscaped(start int) (string, bool) {
	buf := make([]byte, 0, p.pos-start+16)
	buf = append(buf, p.data[start:p.pos]...)
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			if !utf8.Valid(buf) {
				p.fail(ErrSyntax, "invalid UTF-8 in string")
				return "", false
			}
			return string(buf), true
		case c < 0x20:
			p.fail(ErrSyntax, "control character in string")
			return "", false
		case c != '\\':
			buf = append(buf, c)
			p.pos++
			continue
		}
		if p.pos+1 >= len(p.data) {
			break
		}
		e := p.data[p.pos+1]
		p.pos += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", false
			}
			if utf16.IsSurrogate(r) {
				if p.pos+1 >= len(p.data) || p.data[p.pos] != '\\' || p.data[p.pos+1] != 'u' {
					p.fail(ErrSyntax, "unpaired surrogate in string escape")
					return "", false
				}
				p.pos += 2
				r2, ok := p.hex4()
				if !ok {
					return "", false
				}
				r = utf16.DecodeRune(r, r2)
				if r == utf8.RuneError {
					p.fail(ErrSyntax, "unpaired surrogate in string escape")
					return "", false
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			p.pos -= 2
			p.fail(ErrSyntax, "invalid escape in string")
			return "", false
		}
	}
	p.fail(ErrSyntax, "unexpected end of input in string")
	return "", false
}

func (p *parser) hex4() (rune, bool) {
	if len(p.data)-p.pos < 4 {
		p.fail(ErrSyntax, "short unicode escape in string")
		return 0, false
	}
	var r rune
	for _, c := range p.data[p.pos : p.pos+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			p.fail(ErrSyntax, "invalid unicode escape in string")
			return 0, false
		}
	}
	p.pos += 4
	return r, true
}

// number checks the JSON number grammar and keeps the text as json.Number,
// so no precision is lost before the schema sees it.
func (p *parser) number() any {
	start := p.pos
	d := p.data
	if p.pos < len(d) && d[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(d) && d[p.pos] == '0':
		p.pos++
	case p.pos < len(d) && d[p.pos] >= '1' && d[p.pos] <= '9':
		for p.pos < len(d) && d[p.pos] >= '0' && d[p.pos] <= '9' {
			p.pos++
		}
	default:
		p.fail(ErrSyntax, "invalid number")
		return nil
	}
	if p.pos < len(d) && d[p.pos] == '.' {
		p.pos++
		if !p.digits() {
			return nil
		}
	}
	if p.pos < len(d) && (d[p.pos] == 'e' || d[p.pos] == 'E') {
		p.pos++
		if p.pos < len(d) && (d[p.pos] == '+' || d[p.pos] == '-') {
			p.pos++
		}
		if !p.digits() {
			return nil
		}
	}
	return json.Number(d[start:p.pos])
}

func (p *parser) digits() bool {
	start := p.pos
	for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
		p.pos++
	}
	if p.pos == start {
		p.fail(ErrSyntax, "invalid number")
		return false
	}
	return true
}
