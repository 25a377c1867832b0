package submit

import (
	"bytes"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzSignatureHeaders feeds arbitrary Signature-Input and Signature
// headers to SignatureVerifier: it never panics, never reads the body,
// and refuses with an *AuthError naming a check (nothing here is signed
// with a key of the directory, save the seed made with the real key,
// which verifies once and is then a replay).
func FuzzSignatureHeaders(f *testing.F) {
	id, priv := fixtureKey(testBank)
	s := signer(f, id, priv)
	dir := testDirectory(f)
	body := []byte("{}\n")
	mk := func() *http.Request {
		r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:8480"+PathSubmissions, bytes.NewReader(body))
		r.Header.Set("Content-Type", MediaNDJSON)
		r.Header.Set(HeaderIdempotencyKey, "01950a00-0000-7000-8000-000000000001")
		r.Header.Set(HeaderContentDigest, ContentDigest(body))
		return r
	}
	good := mk()
	require.NoError(f, s.SignRequest(good))
	f.Add(good.Header.Get("Signature-Input"), good.Header.Get("Signature"))
	f.Add(`sicollab=("@method");created=1;keyid="x";alg="ed25519"`, `sicollab=:AAAA:`)
	f.Add(`sicollab=("content-digest";tr);keyid="bank-north-01-2026"`, `sicollab=:AAAA:`)
	f.Add(`other=();keyid="k"`, `other=:AAAA:`)
	f.Add(`sicollab=`, `sicollab=`)
	v, err := NewSignatureVerifier(SignatureConfig{})
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, input, sig string) {
		r := mk()
		r.Header.Set("Signature-Input", input)
		r.Header.Set("Signature", sig)
		r.Body = failingBody{t}
		_, err := v.Authenticate(r, dir)
		if err == nil {
			return // the real signature, once
		}
		var ae *AuthError
		require.True(t, errors.As(err, &ae), "%v", err)
		require.NotEmpty(t, ae.Check)
		require.Contains(t, []int{http.StatusUnauthorized, http.StatusServiceUnavailable}, ae.Status)
	})
}

// failingBody fails the test if anything reads it.
type failingBody struct{ t *testing.T }

func (b failingBody) Read([]byte) (int, error) {
	b.t.Error("the signature check read the body")
	return 0, errors.New("read")
}

func (failingBody) Close() error { return nil }
