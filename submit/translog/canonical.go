package translog

import (
	"bytes"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
)

// Canonical returns the RFC 8785 (JCS) canonical form of the JSON
// document b: the same bytes as jcs.Transform, found faster. Documents
// whose numbers are all integers of up to 15 digits, with no duplicate
// member names and valid UTF-8, take a fast path of one pass; any other
// document is handed to jcs.Transform, errors included. FuzzCanonicalJSON
// checks that both paths agree.
func Canonical(b []byte) ([]byte, error) {
	p := canonParser{in: b}
	out, ok := p.document()
	if !ok {
		return jcs.Transform(b)
	}
	return out, nil
}

type canonParser struct {
	in  []byte
	pos int
}

func (p *canonParser) document() ([]byte, bool) {
	out, ok := p.value(nil, 0)
	if !ok {
		return nil, false
	}
	p.space()
	return out, p.pos == len(p.in)
}

func (p *canonParser) space() {
	for p.pos < len(p.in) {
		switch p.in[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

const maxCanonDepth = 1000

func (p *canonParser) value(out []byte, depth int) ([]byte, bool) {
	p.space()
	if p.pos >= len(p.in) || depth > maxCanonDepth {
		return nil, false
	}
	switch c := p.in[p.pos]; {
	case c == '{':
		return p.object(out, depth)
	case c == '[':
		p.pos++
		out = append(out, '[')
		p.space()
		if p.pos < len(p.in) && p.in[p.pos] == ']' {
			p.pos++
			return append(out, ']'), true
		}
		for {
			var ok bool
			if out, ok = p.value(out, depth+1); !ok {
				return nil, false
			}
			p.space()
			if p.pos >= len(p.in) {
				return nil, false
			}
			switch p.in[p.pos] {
			case ',':
				p.pos++
				out = append(out, ',')
			case ']':
				p.pos++
				return append(out, ']'), true
			default:
				return nil, false
			}
		}
	case c == '"':
		s, ok := p.str()
		if !ok {
			return nil, false
		}
		return appendCanonString(out, s), true
	case c == 't':
		return p.literal(out, "true")
	case c == 'f':
		return p.literal(out, "false")
	case c == 'n':
		return p.literal(out, "null")
	default:
		return p.integer(out)
	}
}

func (p *canonParser) literal(out []byte, lit string) ([]byte, bool) {
	if !bytes.HasPrefix(p.in[p.pos:], []byte(lit)) {
		return nil, false
	}
	p.pos += len(lit)
	return append(out, lit...), true
}

// integer takes -?(0|[1-9][0-9]{0,14}) not followed by a fraction or an
// exponent; anything else leaves the fast path.
func (p *canonParser) integer(out []byte) ([]byte, bool) {
	start := p.pos
	neg := p.pos < len(p.in) && p.in[p.pos] == '-'
	if neg {
		p.pos++
	}
	digits := p.pos
	for p.pos < len(p.in) && '0' <= p.in[p.pos] && p.in[p.pos] <= '9' {
		p.pos++
	}
	n := p.pos - digits
	if n == 0 || n > 15 || (n > 1 && p.in[digits] == '0') {
		return nil, false
	}
	if p.pos < len(p.in) {
		switch p.in[p.pos] {
		case '.', 'e', 'E':
			return nil, false
		}
	}
	if neg && n == 1 && p.in[digits] == '0' {
		return append(out, '0'), true // -0 is 0
	}
	return append(out, p.in[start:p.pos]...), true
}

type canonMember struct {
	key string
	val []byte
}

func (p *canonParser) object(out []byte, depth int) ([]byte, bool) {
	p.pos++
	var ms []canonMember
	p.space()
	if p.pos < len(p.in) && p.in[p.pos] == '}' {
		p.pos++
		return append(out, '{', '}'), true
	}
	for {
		p.space()
		if p.pos >= len(p.in) || p.in[p.pos] != '"' {
			return nil, false
		}
		k, ok := p.str()
		if !ok {
			return nil, false
		}
		p.space()
		if p.pos >= len(p.in) || p.in[p.pos] != ':' {
			return nil, false
		}
		p.pos++
		v, ok := p.value(nil, depth+1)
		if !ok {
			return nil, false
		}
		ms = append(ms, canonMember{k, v})
		p.space()
		if p.pos >= len(p.in) {
			return nil, false
		}
		if p.in[p.pos] == '}' {
			p.pos++
			break
		}
		if p.in[p.pos] != ',' {
			return nil, false
		}
		p.pos++
	}
	slices.SortFunc(ms, func(a, b canonMember) int { return compareUTF16(a.key, b.key) })
	out = append(out, '{')
	for i, m := range ms {
		if i > 0 {
			if ms[i-1].key == m.key {
				return nil, false // duplicate names: leave them to jcs
			}
			out = append(out, ',')
		}
		out = appendCanonString(out, m.key)
		out = append(out, ':')
		out = append(out, m.val...)
	}
	return append(out, '}'), true
}

// compareUTF16 orders strings by their UTF-16 code units, as JCS sorts
// member names.
func compareUTF16(a, b string) int {
	ascii := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] >= utf8.RuneSelf {
				return false
			}
		}
		return true
	}
	if ascii(a) && ascii(b) {
		return bytes.Compare([]byte(a), []byte(b))
	}
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
}

// str reads a JSON string at p.pos and returns its value; invalid UTF-8,
// lone surrogates and bad escapes leave the fast path.
func (p *canonParser) str() (string, bool) {
	p.pos++ // opening quote
	start := p.pos
	// Fast scan: no escapes, all ASCII printable.
	for p.pos < len(p.in) {
		c := p.in[p.pos]
		if c == '"' {
			s := string(p.in[start:p.pos])
			p.pos++
			return s, true
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		p.pos++
	}
	buf := append([]byte(nil), p.in[start:p.pos]...)
	for p.pos < len(p.in) {
		c := p.in[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(buf), true
		case c < 0x20:
			return "", false
		case c == '\\':
			if p.pos+1 >= len(p.in) {
				return "", false
			}
			e := p.in[p.pos+1]
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
					if !bytes.HasPrefix(p.in[p.pos:], []byte(`\u`)) {
						return "", false
					}
					p.pos += 2
					r2, ok := p.hex4()
					if !ok {
						return "", false
					}
					r = utf16.DecodeRune(r, r2)
					if r == utf8.RuneError {
						return "", false
					}
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", false
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			p.pos++
		default:
			r, n := utf8.DecodeRune(p.in[p.pos:])
			if r == utf8.RuneError && n <= 1 {
				return "", false
			}
			buf = append(buf, p.in[p.pos:p.pos+n]...)
			p.pos += n
		}
	}
	return "", false
}

func (p *canonParser) hex4() (rune, bool) {
	if p.pos+4 > len(p.in) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.in[p.pos:p.pos+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.pos += 4
	return rune(v), true
}

// appendCanonString writes s as JCS does: only '"', '\\' and control
// characters escaped, the short forms where JSON has them.
func appendCanonString(out []byte, s string) []byte {
	const hex = "0123456789abcdef"
	out = append(out, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			out = append(out, '\\', c)
		case c >= 0x20:
			out = append(out, c)
		case c == '\b':
			out = append(out, '\\', 'b')
		case c == '\f':
			out = append(out, '\\', 'f')
		case c == '\n':
			out = append(out, '\\', 'n')
		case c == '\r':
			out = append(out, '\\', 'r')
		case c == '\t':
			out = append(out, '\\', 't')
		default:
			out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
	}
	return append(out, '"')
}
