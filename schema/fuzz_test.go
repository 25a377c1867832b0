package schema

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// seedVectors adds every vector under testdata, bare and inside an envelope.
func seedVectors(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "v*", "*", "*.json"))
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
		kind := filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(name))))
		f.Add(wrapForFuzz(kind, raw))
	}
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`))
	f.Add([]byte(`{"payload":"\ud800"}`))
}

func wrapForFuzz(kind string, payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString(`{"id":"01936f4e-8b2a-7c3d-9e4f-0a1b2c3d4e5f","kind":`)
	k, _ := json.Marshal(kind)
	b.Write(k)
	b.WriteString(`,"schema_version":1,"source":"bank-north-01","collected_at":"2026-03-01T08:00:00Z",` +
		`"purpose":{"requirement_id":"01936f4e-0000-7000-8000-000000000001"},"legal_basis":"synthetic",` +
		`"handling":"AMBER","retain_until":"2027-03-01T00:00:00Z","payload":`)
	b.Write(payload)
	b.WriteString("}")
	return b.Bytes()
}

// FuzzValidate checks Validate never panics and never accepts what the
// schemas forbid: whatever it accepts must also be accepted by the plain
// path (encoding/json, then jsonschema on the envelope and the payload),
// must carry no duplicate keys, and must give back its payload bytes.
func FuzzValidate(f *testing.F) {
	seedVectors(f)
	v, err := NewValidator()
	if err != nil {
		f.Fatal(err)
	}
	// The oracle is compiled from the files as written, without inlining.
	plain, err := compileAll(false)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		env, err := v.Validate(raw)
		if err != nil {
			ve, ok := err.(*ValidationError)
			if !ok {
				t.Fatalf("error is %T, want *ValidationError: %v", err, err)
			}
			if ve.cause == ErrInvalid && len(ve.Violations) > 0 && ve.Violations[0].Keyword != "handling" {
				// The compiled form refused it: the files as written must too.
				dec := json.NewDecoder(bytes.NewReader(raw))
				dec.UseNumber()
				var doc any
				if dec.Decode(&doc) != nil {
					return
				}
				if plain.envelope.Validate(doc) != nil {
					return
				}
				m := doc.(map[string]any)
				kind, _ := m["kind"].(string)
				s := plain.payloads[kindVersion{kind, intOf(m["schema_version"])}]
				if s != nil && s.Validate(m["payload"]) == nil {
					t.Fatalf("refused what the schemas as written accept: %v", err)
				}
			}
			return
		}
		if !json.Valid(raw) {
			t.Fatalf("accepted invalid JSON %q", raw)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var doc any
		if err := dec.Decode(&doc); err != nil {
			t.Fatal(err)
		}
		if err := plain.envelope.Validate(doc); err != nil {
			t.Fatalf("accepted an envelope the schema refuses: %v", err)
		}
		m := doc.(map[string]any)
		s := plain.payloads[kindVersion{env.Kind, env.SchemaVersion}]
		if err := s.Validate(m["payload"]); err != nil {
			t.Fatalf("accepted a payload the schema refuses: %v", err)
		}
		if !json.Valid(env.Payload) {
			t.Fatalf("payload bytes %q are not JSON", env.Payload)
		}
		if _, err := PayloadDigest(env.Payload); err != nil {
			t.Fatalf("accepted payload cannot be canonicalized: %v", err)
		}
	})
}

// FuzzParse compares the parser with encoding/json: what it accepts,
// encoding/json accepts and decodes to the same value; what encoding/json
// accepts, it accepts unless the input repeats a key, nests too deep, or
// carries text that is not valid UTF-8 (which encoding/json silently
// replaces).
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,2.5e3,-0,"x",true,false,null]}`, `"\u00e9\ud83d\ude00"`, `{"a":1,"a":2}`, `1 2`, `-01`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, p := parseDocument(raw, 64, map[string]string{"a": "a", "x": "x"})
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var want any
		stdErr := dec.Decode(&want)
		if stdErr == nil {
			if _, err := dec.Token(); err == nil {
				stdErr = ErrTrailingData
			}
		}
		if p.err == nil {
			if stdErr != nil {
				t.Fatalf("parser accepted %q, encoding/json refused: %v", raw, stdErr)
			}
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(want)
			if !bytes.Equal(gb, wb) {
				t.Fatalf("parser decoded %q as %s, encoding/json as %s", raw, gb, wb)
			}
			return
		}
		switch p.err.cause {
		case ErrDuplicateKey, ErrTooDeep:
			return
		case ErrSyntax:
			if stdErr == nil && !bytes.Contains(raw, []byte(`\u`)) && utf8Valid(raw) {
				t.Fatalf("parser refused %q (%s), encoding/json accepted", raw, p.err.msg)
			}
		}
	})
}

func utf8Valid(b []byte) bool {
	return json.Valid([]byte(`"`+string(b)+`"`)) || bytes.Equal(b, bytes.ToValidUTF8(b, nil))
}

// TestEnvelopeFastPath: the fast path is taken for ordinary envelopes and
// never accepts what the envelope schema refuses, over every vector.
func TestEnvelopeFastPath(t *testing.T) {
	plain, err := compileAll(false)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "envelope", "v1", "*", "*.json"))
	fast := 0
	for _, name := range files {
		raw, _ := os.ReadFile(name)
		doc, p := parseDocument(raw, DefaultMaxDepth, nil)
		if p.err != nil {
			continue
		}
		if envelopeOK(doc) {
			fast++
			if err := plain.envelope.Validate(doc); err != nil {
				t.Errorf("%s: fast path accepted what the schema refuses: %v", name, err)
			}
		}
	}
	if fast == 0 {
		t.Error("no vector took the fast path")
	}
	for _, s := range []string{`"1.0"`, `"1e0"`, `"0"`, `"1001"`, `"01"`} {
		if isSmallPositive(json.Number(s[1:len(s)-1]), 1000) {
			t.Errorf("isSmallPositive(%s) = true", s)
		}
	}
	utc := regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](\.[0-9]{0,8}[1-9])?Z$`)
	for _, c := range []struct {
		s  string
		ok bool
	}{
		{"2026-02-30T00:00:00Z", false}, {"2026-01-01T24:00:00Z", false}, {"2026-01-01T00:00:60Z", false},
		{"2026-01-01t00:00:00Z", false}, {"2026-01-01T00:00:00.Z", false}, {"2026-01-01T00:00:00.10Z", false},
		{"2026-01-01T00:00:00.1234567891Z", false}, {"2026-01-01T00:00:00.1x3Z", false}, {"2026-01-01T00:00:00+00:00", false},
		{"2026-01-01T00:00:00Z", true}, {"2026-01-01T00:00:00.5Z", true}, {"2026-01-01T23:59:59.123456789Z", true},
		{"0000-01-01T00:00:00.000000001Z", true},
	} {
		if got := isUTCTime(c.s); got != c.ok {
			t.Errorf("isUTCTime(%q) = %v, want %v", c.s, got, c.ok)
		}
		if c.ok && !utc.MatchString(c.s) {
			t.Errorf("%q passes isUTCTime but not the utc_time pattern", c.s)
		}
	}
}
