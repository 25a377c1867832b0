package synth_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sicollab/sicollab/examples/internal/synth"
	"github.com/sicollab/sicollab/internal/demoscheme"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/schema/schematest"
)

var testPurpose = schema.Purpose{
	RequirementID: "019c9a00-0000-7000-8000-000000000001",
	TaskID:        "019c9a00-0000-7000-8000-000000000002",
}

func newGen(t testing.TB, cfg synth.Config) *synth.Generator {
	t.Helper()
	if cfg.Purpose == (schema.Purpose{}) {
		cfg.Purpose = testPurpose
	}
	g, err := synth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// scale returns n, n/5 under the race detector, n/10 in -short mode.
func scale(n int) int {
	switch {
	case testing.Short():
		return n / 10
	case raceEnabled:
		return n / 5
	}
	return n
}

func marshal(t testing.TB, e schema.Envelope) []byte {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// validateAll checks every record with the validator, ids for
// uniqueness, and up to conformance records with the partners'
// conformance kit as well (round-trip through the Go types, retention
// after collection, provenance digests).
func validateAll(t *testing.T, records [][]byte, conformance int, kinds ...string) {
	t.Helper()
	v, err := schema.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	ids := map[string]bool{}
	for _, b := range records {
		e, err := v.Validate(b)
		if err != nil {
			if bad++; bad <= 5 {
				t.Errorf("invalid record: %v\n%s", err, b)
			}
			continue
		}
		if ids[e.ID] {
			t.Errorf("id %s twice", e.ID)
		}
		ids[e.ID] = true
	}
	if bad > 0 {
		t.Fatalf("%d of %d records invalid", bad, len(records))
	}
	schematest.TestRecords(t, records[:min(len(records), conformance)], schematest.WithKinds(kinds...))
}

func TestEveryKindValid(t *testing.T) {
	for _, cfg := range []struct {
		name string
		cfg  synth.Config
		n    int
	}{
		{"default", synth.Config{Seed: 1}, scale(3000)},
		{"identity_red_provenance", synth.Config{Seed: 2, Handling: schema.HandlingRed, Identity: true, Provenance: true}, scale(500)},
		{"green_task_only", synth.Config{Seed: 3, Handling: schema.HandlingGreen, Purpose: schema.Purpose{TaskID: testPurpose.TaskID}}, scale(300)},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			g := newGen(t, cfg.cfg)
			for _, kind := range synth.Kinds() {
				t.Run(kind, func(t *testing.T) {
					var records [][]byte
					for range cfg.n {
						e, err := g.Generate(kind)
						if err != nil {
							t.Fatal(err)
						}
						if e.Kind != kind {
							t.Fatalf("Generate(%q) made %q", kind, e.Kind)
						}
						records = append(records, marshal(t, e))
					}
					validateAll(t, records, 300, kind)
					identity := bytes.Contains(bytes.Join(records, nil), []byte(`"identity"`))
					wantIdentity := cfg.cfg.Identity && kind != schema.KindHealthInfectious
					if identity != wantIdentity {
						t.Errorf("records carry clear identity: %v, want %v", identity, wantIdentity)
					}
				})
			}
		})
	}
}

func TestScenarioValidAndOrdered(t *testing.T) {
	g := newGen(t, synth.Config{Seed: 7})
	patterns := append(synth.Patterns(), synth.Patterns()...)
	seq, truth, err := g.Scenario(scale(40000), patterns...)
	if err != nil {
		t.Fatal(err)
	}
	if len(truth) != len(patterns) {
		t.Fatalf("%d truths for %d patterns", len(truth), len(patterns))
	}
	var records [][]byte
	ids := map[string]schema.Envelope{}
	prev := ""
	kinds := map[string]int{}
	for e := range seq {
		records = append(records, marshal(t, e))
		ids[e.ID] = e
		kinds[e.Kind]++
		// UUID v7: the first 48 bits are the event time in ms.
		ts := strings.ReplaceAll(e.ID[:13], "-", "")
		if ts < prev {
			t.Fatalf("record %d (%s) is earlier than the one before", len(records), e.ID)
		}
		prev = ts
	}
	planted := 0
	for _, tr := range truth {
		planted += len(tr.Records)
	}
	if want := scale(40000) + planted; len(records) != want {
		t.Errorf("%d records, want %d background + planted", len(records), want)
	}
	validateAll(t, records, 2000, synth.Kinds()...)

	// The truth: ids exist, and every planted record names a subject of
	// the truth.
	for _, tr := range truth {
		if len(tr.Subjects) == 0 || len(tr.Records) == 0 || tr.Description == "" || tr.To.Before(tr.From) {
			t.Errorf("%s: incomplete truth %+v", tr.Pattern, tr)
		}
		for _, id := range tr.Records {
			e, ok := ids[id]
			if !ok {
				t.Errorf("%s: truth record %s not among the records", tr.Pattern, id)
				continue
			}
			named := false
			for _, s := range tr.Subjects {
				named = named || bytes.Contains(e.Payload, []byte(s.Pseudonym))
			}
			if !named {
				t.Errorf("%s: record %s names no subject of the truth: %s", tr.Pattern, id, e.Payload)
			}
		}
	}
	// The mix follows the weights, roughly.
	w := synth.DefaultWeights()
	for k, n := range kinds {
		got := float64(n) / float64(len(records))
		want := float64(w[k]) / 1000
		if got < want*0.8 || got > want*1.2+0.002 {
			t.Errorf("%s is %.3f of the records, want about %.3f", k, got, want)
		}
	}
}

// TestPatternsDetectable runs the reference detector over scenarios: every
// planted instance is found and nothing else is, at the default population
// and at the smallest, where the background is densest.
func TestPatternsDetectable(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cfg        synth.Config
		n, repeats int
	}{
		{"default", synth.Config{Seed: 11}, scale(150000), 3},
		{"dense_small_population", synth.Config{Seed: 12, Population: 100, Days: 14}, scale(60000), 2},
		{"long_window", synth.Config{Seed: 13, Population: 2000, Days: 120}, scale(100000), 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGen(t, tc.cfg)
			var patterns []synth.Pattern
			for range tc.repeats {
				patterns = append(patterns, synth.Patterns()...)
			}
			seq, truth, err := g.Scenario(tc.n, patterns...)
			if err != nil {
				t.Fatal(err)
			}
			d := newDetector()
			for e := range seq {
				if err := d.feed(e); err != nil {
					t.Fatal(err)
				}
			}
			findings := d.findings()
			// The thresholds matter: the background comes close.
			near := d.nearMisses()
			t.Logf("near misses: %v", near)
			if tc.name == "default" {
				for _, k := range []string{"band depositors with 2+", "travellers sharing a run with a flagged subject", "short trips", "buyers of 2+ substances"} {
					if near[k] == 0 {
						t.Errorf("background has no %s: the rule's threshold is never tested", k)
					}
				}
			}
			for _, s := range synth.Evaluate(truth, findings) {
				t.Logf("%-20s planted %d found %d findings %d correct %d recall %.2f precision %.2f",
					s.Pattern, s.Planted, s.Found, s.Findings, s.Correct, s.Recall, s.Precision)
				if s.Recall != 1 || s.Precision != 1 {
					t.Errorf("%s: recall %.2f precision %.2f, want 1 and 1", s.Pattern, s.Recall, s.Precision)
				}
			}
		})
	}
}

// TestBackgroundHasNoPattern: without plants, the reference detector
// finds nothing, even with a tiny, dense population.
func TestBackgroundHasNoPattern(t *testing.T) {
	g := newGen(t, synth.Config{Seed: 21, Population: 100, Days: 7})
	d := newDetector()
	for e := range g.Records(scale(100000)) {
		if err := d.feed(e); err != nil {
			t.Fatal(err)
		}
	}
	if f := d.findings(); len(f) > 0 {
		t.Errorf("background alone makes %d findings, first %+v", len(f), f[0])
	}
}

func digest(t testing.TB, g *synth.Generator, n int) ([32]byte, []synth.Truth) {
	t.Helper()
	seq, truth, err := g.Scenario(n, synth.Patterns()...)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for e := range seq {
		h.Write(marshal(t, e))
		h.Write([]byte("\n"))
	}
	return [32]byte(h.Sum(nil)), truth
}

func TestDeterministic(t *testing.T) {
	n := scale(20000)
	a, ta := digest(t, newGen(t, synth.Config{Seed: 42}), n)
	b, tb := digest(t, newGen(t, synth.Config{Seed: 42}), n)
	if a != b {
		t.Error("same seed, different records")
	}
	ja, _ := json.Marshal(ta)
	jb, _ := json.Marshal(tb)
	if !bytes.Equal(ja, jb) {
		t.Error("same seed, different truth")
	}
	c, _ := digest(t, newGen(t, synth.Config{Seed: 43}), n)
	if a == c {
		t.Error("different seeds, same records")
	}
	// Identity changes nothing but the identity objects.
	d, _ := digest(t, newGen(t, synth.Config{Seed: 42, Provenance: true}), n)
	if a == d {
		t.Error("provenance on, same bytes")
	}

	// A sequence replays the same records when iterated again, and a
	// second sequence of the same generator differs.
	g := newGen(t, synth.Config{Seed: 5})
	seq := g.Records(1000)
	var first, again, other []string
	for e := range seq {
		first = append(first, e.ID)
	}
	for e := range seq {
		again = append(again, e.ID)
	}
	for e := range g.Records(1000) {
		other = append(other, e.ID)
	}
	if !slices.Equal(first, again) {
		t.Error("iterating a sequence twice gives different records")
	}
	if slices.Equal(first, other) {
		t.Error("two sequences of one generator give the same records")
	}
	// Stopping early is allowed.
	k := 0
	for range seq {
		if k++; k == 10 {
			break
		}
	}
}

// TestPlantedValid plants every pattern many times and validates every
// planted record.
func TestPlantedValid(t *testing.T) {
	g := newGen(t, synth.Config{Seed: 8, Days: 365})
	for _, p := range synth.Patterns() {
		t.Run(string(p), func(t *testing.T) {
			var records [][]byte
			kinds := map[string]bool{}
			for range scale(200) {
				recs, _, err := g.Plant(p)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range recs {
					records = append(records, marshal(t, e))
					kinds[e.Kind] = true
				}
			}
			validateAll(t, records, 300)
			t.Logf("%d records of %v", len(records), slices.Sorted(maps.Keys(kinds)))
		})
	}
}

func TestPlant(t *testing.T) {
	g := newGen(t, synth.Config{Seed: 3})
	seen := map[string]bool{}
	for _, p := range synth.Patterns() {
		recs, tr, err := g.Plant(p)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Pattern != p || len(recs) != len(tr.Records) {
			t.Fatalf("%s: truth %+v for %d records", p, tr, len(recs))
		}
		for i, e := range recs {
			if e.ID != tr.Records[i] {
				t.Errorf("%s: record %d id %s, truth says %s", p, i, e.ID, tr.Records[i])
			}
		}
		key := tr.Subjects[0].Pseudonym
		if seen[key] {
			t.Errorf("%s: key subject reused from another plant", p)
		}
		seen[key] = true
	}
	if _, _, err := g.Plant("nonsense"); !errors.Is(err, synth.ErrUnknownPattern) {
		t.Errorf("unknown pattern: %v", err)
	}
	short := newGen(t, synth.Config{Seed: 3, Days: 5})
	for _, p := range synth.Patterns() {
		if _, _, err := short.Plant(p); !errors.Is(err, synth.ErrWindowTooShort) {
			t.Errorf("%s in 5 days: %v, want ErrWindowTooShort", p, err)
		}
	}
	if _, _, err := g.Scenario(-1); err == nil {
		t.Error("Scenario(-1) succeeded")
	}
	if _, err := g.Generate("finance.nonsense"); !errors.Is(err, synth.ErrUnknownKind) {
		t.Errorf("Generate unknown kind: %v", err)
	}
}

func TestPseudonymsLink(t *testing.T) {
	// The same key gives the same pseudonyms as the schema's Pseudonymizer.
	g := newGen(t, synth.Config{Seed: 1})
	ps, err := schema.NewPseudonymizer(synth.DefaultKeyID, synth.DefaultKey())
	if err != nil {
		t.Fatal(err)
	}
	a, _ := g.Pseudonym(schema.IDPhone, "+999 123 456 789")
	b, _ := ps.Pseudonym(schema.IDPhone, "+999123456789")
	if a != b {
		t.Errorf("generator and schema pseudonyms differ: %v, %v", a, b)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  synth.Config
		want []string
	}{
		{"no purpose", synth.Config{}, []string{"Purpose needs"}},
		{"bad purpose", synth.Config{Purpose: schema.Purpose{TaskID: "not-a-uuid"}}, []string{`Purpose.TaskID must be a lower-case UUID v7, got "not-a-uuid"`}},
		{"days", synth.Config{Purpose: testPurpose, Days: -1}, []string{"Days must be 1 to 3660, got -1"}},
		{"population", synth.Config{Purpose: testPurpose, Population: 10}, []string{"Population must be 100 to 1000000, got 10"}},
		{"weights", synth.Config{Purpose: testPurpose, Weights: map[string]int{"finance.nonsense": 1, schema.KindServicesLodging: -2}},
			[]string{`Weights has kind "finance.nonsense"`, `Weights["services.lodging"] must be 0 to 1000000, got -2`, "at least one kind"}},
		{"identity", synth.Config{Purpose: testPurpose, Identity: true}, []string{`Identity needs Handling AMBER+STRICT or RED, got "AMBER"`}},
		{"handling", synth.Config{Purpose: testPurpose, Handling: "PINK"}, []string{`got "PINK"`}},
		{"key", synth.Config{Purpose: testPurpose, KeyID: "k", Key: []byte("short")}, []string{"KeyID and Key", "at least 32 bytes"}},
		{"purposes", synth.Config{Purpose: testPurpose, Purposes: map[string]schema.Purpose{schema.KindServicesLodging: {}}}, []string{`Purposes["services.lodging"] needs`}},
		{"retention", synth.Config{Purpose: testPurpose, Retention: time.Minute}, []string{"Retention must be at least an hour, got 1m0s"}},
		{"sources", synth.Config{Purpose: testPurpose, Sources: []string{"nobody", "leading-group"}},
			[]string{`Sources has "nobody", which is not in the directory`, `Sources has "leading-group", which collects no record kind`}},
		{"sources and weights", synth.Config{Purpose: testPurpose, Sources: []string{"bank-north-01"}, Weights: map[string]int{schema.KindServicesLodging: 1}},
			[]string{"Sources [bank-north-01] collect no kind with a positive weight"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if !errors.Is(err, synth.ErrInvalidConfig) {
				t.Fatalf("Validate = %v, want ErrInvalidConfig", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if _, err := synth.New(tc.cfg); !errors.Is(err, synth.ErrInvalidConfig) {
				t.Errorf("New = %v, want ErrInvalidConfig", err)
			}
		})
	}
	if err := (synth.Config{Purpose: testPurpose}).Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

func TestWeights(t *testing.T) {
	g := newGen(t, synth.Config{Seed: 1, Weights: map[string]int{schema.KindServicesLodging: 1}})
	for e := range g.Records(200) {
		if e.Kind != schema.KindServicesLodging {
			t.Fatalf("weight 0 kind %s generated", e.Kind)
		}
	}
}

// TestSources: every record comes from an organization of the directory
// that may submit its kind, and the payload names the same organization
// where it has a field for it.
func TestSources(t *testing.T) {
	dir := synth.Directory()
	g := newGen(t, synth.Config{Seed: 9})
	for e := range g.Records(scale(20000)) {
		if err := dir.Authorize(e.Source, e.Kind); err != nil {
			t.Fatalf("record of %s from %s: %v", e.Kind, e.Source, err)
		}
		org, _ := dir.Org(e.Source)
		var names []string
		switch e.Kind {
		case schema.KindCommerceHazmat:
			names = []string{`"seller":"` + e.Source + `"`}
		case schema.KindServicesLodging, schema.KindHealthInfectious:
			names = []string{`"org_id":"` + e.Source + `"`, org.Name}
		case schema.KindTelecomAccountReport, schema.KindTransportPassenger, schema.KindTransportFreight:
			names = []string{`"org":"` + e.Source + `"`}
		}
		for _, n := range names {
			if !bytes.Contains(e.Payload, []byte(n)) {
				t.Fatalf("%s from %s does not name %q: %s", e.Kind, e.Source, n, e.Payload)
			}
		}
	}
}

// TestRestrictedSources: with Config.Sources, every record, planted ones
// included, comes from those organizations.
func TestRestrictedSources(t *testing.T) {
	for _, tc := range []struct {
		sources  []string
		kinds    []string
		patterns []synth.Pattern
	}{
		{[]string{"bank-north-01"}, []string{schema.KindFinanceTransaction}, nil},
		{[]string{"bank-north-01", "bank-south-02"}, []string{schema.KindFinanceTransaction}, []synth.Pattern{synth.PatternStructuring}},
		{[]string{"air-east-01", "telecom-north-01"}, []string{schema.KindTransportPassenger, schema.KindCustomsEntryExit, schema.KindTelecomAccountReport},
			[]synth.Pattern{synth.PatternCoTravel, synth.PatternEntryExit}},
	} {
		t.Run(strings.Join(tc.sources, "+"), func(t *testing.T) {
			g := newGen(t, synth.Config{Seed: 4, Sources: tc.sources})
			seq, _, err := g.Scenario(3000, tc.patterns...)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]bool{}
			for e := range seq {
				if !slices.Contains(tc.sources, e.Source) {
					t.Fatalf("record of %s from %s", e.Kind, e.Source)
				}
				kinds[e.Kind] = true
			}
			if got := slices.Sorted(maps.Keys(kinds)); !slices.Equal(got, slices.Sorted(slices.Values(tc.kinds))) {
				t.Errorf("kinds %v, want %v", got, tc.kinds)
			}
		})
	}
	g := newGen(t, synth.Config{Seed: 4, Sources: []string{"bank-north-01"}})
	if _, _, err := g.Plant(synth.PatternStructuring); !errors.Is(err, synth.ErrNoSource) {
		t.Errorf("structuring at one bank: %v, want ErrNoSource", err)
	}
	if _, err := g.Generate(schema.KindServicesLodging); !errors.Is(err, synth.ErrNoSource) {
		t.Errorf("Generate lodging at a bank: %v, want ErrNoSource", err)
	}
}

func TestSchemeJSONIsTheDemoScheme(t *testing.T) {
	if !bytes.Equal(synth.SchemeJSON(), demoscheme.JSON()) {
		t.Error("SchemeJSON is not internal/demoscheme's scheme.json")
	}
	org, ok := synth.Directory().Authenticate(synth.Token("bank-north-01"))
	if !ok || org.ID != "bank-north-01" {
		t.Errorf("Token does not authenticate: %v %v", org.ID, ok)
	}
}

func TestEvaluate(t *testing.T) {
	s := func(p string) schema.Subject { return schema.Subject{Pseudonym: p} }
	truth := []synth.Truth{
		{Pattern: synth.PatternCoTravel, Subjects: []schema.Subject{s("c1"), s("f1")}},
		{Pattern: synth.PatternCoTravel, Subjects: []schema.Subject{s("c2"), s("f2")}},
		{Pattern: synth.PatternStructuring, Subjects: []schema.Subject{s("s1")}},
	}
	findings := []synth.Finding{
		{Pattern: synth.PatternCoTravel, Subjects: []string{"c1", "f1"}},
		{Pattern: synth.PatternCoTravel, Subjects: []string{"x", "f2"}}, // the companion only: wrong
		{Pattern: synth.PatternEntryExit, Subjects: []string{"e"}},
	}
	got := synth.Evaluate(truth, findings)
	want := []synth.Score{
		{Pattern: synth.PatternStructuring, Planted: 1, Found: 0, Findings: 0, Correct: 0, Recall: 0, Precision: 1},
		{Pattern: synth.PatternCoTravel, Planted: 2, Found: 1, Findings: 2, Correct: 1, Recall: 0.5, Precision: 0.5},
		{Pattern: synth.PatternEntryExit, Planted: 0, Found: 0, Findings: 1, Correct: 0, Recall: 1, Precision: 0},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Evaluate =\n%+v\nwant\n%+v", got, want)
	}
}

// TestRecordsMemory: iterating a long sequence does not hold the records.
func TestRecordsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	g := newGen(t, synth.Config{Seed: 1, Population: 5000})
	var peak uint64
	n := 0
	for e := range g.Records(300000) {
		_ = e
		if n++; n%50000 == 0 {
			if h := heapAfterGC(); h > peak {
				peak = h
			}
		}
	}
	if peak > 64<<20 {
		t.Errorf("heap reached %d MB while iterating", peak>>20)
	}
	t.Logf("peak heap %.1f MB over %d records", float64(peak)/(1<<20), n)
}

// TestStartBeforeKeepsCollectionInThePast holds at every hour of the day,
// just after midnight included: a hub refuses collected_at ahead of its
// clock, so no generated record may be collected after now.
func TestStartBeforeKeepsCollectionInThePast(t *testing.T) {
	for _, now := range []time.Time{
		time.Date(2026, 12, 2, 0, 0, 1, 0, time.UTC),
		time.Date(2026, 12, 2, 0, 45, 0, 0, time.UTC),
		time.Date(2026, 12, 2, 1, 31, 0, 0, time.UTC),
		time.Date(2026, 12, 2, 23, 59, 0, 0, time.UTC),
	} {
		g := newGen(t, synth.Config{Seed: 3, Days: 30, Start: synth.StartBefore(now, 30)})
		seq, _, err := g.Scenario(scale(4000), synth.Patterns()...)
		if err != nil {
			t.Fatal(err)
		}
		for e := range seq {
			if !e.CollectedAt.Before(now) {
				t.Fatalf("now %s: record %s collected at %s", now.Format(time.RFC3339), e.ID, e.CollectedAt.Format(time.RFC3339))
			}
		}
	}
}
