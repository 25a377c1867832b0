package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScanVectors: the scan passes every valid vector of a kind it covers
// (so the quick path is the one records take) and no invalid one.
func TestScanVectors(t *testing.T) {
	reg, err := compileAll(true)
	require.NoError(t, err)
	covered := 0
	for key, ps := range reg.payloads {
		if ps.root == nil {
			continue
		}
		covered++
		for _, dir := range []string{"valid", "invalid"} {
			files, err := filepath.Glob(filepath.Join("testdata", key.kind, "v1", dir, "*.json"))
			require.NoError(t, err)
			for _, f := range files {
				raw, err := os.ReadFile(f)
				require.NoError(t, err)
				assert.Equal(t, dir == "valid", ps.scan(raw, DefaultMaxDepth), f)
			}
		}
	}
	// The benchmarks' kinds depend on it; a schema change that loses the
	// quick path should be a decision, not an accident.
	for _, kind := range []string{KindTransportPassenger} {
		assert.NotNil(t, reg.payloads[kindVersion{kind, 1}].root, kind)
	}
	assert.GreaterOrEqual(t, covered, 6)
}

// TestScanRefuses: what the scan leaves to the parser and the schema.
func TestScanRefuses(t *testing.T) {
	reg, err := compileAll(true)
	require.NoError(t, err)
	ps := reg.payloads[kindVersion{KindTransportPassenger, 1}]
	require.NotNil(t, ps.root)
	base, err := os.ReadFile(filepath.Join("testdata", KindTransportPassenger, "v1", "valid", "coach_no_show_minimal.json"))
	require.NoError(t, err)
	var compact bytes.Buffer
	require.NoError(t, json.Compact(&compact, base))
	doc := compact.String()
	require.True(t, ps.scan([]byte(doc), DefaultMaxDepth), "the document the cases change")
	require.True(t, strings.HasPrefix(doc, `{"`), doc)

	require.Contains(t, doc, `"traveller":{`)
	first, _, ok := strings.Cut(doc[2:], `"`)
	require.True(t, ok)
	member := doc[1:strings.Index(doc, `,"`)] // the first member, as written
	for _, c := range []struct {
		name, doc string
	}{
		{"duplicate key", `{` + member + `,` + doc[1:]},
		{"unknown key", `{"x_unknown":"a",` + doc[1:]},
		{"identity", strings.Replace(doc, `"traveller":{`, `"traveller":{"identity":{"identifier":"X1"},`, 1)},
		{"escape in a key", strings.Replace(doc, `"`+first+`"`, fmt.Sprintf(`"\u%04x%s"`, first[0], first[1:]), 1)},
		{"trailing data", doc + `{}`},
		{"truncated", doc[:len(doc)-1]},
		{"too deep", doc},
		{"leading space only", " "},
		{"empty", ""},
		{"not an object", `[]`},
	} {
		t.Run(c.name, func(t *testing.T) {
			depth := DefaultMaxDepth
			if c.name == "too deep" {
				depth = 1
			}
			assert.False(t, ps.scan([]byte(c.doc), depth))
		})
	}
	assert.True(t, ps.scan([]byte(" \n"+doc+"\t "), DefaultMaxDepth), "white space around the value")
}

// TestScanObjectLimit: a closed object of more than 64 properties is left
// to the schema; at 64 the scan passes it.
func TestScanObjectLimit(t *testing.T) {
	doc := func(n int) (map[string]any, []byte) {
		props := map[string]any{}
		var b strings.Builder
		b.WriteByte('{')
		for i := range n {
			props[fmt.Sprintf("p%d", i)] = map[string]any{"type": "string"}
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"p%d":"x"`, i)
		}
		b.WriteByte('}')
		return map[string]any{"type": "object", "properties": props, "additionalProperties": false}, []byte(b.String())
	}
	s64, d64 := doc(64)
	assert.True(t, newLeaf(s64).scanDocument(d64, DefaultMaxDepth))
	s65, d65 := doc(65)
	l := newLeaf(s65)
	assert.False(t, l.scanDocument(d65, DefaultMaxDepth), "past 64 properties")
	var v any
	require.NoError(t, json.Unmarshal(d65, &v))
	assert.True(t, l.ok(v), "the leaf check, which has no such limit, passes it")
}

func TestScanStrings(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{`2026-03-02T09:00:00Z`, true},
		{`2026-03-02T09:00:00.5Z`, true},
		{`2024-02-29T00:00:00Z`, true},
		{`2026-02-29T00:00:00Z`, false},
		{`2026-03-02T23:59:60Z`, false}, // a leap second: the format's to judge
		{`2026-03-02T09:00:00+01:00`, false},
		{`2026-03-02t09:00:00Z`, false},
		{`2026-03-02T09:00:00.Z`, false},
		{`0000-01-01T00:00:00Z`, false},
		{`2026-13-01T00:00:00Z`, false},
		{`2026-03-02T24:00:00Z`, false},
	} {
		assert.Equal(t, c.want, isUTCDateTime([]byte(c.in)), c.in)
	}
	assert.True(t, isUUIDBytes([]byte("01936f4e-8b2a-7c3d-9e4f-0a1b2c3d4e5f")))
	assert.False(t, isUUIDBytes([]byte("01936f4e-8b2a-7c3d-9e4f-0a1b2c3d4e5g")))
	assert.False(t, isUUIDBytes([]byte("01936f4e08b2a-7c3d-9e4f-0a1b2c3d4e5f")))
}

// FuzzScan checks the scan never passes what the parser or the schemas
// as written refuse, for every kind it covers.
func FuzzScan(f *testing.F) {
	seedVectors(f)
	reg, err := compileAll(true)
	if err != nil {
		f.Fatal(err)
	}
	plain, err := compileAll(false)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for key, ps := range reg.payloads {
			if !ps.scan(raw, 8) {
				continue
			}
			doc, p := parseDocument(raw, 8, nil)
			if p.err != nil {
				t.Fatalf("%s: scan passed what the parser refuses: %s", key.kind, p.err.msg)
			}
			if err := plain.payloads[key].Validate(doc); err != nil {
				t.Fatalf("%s: scan passed what the schema refuses: %v", key.kind, err)
			}
			var vs []Violation
			findIdentity(doc, nil, HandlingGreen, &vs)
			if len(vs) > 0 {
				t.Fatalf("%s: scan passed a clear identity", key.kind)
			}
		}
	})
}
