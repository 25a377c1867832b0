package submit

import (
	"crypto/ed25519"
	"crypto/tls"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/yaronf/httpsign"

	"github.com/sicollab/sicollab/schema"
)

// sigHub is a fixture that authenticates by signatures over plain HTTP,
// with a directory the test swaps and a clock offset it moves.
type sigHub struct {
	*fixture
	dirs   *swapDirectory
	offset atomic.Int64 // added to the real time, for the verifier only
	ver    *SignatureVerifier
}

func newSigHub(t *testing.T, cfg SignatureConfig) *sigHub {
	h := &sigHub{dirs: &swapDirectory{}}
	h.dirs.p.Store(testDirectory(t))
	cfg.Clock = func() time.Time { return time.Now().Add(time.Duration(h.offset.Load())) }
	v, err := NewSignatureVerifier(cfg)
	require.NoError(t, err)
	h.ver = v
	h.fixture = newFixture(t, func(_ *fixture, c *HandlerConfig) {
		c.Directory, c.DirectorySource = nil, h.dirs
		c.Authenticator = seeded{AllOf(RefuseTokens{}, v)}
	})
	return h
}

// signed is a valid submission from bank-north-01 signed with s.
func (h *sigHub) signed(s RequestSigner, p post) *http.Request {
	h.t.Helper()
	if p.body == nil {
		l, _ := h.validLine(testBank)
		p.body = ndjson(l)
	}
	p.noAuth = true
	r := h.request(p)
	require.NoError(h.t, s.SignRequest(r))
	return r
}

func (h *sigHub) refused(r *http.Request, check string) Problem {
	h.t.Helper()
	resp := h.do(r)
	require.Equal(h.t, http.StatusUnauthorized, resp.status, "body: %s", resp.body)
	p := resp.problem(h.t)
	assert.Equal(h.t, ProblemUnauthenticated, p.Type)
	assert.Equal(h.t, check, p.Check, "detail: %s", p.Detail)
	return p
}

func TestSignedRequests(t *testing.T) {
	h := newSigHub(t, SignatureConfig{})
	bankKey, bankPriv := fixtureKey(testBank)
	bank := signer(t, bankKey, bankPriv)

	rc := h.do(h.signed(bank, post{})).receipt(t)
	assert.Equal(t, testBank, rc.Org)
	assert.Equal(t, 1, rc.Counts.Accepted)

	t.Run("signature missing", func(t *testing.T) {
		l, _ := h.validLine(testBank)
		h.refused(h.request(post{noAuth: true, body: ndjson(l)}), "signature-missing")
	})
	t.Run("body changed after signing", func(t *testing.T) {
		r := h.signed(bank, post{})
		other, _ := h.validLine(testBank)
		r.Body, r.ContentLength = http.NoBody, 0
		r2 := h.request(post{noAuth: true, body: ndjson(other)})
		r2.Header = r.Header.Clone() // the signed headers, the digest of the first body
		resp := h.do(r2)
		require.Equal(t, http.StatusBadRequest, resp.status, "the signature holds, the digest does not: %s", resp.body)
		assert.Equal(t, ProblemDigestMismatch, resp.problem(t).Type)

		r3 := h.request(post{noAuth: true, body: ndjson(other)}) // the digest fixed to the new body
		for _, k := range []string{"Signature", "Signature-Input", HeaderIdempotencyKey} {
			r3.Header.Set(k, r.Header.Get(k))
		}
		h.refused(r3, "signature-invalid")
	})
	t.Run("idempotency key changed", func(t *testing.T) {
		r := h.signed(bank, post{})
		r.Header.Set(HeaderIdempotencyKey, newID(t))
		h.refused(r, "signature-invalid")
	})
	t.Run("path changed", func(t *testing.T) {
		r := h.signed(bank, post{method: http.MethodGet, path: PathSubmissions + "/" + rc.SubmissionID})
		r.URL.Path = PathSubmissions + "/" + newID(t)
		h.refused(r, "signature-invalid")
	})
	t.Run("method changed", func(t *testing.T) {
		r := h.signed(bank, post{method: http.MethodPost, path: PathSubmissions + "/" + rc.SubmissionID})
		r.Method = http.MethodGet
		h.refused(r, "signature-invalid")
	})
	t.Run("signed receipt read", func(t *testing.T) {
		resp := h.do(h.signed(bank, post{method: http.MethodGet, path: PathSubmissions + "/" + rc.SubmissionID}))
		assert.Equal(t, rc.SubmissionID, resp.receipt(t).SubmissionID)
	})
	t.Run("created too old", func(t *testing.T) {
		r := h.signed(bank, post{})
		h.offset.Store(int64(2 * time.Minute))
		defer h.offset.Store(0)
		p := h.refused(r, "signature-created")
		assert.Contains(t, p.Detail, "more than 1m0s before the hub's clock")
	})
	t.Run("created in the future", func(t *testing.T) {
		r := h.signed(bank, post{})
		h.offset.Store(int64(-time.Minute))
		defer h.offset.Store(0)
		h.refused(r, "signature-created")
	})
	t.Run("replayed nonce", func(t *testing.T) {
		r := h.signed(bank, post{})
		body, _ := r.GetBody()
		again := r.Clone(r.Context())
		again.Body = body
		require.Equal(t, http.StatusOK, h.do(r).status)
		h.refused(again, "signature-replay")
	})
	t.Run("unknown key id", func(t *testing.T) {
		h.refused(h.signed(signer(t, "bank-north-01-1999", bankPriv), post{}), "signature-key-unknown")
	})
	t.Run("another organization's key", func(t *testing.T) {
		id, priv := fixtureKey(testBank2)
		resp := h.do(h.signed(signer(t, id, priv), post{}))
		require.Equal(t, http.StatusUnprocessableEntity, resp.status, "authenticated as bank-south-02, whose records these are not")
		assert.Equal(t, ReasonSourceMismatch, resp.problem(t).Results[0].Reason)
	})
	t.Run("algorithm mismatch", func(t *testing.T) {
		conf := httpsign.NewSignConfig().SetKeyID(bankKey).SetNonce("n-alg").SetExpires(time.Now().Add(time.Minute).Unix())
		hs, err := httpsign.NewHMACSHA256Signer(make([]byte, 64), conf, signedComponents(http.MethodPost))
		require.NoError(t, err)
		h.refused(h.signed(rawSigner{hs}, post{}), "signature-alg")
	})
	t.Run("signature not covering content-digest", func(t *testing.T) {
		conf := httpsign.NewSignConfig().SetKeyID(bankKey).SetNonce("n-cover").SetExpires(time.Now().Add(time.Minute).Unix())
		hs, err := httpsign.NewEd25519Signer(bankPriv, conf, httpsign.Headers("@method", "@authority", "@path", "content-type", "idempotency-key"))
		require.NoError(t, err)
		p := h.refused(h.signed(rawSigner{hs}, post{}), "signature-coverage")
		assert.Contains(t, p.Detail, "content-digest")
	})
	t.Run("expires too far", func(t *testing.T) {
		long, err := NewHTTPSigner(SignerConfig{KeyID: bankKey, PrivateKey: bankPriv, TTL: time.Hour})
		require.NoError(t, err)
		h.refused(h.signed(long, post{}), "signature-expires")
	})
	t.Run("a bearer token on a hub that refuses them", func(t *testing.T) {
		r := h.signed(bank, post{})
		r.Header.Set("Authorization", "Bearer "+token(testBank))
		h.refused(r, "bearer-refused")
	})
	h.assertStoreClean()
}

// rawSigner signs with an httpsign.Signer as the tests build it.
type rawSigner struct{ s *httpsign.Signer }

func (r rawSigner) SignRequest(req *http.Request) error {
	in, sig, err := httpsign.SignRequest(SignatureLabel, *r.s, req)
	req.Header.Set("Signature-Input", in)
	req.Header.Set("Signature", sig)
	return err
}

// TestSignatureKeyRotation: during an overlap the old and the new key
// both work; once the directory retires the old one, it fails, and a
// revoked key fails whatever its dates. The directory changes under the
// running hub.
func TestSignatureKeyRotation(t *testing.T) {
	h := newSigHub(t, SignatureConfig{})
	now := time.Now()
	oldK, oldPriv := newSigningKey(t, "bank-north-01-a", now.Add(-time.Hour), now.Add(time.Hour))
	newK, newPriv := newSigningKey(t, "bank-north-01-b", now.Add(-10*time.Minute), now.AddDate(1, 0, 0))
	h.dirs.p.Store(keyedDirectory(t, 2, oldK, newK))
	oldS, newS := signer(t, oldK.KeyID, oldPriv), signer(t, newK.KeyID, newPriv)
	assert.Equal(t, http.StatusOK, h.do(h.signed(oldS, post{})).status, "overlap: the old key works")
	assert.Equal(t, http.StatusOK, h.do(h.signed(newS, post{})).status, "overlap: the new key works")

	oldK.NotAfter = now.Add(-time.Minute).UTC().Truncate(time.Second)
	h.dirs.p.Store(keyedDirectory(t, 3, oldK, newK))
	p := h.refused(h.signed(oldS, post{}), "signature-key-not-valid")
	assert.Contains(t, p.Detail, "retired at")
	assert.Equal(t, http.StatusOK, h.do(h.signed(newS, post{})).status, "after retirement the new key works")

	newK.Revoked = true
	h.dirs.p.Store(keyedDirectory(t, 4, oldK, newK))
	h.refused(h.signed(newS, post{}), "signature-key-revoked")
	h.assertStoreClean()
}

// TestSignatureNonceBound: the nonces remembered are bounded; at the
// bound the hub answers 503 instead of forgetting a live nonce.
func TestSignatureNonceBound(t *testing.T) {
	h := newSigHub(t, SignatureConfig{MaxNonces: 2})
	id, priv := fixtureKey(testBank)
	s := signer(t, id, priv)
	short, err := NewHTTPSigner(SignerConfig{KeyID: id, PrivateKey: priv, TTL: 5 * time.Second})
	require.NoError(t, err)
	for range 2 {
		require.Equal(t, http.StatusOK, h.do(h.signed(short, post{})).status)
	}
	resp := h.do(h.signed(s, post{}))
	require.Equal(t, http.StatusServiceUnavailable, resp.status, "body: %s", resp.body)
	assert.Equal(t, "signature-replay-full", resp.problem(t).Check)
	assert.NotEmpty(t, resp.header.Get(HeaderRetryAfter))
	h.offset.Store(int64(7 * time.Second)) // the first two have expired, a new signature has not
	require.Equal(t, http.StatusOK, h.do(h.signed(s, post{})).status, "expired nonces are forgotten")
	h.assertStoreClean()
}

// TestClientMutualTLSAndSignature: a Client with a client certificate and
// a signer delivers through a hub that takes nothing else.
func TestClientMutualTLSAndSignature(t *testing.T) {
	v, err := NewSignatureVerifier(SignatureConfig{})
	require.NoError(t, err)
	h := newTLSHub(t, AllOf(TLSIdentity{TrustDomain: testTrustDomain}, RefuseTokens{}, v), nil)
	id, priv := fixtureKey(testBank)
	c := clientNew(t, ClientConfig{
		Endpoint: h.ts.URL, Org: testBank, OutboxPath: filepath.Join(t.TempDir(), "outbox.db"),
		TLS:    ClientTLSConfig(h.pki.orgCert(testBank), h.pki.pool),
		Signer: signer(t, id, priv), Linger: time.Millisecond, Clock: h.clock.Now,
	})
	var envs []schema.Envelope
	for range 3 {
		env := h.envelope(testBank, schema.KindFinanceTransaction)
		h.valid[env.ID] = true
		envs = append(envs, env)
	}
	require.NoError(t, c.SubmitMany(t.Context(), envs))
	clientFlush(t, c)
	st := c.Stats()
	assert.EqualValues(t, 3, st.Delivered, "stats: %+v", st)
	h.assertStoreClean()

	// The same certificate with another organization's key: refused.
	id2, priv2 := fixtureKey(testBank2)
	r := h.request(post{noAuth: true, body: ndjson(line(t, envs[0]))})
	r.URL.Scheme, r.URL.Host, r.Host = "https", h.ts.Listener.Addr().String(), h.ts.Listener.Addr().String()
	require.NoError(t, signer(t, id2, priv2).SignRequest(r))
	resp, err := h.client(0, h.pki.orgCert(testBank)).Do(r)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestSignerConfigValidate(t *testing.T) {
	err := SignerConfig{PrivateKey: ed25519.PrivateKey{1}, TTL: -1}.Validate()
	assert.ErrorContains(t, err, "SignerConfig.KeyID")
	assert.ErrorContains(t, err, "SignerConfig.PrivateKey is 1 bytes")
	assert.ErrorContains(t, err, "SignerConfig.TTL is -1ns")
	assert.ErrorContains(t, SignatureConfig{MaxAge: -1, MaxSkew: -1, MaxNonces: -1}.Validate(), "SignatureConfig.MaxNonces is -1")
	err = ClientConfig{Endpoint: "http://127.0.0.1:1", Org: testBank, OutboxPath: "x"}.Validate()
	assert.ErrorContains(t, err, "required unless Signer or a client certificate in TLS is set")
	err = ClientConfig{Endpoint: "https://127.0.0.1:1", Org: testBank, OutboxPath: "x",
		TLS: &tls.Config{Certificates: []tls.Certificate{{}}}, HTTPClient: &http.Client{}}.Validate()
	assert.ErrorContains(t, err, "ClientConfig.TLS = set: must be nil when HTTPClient is set")
	assert.NotContains(t, err.Error(), "Token", "a client certificate stands in for the token")
}
