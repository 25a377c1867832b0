package schema

import (
	"bytes"
	"encoding/json"
	"slices"
	"unicode/utf8"
)

// appendCanonical appends the RFC 8785 canonical form of the JSON value
// at the start of src to dst, for the common case of the payloads this
// package defines: object keys in ASCII, integers of at most 15 digits.
// It returns the rest of src after the value, and ok false for anything
// else (a fraction or exponent, a non-ASCII key, a syntax error), when
// the caller falls back to the general transform. What it accepts it
// writes exactly as the general transform does (FuzzCanonical checks).
func appendCanonical(dst, src []byte, depth int) (out, rest []byte, ok bool) {
	var c canonicalizer
	return c.value(dst, src, depth)
}

// canonicalizer holds the members of the objects being written, for all
// nesting levels at once, so that an object costs no allocation of its
// own once the stack has grown.
type canonicalizer struct {
	ms []member
}

func (cz *canonicalizer) value(dst, src []byte, depth int) (out, rest []byte, ok bool) {
	src = skipWS(src)
	if len(src) == 0 || depth > 64 {
		return dst, src, false
	}
	switch c := src[0]; {
	case c == '{':
		return cz.object(dst, src[1:], depth)
	case c == '[':
		src = skipWS(src[1:])
		dst = append(dst, '[')
		if len(src) > 0 && src[0] == ']' {
			return append(dst, ']'), src[1:], true
		}
		for first := true; ; first = false {
			if !first {
				dst = append(dst, ',')
			}
			if dst, src, ok = cz.value(dst, src, depth+1); !ok {
				return dst, src, false
			}
			src = skipWS(src)
			if len(src) == 0 {
				return dst, src, false
			}
			if src[0] == ']' {
				return append(dst, ']'), src[1:], true
			}
			if src[0] != ',' {
				return dst, src, false
			}
			src = src[1:]
		}
	case c == '"':
		s, rest, ok := scanString(src)
		if !ok {
			return dst, src, false
		}
		if dst, ok = appendCanonicalString(dst, s); !ok {
			return dst, src, false
		}
		return dst, rest, true
	case c == '-' || c >= '0' && c <= '9':
		n := 0
		if c == '-' {
			n = 1
		}
		start := n
		for n < len(src) && src[n] >= '0' && src[n] <= '9' {
			n++
		}
		digits := n - start
		if digits == 0 || digits > 15 || digits > 1 && src[start] == '0' {
			return dst, src, false
		}
		if n < len(src) && (src[n] == '.' || src[n] == 'e' || src[n] == 'E') {
			return dst, src, false
		}
		if c == '-' && digits == 1 && src[1] == '0' {
			return dst, src, false // -0: the general transform decides
		}
		return append(dst, src[:n]...), src[n:], true
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(src, []byte(lit)) {
				return append(dst, lit...), src[len(lit):], true
			}
		}
		return dst, src, false
	}
}

// member is one key and where its canonical value is in dst.
type member struct {
	key        []byte // the raw key, between its quotes (ASCII, no escapes)
	start, end int    // the value, in the dst being written
}

// object writes the members' values to dst as they come, then the object
// itself, sorted, after them, and moves it back over them.
func (cz *canonicalizer) object(dst, src []byte, depth int) (out, rest []byte, ok bool) {
	src = skipWS(src)
	if len(src) > 0 && src[0] == '}' {
		return append(dst, "{}"...), src[1:], true
	}
	base, first := len(dst), len(cz.ms)
	defer func() { cz.ms = cz.ms[:first] }()
	for {
		src = skipWS(src)
		if len(src) == 0 || src[0] != '"' {
			return dst, src, false
		}
		key, r, ok := scanString(src)
		if !ok || bytes.IndexByte(key, '\\') >= 0 || !asciiOnly(key) {
			return dst, src, false
		}
		src = skipWS(r)
		if len(src) == 0 || src[0] != ':' {
			return dst, src, false
		}
		start := len(dst)
		if dst, src, ok = cz.value(dst, src[1:], depth+1); !ok {
			return dst, src, false
		}
		cz.ms = append(cz.ms, member{key: key, start: start, end: len(dst)})
		src = skipWS(src)
		if len(src) == 0 {
			return dst, src, false
		}
		if src[0] == '}' {
			src = src[1:]
			break
		}
		if src[0] != ',' {
			return dst, src, false
		}
		src = src[1:]
	}
	ms := cz.ms[first:]
	// ASCII keys: UTF-16 code unit order is byte order.
	slices.SortFunc(ms, func(a, b member) int { return bytes.Compare(a.key, b.key) })
	objStart := len(dst)
	dst = append(dst, '{')
	for i, m := range ms {
		if i > 0 {
			if bytes.Equal(m.key, ms[i-1].key) {
				return dst, src, false // a duplicate key: the general transform decides
			}
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, m.key...)
		dst = append(dst, '"', ':')
		dst = append(dst, dst[m.start:m.end]...)
	}
	dst = append(dst, '}')
	n := copy(dst[base:], dst[objStart:])
	return dst[:base+n], src, true
}

// scanString returns the raw contents of the string at the start of src
// (without its quotes, escapes left as they are) and the rest.
func scanString(src []byte) (s, rest []byte, ok bool) {
	for i := 1; i < len(src); i++ {
		switch src[i] {
		case '"':
			return src[1:i], src[i+1:], true
		case '\\':
			i++
		default:
			if src[i] < 0x20 {
				return nil, src, false
			}
		}
	}
	return nil, src, false
}

// appendCanonicalString writes the string whose raw contents are raw as
// RFC 8785 does: only '"', '\\' and control characters escaped, the
// short forms where they exist. It declines (ok false) invalid UTF-8
// and \u escapes of surrogates, which the general transform handles.
func appendCanonicalString(dst, raw []byte) (out []byte, ok bool) {
	if !utf8.Valid(raw) || surrogateEscape(raw) {
		return dst, false
	}
	dst = append(dst, '"')
	if bytes.IndexByte(raw, '\\') < 0 {
		dst = append(dst, raw...) // nothing to unescape, and no '"' or control character in it
		return append(dst, '"'), true
	}
	var s string
	q := make([]byte, 0, len(raw)+2)
	q = append(append(append(q, '"'), raw...), '"')
	if json.Unmarshal(q, &s) != nil {
		return dst, false
	}
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			if c < 0x20 {
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			} else {
				dst = append(dst, c)
			}
		}
	}
	return append(dst, '"'), true
}

// surrogateEscape reports whether raw holds a \u escape of a UTF-16
// surrogate (D800-DFFF), or one that is cut short.
func surrogateEscape(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++
		if i < len(raw) && raw[i] == 'u' {
			if i+4 >= len(raw) {
				return true
			}
			h := bytes.ToLower(raw[i+1 : i+3])
			if h[0] == 'd' && h[1] >= '8' {
				return true
			}
			i += 4
		}
	}
	return false
}

func skipWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

func asciiOnly(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
