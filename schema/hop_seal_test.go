package schema

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testSeal is a seal of the right shape (its hashes and signature are
// not of anything) with a path of n hashes.
func testSeal(n int) *HopSeal {
	s := &HopSeal{KeyID: "bank-north-01:2026", Size: int64(1) << n, Index: 1, Root: strings.Repeat("Ab+/", 11)[:43] + "=",
		Sig: strings.Repeat("Zz09", 22)[:86] + "=="}
	var raw []byte
	for i := range n {
		raw = append(raw, bytes.Repeat([]byte{byte(i + 1)}, 32)...)
	}
	s.Path = base64.StdEncoding.EncodeToString(raw)
	if n == 0 {
		s.Index = 0
	}
	return s
}

// TestSealedHopQuick: a sealed hop takes the quick path (no fall back to
// jsonschema for every signed record) and decodes to the same seal on
// both paths; a malformed seal is refused with its pointer.
func TestSealedHopQuick(t *testing.T) {
	v, err := NewValidator()
	require.NoError(t, err)
	payload, err := os.ReadFile(filepath.Join("testdata", KindFinanceTransaction, "v1", "valid", "card_payment_merchant.json"))
	require.NoError(t, err)
	var env Envelope
	require.NoError(t, json.Unmarshal(wrapForFuzz(KindFinanceTransaction, payload), &env))
	env.Payload, err = Canonical(env.Payload)
	require.NoError(t, err)
	d, err := env.Digest()
	require.NoError(t, err)
	env.Provenance = []Hop{{Org: "bank-north-01", Stage: StageCollection, At: time.Date(2026, 3, 1, 8, 0, 0, 5, time.UTC), Digest: d, Seal: testSeal(3)},
		{Org: "central-bank", Stage: StageProcessing, At: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), Digest: d,
			TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", Seal: testSeal(1)}}
	raw, err := env.AppendJSON(nil)
	require.NoError(t, err)
	quick, ok := v.quickValidate(raw)
	require.True(t, ok, "a sealed hop takes the quick path")
	slow, err := v.Validate(raw)
	require.NoError(t, err)
	assert.Equal(t, env.Provenance, quick.Provenance)
	assert.Equal(t, env.Provenance, slow.Provenance)

	for name, tc := range map[string]struct{ from, to, ptr string }{
		"unknown member": {`"sig":`, `"extra":1,"sig":`, "/provenance/0/seal/extra"},
		"index not int":  {`"index":1`, `"index":"1"`, "/provenance/0/seal/index"},
		"no root":        {`"root":`, `"rooot":`, "/provenance/0/seal/root"},
	} {
		bad := strings.Replace(string(raw), tc.from, tc.to, 1)
		_, err := v.Validate([]byte(bad))
		ve, isVE := err.(*ValidationError)
		require.True(t, isVE, "%s: %v", name, err)
		var ptrs []string
		for _, x := range ve.Violations {
			ptrs = append(ptrs, x.Pointer)
		}
		assert.Contains(t, ptrs, tc.ptr, name)
	}
}
