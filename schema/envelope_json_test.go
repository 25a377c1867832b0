package schema

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sameJSON fails unless AppendJSON writes what json.Marshal writes.
func sameJSON(t *testing.T, env Envelope) {
	t.Helper()
	want, werr := json.Marshal(&env)
	got, gerr := env.AppendJSON([]byte("prefix"))
	if werr != nil {
		require.Error(t, gerr, "json.Marshal fails (%v)", werr)
		return
	}
	require.NoError(t, gerr)
	require.Equal(t, "prefix"+string(want), string(got))
}

func TestAppendJSON(t *testing.T) {
	var base Envelope
	require.NoError(t, json.Unmarshal(wrapForFuzz(KindFinanceTransaction, []byte(`{"reference":"TX-1","n":1.50}`)), &base))
	hop := Hop{Org: "bank-north-01", Stage: StageCollection, At: time.Date(2026, 3, 1, 8, 0, 0, 123456789, time.UTC),
		Digest: "sha-256:" + strings.Repeat("ab", 32)}
	for name, mut := range map[string]func(*Envelope){
		"as decoded":         func(*Envelope) {},
		"hops":               func(e *Envelope) { e.Provenance = []Hop{hop, hop} },
		"supersedes":         func(e *Envelope) { e.Supersedes = e.ID },
		"empty provenance":   func(e *Envelope) { e.Provenance = []Hop{} },
		"task only":          func(e *Envelope) { e.Purpose = Purpose{TaskID: "t"} },
		"both purposes":      func(e *Envelope) { e.Purpose.TaskID = "t" },
		"no purpose":         func(e *Envelope) { e.Purpose = Purpose{} },
		"offset time":        func(e *Envelope) { e.CollectedAt = e.CollectedAt.In(time.FixedZone("X", -(5*3600 + 30*60))) },
		"odd offset":         func(e *Envelope) { e.CollectedAt = e.CollectedAt.In(time.FixedZone("X", 7)) },
		"year 10000":         func(e *Envelope) { e.RetainUntil = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		"year -1":            func(e *Envelope) { e.RetainUntil = time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC) },
		"zero times":         func(e *Envelope) { e.CollectedAt, e.RetainUntil = time.Time{}, time.Time{} },
		"nil payload":        func(e *Envelope) { e.Payload = nil },
		"empty payload":      func(e *Envelope) { e.Payload = json.RawMessage{} },
		"spaced payload":     func(e *Envelope) { e.Payload = json.RawMessage(`{ "a" : [1, 2] }`) },
		"html payload":       func(e *Envelope) { e.Payload = json.RawMessage(`{"a":"<b>&</b>\u2028"}`) },
		"line separator":     func(e *Envelope) { e.Payload = json.RawMessage("{\"a\":\"\u2028\"}") },
		"broken payload":     func(e *Envelope) { e.Payload = json.RawMessage(`{"a":`) },
		"quote in basis":     func(e *Envelope) { e.LegalBasis = `a "b" \ c` },
		"html in basis":      func(e *Envelope) { e.LegalBasis = "a < b & c > d" },
		"unicode basis":      func(e *Envelope) { e.LegalBasis = "Grundlage § 3 – ärztlich" },
		"invalid UTF-8":      func(e *Envelope) { e.Source = "bank\xff" },
		"control character":  func(e *Envelope) { e.ID = "a\tb\x00" },
		"negative version":   func(e *Envelope) { e.SchemaVersion = -3 },
		"hop with odd stage": func(e *Envelope) { h := hop; h.Stage = "x<y"; e.Provenance = []Hop{h} },
		"sealed hop":         func(e *Envelope) { h := hop; h.Seal = testSeal(3); e.Provenance = []Hop{hop, h} },
		"sealed, no path":    func(e *Envelope) { h := hop; h.Seal = testSeal(0); e.Provenance = []Hop{h} },
		"seal with html":     func(e *Envelope) { h := hop; h.Seal = testSeal(1); h.Seal.KeyID = "k<1>"; e.Provenance = []Hop{h} },
	} {
		t.Run(name, func(t *testing.T) {
			env := base
			mut(&env)
			sameJSON(t, env)
		})
	}
	assert.True(t, base.plainJSON(), "the common envelope takes the fast path")
}

// FuzzAppendJSON compares AppendJSON with json.Marshal on every envelope
// encoding/json decodes.
func FuzzAppendJSON(f *testing.F) {
	seedVectors(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		var env Envelope
		if json.Unmarshal(raw, &env) != nil {
			return
		}
		sameJSON(t, env)
	})
}
