package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
)

// TestDocsCurrent fails when docs/schemas.md differs from what the schemas
// generate: run `go generate ./schema` and commit.
func TestDocsCurrent(t *testing.T) {
	want, err := render(schema.FS())
	require.NoError(t, err)
	got, err := os.ReadFile("../../../docs/schemas.md")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "docs/schemas.md is stale: run go generate ./schema")
}

func TestRenderCoversEveryKind(t *testing.T) {
	doc, err := render(schema.FS())
	require.NoError(t, err)
	for _, k := range schema.Kinds() {
		assert.Contains(t, string(doc), "## "+k.Kind+"\n")
	}
	assert.Contains(t, string(doc), "## envelope\n")
	assert.Contains(t, string(doc), "`payload`")
}
