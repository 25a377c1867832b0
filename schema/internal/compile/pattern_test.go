package compile

import (
	"regexp"
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
	for _, c := range []struct {
		p, s string
		ok   bool
	}{
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

// FuzzPattern compares the byte matcher with regexp on every pattern.
func FuzzPattern(f *testing.F) {
	for _, s := range []string{"AB-C1", "2026-03-01T08:00:00.5Z", "01936f4e-8b2a-7c3d-9e4f-0a1b2c3d4e5f", "a.b-c", "100.000", "x", ""} {
		f.Add(s)
	}
	var pats []*pattern
	for _, p := range schemaPatterns {
		pats = append(pats, newPattern(p, regexp.MustCompile(p)))
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range pats {
			if got, want := p.match([]byte(s)), p.re.MatchString(s); got != want {
				t.Fatalf("%s on %q: byte matcher %v, regexp %v", p.re, s, got, want)
			}
		}
	})
}
