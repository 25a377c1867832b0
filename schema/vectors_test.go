package schema_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gowebpki/jcs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
)

// want is one line of an invalid/want.tsv sidecar: the file, the JSON
// pointer that must fail, and the keyword that must report it.
type want struct{ file, pointer, keyword string }

func readWants(t *testing.T, dir string) map[string]want {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "want.tsv"))
	require.NoError(t, err, "every invalid/ folder needs a want.tsv sidecar")
	defer f.Close()
	out := map[string]want{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "\t")
		require.Len(t, parts, 3, "want.tsv line %q: file<TAB>pointer<TAB>keyword", line)
		out[parts[0]] = want{parts[0], parts[1], parts[2]}
	}
	require.NoError(t, sc.Err())
	return out
}

func jsonFiles(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	return names
}

// wrap puts a payload vector into a valid envelope of its kind.
func wrap(t *testing.T, kind string, version int, payload []byte) []byte {
	t.Helper()
	env := map[string]any{
		"id":             "01936f4e-8b2a-7c3d-9e4f-0a1b2c3d4e5f",
		"kind":           kind,
		"schema_version": version,
		"source":         "bank-north-01",
		"collected_at":   "2026-03-01T08:00:00Z",
		"purpose":        map[string]any{"requirement_id": "01936f4e-0000-7000-8000-000000000001"},
		"legal_basis":    "synthetic test basis",
		"handling":       "AMBER",
		"retain_until":   "2027-03-01T00:00:00Z",
		"payload":        json.RawMessage(payload),
	}
	b, err := json.Marshal(env)
	require.NoError(t, err)
	return b
}

func assertFailsAt(t *testing.T, err error, w want, prefix string) {
	t.Helper()
	require.Error(t, err, "vector %s must be refused", w.file)
	var ve *schema.ValidationError
	require.True(t, errors.As(err, &ve), "error is %T, want *schema.ValidationError", err)
	for _, v := range ve.Violations {
		if v.Pointer == prefix+w.pointer && v.Keyword == w.keyword {
			return
		}
	}
	t.Errorf("%s: no violation %s at %q; got %v", w.file, w.keyword, prefix+w.pointer, ve.Violations)
}

func canonical(t *testing.T, b []byte) string {
	t.Helper()
	c, err := jcs.Transform(b)
	require.NoError(t, err)
	return string(c)
}

// TestVectors runs every conformance vector under testdata/<kind>/v<N>/:
// valid ones pass alone and inside an envelope and round-trip through the
// Go type unchanged; invalid ones fail at the pointer their sidecar names.
func TestVectors(t *testing.T) {
	v, err := schema.NewValidator()
	require.NoError(t, err)
	kinds := schema.Kinds()
	require.NotEmpty(t, kinds)
	for _, k := range kinds {
		for _, version := range k.Versions {
			dir := filepath.Join("testdata", k.Kind, "v"+itoa(version))
			t.Run(k.Kind+"/v"+itoa(version), func(t *testing.T) {
				valid := jsonFiles(t, filepath.Join(dir, "valid"))
				assert.GreaterOrEqual(t, len(valid), 3, "at least 3 valid vectors")
				for _, name := range valid {
					raw, err := os.ReadFile(name)
					require.NoError(t, err)
					assert.NoError(t, v.ValidatePayload(k.Kind, version, raw), name)
					_, err = v.Validate(wrap(t, k.Kind, version, raw))
					assert.NoError(t, err, name)

					p, err := schema.NewPayload(k.Kind, version)
					require.NoError(t, err)
					env := schema.Envelope{Kind: k.Kind, Payload: raw}
					require.NoError(t, env.DecodePayload(p), name)
					back, err := json.Marshal(p)
					require.NoError(t, err)
					assert.Equal(t, canonical(t, raw), canonical(t, back), "%s does not round-trip through %T", name, p)
				}
				invalidDir := filepath.Join(dir, "invalid")
				invalid := jsonFiles(t, invalidDir)
				assert.GreaterOrEqual(t, len(invalid), 8, "at least 8 invalid vectors")
				wants := readWants(t, invalidDir)
				for _, name := range invalid {
					w, ok := wants[filepath.Base(name)]
					if !assert.True(t, ok, "%s has no line in want.tsv", name) {
						continue
					}
					delete(wants, w.file)
					raw, err := os.ReadFile(name)
					require.NoError(t, err)
					assertFailsAt(t, v.ValidatePayload(k.Kind, version, raw), w, "")
					if json.Valid(raw) {
						_, err = v.Validate(wrap(t, k.Kind, version, raw))
						assertFailsAt(t, err, w, "/payload")
					}
				}
				assert.Empty(t, wants, "want.tsv names files that do not exist")
			})
		}
	}
}

// TestEnvelopeVectors runs testdata/envelope/v1: whole envelopes.
func TestEnvelopeVectors(t *testing.T) {
	v, err := schema.NewValidator()
	require.NoError(t, err)
	dir := filepath.Join("testdata", "envelope", "v1")
	for _, name := range jsonFiles(t, filepath.Join(dir, "valid")) {
		raw, err := os.ReadFile(name)
		require.NoError(t, err)
		env, err := v.Validate(raw)
		if assert.NoError(t, err, name) {
			back, err := json.Marshal(env)
			require.NoError(t, err)
			assert.Equal(t, canonical(t, raw), canonical(t, back), "%s does not round-trip through Envelope", name)
		}
	}
	assert.GreaterOrEqual(t, len(jsonFiles(t, filepath.Join(dir, "valid"))), 3, "at least 3 valid envelopes")
	invalid := jsonFiles(t, filepath.Join(dir, "invalid"))
	assert.GreaterOrEqual(t, len(invalid), 8, "at least 8 invalid envelopes")
	wants := readWants(t, filepath.Join(dir, "invalid"))
	for _, name := range invalid {
		w, ok := wants[filepath.Base(name)]
		if !assert.True(t, ok, "%s has no line in want.tsv", name) {
			continue
		}
		delete(wants, w.file)
		raw, err := os.ReadFile(name)
		require.NoError(t, err)
		_, err = v.Validate(raw)
		assertFailsAt(t, err, w, "")
	}
	assert.Empty(t, wants, "want.tsv names files that do not exist")
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
