package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema/internal/jsontext"
)

// tapeAgrees fails if tapeDigest digests b, tokenized, otherwise than
// sha-256 over the general transform; it reports whether it digested.
func tapeAgrees(t *testing.T, b []byte) bool {
	t.Helper()
	var tape jsontext.Tape
	if !jsontext.Tokenize(&tape, b, DefaultMaxDepth, "") {
		return false
	}
	got, ok := tapeDigest(&tape, 0)
	if !ok {
		return false
	}
	want, err := jcs.Transform(b)
	require.NoError(t, err, "the tape path digested what the transform refuses: %q", b)
	sum := sha256.Sum256(want)
	require.Equal(t, "sha-256:"+hex.EncodeToString(sum[:]), got, "input %q", b)
	return true
}

func TestTapeDigestAgrees(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*", "v1", "*", "*.json"))
	require.NoError(t, err)
	fast := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		if tapeAgrees(t, b) {
			fast++
		}
	}
	require.Greater(t, fast, 300, "the vectors take the tape path")
	for _, tc := range []struct {
		doc  string
		fast bool // the tape path digests it
	}{
		{`{"b":[1,{"d":"x","c":false}],"a":"q\"\\"}`, true},
		{`{"z":[1,-2,{"y":true,"x":null}],"e":{},"f":[]}`, true},
		{` { "b" : 1 , "a" : [ ] } `, true},
		{`{"amp":"Outdoor \u0026 Tactical"}`, true},
		{`{"s":"\uD83D\uDE00"}`, false},
		{`{"a":"日本"}`, true},
		{`{"ok":123456789012345}`, true},
		{`{"n":1.0}`, false},
		{`{"n":1e3}`, false},
		{`{"n":-0}`, false},
		{`{"é":1}`, false},
		{`{"big":1234567890123456}`, false},
		{`{"a":"\ud800"}`, false},
		// Keys alike in their first eight bytes, and shorter ones.
		{`{"abcdefgh2":1,"abcdefgh1":2,"abcdefgh":3,"abc":4,"abd":5,"ab":6,"b":7,"":8,"abcdefgh10":9}`, true},
		{`{"records_rejected":1,"records_accepted":2,"records_":3,"record":4,"records_a":5}`, true},
	} {
		require.Equal(t, tc.fast, tapeAgrees(t, []byte(tc.doc)), tc.doc)
	}
}

// TestValidateDigest: ValidateDigest returns Validate's envelope and
// PayloadDigest's value for every valid vector, wrapped in an envelope,
// and Validate's error for an invalid one.
func TestValidateDigest(t *testing.T) {
	v, err := NewValidator()
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join("testdata", "*", "v*", "valid", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, name := range files {
		raw, err := os.ReadFile(name)
		require.NoError(t, err)
		kind := filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(name))))
		doc := wrapForFuzz(kind, raw)
		want, werr := v.Validate(doc)
		got, d, err := v.ValidateDigest(doc)
		if werr != nil {
			require.Equal(t, werr.Error(), err.Error(), name)
			continue
		}
		require.NoError(t, err, name)
		require.Equal(t, want, got, name)
		pd, err := PayloadDigest(got.Payload)
		require.NoError(t, err)
		require.Equal(t, pd, d, name)
	}
	_, _, err = v.ValidateDigest([]byte(`{"id":1}`))
	require.ErrorIs(t, err, ErrInvalid)
}

func FuzzTapeDigest(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":"x"}`, `{"a":[1,-2,{"c":"\n"}]}`, `{"n":1.5}`, `[]`, `"s"`, `{"a":"\u00e9"}`, `{"b":{"d":[],"c":{}},"a":0}`,
		`{"abcdefgh2":1,"abcdefgh1":2,"abcdefgh":3,"abc":4,"ab":6,"":8}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { tapeAgrees(t, b) })
}

// BenchmarkValidateDigest compares, on the finance.transaction vector in
// an envelope, Validate then PayloadDigest (what a hub did) with
// ValidateDigest (the digest from the validating pass), and Validate
// alone; then ValidateDigest on the same record with one sealed hop (a
// record as a hub receives it):
//
//	go test ./schema -run '^$' -bench ValidateDigest -benchtime 20000x
func BenchmarkValidateDigest(b *testing.B) {
	v, err := NewValidator()
	require.NoError(b, err)
	files, err := filepath.Glob(filepath.Join("testdata", KindFinanceTransaction, "v1", "valid", "*.json"))
	require.NoError(b, err)
	raw, err := os.ReadFile(files[0])
	require.NoError(b, err)
	doc := wrapForFuzz(KindFinanceTransaction, raw)
	b.Run("validate", func(b *testing.B) {
		for b.Loop() {
			if _, err := v.Validate(doc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("validate+PayloadDigest", func(b *testing.B) {
		for b.Loop() {
			env, err := v.Validate(doc)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := PayloadDigest(env.Payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ValidateDigest", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := v.ValidateDigest(doc); err != nil {
				b.Fatal(err)
			}
		}
	})
	var env Envelope
	require.NoError(b, json.Unmarshal(doc, &env))
	env.Payload, err = Canonical(env.Payload)
	require.NoError(b, err)
	d, err := env.Digest()
	require.NoError(b, err)
	env.Provenance = []Hop{{Org: "bank-north-01", Stage: StageCollection, At: time.Date(2026, 3, 1, 8, 0, 0, 5, time.UTC), Digest: d, Seal: testSeal(3)}}
	sealed, err := env.AppendJSON(nil)
	require.NoError(b, err)
	b.Run("ValidateDigest/sealed-hop", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := v.ValidateDigest(sealed); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// quickStampAgrees fails if QuickStamp stamps env otherwise than Stamp
// does, or stamps an envelope ValidateEnvelope then refuses; it reports
// whether QuickStamp stamped.
func quickStampAgrees(t *testing.T, v *Validator, env Envelope) bool {
	t.Helper()
	at := time.Date(2026, 12, 2, 1, 2, 3, 400, time.UTC)
	quick := env
	if !v.QuickStamp(&quick, "hub-north-01", StageProcessing, at) {
		require.Equal(t, env, quick, "refused, and left as it was")
		return false
	}
	slow := env
	require.NoError(t, slow.Stamp("hub-north-01", StageProcessing, at))
	require.Equal(t, slow, quick)
	require.NoError(t, v.ValidateEnvelope(quick))
	return true
}

// TestQuickStamp: for every vector wrapped in an envelope, QuickStamp
// stamps as Stamp does what ValidateEnvelope then passes, and stamps
// nothing it would refuse (an invalid payload, too many hops, an
// organization id of the wrong form).
func TestQuickStamp(t *testing.T) {
	v, err := NewValidator()
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join("testdata", "*", "v*", "*", "*.json"))
	require.NoError(t, err)
	stamped := 0
	for _, name := range files {
		raw, err := os.ReadFile(name)
		require.NoError(t, err)
		kind := filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(name))))
		var env Envelope
		if json.Unmarshal(wrapForFuzz(kind, raw), &env) != nil {
			continue
		}
		if quickStampAgrees(t, v, env) {
			stamped++
		}
	}
	require.Greater(t, stamped, 50, "the valid vectors are stamped on the quick path")
	var env Envelope
	require.NoError(t, json.Unmarshal(wrapForFuzz(KindFinanceTransaction, mustRead(t, "testdata/finance.transaction/v1/valid/card_payment_merchant.json")), &env))
	require.True(t, quickStampAgrees(t, v, env))
	full := env
	for range MaxHops {
		full.Provenance = append(full.Provenance, Hop{Org: "hub-north-01", Stage: StageProcessing, At: time.Unix(0, 0).UTC(), Digest: "sha-256:" + strings.Repeat("0", 64)})
	}
	require.False(t, quickStampAgrees(t, v, full), "a hop beyond MaxHops")
	bad := env
	require.False(t, v.QuickStamp(&bad, "Not An Org", StageProcessing, time.Now()))
	require.Equal(t, env, bad)
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return b
}

// FuzzQuickStamp: whatever envelope QuickStamp stamps, it stamps as Stamp
// does, and ValidateEnvelope passes it.
func FuzzQuickStamp(f *testing.F) {
	seedVectors(f)
	v, err := NewValidator()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var env Envelope
		if json.Unmarshal(raw, &env) != nil {
			return
		}
		quickStampAgrees(t, v, env)
	})
}
