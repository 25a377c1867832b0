package schema

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gowebpki/jcs"
	"github.com/stretchr/testify/require"
)

// canonicalAgrees fails if appendCanonical accepts b and writes other
// than the general transform.
func canonicalAgrees(t *testing.T, b []byte) (fast bool) {
	t.Helper()
	out, rest, ok := appendCanonical(nil, b, 0)
	if !ok || len(skipWS(rest)) != 0 {
		return false
	}
	want, err := jcs.Transform(b)
	require.NoError(t, err, "the fast path accepted what the transform refuses: %q", b)
	require.Equal(t, string(want), string(out), "input %q", b)
	return true
}

func TestCanonicalAgrees(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*", "v1", "*", "*.json"))
	require.NoError(t, err)
	fast := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		if canonicalAgrees(t, b) {
			fast++
		}
	}
	require.Greater(t, fast, 300, "the vectors take the fast path")
	for _, s := range []string{
		`{"b":1,"a":"x"}`, `{ "a" : "\u0078", "b":1 }`, `{"a":"tab\there","q":"say \"hi\"","s":"a\/b"}`,
		`{"z":[1,-2,{"y":true,"x":null}],"e":{},"f":[]}`, `{"n":1.0}`, `{"n":1e3}`, `{"n":-0}`,
		`{"é":1}`, `{"a":"日本"}`, `{"a":1,"a":2}`, `{"a":01}`, `[1,2`, `{"a":"\ud800"}`, `"x" y`,
		`{"amp":"Outdoor \u0026 Tactical"}`, `{"e":"x\u00E9y"}`, `{"s":"\uD83D\uDE00"}`, `{"c":"\u00"}`, `{"z":"\u0000\u001f"}`,
		`{"big":1234567890123456}`, `{"ok":123456789012345}`, `{"c":"\b\f\n\r"}`,
	} {
		canonicalAgrees(t, []byte(s))
	}
	require.True(t, canonicalAgrees(t, []byte(`{"b":[1,{"d":"x","c":false}],"a":"q\"\\"}`)))
	require.True(t, canonicalAgrees(t, []byte(`{"name":"Outdoor \u0026 Tactical"}`)), "HTML escapes of encoding/json take the fast path")
}

func FuzzCanonical(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":"x"}`, `{"a":[1,-2,{"c":"\n"}]}`, `{"n":1.5}`, `[]`, `"s"`, `{"a":"\u00e9"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { canonicalAgrees(t, b) })
}
