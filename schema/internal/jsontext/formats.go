package jsontext

import "time"

// Format checks, each written once, for strings and bytes alike.

// Text is what the format checks read: a string, or its bytes.
type Text interface{ ~string | ~[]byte }

// DateTime accepts the date-times records use, a subset of RFC 3339
// that the date-time format accepts: "YYYY-MM-DDTHH:MM:SS", an optional
// fraction, and "Z". Anything else (offsets, leap seconds, a lower-case
// t) it refuses, and a caller that must decide those asks the format
// itself.
func DateTime[T Text](b T) bool {
	if len(b) < 20 || b[10] != 'T' || b[len(b)-1] != 'Z' || !Date(b[:10]) {
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
		for i := 1; i < len(frac); i++ {
			if c := frac[i]; c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}

// UTCTime accepts what the utc_time definition of the common schema
// does, for a real date and time: YYYY-MM-DDTHH:MM:SS, a fraction of
// 1-9 digits not ending in 0, and Z, that time.Parse reads as RFC 3339.
func UTCTime[T Text](s T) bool {
	_, ok := ParseUTC(s)
	return ok
}

// ParseUTC reads a time UTCTime accepts, to the time time.Parse with
// time.RFC3339Nano returns for it; false for anything else.
func ParseUTC[T Text](s T) (time.Time, bool) {
	if len(s) < 20 || len(s) > 30 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[len(s)-1] != 'Z' {
		return time.Time{}, false
	}
	var n [14]int
	for j, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18} {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, false
		}
		n[j] = int(s[i] - '0')
	}
	year := n[0]*1000 + n[1]*100 + n[2]*10 + n[3]
	month, day := n[4]*10+n[5], n[6]*10+n[7]
	hour, minute, sec := n[8]*10+n[9], n[10]*10+n[11], n[12]*10+n[13]
	nanos := 0
	if len(s) > 20 {
		frac := s[19 : len(s)-1]
		if len(frac) < 2 || frac[0] != '.' || frac[len(frac)-1] == '0' {
			return time.Time{}, false
		}
		scale := 100000000
		for i := 1; i < len(frac); i++ {
			if frac[i] < '0' || frac[i] > '9' {
				return time.Time{}, false
			}
			nanos += int(frac[i]-'0') * scale
			scale /= 10
		}
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC), true
}

func daysIn(month, year int) int {
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		return 29
	}
	return [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
}

// Date accepts "YYYY-MM-DD" for a day that exists, year 0001 on.
func Date[T Text](b T) bool {
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
	return day <= daysIn(month, year)
}

func twoDigits[T Text](b T) (int, bool) {
	if b[0] < '0' || b[0] > '9' || b[1] < '0' || b[1] > '9' {
		return 0, false
	}
	return int(b[0]-'0')*10 + int(b[1]-'0'), true
}

// UUID accepts 8-4-4-4-12 hex digits of either case, as the uuid format
// does.
func UUID[T Text](b T) bool {
	if len(b) != 36 {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
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

// UUID7 matches the uuid7 definition of the common schema,
// ^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$.
func UUID7[T Text](s T) bool {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' || s[14] != '7' {
		return false
	}
	switch s[19] {
	case '8', '9', 'a', 'b':
	default:
		return false
	}
	return LowerHex(s[0:8]) && LowerHex(s[9:13]) && LowerHex(s[14:18]) && LowerHex(s[19:23]) && LowerHex(s[24:])
}

// LowerHex tells whether every byte of s is a lower-case hex digit.
func LowerHex[T Text](s T) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
