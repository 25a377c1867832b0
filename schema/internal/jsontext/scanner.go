package jsontext

import (
	"encoding/binary"
	"math"
	"unicode/utf16"
	"unicode/utf8"
)

// Scanner reads JSON text from Data, starting at Pos. Its methods never
// allocate; a method that reads a token moves Pos past it when it
// returns true.
type Scanner struct {
	// Data is the text read.
	Data []byte
	// Pos is the offset of the next byte to read.
	Pos int
	// Depth is the current nesting of objects and arrays.
	Depth int
	// MaxDepth bounds Depth (see Enter).
	MaxDepth int
}

// Space skips white space.
func (s *Scanner) Space() {
	for s.Pos < len(s.Data) {
		switch s.Data[s.Pos] {
		case ' ', '\t', '\n', '\r':
			s.Pos++
		default:
			return
		}
	}
}

// Next skips white space and tells whether the next byte is c, consuming
// it if so.
func (s *Scanner) Next(c byte) bool {
	s.Space()
	if s.Pos < len(s.Data) && s.Data[s.Pos] == c {
		s.Pos++
		return true
	}
	return false
}

// Enter counts one more level of nesting and tells whether it is within
// MaxDepth.
func (s *Scanner) Enter() bool {
	s.Depth++
	return s.Depth <= s.MaxDepth
}

// Str reads a string without escapes or control characters and with
// valid UTF-8, after white space, and returns the bytes between its
// quotes; false for anything else (a string with escapes included).
func (s *Scanner) Str() ([]byte, bool) {
	s.Space()
	raw, escaped, ok := s.String()
	return raw, ok && !escaped
}

// String reads the string at Pos (no white space before it): it returns
// the bytes between the quotes and whether they hold escapes. It checks
// everything Unescape would: valid escapes, paired surrogates, valid
// UTF-8, no control characters.
func (s *Scanner) String() (raw []byte, escaped, ok bool) {
	if s.Pos >= len(s.Data) || s.Data[s.Pos] != '"' {
		return nil, false, false
	}
	start := s.Pos + 1
	ascii := true
	for i := start; i < len(s.Data); i++ {
		// Eight bytes at a time while none of them needs a look.
		for i+8 <= len(s.Data) && plain8(binary.LittleEndian.Uint64(s.Data[i:])) {
			i += 8
		}
		if i >= len(s.Data) {
			break
		}
		switch c := s.Data[i]; {
		case c == '"':
			raw = s.Data[start:i]
			if !ascii && !utf8.Valid(raw) {
				return nil, false, false
			}
			if escaped && !validEscapes(raw) {
				return nil, false, false
			}
			s.Pos = i + 1
			return raw, escaped, true
		case c == '\\':
			escaped = true
			i++ // the escaped byte is never the closing quote
			if i < len(s.Data) && s.Data[i] < 0x20 {
				return nil, false, false
			}
		case c < 0x20:
			return nil, false, false
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, false, false
}

// plain8 tells whether none of the eight bytes of x (read little
// endian) is '"', '\\', a control character or a byte of 0x80 or above:
// bytes String passes over without a look. It may answer false for
// bytes that are plain (never true for one that is not).
func plain8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// With every byte of v below 0x80, (v - n in each byte) &^ v has a
	// high bit set if and only if some byte of v is below n (n <= 0x80);
	// a byte of x at 0x80 or above sets its high bit whatever the rest.
	// Written flat so that the compiler inlines it into String.
	quote, slash := x^(ones*'"'), x^(ones*'\\')
	return (x|(x-ones*0x20)&^x|(quote-ones)&^quote|(slash-ones)&^slash)&highs == 0
}

// validEscapes tells whether Unescape accepts raw.
func validEscapes(raw []byte) bool {
	_, ok := Unescape(nil, raw)
	return ok
}

// Literal reads true or false at Pos.
func (s *Scanner) Literal() (v, ok bool) {
	d := s.Data[s.Pos:]
	switch {
	case len(d) >= 4 && string(d[:4]) == "true":
		s.Pos += 4
		return true, true
	case len(d) >= 5 && string(d[:5]) == "false":
		s.Pos += 5
		return false, true
	}
	return false, false
}

// Null reads null at Pos.
func (s *Scanner) Null() bool {
	if d := s.Data[s.Pos:]; len(d) >= 4 && string(d[:4]) == "null" {
		s.Pos += 4
		return true
	}
	return false
}

// Number reads a JSON number at Pos and returns its text, and whether it
// is written as an integer (no fraction, no exponent).
func (s *Scanner) Number() (lit []byte, isInt, ok bool) {
	start := s.Pos
	if s.Pos < len(s.Data) && s.Data[s.Pos] == '-' {
		s.Pos++
	}
	switch {
	case s.Pos < len(s.Data) && s.Data[s.Pos] == '0':
		s.Pos++ // a leading zero is the whole integer part: "01" is 0, then 1
	case !s.Digits():
		s.Pos = start
		return nil, false, false
	}
	isInt = true
	if s.Pos < len(s.Data) && s.Data[s.Pos] == '.' {
		s.Pos++
		if !s.Digits() {
			s.Pos = start
			return nil, false, false
		}
		isInt = false
	}
	if s.Pos < len(s.Data) && (s.Data[s.Pos] == 'e' || s.Data[s.Pos] == 'E') {
		s.Pos++
		if s.Pos < len(s.Data) && (s.Data[s.Pos] == '+' || s.Data[s.Pos] == '-') {
			s.Pos++
		}
		if !s.Digits() {
			s.Pos = start
			return nil, false, false
		}
		isInt = false
	}
	return s.Data[start:s.Pos], isInt, true
}

// Digits skips decimal digits and tells whether there was at least one.
func (s *Scanner) Digits() bool {
	start := s.Pos
	for s.Pos < len(s.Data) && s.Data[s.Pos] >= '0' && s.Data[s.Pos] <= '9' {
		s.Pos++
	}
	return s.Pos > start
}

// PlainInt is lit, an integer Number read, as an int64; false past what
// it reads without overflow.
func PlainInt(lit []byte) (int64, bool) {
	neg := len(lit) > 0 && lit[0] == '-'
	if neg {
		lit = lit[1:]
	}
	if len(lit) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range lit {
		if c < '0' || c > '9' || n > (math.MaxInt64-9)/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// StringError says why String refuses the string at Pos: the offset of
// the fault and what it is, in words an error message can carry.
func (s *Scanner) StringError() (offset int, msg string) {
	start := s.Pos + 1
	ascii := true
	for i := start; i < len(s.Data); i++ {
		switch c := s.Data[i]; {
		case c == '"':
			if !ascii && !utf8.Valid(s.Data[start:i]) {
				return start, "invalid UTF-8 in string"
			}
			return i, "invalid string"
		case c < 0x20:
			return i, "control character in string"
		case c >= 0x80:
			ascii = false
		case c == '\\':
			if i+1 >= len(s.Data) {
				return len(s.Data), "unexpected end of input in string"
			}
			switch s.Data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				r, ok := Hex4(s.Data[i+2:])
				if !ok {
					if len(s.Data)-(i+2) < 4 {
						return i + 2, "short unicode escape in string"
					}
					return i + 2, "invalid unicode escape in string"
				}
				i += 5
				if utf16.IsSurrogate(r) {
					next := i + 1
					if next+1 >= len(s.Data) || s.Data[next] != '\\' || s.Data[next+1] != 'u' {
						return next, "unpaired surrogate in string escape"
					}
					r2, ok := Hex4(s.Data[next+2:])
					if !ok {
						if len(s.Data)-(next+2) < 4 {
							return next + 2, "short unicode escape in string"
						}
						return next + 2, "invalid unicode escape in string"
					}
					if utf16.DecodeRune(r, r2) == utf8.RuneError {
						return next + 6, "unpaired surrogate in string escape"
					}
					i = next + 5
				}
			default:
				return i, "invalid escape in string"
			}
		}
	}
	return len(s.Data), "unexpected end of input in string"
}

// Valid tells whether data is exactly one JSON value, in the lexer's
// strict reading (no duplicate-key check: that is the tape's), within
// maxDepth levels of nesting.
func Valid(data []byte, maxDepth int) bool {
	s := Scanner{Data: data, MaxDepth: maxDepth}
	s.Space()
	if !s.skip() {
		return false
	}
	s.Space()
	return s.Pos == len(data)
}

// skip reads one value at Pos.
func (s *Scanner) skip() bool {
	if s.Pos >= len(s.Data) {
		return false
	}
	switch c := s.Data[s.Pos]; {
	case c == '{' || c == '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		if !s.Enter() {
			return false
		}
		s.Pos++
		if !s.Next(end) {
			for {
				s.Space()
				if c == '{' {
					if _, _, ok := s.String(); !ok || !s.Next(':') {
						return false
					}
					s.Space()
				}
				if !s.skip() {
					return false
				}
				if s.Next(end) {
					break
				}
				if !s.Next(',') {
					return false
				}
			}
		}
		s.Depth--
		return true
	case c == '"':
		_, _, ok := s.String()
		return ok
	case c == '-' || c >= '0' && c <= '9':
		_, _, ok := s.Number()
		return ok
	case c == 't' || c == 'f':
		_, ok := s.Literal()
		return ok
	case c == 'n':
		return s.Null()
	}
	return false
}
