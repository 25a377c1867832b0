package schematest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/schema/schematest"
)

func validEnvelopes(t *testing.T) [][]byte {
	t.Helper()
	files, err := filepath.Glob("../testdata/envelope/v1/valid/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		out = append(out, b)
	}
	return out
}

// edit decodes an envelope, lets f change it, and encodes it again.
func edit(t *testing.T, raw []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	f(m)
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

func TestRunOnConformingRecords(t *testing.T) {
	schematest.TestRecords(t, validEnvelopes(t))
}

// TestCheckFindsEachProblem feeds the kit deliberately broken producers'
// output and checks each problem is named.
func TestCheckFindsEachProblem(t *testing.T) {
	good := validEnvelopes(t)
	var withHops []byte
	for _, g := range good {
		if strings.Contains(string(g), `"provenance"`) {
			withHops = g
			break
		}
	}
	require.NotNil(t, withHops, "a valid vector with provenance")
	cases := []struct {
		name    string
		records [][]byte
		opts    []schematest.Option
		want    string
	}{
		{"schema violation", [][]byte{edit(t, good[0], func(m map[string]any) { m["handling"] = "PURPLE" })}, nil, "/handling: value must be one of"},
		{"not json", [][]byte{[]byte("{")}, nil, "unexpected end of input (syntax)"},
		{"duplicate ids", [][]byte{good[0], good[0]}, nil, "records 0 and 1 share /id"},
		{"retention before collection", [][]byte{edit(t, good[0], func(m map[string]any) { m["retain_until"] = "2001-01-01T00:00:00Z" })}, nil, "/retain_until 2001-01-01T00:00:00Z is not after /collected_at"},
		{"digest mismatch", [][]byte{edit(t, withHops, func(m map[string]any) {
			hops := m["provenance"].([]any)
			hops[len(hops)-1].(map[string]any)["digest"] = "sha-256:" + strings.Repeat("0", 64)
		})}, nil, "digest sha-256:0000"},
		{"hop before collection", [][]byte{edit(t, withHops, func(m map[string]any) {
			m["provenance"].([]any)[0].(map[string]any)["at"] = "2000-01-01T00:00:00Z"
		})}, nil, "/provenance/0/at is before /collected_at"},
		{"hops out of order", [][]byte{edit(t, withHops, func(m map[string]any) {
			hops := m["provenance"].([]any)
			if len(hops) < 2 {
				t.Skip("needs two hops")
			}
			hops[1].(map[string]any)["at"] = m["collected_at"]
			hops[0].(map[string]any)["at"] = "2099-01-01T00:00:00Z"
		})}, nil, "/provenance/1/at is before the hop before it"},
		{"claimed kind missing", good[:1], []schematest.Option{schematest.WithKinds(schema.KindTransportFreight)}, "no valid record of kind transport.freight"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := schematest.CheckRecords(tc.records, tc.opts...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	assert.NoError(t, schematest.CheckRecords(good))
}

func TestOptionsRefuseNonsense(t *testing.T) {
	assert.ErrorContains(t, schematest.CheckRecords(nil, schematest.WithKinds("no.such")), `unknown kind "no.such"`)
	assert.ErrorContains(t, schematest.CheckRecords(nil, schematest.WithValidator(nil)), "nil validator")
}
