package schema_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
)

func schemaFiles(t *testing.T) map[string][]byte {
	t.Helper()
	names, err := fs.Glob(schema.FS(), "*/v*.schema.json")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	out := map[string][]byte{}
	for _, n := range names {
		b, err := fs.ReadFile(schema.FS(), n)
		require.NoError(t, err)
		out[n] = b
	}
	return out
}

// TestSchemasPassMetaSchema validates every file against the draft 2020-12
// meta-schema, which jsonschema carries built in (nothing is fetched).
func TestSchemasPassMetaSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	c.LoadURL = func(u string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("no network: %s", u)
	}
	meta, err := c.Compile("https://json-schema.org/draft/2020-12/schema")
	require.NoError(t, err)
	for name, raw := range schemaFiles(t) {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var doc any
		require.NoError(t, dec.Decode(&doc), name)
		assert.NoError(t, meta.Validate(doc), name)
		assert.Equal(t, "https://json-schema.org/draft/2020-12/schema", doc.(map[string]any)["$schema"], name)
	}
}

// specialCategories are property names no schema may have (GDPR art. 9
// and art. 10 data, and their usual spellings).
var specialCategories = []string{
	"ethnic", "race", "racial", "religio", "belief", "faith", "politic", "party_member",
	"trade_union", "union_member", "sexual", "orientation", "biometric", "genetic", "fingerprint",
	"diagnosis", "medical_history", "criminal_record",
}

// notSpecial are words that hold a special category's letters without
// naming one ("trace" holds "race"); they are removed from a property
// name before it is checked, and nothing else is.
var notSpecial = strings.NewReplacer("trace", "")

// TestSchemaRules walks every schema: each object with properties closes
// them with additionalProperties false, every property is described, and no
// property name is a special category.
func TestSchemaRules(t *testing.T) {
	for name, raw := range schemaFiles(t) {
		var doc any
		require.NoError(t, json.Unmarshal(raw, &doc))
		var walk func(ptr string, n any)
		walk = func(ptr string, n any) {
			switch v := n.(type) {
			case map[string]any:
				// Conditions (if/then/else/not) constrain properties the
				// enclosing object already declares and closes.
				conditional := strings.Contains(ptr, "/if") || strings.Contains(ptr, "/then") ||
					strings.Contains(ptr, "/else") || strings.Contains(ptr, "/not")
				if props, ok := v["properties"].(map[string]any); ok {
					// Beside a $ref, properties narrow the referenced
					// object, which closes itself.
					_, narrows := v["$ref"]
					if !conditional && !narrows {
						assert.Equal(t, false, v["additionalProperties"], "%s%s: properties without additionalProperties false", name, ptr)
					}
					for p, sub := range props {
						lp := notSpecial.Replace(strings.ToLower(p))
						for _, bad := range specialCategories {
							assert.NotContains(t, lp, bad, "%s%s/properties/%s: special-category field", name, ptr, p)
						}
						sm, _ := sub.(map[string]any)
						_, hasDesc := sm["description"]
						_, hasRef := sm["$ref"]
						assert.True(t, conditional || hasDesc || hasRef, "%s%s/properties/%s has no description", name, ptr, p)
					}
				}
				if v["type"] == "object" && v["properties"] == nil && !strings.HasSuffix(ptr, "/payload") {
					t.Errorf("%s%s: open object without properties", name, ptr)
				}
				for k, c := range v {
					walk(ptr+"/"+k, c)
				}
			case []any:
				for i, c := range v {
					walk(fmt.Sprintf("%s/%d", ptr, i), c)
				}
			}
		}
		walk("#", doc)
	}
}

func TestKindsListsEverySchema(t *testing.T) {
	files := schemaFiles(t)
	kinds := schema.Kinds()
	n := 0
	for _, k := range kinds {
		assert.NotEmpty(t, k.Description, k.Kind)
		for _, v := range k.Versions {
			n++
			_, ok := files[fmt.Sprintf("%s/v%d.schema.json", k.Kind, v)]
			assert.True(t, ok, "%s v%d", k.Kind, v)
			_, err := schema.NewPayload(k.Kind, v)
			assert.NoError(t, err, "every kind and version has a Go type")
		}
	}
	assert.Equal(t, len(files)-2, n, "every file except common and envelope is a kind")
	_, err := schema.NewPayload("no.such", 1)
	assert.ErrorIs(t, err, schema.ErrUnknownKind)
}
