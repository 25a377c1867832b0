package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
)

// TestBundlesCurrent fails when schema/bundle differs from what the
// embedded schemas generate: run `go generate ./schema` and commit.
func TestBundlesCurrent(t *testing.T) {
	want, err := render(schema.FS(), schema.Kinds())
	require.NoError(t, err)
	got, err := filepath.Glob("../../bundle/*.schema.json")
	require.NoError(t, err)
	assert.Len(t, got, len(want), "schema/bundle has other files than the generator writes")
	for name, b := range want {
		have, err := os.ReadFile(filepath.Join("../../bundle", name))
		if assert.NoError(t, err, "run go generate ./schema") {
			assert.Equal(t, string(b), string(have), "schema/bundle/%s is stale: run go generate ./schema", name)
		}
	}
}

// TestBundlesSelfContained checks that every $ref of a bundle resolves to
// a resource the bundle embeds, or to the bundle itself.
func TestBundlesSelfContained(t *testing.T) {
	files, err := render(schema.FS(), schema.Kinds())
	require.NoError(t, err)
	require.Len(t, files, len(schema.Kinds())+1)
	for name, b := range files {
		var doc map[string]any
		require.NoError(t, json.Unmarshal(b, &doc), name)
		ids := map[string]bool{doc["$id"].(string): true}
		for _, d := range doc["$defs"].(map[string]any) {
			if id, ok := d.(map[string]any)["$id"].(string); ok {
				ids[id] = true
			}
		}
		var walk func(base string, v any)
		walk = func(base string, v any) {
			switch t2 := v.(type) {
			case map[string]any:
				if id, ok := t2["$id"].(string); ok {
					base = id
				}
				if ref, ok := t2["$ref"].(string); ok {
					target, _, _ := strings.Cut(ref, "#")
					switch {
					case target == "":
						target = base
					case strings.HasPrefix(target, "../"):
						target = schema.BaseURI + strings.TrimPrefix(target, "../")
					}
					assert.True(t, ids[target], "%s: $ref %q (from %s) leaves the bundle", name, ref, base)
				}
				for _, c := range t2 {
					walk(base, c)
				}
			case []any:
				for _, c := range t2 {
					walk(base, c)
				}
			}
		}
		walk("", doc)
	}
}

func TestRenderNeedsKinds(t *testing.T) {
	_, err := render(schema.FS(), nil)
	assert.ErrorContains(t, err, "no kinds")
}
