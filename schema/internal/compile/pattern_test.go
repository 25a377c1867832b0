package compile

import (
	"regexp"
	"strings"
	"testing"
)

// schemaPatterns are the patterns of the schema files, and a few forms
// the matcher must leave to regexp or handle at its edges.
var schemaPatterns = []string{
	`^[A-Z0-9][A-Z0-9/-]{0,34}$`, `^[0-9]{6,10}$`, `^[A-Z][0-9]{2}(\.[0-9]{1,2})?$`,
	`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](\.[0-9]{0,8}[1-9])?Z$`,
	`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`,
	`^[a-z0-9][a-z0-9._-]{1,63}$`, `^[a-z]+\.[a-z_]+$`, `^(0|[1-9][0-9]{0,17})(\.[0-9]{1,6})?$`,
	`^[A-Z]{2}-[A-Z0-9]{1,3}$`, `^[!-~]{1,32}$`, `^sha-256:[0-9a-f]{64}$`,
	`^[A-Z0-9](?:[A-Z0-9 -]{0,30}[A-Z0-9])?$`, `^(100(\.0{1,6})?|[0-9]{1,2}(\.[0-9]{1,6})?)$`,
	`^[a-z]+/[a-z0-9][a-z0-9.+-]{0,62}$`,
	`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$`,
	`^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$`, `^\d*x+$`, `^(a|ab)(c|bcd)(d*)$`, `^$`, `^a|b$`,
	`^.{2}$`, `[a-z]`, `^[^a]$`, `^(?i)a$`, `^a{2,}?$`,
	`^spiffe://[a-z0-9._-]{1,255}/org/[a-z0-9][a-z0-9._-]{1,63}$`, `^[0-9a-f]{64}$`,
	`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`, `^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$`,
	`^[a-z]{0,3}[a-c]x$`, `^[a-z]+[0-9]?$`, `^a{0,2}$`, `^[ab]{2,4}c{1,2}$`, `^(?:ab)?[a-c]{1,3}b$`,
	`^[a-z]{2,}(?:[0-9]{1,2})[a-z]*$`, `^[a-z]{2,}(?:[0-9]{1,2})[a-z]+$`,
	`^(?:a(?:b)?)+$`, `^(?:x[0-9]{0,2}){2,4}$`, `^(?:[0-9]{0,2}x){2}$`, `^([ab]|c)+[d-f]{1,2}$`,
	`^(?:ab|ac)$`, `^(?:a?){2}b$`, `^a{0}b$`, `^(?:ab|cd){2,3}e?$`, `^(?:a|b)*c$`,
	`^[a-z]{0,3}[a-c]xy$`, `^[a-z]{0,3}[a-c][a-z]$`, `^[a-z]*[xy]$`, `^(?:[0-9]{1,3}[1-9])?\.$`, `^[a-z]{2,}[a-c]{1,2}$`, `^[a-z]{0,3}[a-c]9$`,
}

func TestPatternForms(t *testing.T) {
	for _, p := range []string{`^[A-Z]{2}$`, `^(0|[1-9][0-9]{0,17})(\.[0-9]{1,6})?$`, `^[A-Z0-9](?:[A-Z0-9 -]{0,30}[A-Z0-9])?$`} {
		if newPattern(p, regexp.MustCompile(p)).root == nil {
			t.Errorf("%s is left to regexp, want a byte matcher", p)
		}
	}
	for _, p := range []string{`^.{2}$`, `[a-z]`, `^[^a]$`, `^(?i)a$`, `^a{2,}?$`} {
		if newPattern(p, regexp.MustCompile(p)).root != nil {
			t.Errorf("%s has a byte matcher, want regexp", p)
		}
	}
	for p, linear := range map[string]bool{
		`^sha-256:[0-9a-f]{64}$`: true, `^[a-z]+\.[a-z_]+$`: true, `^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`: true,
		`^spiffe://[a-z0-9._-]{1,255}/org/[a-z0-9][a-z0-9._-]{1,63}$`: true, `^$`: true,
		`^[a-z]{2,}(?:[0-9]{1,2})[a-z]+$`: true, `^[a-z]{2,}(?:[0-9]{1,2})[a-z]*$`: false,
		`^[a-z]{0,3}[a-c]x$`: false, `^[a-z]+[0-9]?$`: false, `^(?:ab)?[a-c]{1,3}b$`: false,
		`^[A-Z0-9](?:[A-Z0-9 -]{0,30}[A-Z0-9])?$`: false,
	} {
		if got := newPattern(p, regexp.MustCompile(p)).linear; got != linear {
			t.Errorf("%s linear = %v, want %v", p, got, linear)
		}
	}
	for p, decided := range map[string]bool{
		`^(0|[1-9][0-9]{0,17})(\.[0-9]{1,6})?$`: true, `^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$`: true,
		`^[a-z]+[0-9]?$`: true, `^(?:a(?:b)?)+$`: true, `^(?:x[0-9]{0,2}){2,4}$`: true, `^a{0}b$`: true,
		`^(?:ab|cd){2,3}e?$`: true, `^(?:a|b)*c$`: true, `^sha-256:[0-9a-f]{64}$`: true,
		`^(?:ab|ac)$`: false, `^(?:a?){2}b$`: false, `^(a|ab)(c|bcd)(d*)$`: false, `^[a-z]{0,3}[a-c]xy$`: false,
		`^(100(\.0{1,6})?|[0-9]{1,2}(\.[0-9]{1,6})?)$`: false, `^[a-z]{0,3}[a-c][a-z]$`: false,
		// A run and its last byte.
		`^[a-z]{0,3}[a-c]x$`: false, `^[a-z]{0,3}[a-c]9$`: true, `^[A-Z0-9](?:[A-Z0-9 -]{0,30}[A-Z0-9])?$`: true,
		`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](\.[0-9]{0,8}[1-9])?Z$`: true,
		`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$`:    true, `^[a-z]*[xy]$`: true,
	} {
		if got := newPattern(p, regexp.MustCompile(p)).decided; got != decided {
			t.Errorf("%s decided by the next byte = %v, want %v", p, got, decided)
		}
	}
	for _, c := range []struct {
		p, s string
		ok   bool
	}{
		{`^sha-256:[0-9a-f]{64}$`, "sha-256:" + strings.Repeat("0f", 32), true},
		{`^sha-256:[0-9a-f]{64}$`, "sha-256:" + strings.Repeat("0f", 32) + "0", false},
		{`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`, "a" + strings.Repeat("b", 127), true},
		{`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`, "a" + strings.Repeat("b", 128), false},
		{`^[a-z]{0,3}[a-c]x$`, "abx", true},
		{`^[A-Z0-9](?:[A-Z0-9 -]{0,30}[A-Z0-9])?$`, "AB C", true},
		{`^[A-Z0-9](?:[A-Z0-9 -]{0,30}[A-Z0-9])?$`, "AB ", false},
		{`^(0|[1-9][0-9]{0,17})(\.[0-9]{1,6})?$`, "10.25", true},
		{`^(0|[1-9][0-9]{0,17})(\.[0-9]{1,6})?$`, "01", false},
		{`^[!-~]{1,32}$`, "é", false},
	} {
		if got := newPattern(c.p, regexp.MustCompile(c.p)).match([]byte(c.s)); got != c.ok {
			t.Errorf("%s on %q = %v, want %v", c.p, c.s, got, c.ok)
		}
	}
}

// FuzzPattern compares the byte matchers with regexp on every pattern:
// the linear one where the pattern is linear, and the position set
// always.
func FuzzPattern(f *testing.F) {
	for _, s := range []string{"AB-C1", "2026-03-01T08:00:00.5Z", "01936f4e-8b2a-7c3d-9e4f-0a1b2c3d4e5f", "a.b-c", "100.000", "x", "",
		"sha-256:" + strings.Repeat("a1", 32), strings.Repeat("0", 64), "spiffe://hub.example/org/acme-01", "spiffe://" + strings.Repeat("a", 256) + "/org/ab",
		"a" + strings.Repeat(":", 127), "abcbx", "aab", "abc1", "ababcc", "ab12cd", "ab123", "aa\xffb", "é",
		"abaab", "x1x22x", "1x2x", "abcd", "ababe", "abac", "b", "12.5", "0.000001", "ABCDEF12XYZ",
		"2026-03-01T08:00:00.123456789Z", "2026-03-01T08:00:00.1234567890Z", "2026-03-01T08:00:00.10Z", "a-b.c-d", "a-.b", "AB -C", "abcax", "abcdx", "zzzx", "1.", "12.", "1234.", "abc9", "abcd9", "9"} {
		f.Add(s)
	}
	var pats []*pattern
	for _, p := range schemaPatterns {
		pats = append(pats, newPattern(p, regexp.MustCompile(p)))
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range pats {
			want := p.re.MatchString(s)
			if got := p.matchSet([]byte(s)); got != want {
				t.Fatalf("%s on %q: position set %v, regexp %v", p.re, s, got, want)
			}
			if p.decided && p.matchDecided([]byte(s)) != want {
				t.Fatalf("%s on %q: decided by the next byte %v, regexp %v", p.re, s, !want, want)
			}
			if p.linear && p.matchLinear([]byte(s)) != want {
				t.Fatalf("%s on %q: linear %v, regexp %v", p.re, s, !want, want)
			}
			if got := p.match([]byte(s)); got != want {
				t.Fatalf("%s on %q: byte matcher %v, regexp %v", p.re, s, got, want)
			}
		}
	})
}

// BenchmarkPatternMatchers runs each matcher a pattern has on a string
// it matches, and regexp:
//
//	go test ./schema/internal/compile -run '^$' -bench PatternMatchers
func BenchmarkPatternMatchers(b *testing.B) {
	for _, c := range []struct{ name, p, s string }{
		{"digest", `^sha-256:[0-9a-f]{64}$`, "sha-256:" + strings.Repeat("0f", 32)},
		{"uuid", `^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, "01936f4e-8b2a-7c3d-9e4f-0a1b2c3d4e5f"},
		{"id", `^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`, "urn:sicollab:record:2026-12-02:000123"},
		{"amount", `^(0|[1-9][0-9]{0,17})(\.[0-9]{1,6})?$`, "1250.75"},
		{"time", `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](\.[0-9]{0,8}[1-9])?Z$`, "2026-03-01T08:00:00.5Z"},
	} {
		p := newPattern(c.p, regexp.MustCompile(c.p))
		s := []byte(c.s)
		run := func(name string, ok bool, m func([]byte) bool) {
			if !ok {
				return
			}
			b.Run(c.name+"/"+name, func(b *testing.B) {
				for b.Loop() {
					if !m(s) {
						b.Fatal("no match")
					}
				}
			})
		}
		run("linear", p.linear, p.matchLinear)
		run("decided", p.decided, p.matchDecided)
		run("set", p.root != nil && len(s) <= 63, p.matchSet)
		run("regexp", true, p.re.Match)
	}
}
