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
