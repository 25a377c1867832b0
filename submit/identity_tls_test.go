package submit

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMutualTLSHandshakeRefusals: what the handshake refuses never
// reaches the handler: no client certificate, a certificate of an unknown
// CA, an expired one, one for another usage, a TLS 1.2 client.
func TestMutualTLSHandshakeRefusals(t *testing.T) {
	h := newTLSHub(t, AllOf(TLSIdentity{TrustDomain: testTrustDomain}, RefuseTokens{}), nil)
	other := newPKI(t, "unknown-ca")
	bankURI := []string{"spiffe://" + testTrustDomain + "/org/" + testBank}
	cases := map[string]struct {
		client *http.Client
		alert  string
	}{
		"no client certificate": {h.client(0), "certificate required"},
		"unknown CA":            {h.client(0, other.orgCert(testBank)), "unknown certificate authority"},
		"expired": {h.client(0, h.pki.leaf(leafOpts{uris: bankURI,
			notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-24 * time.Hour)})), "expired certificate"},
		"wrong extended key usage": {h.client(0, h.pki.leaf(leafOpts{uris: bankURI,
			eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})), "bad certificate"},
		"TLS 1.2 client": {h.client(tls.VersionTLS12, h.pki.orgCert(testBank)), "protocol version"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := h.postTLS(c.client, post{})
			require.Error(t, err, "the handshake must fail")
			assert.Contains(t, err.Error(), c.alert)
		})
	}
	// And the control: the bank's own certificate passes.
	resp, err := h.postTLS(h.client(0, h.pki.orgCert(testBank)), post{})
	require.NoError(t, err)
	rc := resp.receipt(t)
	assert.Equal(t, testBank, rc.Org)
	assert.Equal(t, 1, rc.Counts.Accepted)
	h.assertStoreClean()
}

// TestMutualTLSIdentity: what the handshake lets through, TLSIdentity
// judges: exactly one URI SAN of the trust domain naming an organization
// of the directory, agreeing with any token sent.
func TestMutualTLSIdentity(t *testing.T) {
	h := newTLSHub(t, AllOf(TLSIdentity{TrustDomain: testTrustDomain}, BearerTokens{Optional: true}), nil)
	bank := "spiffe://" + testTrustDomain + "/org/" + testBank
	cases := map[string]struct {
		cert   tls.Certificate
		p      post
		status int
		check  string
	}{
		"zero URI SANs": {h.pki.leaf(leafOpts{}), post{}, http.StatusForbidden, "uri-san"},
		"two URI SANs": {h.pki.leaf(leafOpts{uris: []string{bank, "spiffe://" + testTrustDomain + "/org/" + testBank2}}),
			post{}, http.StatusForbidden, "uri-san"},
		"another trust domain":   {h.pki.leaf(leafOpts{uris: []string{"spiffe://elsewhere.test/org/" + testBank}}), post{}, http.StatusForbidden, "uri-san"},
		"not an org path":        {h.pki.leaf(leafOpts{uris: []string{"spiffe://" + testTrustDomain + "/ns/x/sa/" + testBank}}), post{}, http.StatusForbidden, "uri-san"},
		"org not in directory":   {h.pki.orgCert("bank-west-99"), post{}, http.StatusForbidden, "unknown-org"},
		"another org's token":    {h.pki.orgCert(testBank), post{org: testBank2}, http.StatusUnauthorized, "identity-mismatch"},
		"a wrong token":          {h.pki.orgCert(testBank), post{auth: "Bearer token-guessed"}, http.StatusUnauthorized, "bearer-token"},
		"certificate with token": {h.pki.orgCert(testBank), post{org: testBank}, http.StatusOK, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			resp, err := h.postTLS(h.client(0, c.cert), c.p)
			require.NoError(t, err)
			require.Equal(t, c.status, resp.status, "body: %s", resp.body)
			if c.status == http.StatusOK {
				return
			}
			p := resp.problem(t)
			assert.Equal(t, c.check, p.Check)
			if c.status == http.StatusForbidden {
				assert.Equal(t, ProblemIdentityRefused, p.Type)
			} else {
				assert.Equal(t, ProblemUnauthenticated, p.Type)
			}
			assert.NotEmpty(t, p.Detail)
		})
	}
	h.assertStoreClean()
}

// TestMutualTLSHandlerChecks: a server configured to let a client in
// without a certificate (VerifyClientCertIfGiven) still gets no
// organization from TLSIdentity; a certificate past its end at the hub's
// clock is refused; plain HTTP is refused; a hub refusing tokens says so.
func TestMutualTLSHandlerChecks(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	h := newTLSHub(t, AllOf(TLSIdentity{TrustDomain: testTrustDomain, Clock: clock.Now}, RefuseTokens{}),
		func(p *testPKI) *tls.Config {
			c := ServerTLSConfig(p.serverCert(), p.pool)
			c.ClientAuth = tls.VerifyClientCertIfGiven
			return c
		})
	resp, err := h.postTLS(h.client(0), post{})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.status)
	assert.Equal(t, "client-certificate", resp.problem(t).Check)

	resp, err = h.postTLS(h.client(0, h.pki.orgCert(testBank)), post{org: testBank})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.status)
	assert.Equal(t, "bearer-refused", resp.problem(t).Check)

	clock.Add(2 * time.Hour) // the leaf ends an hour from now
	resp, err = h.postTLS(h.client(0, h.pki.orgCert(testBank)), post{})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.status)
	assert.Equal(t, "client-certificate-expired", resp.problem(t).Check)

	// Plain HTTP to a hub that takes TLS identities only.
	l, _ := h.validLine(testBank)
	resp = h.send(post{noAuth: true, body: ndjson(l)})
	require.Equal(t, http.StatusUnauthorized, resp.status)
	assert.Equal(t, "tls", resp.problem(t).Check)
	h.assertStoreClean()
}
