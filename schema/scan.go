package schema

import (
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Checking a payload without parsing it.
//
// Where a kind's whole schema is a simple leaf (see leaves.go), a payload
// can be checked straight from its bytes, in one pass that builds nothing:
// no map per object, no string per value. Like the leaf check, the scan
// only decides that a payload passes. It says no to anything it is not
// sure of: text the parser would refuse (duplicate keys, invalid UTF-8,
// control characters, nesting past the limit, trailing data), but also
// escapes in strings, an "identity" member, numbers other than plain
// integers, formats it does not know and objects the schema leaves open.
// A payload it says no to is parsed and validated in full, which reports
// every violation. FuzzScan checks that what it passes, the
// parser and the schemas as written pass too.

// scanner reads one JSON document.
type scanner struct {
	data     []byte
	pos      int
	depth    int
	maxDepth int
}

// scanDocument tells whether data, a whole document, certainly passes l
// within maxDepth levels of nesting.
func (l *leaf) scanDocument(data []byte, maxDepth int) bool {
	s := scanner{data: data, maxDepth: maxDepth}
	s.space()
	if !l.scan(&s) {
		return false
	}
	s.space()
	return s.pos == len(s.data)
}

func (s *scanner) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// next skips white space and tells whether the next byte is c, consuming
// it if so.
func (s *scanner) next(c byte) bool {
	s.space()
	if s.pos < len(s.data) && s.data[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

func (s *scanner) enter() bool {
	s.depth++
	return s.depth <= s.maxDepth
}

// str reads a string without escapes or control characters and with valid
// UTF-8, and returns its bytes.
func (s *scanner) str() ([]byte, bool) {
	s.space()
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		return nil, false
	}
	start := s.pos + 1
	ascii := true
	for i := start; i < len(s.data); i++ {
		switch c := s.data[i]; {
		case c == '"':
			s.pos = i + 1
			raw := s.data[start:i]
			return raw, ascii || utf8.Valid(raw)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, false
}

// scan reads one value at s and tells whether it certainly passes l.
func (l *leaf) scan(s *scanner) bool {
	switch {
	case l.object:
		return l.scanObject(s)
	case l.array:
		return l.scanArray(s)
	case l.integer:
		return l.scanInteger(s)
	}
	s.space()
	if s.pos < len(s.data) && s.data[s.pos] != '"' {
		if l.typ != "boolean" {
			return false // a string leaf, or one for any type: ask the schema
		}
		_, ok := s.literal()
		return ok
	}
	b, ok := s.str()
	if !ok || l.typ == "boolean" {
		return false
	}
	return l.stringOK(b)
}

// stringOK applies the string keywords of l to b, as ok does.
func (l *leaf) stringOK(b []byte) bool {
	if l.constant != nil && string(b) != *l.constant {
		return false
	}
	if l.enum != nil && !slices.Contains(l.enum, string(b)) {
		return false
	}
	if l.minLen >= 0 || l.maxLen >= 0 {
		n := utf8.RuneCount(b)
		if l.minLen >= 0 && n < l.minLen || l.maxLen >= 0 && n > l.maxLen {
			return false
		}
	}
	switch l.formatName {
	case "":
	case "date-time":
		if !isUTCDateTime(b) {
			return false
		}
	case "date":
		if len(b) != 10 || !isDateBytes(b) {
			return false
		}
	case "uuid":
		if !isUUIDBytes(b) {
			return false
		}
	default:
		if !l.format(string(b)) {
			return false
		}
	}
	return l.pattern == nil || l.pattern.Match(b)
}

func (l *leaf) scanInteger(s *scanner) bool {
	s.space()
	lit, isInt, ok := s.number()
	if !ok || !isInt {
		return false
	}
	i, ok := plainInt(lit)
	return ok && (l.min == nil || i >= *l.min) && (l.max == nil || i <= *l.max)
}

// literal reads true or false.
func (s *scanner) literal() (v, ok bool) {
	for _, b := range []bool{true, false} {
		word := strconv.FormatBool(b)
		if len(s.data)-s.pos >= len(word) && string(s.data[s.pos:s.pos+len(word)]) == word {
			s.pos += len(word)
			return b, true
		}
	}
	return false, false
}

// number reads a JSON number and returns its text, and whether it is
// written as an integer (no fraction, no exponent).
func (s *scanner) number() (lit []byte, isInt, ok bool) {
	start := s.pos
	if s.pos < len(s.data) && s.data[s.pos] == '-' {
		s.pos++
	}
	digits := s.pos
	s.digits()
	if s.pos == digits || s.pos-digits > 1 && s.data[digits] == '0' { // no digits, or a leading zero
		return nil, false, false
	}
	isInt = true
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		if !s.digits() {
			return nil, false, false
		}
		isInt = false
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if !s.digits() {
			return nil, false, false
		}
		isInt = false
	}
	return s.data[start:s.pos], isInt, true
}

func (s *scanner) digits() bool {
	start := s.pos
	for s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
		s.pos++
	}
	return s.pos > start
}

// plainInt is lit, an integer number() read, as an int64; false past
// what it reads without overflow (the caller then asks the slow path).
func plainInt(lit []byte) (int64, bool) {
	neg := len(lit) > 0 && lit[0] == '-'
	if neg {
		lit = lit[1:]
	}
	var n int64
	for _, c := range lit {
		if n > (math.MaxInt64-9)/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func (l *leaf) scanArray(s *scanner) bool {
	if l.unique && l.items.integer {
		return false // -0 and 0 are one number; leave that to the schema
	}
	if !s.next('[') || !s.enter() {
		return false
	}
	// Items of a unique array are strings without escapes or literals,
	// so two are equal values exactly when their bytes are equal.
	var spans [16][2]int
	items := spans[:0]
	if !s.next(']') {
		for {
			s.space()
			start := s.pos
			if !l.items.scan(s) {
				return false
			}
			if l.unique {
				item := s.data[start:s.pos]
				for _, sp := range items {
					if string(s.data[sp[0]:sp[1]]) == string(item) {
						return false
					}
				}
			}
			items = append(items, [2]int{start, s.pos})
			if s.next(']') {
				break
			}
			if !s.next(',') {
				return false
			}
		}
	}
	s.depth--
	n := len(items)
	return (l.minItems < 0 || n >= l.minItems) && (l.maxItems < 0 || n <= l.maxItems)
}

func (l *leaf) scanObject(s *scanner) bool {
	if !l.closed || l.scanIndex == nil || !s.next('{') || !s.enter() {
		return false
	}
	var have uint64
	if !s.next('}') {
		for {
			key, ok := s.str()
			if !ok {
				return false
			}
			i, known := l.scanIndex[string(key)]
			if !known || have&(1<<i) != 0 || string(key) == "identity" {
				// Unknown in a closed object, a duplicate, or a clear
				// identity, which the handling label may forbid.
				return false
			}
			have |= 1 << i
			if !s.next(':') || !l.scanProps[i].scan(s) {
				return false
			}
			if s.next('}') {
				break
			}
			if !s.next(',') {
				return false
			}
		}
	}
	s.depth--
	if have&l.requiredMask != l.requiredMask {
		return false
	}
	if l.anyOf == nil {
		return true
	}
	for _, set := range l.anyMasks {
		if set != 0 && have&set == set {
			return true
		}
	}
	return false
}

// prepareScan fills the tables scanObject reads. An object gets none (and
// is never passed by the scan) when it is open, has more than 64
// properties or requires a property it does not list.
func (l *leaf) prepareScan() {
	if !l.object || !l.closed || len(l.props) > 64 {
		return
	}
	names := make([]string, 0, len(l.props))
	for name := range l.props {
		names = append(names, name)
	}
	slices.Sort(names)
	index := make(map[string]int, len(names))
	for i, name := range names {
		index[name] = i
		l.scanProps = append(l.scanProps, l.props[name])
	}
	for _, r := range l.required {
		i, ok := index[r]
		if !ok {
			return
		}
		l.requiredMask |= 1 << i
	}
	for _, set := range l.anyOf {
		var m uint64
		for _, name := range set {
			i, ok := index[name]
			if !ok {
				m = 0 // a name it cannot hold: this set is never met
				break
			}
			m |= 1 << i
		}
		l.anyMasks = append(l.anyMasks, m)
	}
	l.scanIndex = index
}

// isUTCDateTime accepts the date-times records use, a subset of RFC 3339
// that the date-time format accepts: "YYYY-MM-DDTHH:MM:SS", an optional
// fraction, and "Z". Anything else (offsets, leap seconds, a lower-case t)
// is left to the format itself.
func isUTCDateTime(b []byte) bool {
	if len(b) < 20 || b[10] != 'T' || b[len(b)-1] != 'Z' || !isDateBytes(b[:10]) {
		return false
	}
	t := b[11 : len(b)-1]
	if len(t) < 8 || t[2] != ':' || t[5] != ':' {
		return false
	}
	h, okh := twoDigits(t[0:2])
	m, okm := twoDigits(t[3:5])
	sec, oks := twoDigits(t[6:8])
	if !okh || !okm || !oks || h > 23 || m > 59 || sec > 59 {
		return false
	}
	if frac := t[8:]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 {
			return false
		}
		for _, c := range frac[1:] {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}

// isDateBytes accepts "YYYY-MM-DD" for a day that exists, year 0001 on.
func isDateBytes(b []byte) bool {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return false
	}
	hi, ok1 := twoDigits(b[0:2])
	lo, ok2 := twoDigits(b[2:4])
	month, ok3 := twoDigits(b[5:7])
	day, ok4 := twoDigits(b[8:10])
	year := hi*100 + lo
	if !ok1 || !ok2 || !ok3 || !ok4 || year < 1 || month < 1 || month > 12 || day < 1 {
		return false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 29
	}
	return day <= days
}

func twoDigits(b []byte) (int, bool) {
	if b[0] < '0' || b[0] > '9' || b[1] < '0' || b[1] > '9' {
		return 0, false
	}
	return int(b[0]-'0')*10 + int(b[1]-'0'), true
}

// isUUIDBytes accepts 8-4-4-4-12 hex digits, as the uuid format does.
func isUUIDBytes(b []byte) bool {
	if len(b) != 36 {
		return false
	}
	for i, c := range b {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
