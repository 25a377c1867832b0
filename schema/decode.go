package schema

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/sicollab/sicollab/schema/internal/jsontext"
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
	jsontext.Scanner // the lexer every reader of JSON text here shares
	path             []seg

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
		p.err = &decodeError{pointer: p.pointer(), offset: p.Pos, cause: cause, msg: msg}
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
	p := &parser{Scanner: jsontext.Scanner{Data: data, MaxDepth: maxDepth}, payloadStart: -1, intern: intern}
	p.Space()
	v := p.value()
	if p.err != nil {
		return nil, p
	}
	p.Space()
	if p.Pos < len(p.Data) {
		p.fail(ErrTrailingData, "data after the end of the JSON value")
		return nil, p
	}
	return v, p
}

func (p *parser) value() any {
	if p.Pos >= len(p.Data) {
		p.fail(ErrSyntax, "unexpected end of input")
		return nil
	}
	switch c := p.Data[p.Pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, _ := p.str()
		return s
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't' || c == 'f':
		if v, ok := p.Literal(); ok {
			return v
		}
		p.fail(ErrSyntax, "invalid literal, expected "+map[byte]string{'t': "true", 'f': "false"}[c])
		return nil
	case c == 'n':
		if !p.Null() {
			p.fail(ErrSyntax, "invalid literal, expected null")
		}
		return nil
	default:
		p.fail(ErrSyntax, "invalid character "+strconv.QuoteRune(rune(c))+" looking for a value")
		return nil
	}
}

func (p *parser) enter() bool {
	if !p.Enter() {
		p.fail(ErrTooDeep, "nesting deeper than "+strconv.Itoa(p.MaxDepth)+" levels")
		return false
	}
	return true
}

func (p *parser) object() any {
	if !p.enter() {
		return nil
	}
	p.Pos++ // '{'
	m := make(map[string]any)
	p.Space()
	if p.Pos < len(p.Data) && p.Data[p.Pos] == '}' {
		p.Pos++
		p.Depth--
		return m
	}
	for {
		p.Space()
		if p.Pos >= len(p.Data) || p.Data[p.Pos] != '"' {
			p.fail(ErrSyntax, "expected a string for an object key")
			return nil
		}
		keyStart := p.Pos
		key, ok := p.str()
		if !ok {
			return nil
		}
		p.path = append(p.path, seg{key: key, isKey: true})
		if _, dup := m[key]; dup {
			p.Pos = keyStart
			p.fail(ErrDuplicateKey, "duplicate object key "+strconv.Quote(key))
			return nil
		}
		p.Space()
		if p.Pos >= len(p.Data) || p.Data[p.Pos] != ':' {
			p.fail(ErrSyntax, "expected ':' after object key")
			return nil
		}
		p.Pos++
		p.Space()
		start := p.Pos
		v := p.value()
		if p.err != nil {
			return nil
		}
		if p.Depth == 1 && key == "payload" {
			p.payloadStart, p.payloadEnd = start, p.Pos
		}
		m[key] = v
		p.Space()
		if p.Pos >= len(p.Data) {
			p.fail(ErrSyntax, "unexpected end of input in object")
			return nil
		}
		p.path = p.path[:len(p.path)-1]
		switch p.Data[p.Pos] {
		case ',':
			p.Pos++
		case '}':
			p.Pos++
			p.Depth--
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
	p.Pos++ // '['
	a := make([]any, 0, 4)
	p.Space()
	if p.Pos < len(p.Data) && p.Data[p.Pos] == ']' {
		p.Pos++
		p.Depth--
		return a
	}
	for i := 0; ; i++ {
		p.path = append(p.path, seg{index: i})
		p.Space()
		v := p.value()
		if p.err != nil {
			return nil
		}
		a = append(a, v)
		p.Space()
		if p.Pos >= len(p.Data) {
			p.fail(ErrSyntax, "unexpected end of input in array")
			return nil
		}
		p.path = p.path[:len(p.path)-1]
		switch p.Data[p.Pos] {
		case ',':
			p.Pos++
		case ']':
			p.Pos++
			p.Depth--
			return a
		default:
			p.path = append(p.path, seg{index: i})
			p.fail(ErrSyntax, "expected ',' or ']' after array element")
			return nil
		}
	}
}

// str decodes a string starting at the opening quote. Invalid UTF-8 and
// unpaired surrogate escapes are refused (RFC 7493, I-JSON), so every
// hop sees the same text and the canonical digest is well defined.
func (p *parser) str() (string, bool) {
	raw, escaped, ok := p.String()
	if !ok {
		off, msg := p.StringError()
		p.Pos = off
		p.fail(ErrSyntax, msg)
		return "", false
	}
	if escaped {
		b, _ := jsontext.Unescape(make([]byte, 0, len(raw)), raw) // String checked it
		return string(b), true
	}
	if s, ok := p.intern[string(raw)]; ok { // no allocation for the lookup
		return s, true
	}
	return string(raw), true
}

// number checks the JSON number grammar and keeps the text as json.Number,
// so no precision is lost before the schema sees it.
func (p *parser) number() any {
	lit, _, ok := p.Number()
	if !ok {
		p.fail(ErrSyntax, "invalid number")
		return nil
	}
	return json.Number(lit)
}
