package submit

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/demoscheme"
	"github.com/sicollab/sicollab/schema"
)

// testTrustDomain is the SPIFFE trust domain of the tests' certificates.
const testTrustDomain = "sicollab.test"

// testPKI is a CA made in the test, and the certificates it issues.
type testPKI struct {
	t    testing.TB
	cert *x509.Certificate
	key  ed25519.PrivateKey
	pool *x509.CertPool
}

var serial atomic.Int64

func newPKI(t testing.TB, name string) *testPKI {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testPKI{t: t, cert: cert, key: priv, pool: pool}
}

// leafOpts shape a leaf certificate; zero fields take valid values.
type leafOpts struct {
	uris      []string // URI SANs; nil: none
	ips       []net.IP
	eku       []x509.ExtKeyUsage // nil: clientAuth
	notBefore time.Time
	notAfter  time.Time
}

func (p *testPKI) leaf(o leafOpts) tls.Certificate {
	p.t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(p.t, err)
	if o.eku == nil {
		o.eku = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	if o.notBefore.IsZero() {
		o.notBefore = time.Now().Add(-time.Hour)
	}
	if o.notAfter.IsZero() {
		o.notAfter = time.Now().Add(time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: "leaf"},
		NotBefore: o.notBefore, NotAfter: o.notAfter, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: o.eku, IPAddresses: o.ips,
	}
	for _, s := range o.uris {
		u, err := url.Parse(s)
		require.NoError(p.t, err)
		tmpl.URIs = append(tmpl.URIs, u)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, pub, p.key)
	require.NoError(p.t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv}
}

// orgCert is a valid client certificate of org.
func (p *testPKI) orgCert(org string) tls.Certificate {
	return p.leaf(leafOpts{uris: []string{collab.TLSIdentity(testTrustDomain, org)}})
}

// serverCert is the hub's certificate for 127.0.0.1.
func (p *testPKI) serverCert() tls.Certificate {
	return p.leaf(leafOpts{eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, ips: []net.IP{net.IPv4(127, 0, 0, 1)}})
}

// seeded is the Authenticator of the identity tests' hubs: the fixture
// seeds its purposes with the leading group's bearer token over plain
// HTTP; every other request goes to the Authenticator under test.
type seeded struct{ real Authenticator }

func (s seeded) Authenticate(r *http.Request, dir *collab.Directory) (collab.Org, error) {
	if r.TLS == nil && r.Header.Get("Authorization") == "Bearer "+token(testLeader) {
		return BearerTokens{}.Authenticate(r, dir)
	}
	return s.real.Authenticate(r, dir)
}

// tlsHub is a fixture whose handler is also served over mutual TLS.
type tlsHub struct {
	*fixture
	pki *testPKI
	ts  *httptest.Server
}

// newTLSHub starts a fixture with auth (under seeded) and serves it over
// TLS with tc (nil: ServerTLSConfig with the hub's certificate and pki).
func newTLSHub(t *testing.T, auth Authenticator, tc func(*testPKI) *tls.Config) *tlsHub {
	pki := newPKI(t, "scheme-ca")
	f := newFixture(t, func(_ *fixture, c *HandlerConfig) { c.Authenticator = seeded{auth} })
	if tc == nil {
		tc = func(p *testPKI) *tls.Config { return ServerTLSConfig(p.serverCert(), p.pool) }
	}
	ts := httptest.NewUnstartedServer(f.h)
	ts.TLS = tc(pki)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return &tlsHub{fixture: f, pki: pki, ts: ts}
}

// client returns an HTTPS client presenting certs (none if empty).
func (h *tlsHub) client(maxVersion uint16, certs ...tls.Certificate) *http.Client {
	tc := &tls.Config{RootCAs: h.pki.pool, MaxVersion: maxVersion, MinVersion: tls.VersionTLS12}
	if len(certs) > 0 { // presented whatever CAs the hub asks for, so an unknown CA reaches it
		tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &certs[0], nil }
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
}

// postTLS sends a valid submission from bank-north-01 (without a bearer
// token unless p says otherwise) over c.
func (h *tlsHub) postTLS(c *http.Client, p post) (response, error) {
	h.t.Helper()
	if p.body == nil {
		l, _ := h.validLine(testBank)
		p.body = ndjson(l)
	}
	if p.auth == "" && p.org == "" {
		p.noAuth = true
	}
	r := h.request(p)
	r.URL.Scheme, r.URL.Host, r.Host = "https", h.ts.Listener.Addr().String(), h.ts.Listener.Addr().String()
	resp, err := c.Do(r)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return response{resp.StatusCode, resp.Header, b}, err
}

// keyedDirectory returns the test directory with bank-north-01's keys
// replaced by keys, as a directory of version v.
func keyedDirectory(t testing.TB, v int, keys ...schema.DirectoryKey) *collab.Directory {
	t.Helper()
	raw := demoscheme.JSON()
	var doc schema.Directory
	require.NoError(t, json.Unmarshal(raw, &doc))
	doc.Version = v
	doc.Orgs = append(doc.Orgs, schema.DirectoryOrg{
		ID: testObserver, Name: "Observer", Tier: "social_force", Sectors: []string{"public"},
		Region: "CN-BJ", TokenSHA256: sha256Hex(token(testObserver)),
	})
	for i := range doc.Orgs {
		if doc.Orgs[i].ID == testBank && keys != nil {
			doc.Orgs[i].Keys = keys
		}
	}
	raw, _ = json.Marshal(doc)
	d, err := collab.ParseDirectory(raw)
	require.NoError(t, err)
	return d
}

// fixtureKey is an organization's key in internal/demoscheme/scheme.json:
// seed SHA-256("key-<org>"), id "<org>-2026".
func fixtureKey(org string) (string, ed25519.PrivateKey) {
	seed := sha256.Sum256([]byte("key-" + org))
	return org + "-2026", ed25519.NewKeyFromSeed(seed[:])
}

// newSigningKey is a fresh key's directory entry and private key.
func newSigningKey(t testing.TB, id string, nb, na time.Time) (schema.DirectoryKey, ed25519.PrivateKey) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return schema.DirectoryKey{KeyID: id, Alg: collab.AlgEd25519, PublicKey: base64.StdEncoding.EncodeToString(pub),
		NotBefore: nb.UTC().Truncate(time.Second), NotAfter: na.UTC().Truncate(time.Second)}, priv
}

// swapDirectory is a DirectorySource tests change by hand.
type swapDirectory struct {
	p atomic.Pointer[collab.Directory]
}

func (s *swapDirectory) Directory() *collab.Directory { return s.p.Load() }

func signer(t testing.TB, keyID string, priv ed25519.PrivateKey) *HTTPSigner {
	s, err := NewHTTPSigner(SignerConfig{KeyID: keyID, PrivateKey: priv})
	require.NoError(t, err)
	return s
}
