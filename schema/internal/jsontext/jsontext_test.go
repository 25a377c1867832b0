package jsontext

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"regexp"
	"testing"
	"time"
)

func TestTokenize(t *testing.T) {
	for _, c := range []struct {
		doc string
		ok  bool
	}{
		{`{"a":[1,-2.5e3,"x",true,false,null,{}],"b":{"c":"\u00e9"}}`, true},
		{` {"a" : 1 } `, true},
		{`{"a":1,"a":2}`, false},       // duplicate key
		{`{"\u0061":1}`, false},        // key with an escape: the parser's
		{`{"a":1} x`, false},           // trailing data
		{`"\ud800"`, false},            // unpaired surrogate
		{"\"\xff\"", false},            // invalid UTF-8
		{"\"a\tb\"", false},            // control character
		{`[[[[[[[[[1]]]]]]]]]`, false}, // deeper than 8
		{`[[[[[[[[1]]]]]]]]`, true},    // 8 levels
		{`01`, false}, {`1.`, false}, {`-`, false}, {`tru`, false}, {`{"a"}`, false}, {`[1,]`, false},
	} {
		var tp Tape
		if got := Tokenize(&tp, []byte(c.doc), 8, ""); got != c.ok {
			t.Errorf("Tokenize(%s) = %v, want %v", c.doc, got, c.ok)
		}
	}
	var tp Tape
	doc := []byte(`{"a":{"identity":{"x":1}},"b":[1,2]}`)
	if !Tokenize(&tp, doc, 8, "identity") || !tp.SawKey {
		t.Fatal("identity key not seen")
	}
	b := tp.Member(0, "b")
	if b < 0 || tp.Tokens[b].Kind != Array || tp.Tokens[b].Len != 2 || string(tp.Text(b)) != "[1,2]" {
		t.Fatalf("member b: %+v", tp.Tokens[b])
	}
	if tp.Member(0, "c") != -1 {
		t.Fatal("found a member that is not there")
	}
}

// TestDuplicateKeys: objects of 1 to MaxMembers keys, many of them alike
// in length and first, middle and last bytes, are read, and refused with
// any key repeated anywhere.
func TestDuplicateKeys(t *testing.T) {
	key := func(i int) string { return fmt.Sprintf(`"k%02dxa"`, i) } // one signature
	for n := 1; n <= MaxMembers; n++ {
		var keys []string
		for i := range n {
			if i%3 == 0 {
				keys = append(keys, fmt.Sprintf(`"%d"`, i))
			} else {
				keys = append(keys, key(i))
			}
		}
		doc := func(keys []string) []byte {
			var b bytes.Buffer
			b.WriteByte('{')
			for i, k := range keys {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "%s:%d", k, i)
			}
			b.WriteByte('}')
			return b.Bytes()
		}
		var tp Tape
		if !Tokenize(&tp, doc(keys), 8, "") {
			t.Fatalf("%d distinct keys refused: %s", n, doc(keys))
		}
		if n == MaxMembers {
			continue
		}
		for _, i := range []int{0, n / 2, n - 1} {
			dup := append(append([]string{}, keys...), keys[i])
			if Tokenize(&tp, doc(dup), 8, "") {
				t.Fatalf("key %s twice read: %s", keys[i], doc(dup))
			}
			dup = append([]string{keys[i]}, keys...)
			if Tokenize(&tp, doc(dup), 8, "") {
				t.Fatalf("key %s twice read: %s", keys[i], doc(dup))
			}
		}
	}
}

func TestFormats(t *testing.T) {
	for _, c := range []struct {
		s  string
		ok bool
	}{
		{"2026-02-30T00:00:00Z", false}, {"2026-01-01T24:00:00Z", false}, {"2026-01-01T00:00:60Z", false},
		{"2026-01-01t00:00:00Z", false}, {"2026-01-01T00:00:00.Z", false}, {"2026-01-01T00:00:00.10Z", false},
		{"2026-01-01T00:00:00.1234567891Z", false}, {"2026-01-01T00:00:00+00:00", false},
		{"2026-01-01T00:00:00Z", true}, {"2026-01-01T23:59:59.123456789Z", true}, {"2024-02-29T00:00:00Z", true},
	} {
		if got := UTCTime([]byte(c.s)); got != c.ok {
			t.Errorf("UTCTime(%q) = %v, want %v", c.s, got, c.ok)
		}
		if c.ok && !DateTime([]byte(c.s)) {
			t.Errorf("DateTime(%q) = false for a UTC time", c.s)
		}
	}
	if !UUID7([]byte("01936f4e-8b2a-7c3d-9e4f-0a1b2c3d4e5f")) || UUID7([]byte("01936f4e-8b2a-4c3d-9e4f-0a1b2c3d4e5f")) {
		t.Error("UUID7 wrong on a version 7 or 4 id")
	}
	if !UUID([]byte("01936F4E-8B2A-4C3D-9E4F-0A1B2C3D4E5F")) || UUID([]byte("01936f4e8b2a-4c3d-9e4f-0a1b2c3d4e5f0")) {
		t.Error("UUID wrong")
	}
}

// FuzzTokenize: what Tokenize accepts is valid JSON, and its tape
// covers the document: the root spans it, every container ends where
// the next token begins.
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,2.5e3,-0,"x",true,false,null]}`, `"\u00e9\ud83d\ude00"`, `{"a":1,"a":2}`, `1 2`, `-01`,
		`{"k0xa":1,"k1xa":2,"k0xa":3}`, `{"ab":1,"b":{"ab":2},"ba":3,"ab":4}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var tp Tape
		tokenized := Tokenize(&tp, doc, 32, "")
		if Valid(doc, 32) && !json.Valid(doc) {
			t.Fatalf("Valid accepted invalid JSON %q", doc)
		}
		if tokenized && !Valid(doc, 32) {
			t.Fatalf("Tokenize accepted what Valid refuses: %q", doc)
		}
		if !tokenized {
			return
		}
		if !json.Valid(doc) {
			t.Fatalf("accepted invalid JSON %q", doc)
		}
		if n := int(tp.Tokens[0].Next); n != len(tp.Tokens) {
			t.Fatalf("root ends at token %d of %d", n, len(tp.Tokens))
		}
		for i, tok := range tp.Tokens {
			if tok.Kind == Object {
				keys := map[string]bool{}
				for k, m := i+1, 0; m < int(tok.Len); m++ {
					if keys[string(tp.Text(k))] {
						t.Fatalf("object %d has the key %q twice", i, tp.Text(k))
					}
					keys[string(tp.Text(k))] = true
					k = int(tp.Tokens[k+1].Next)
				}
			}
			if tok.Kind == String && !tok.Escaped {
				var s string
				if err := json.Unmarshal(doc[tok.Start-1:tok.End+1], &s); err != nil || s != string(tp.Text(i)) {
					t.Fatalf("string token %d: %q", i, tp.Text(i))
				}
			}
			if tok.Kind == Object || tok.Kind == Array {
				// json.Valid, not Unmarshal into any: a number beyond
				// float64 is valid JSON that Unmarshal refuses.
				if !json.Valid(tp.Text(i)) {
					t.Fatalf("container %d spans %q", i, tp.Text(i))
				}
			}
		}
	})
}

// FuzzParseUTC compares ParseUTC with time.Parse: where it accepts, the
// same instant and location; where time.Parse accepts a string of the
// utc_time shape, ParseUTC accepts it too.
func FuzzParseUTC(f *testing.F) {
	for _, s := range []string{"2026-03-01T08:00:00Z", "2024-02-29T23:59:59.123456789Z", "0000-01-01T00:00:00.000000001Z", "2026-02-30T00:00:00Z", "2026-01-01T00:00:60Z"} {
		f.Add(s)
	}
	shape := regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](\.[0-9]{0,8}[1-9])?Z$`)
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseUTC(s)
		want, err := time.Parse(time.RFC3339Nano, s)
		if ok {
			if err != nil || got != want || !shape.MatchString(s) {
				t.Fatalf("ParseUTC(%q) = %v; time.Parse %v, %v", s, got, want, err)
			}
			return
		}
		if err == nil && shape.MatchString(s) {
			t.Fatalf("ParseUTC refused %q, which time.Parse reads", s)
		}
	})
}

// TestPlain8 compares plain8 with a look at each byte, for every byte
// value at every position among plain bytes, and for long plain strings
// broken at each offset by each byte String must look at.
func TestPlain8(t *testing.T) {
	plain := func(b []byte) bool {
		for _, c := range b {
			if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
				return false
			}
		}
		return true
	}
	for _, fill := range []byte{'a', ' ', '~', '!', '#', '[', ']', 0x21, 0x7f} {
		for pos := range 8 {
			for v := range 256 {
				b := []byte{fill, fill, fill, fill, fill, fill, fill, fill}
				b[pos] = byte(v)
				if got, want := plain8(binary.LittleEndian.Uint64(b)), plain(b); got != want {
					t.Fatalf("plain8(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
	for _, c := range []byte{'"', 0x00, 0x1f, 0x80, 0xff} {
		for at := range 40 {
			b := bytes.Repeat([]byte("Ab0+/="), 7)
			b[at] = c
			doc := append(append([]byte{'"'}, b...), '"')
			s := Scanner{Data: doc}
			raw, _, ok := s.String()
			if c == '"' { // the string ends there
				if !ok || string(raw) != string(b[:at]) {
					t.Fatalf("String(%q) = %q, %v; want %q", doc, raw, ok, b[:at])
				}
			} else if ok {
				t.Fatalf("String(%q) = %q, true; want it refused", doc, raw)
			}
		}
	}
}
