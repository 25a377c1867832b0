package schema

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sameOutcome fails unless ValidateEnvelope(env) reports what Validate
// reports on json.Marshal(env): success, or the same sentinel and the
// same violations (offsets aside).
func sameOutcome(t *testing.T, v *Validator, env Envelope, name string) {
	t.Helper()
	got := v.ValidateEnvelope(env)
	raw, merr := json.Marshal(env)
	if merr != nil {
		require.Error(t, got, "%s: json.Marshal fails (%v), ValidateEnvelope passed", name, merr)
		return
	}
	_, want := v.Validate(raw)
	if want == nil {
		require.NoError(t, got, "%s", name)
		return
	}
	require.Error(t, got, "%s: Validate says %v", name, want)
	var wv, gv *ValidationError
	require.ErrorAs(t, want, &wv)
	require.ErrorAs(t, got, &gv, "%s", name)
	assert.Equal(t, wv.cause, gv.cause, "%s", name)
	if wv.cause == ErrInvalid || errors.Is(wv, ErrUnknownKind) || errors.Is(wv, ErrUnknownVersion) {
		assert.Equal(t, wv.Violations, gv.Violations, "%s", name)
	}
}

func TestValidateEnvelopeAgrees(t *testing.T) {
	v, err := NewValidator()
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join("testdata", "*", "v1", "*", "*.json"))
	require.NoError(t, err)
	base := func(kind string, payload []byte) Envelope {
		var env Envelope
		require.NoError(t, json.Unmarshal(wrapForFuzz(kind, payload), &env))
		return env
	}
	n := 0
	for _, f := range files {
		kind := filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(f))))
		if kind == "envelope" {
			continue
		}
		payload, err := os.ReadFile(f)
		require.NoError(t, err)
		if !json.Valid(payload) {
			continue
		}
		sameOutcome(t, v, base(kind, payload), f)
		n++
	}
	require.Greater(t, n, 300, "vectors compared")

	// The envelope's own fields, each broken in turn.
	payload, err := os.ReadFile(filepath.Join("testdata", KindFinanceTransaction, "v1", "valid", "card_payment_merchant.json"))
	require.NoError(t, err)
	ok := base(KindFinanceTransaction, payload)
	require.NoError(t, v.ValidateEnvelope(ok))
	withNanos := ok
	withNanos.CollectedAt = withNanos.CollectedAt.Add(time.Nanosecond)
	withNanos.Provenance = []Hop{{Org: "bank-north-01", Stage: StageCollection, At: time.Now().UTC(), Digest: "sha-256:" + strings.Repeat("0", 64)}}
	require.True(t, envelopeStructOK(&withNanos), "times with fractions take the fast path")
	hop := Hop{Org: "bank-north-01", Stage: StageCollection, At: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
		Digest: "sha-256:" + strings.Repeat("ab", 32)}
	berlin := time.FixedZone("CET", 3600)
	for name, mut := range map[string]func(*Envelope){
		"valid":                  func(*Envelope) {},
		"with a hop":             func(e *Envelope) { e.Provenance = []Hop{hop} },
		"supersedes":             func(e *Envelope) { e.Supersedes = e.ID },
		"supersedes not a uuid":  func(e *Envelope) { e.Supersedes = "TX-1" },
		"supersedes and a hop":   func(e *Envelope) { e.Supersedes = e.Purpose.RequirementID; e.Provenance = []Hop{hop} },
		"hop without digest":     func(e *Envelope) { h := hop; h.Digest = ""; e.Provenance = []Hop{h} },
		"hop in local time":      func(e *Envelope) { h := hop; h.At = h.At.In(berlin); e.Provenance = []Hop{h} },
		"bad id":                 func(e *Envelope) { e.ID = "not-a-uuid" },
		"empty kind":             func(e *Envelope) { e.Kind = "" },
		"unknown kind":           func(e *Envelope) { e.Kind = "finance.unheard_of" },
		"unknown version":        func(e *Envelope) { e.SchemaVersion = 7 },
		"version zero":           func(e *Envelope) { e.SchemaVersion = 0 },
		"bad source":             func(e *Envelope) { e.Source = "Bank North" },
		"zero collected_at":      func(e *Envelope) { e.CollectedAt = time.Time{} },
		"nanoseconds":            func(e *Envelope) { e.CollectedAt = e.CollectedAt.Add(123456789) },
		"tenth of a second":      func(e *Envelope) { e.CollectedAt = e.CollectedAt.Add(100 * time.Millisecond) },
		"hop with nanoseconds":   func(e *Envelope) { h := hop; h.At = h.At.Add(1); e.Provenance = []Hop{h} },
		"sealed hop":             func(e *Envelope) { h := hop; h.Seal = testSeal(2); e.Provenance = []Hop{h} },
		"seal without path":      func(e *Envelope) { h := hop; h.Seal = testSeal(0); e.Provenance = []Hop{h} },
		"seal, bad key id":       func(e *Envelope) { h := hop; h.Seal = testSeal(1); h.Seal.KeyID = "-k"; e.Provenance = []Hop{h} },
		"seal, size zero":        func(e *Envelope) { h := hop; h.Seal = testSeal(1); h.Seal.Size = 0; e.Provenance = []Hop{h} },
		"seal, short root":       func(e *Envelope) { h := hop; h.Seal = testSeal(1); h.Seal.Root = "AAAA"; e.Provenance = []Hop{h} },
		"seal, bad path hash":    func(e *Envelope) { h := hop; h.Seal = testSeal(1); h.Seal.Path += "x"; e.Provenance = []Hop{h} },
		"seal, empty sig":        func(e *Envelope) { h := hop; h.Seal = testSeal(1); h.Seal.Sig = ""; e.Provenance = []Hop{h} },
		"year 9999":              func(e *Envelope) { e.RetainUntil = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC) },
		"year 0":                 func(e *Envelope) { e.CollectedAt = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC) },
		"local collected_at":     func(e *Envelope) { e.CollectedAt = e.CollectedAt.In(berlin) },
		"year 10000":             func(e *Envelope) { e.RetainUntil = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		"no purpose":             func(e *Envelope) { e.Purpose = Purpose{} },
		"task purpose":           func(e *Envelope) { e.Purpose = Purpose{TaskID: e.Purpose.RequirementID} },
		"empty legal basis":      func(e *Envelope) { e.LegalBasis = "" },
		"lower-case handling":    func(e *Envelope) { e.Handling = "amber" },
		"GREEN handling":         func(e *Envelope) { e.Handling = HandlingGreen },
		"nil payload":            func(e *Envelope) { e.Payload = nil },
		"array payload":          func(e *Envelope) { e.Payload = json.RawMessage(`[1]`) },
		"broken payload":         func(e *Envelope) { e.Payload = json.RawMessage(`{"a":`) },
		"invalid UTF-8 in basis": func(e *Envelope) { e.LegalBasis = "basis \xff" },
		"payload nested too deep": func(e *Envelope) {
			e.Payload = json.RawMessage(`{"a":` + strings.Repeat("[", DefaultMaxDepth) + strings.Repeat("]", DefaultMaxDepth) + `}`)
		},
		"payload nested to the limit": func(e *Envelope) {
			e.Payload = json.RawMessage(`{"a":` + strings.Repeat("[", DefaultMaxDepth-3) + strings.Repeat("]", DefaultMaxDepth-3) + `}`)
		},
		"duplicate key": func(e *Envelope) {
			e.Payload = json.RawMessage(strings.Replace(string(e.Payload), "{", `{"type":"x",`, 1))
		},
	} {
		env := ok
		env.Provenance = nil
		mut(&env)
		sameOutcome(t, v, env, name)
	}
}

// FuzzValidateEnvelope checks ValidateEnvelope against Validate on the
// envelope's encoding, for every envelope encoding/json decodes.
func FuzzValidateEnvelope(f *testing.F) {
	seedVectors(f)
	v, err := NewValidator()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var env Envelope
		if json.Unmarshal(raw, &env) != nil || len(raw) > v.MaxBytes()/2 {
			return
		}
		sameOutcome(t, v, env, string(raw))
	})
}

// TestValidateEnvelopeSize: the size limit applies to the payload, and
// crossing it is ErrTooLarge.
func TestValidateEnvelopeSize(t *testing.T) {
	v, err := NewValidator(WithMaxBytes(2048))
	require.NoError(t, err)
	var env Envelope
	require.NoError(t, json.Unmarshal(wrapForFuzz(KindFinanceTransaction, []byte(`{}`)), &env))
	env.Payload = json.RawMessage(`{"reference":"` + strings.Repeat("x", 2048) + `"}`)
	err = v.ValidateEnvelope(env)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), "limit is 2048")
	env.Payload = json.RawMessage(`{"reference":"` + strings.Repeat("x", 1900) + `"}`)
	assert.NotErrorIs(t, v.ValidateEnvelope(env), ErrTooLarge, "under the limit")
}
