package schema

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCompiledFormAgrees checks that the compiled form (references
// inlined, anyOf of required sets as an extension) reports exactly what
// the files as written report, violation for violation, on every vector.
func TestCompiledFormAgrees(t *testing.T) {
	fast, err := compileAll(true)
	require.NoError(t, err)
	plain, err := compileAll(false)
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join("testdata", "*", "v1", "*", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		kind := filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(f))))
		key := kindVersion{kind, 1}
		if fast.payloads[key] == nil {
			continue // the directory's own kind, and the envelope
		}
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var doc any
		require.NoError(t, dec.Decode(&doc), f)
		outcome := func(r *registry) []Violation {
			err := r.payloads[key].Validate(doc)
			if err == nil {
				return nil
			}
			var ve *ValidationError
			require.ErrorAs(t, schemaError(err, doc, "", kind, 1), &ve, f)
			return ve.Violations
		}
		assert.Equal(t, outcome(plain), outcome(fast), f)
	}
}

func TestAnyRequiredSets(t *testing.T) {
	for _, c := range []struct {
		name  string
		anyOf string
		ok    bool
	}{
		{"required only", `[{"required":["a"]},{"required":["b","c"]}]`, true},
		{"with annotation", `[{"required":["a"],"description":"x"}]`, true},
		{"another keyword", `[{"required":["a"]},{"required":["b"],"minProperties":2}]`, false},
		{"no required", `[{"description":"x"}]`, false},
		{"empty required", `[{"required":[]}]`, false},
		{"not a list", `{"required":["a"]}`, false},
		{"empty", `[]`, false},
		{"non-string name", `[{"required":[1]}]`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var v any
			require.NoError(t, json.Unmarshal([]byte(c.anyOf), &v))
			_, ok := anyRequiredSets(v)
			assert.Equal(t, c.ok, ok)
		})
	}
}
