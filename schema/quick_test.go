package schema

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQuickTakesEveryKind: the valid vectors of every kind pass on bytes,
// by Validate, ValidateEnvelope and ValidatePayload, and Validate's fast
// path returns the envelope the parsed path returns.
func TestQuickTakesEveryKind(t *testing.T) {
	v, err := NewValidator()
	require.NoError(t, err)
	for _, k := range Kinds() {
		files, _ := filepath.Glob(filepath.Join("testdata", k.Kind, "v1", "valid", "*.json"))
		require.NotEmpty(t, files, k.Kind)
		for _, f := range files {
			payload, err := os.ReadFile(f)
			require.NoError(t, err)
			raw := wrapForFuzz(k.Kind, payload)
			quick, _, ok := v.quickValidate(raw, false)
			require.True(t, ok, "%s: not passed on bytes", f)
			slow, err := v.validateParsed(raw)
			require.NoError(t, err, f)
			assert.Equal(t, slow, quick, f)
			assert.True(t, v.quickPayload(k.Kind, 1, payload, DefaultMaxDepth, "", false), f)
			assert.True(t, envelopeStructOK(&quick) && v.quickPayload(k.Kind, 1, quick.Payload, DefaultMaxDepth-1, quick.Handling, true), f)
		}
	}
}

// TestQuickEnvelopeVectors: every envelope vector gets the same answer
// with and without the fast path; the valid ones take it.
func TestQuickEnvelopeVectors(t *testing.T) {
	v, err := NewValidator()
	require.NoError(t, err)
	files, _ := filepath.Glob(filepath.Join("testdata", "envelope", "v1", "*", "*.json"))
	require.NotEmpty(t, files)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		quick, _, ok := v.quickValidate(raw, false)
		slow, err := v.validateParsed(raw)
		valid := strings.Contains(f, string(filepath.Separator)+"valid"+string(filepath.Separator))
		assert.Equal(t, valid, err == nil, "%s: %v", f, err)
		assert.Equal(t, valid, ok, "%s: fast path", f)
		if ok {
			assert.Equal(t, slow, quick, f)
		}
	}
}

// TestQuickLeavesToTheSchema: what the fast path is not sure of goes to
// jsonschema, which reports it as before.
func TestQuickLeavesToTheSchema(t *testing.T) {
	v, err := NewValidator()
	require.NoError(t, err)
	raw, ok := firstVector(t, KindFinanceTransaction)
	require.True(t, ok)
	_, _, ok = v.quickValidate(raw, false)
	require.True(t, ok)
	for name, c := range map[string]struct {
		doc     string
		keyword string
	}{
		"integer written 1.0":   {strings.Replace(string(raw), `"schema_version":1,`, `"schema_version":1.0,`, 1), "format"},
		"duplicate key":         {strings.Replace(string(raw), `"kind":`, `"source":"x","kind":`, 1), "duplicate-key"},
		"unknown kind":          {strings.Replace(string(raw), `"finance.transaction"`, `"finance.unknown"`, 1), "kind"},
		"missing property":      {strings.Replace(string(raw), `"channel":`, `"chanel":`, 1), "additionalProperties"},
		"identity under AMBER":  {strings.Replace(string(raw), `"payload":{`, `"payload":{"identity":{"a":"b"},`, 1), "additionalProperties"},
		"escape in a time":      {strings.Replace(string(raw), `"2026-03-01T08:00:00Z"`, `"\u0032026-03-01T08:00:00Z"`, 1), ""},
		"a day that is not":     {strings.Replace(string(raw), `"2026-03-01T08:00:00Z"`, `"2026-02-30T08:00:00Z"`, 1), "format"},
		"payload not an object": {string(raw[:strings.Index(string(raw), `"payload":`)]) + `"payload":[]}`, "type"},
	} {
		_, _, ok := v.quickValidate([]byte(c.doc), false)
		assert.False(t, ok, name)
		_, err := v.Validate([]byte(c.doc))
		if c.keyword == "" {
			assert.NoError(t, err, name)
			continue
		}
		var ve *ValidationError
		require.ErrorAs(t, err, &ve, name)
		assert.Equal(t, c.keyword, ve.Violations[0].Keyword, "%s: %v", name, err)
	}
	// A clear identity where the handling allows it: the fast path.
	files, _ := filepath.Glob(filepath.Join("testdata", "envelope", "v1", "valid", "*with_identity.json"))
	require.NotEmpty(t, files)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		_, _, ok := v.quickValidate(raw, false)
		assert.True(t, ok, f)
	}
	bad, err := os.ReadFile(filepath.Join("testdata", "envelope", "v1", "invalid", "identity_under_amber.json"))
	require.NoError(t, err)
	_, _, ok = v.quickValidate(bad, false)
	assert.False(t, ok, "identity under AMBER")
}

// FuzzQuick compares Validate's fast path with the parsed path: what the
// fast path passes, the parsed path passes, with the same envelope.
func FuzzQuick(f *testing.F) {
	seedVectors(f)
	v, err := NewValidator()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		quick, _, ok := v.quickValidate(raw, false)
		if !ok {
			return
		}
		slow, err := v.validateParsed(raw)
		if err != nil {
			t.Fatalf("fast path passed what the parsed path refuses: %v", err)
		}
		assert.Equal(t, slow, quick)
	})
}
