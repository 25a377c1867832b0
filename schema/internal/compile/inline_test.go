package compile

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
