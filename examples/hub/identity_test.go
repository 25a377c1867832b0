package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/submittest"
)

func TestIdentityUsage(t *testing.T) {
	base := []string{"-directory", scheme, "-data", t.TempDir(), "-org", "central-bank"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-tls-cert", "c.pem"}, "-tls-cert and -tls-key go together"},
		{[]string{"-client-ca", "ca.pem", "-trust-domain", "x"}, "-client-ca needs -tls-cert"},
		{[]string{"-tls-cert", "c", "-tls-key", "k", "-client-ca", "ca.pem"}, "-client-ca and -trust-domain go together"},
		{[]string{"-refuse-tokens"}, "-refuse-tokens needs -client-ca or -require-signatures"},
	} {
		var out, errOut bytes.Buffer
		require.Equal(t, 2, run(append(base, tc.args...), &out, &errOut), "%v", tc.args)
		require.Contains(t, errOut.String(), tc.want)
	}
}

// testCA writes ca.pem and, per org, <org>.pem and <org>-key.pem into dir.
func testCA(t *testing.T, dir string, orgs ...string) *x509.CertPool {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, ca, ca, pub, priv)
	require.NoError(t, err)
	ca, _ = x509.ParseCertificate(der)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	for i, org := range orgs {
		lpub, lpriv, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		u, _ := url.Parse(collab.TLSIdentity("sicollab.test", org))
		leaf := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 2)), Subject: pkix.Name{CommonName: org},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
			URIs:        []*url.URL{u}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
		der, err := x509.CreateCertificate(rand.Reader, leaf, ca, lpub, priv)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, org+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
		p8, err := x509.MarshalPKCS8PrivateKey(lpriv)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, org+"-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), 0o600))
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool
}

func fixtureKey(org string) (string, ed25519.PrivateKey) {
	seed := sha256.Sum256([]byte("key-" + org))
	return org + "-2026", ed25519.NewKeyFromSeed(seed[:])
}

// signedPoster sends signed submissions over mutual TLS as one org.
type signedPoster struct {
	t      *testing.T
	url    string
	client *http.Client
	signer submit.RequestSigner
	token  string
}

func newPoster(t *testing.T, pki string, pool *x509.CertPool, url, org string, keyID string, priv ed25519.PrivateKey) *signedPoster {
	cert, err := tls.LoadX509KeyPair(filepath.Join(pki, org+".pem"), filepath.Join(pki, org+"-key.pem"))
	require.NoError(t, err)
	s, err := submit.NewHTTPSigner(submit.SignerConfig{KeyID: keyID, PrivateKey: priv})
	require.NoError(t, err)
	return &signedPoster{t: t, url: url, signer: s,
		client: &http.Client{Transport: &http.Transport{TLSClientConfig: submit.ClientTLSConfig(cert, pool)}}}
}

func (p *signedPoster) post(body []byte) (int, []byte) {
	p.t.Helper()
	r, err := http.NewRequest(http.MethodPost, p.url+submit.PathSubmissions, bytes.NewReader(body))
	require.NoError(p.t, err)
	r.Header.Set("Content-Type", submit.MediaNDJSON)
	r.Header.Set(submit.HeaderIdempotencyKey, uuid.Must(uuid.NewV7()).String())
	r.Header.Set(submit.HeaderContentDigest, submit.ContentDigest(body))
	if p.token != "" {
		r.Header.Set("Authorization", "Bearer "+p.token)
	}
	require.NoError(p.t, p.signer.SignRequest(r))
	resp, err := p.client.Do(r)
	require.NoError(p.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

func (p *signedPoster) accepted(body []byte) submit.Receipt {
	p.t.Helper()
	status, raw := p.post(body)
	require.Equal(p.t, http.StatusOK, status, "%s", raw)
	var rc submit.Receipt
	require.NoError(p.t, json.Unmarshal(raw, &rc))
	require.Equal(p.t, 1, rc.Counts.Accepted, "%+v", rc.Results)
	return rc
}

// TestBinarySecured runs the hub with mutual TLS, signatures, no tokens
// and a signed directory; rotates a key by publishing a new directory and
// sending SIGHUP; and sees a wrongly signed directory refused with the
// old one kept.
func TestBinarySecured(t *testing.T) {
	tmp := t.TempDir()
	bin := buildHub(t)

	pki := filepath.Join(tmp, "pki")
	require.NoError(t, os.Mkdir(pki, 0o700))
	pool := testCA(t, pki, "central-bank", "leading-group", "bank-north-01", "public-security")

	// The directory, signed by the leading group; its key the trust anchor.
	raw, err := os.ReadFile(scheme)
	require.NoError(t, err)
	var doc schema.Directory
	require.NoError(t, json.Unmarshal(raw, &doc))
	dirFile := filepath.Join(tmp, "directory.json")
	lgID, lgPriv := fixtureKey("leading-group")
	publish := func(doc *schema.Directory, signer ed25519.PrivateKey) {
		raw, err := json.Marshal(doc)
		require.NoError(t, err)
		sig, err := collab.SignDirectory(raw, lgID, signer)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(dirFile+".sig", sig, 0o644))
		require.NoError(t, os.WriteFile(dirFile, raw, 0o644))
	}
	publish(&doc, lgPriv)
	anchor := filepath.Join(tmp, "leading-group.json")
	lgEntry, _ := json.Marshal(doc.Orgs[0].Keys[0])
	require.Equal(t, "leading-group", doc.Orgs[0].ID)
	require.NoError(t, os.WriteFile(anchor, lgEntry, 0o644))

	// Upstream: public security, taking mutual TLS and signatures only.
	verifier, err := submit.NewSignatureVerifier(submit.SignatureConfig{})
	require.NoError(t, err)
	upCert, err := tls.LoadX509KeyPair(filepath.Join(pki, "public-security.pem"), filepath.Join(pki, "public-security-key.pem"))
	require.NoError(t, err)
	up := submittest.NewServer(t, submittest.WithDirectoryFile(dirFile), submittest.WithOrg("public-security"),
		submittest.WithTLS(submit.ServerTLSConfig(upCert, pool)),
		submittest.WithAuthenticator(submit.AllOf(submit.TLSIdentity{TrustDomain: "sicollab.test"}, submit.RefuseTokens{}, verifier)))
	cbID, cbPriv := fixtureKey("central-bank")
	cbKey := filepath.Join(tmp, "central-bank.key")
	p8, err := x509.MarshalPKCS8PrivateKey(cbPriv)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cbKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), 0o600))

	hub := startHub(t, bin, "-listen", "127.0.0.1:0",
		"-upstream", up.URL, "-upstream-ca", filepath.Join(pki, "ca.pem"), "-signing-key", cbKey, "-signing-key-id", cbID, "-directory", dirFile, "-data", filepath.Join(tmp, "data"), "-org", "central-bank",
		"-tls-cert", filepath.Join(pki, "central-bank.pem"), "-tls-key", filepath.Join(pki, "central-bank-key.pem"),
		"-client-ca", filepath.Join(pki, "ca.pem"), "-trust-domain", "sicollab.test",
		"-require-signatures", "-refuse-tokens", "-directory-key", anchor)
	stderr, addr := hub.stderr, hub.addr
	url := "https://" + addr

	lg := newPoster(t, pki, pool, url, "leading-group", lgID, lgPriv)
	reqID := uuid.Must(uuid.NewV7()).String()
	now := time.Now().UTC().Truncate(time.Second)
	req := corridorRequirement(reqID, now)
	lg.accepted(envLine(t, schema.KindRequirement, "leading-group", reqID, req))
	lgUp := newPoster(t, pki, pool, up.URL, "leading-group", lgID, lgPriv)
	lgUp.accepted(envLine(t, schema.KindRequirement, "leading-group", reqID, req))

	payload, err := os.ReadFile("../../schema/testdata/finance.transaction/v1/valid/card_payment_merchant.json")
	require.NoError(t, err)
	record := func() []byte { return envLine(t, schema.KindFinanceTransaction, "bank-north-01", reqID, payload) }
	bankID, bankPriv := fixtureKey("bank-north-01")
	bank := newPoster(t, pki, pool, url, "bank-north-01", bankID, bankPriv)
	recID := bank.accepted(record()).Results[0].ID

	bank.token = "token-bank-north-01"
	status, body := bank.post(record())
	require.Equal(t, http.StatusUnauthorized, status, "%s", body)
	require.Contains(t, string(body), `"check":"bearer-refused"`)
	bank.token = ""

	// Rotation: a new key for the bank, published as version 2.
	pub2, priv2, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	doc.Version = 2
	for i := range doc.Orgs {
		if doc.Orgs[i].ID == "bank-north-01" {
			doc.Orgs[i].Keys = append(doc.Orgs[i].Keys, schema.DirectoryKey{KeyID: "bank-north-01-2027", Alg: collab.AlgEd25519,
				PublicKey: base64.StdEncoding.EncodeToString(pub2), NotBefore: now.Add(-time.Minute), NotAfter: now.AddDate(1, 0, 0)})
		}
	}
	publish(&doc, lgPriv)
	hub.signal(t, syscall.SIGHUP)
	waitLog(t, stderr, "version=2")
	bank2 := newPoster(t, pki, pool, url, "bank-north-01", "bank-north-01-2027", priv2)
	bank2.accepted(record())
	bank.accepted(record()) // the overlap: the old key still works

	// Version 3, signed by the bank instead of the leading group: refused.
	doc.Version = 3
	doc.Orgs = doc.Orgs[:len(doc.Orgs)-1]
	publish(&doc, bankPriv)
	hub.signal(t, syscall.SIGHUP)
	waitLog(t, stderr, "directory refused; keeping the one in use")
	require.Contains(t, stderr.String(), "signature invalid")
	bank2.accepted(record()) // version 2 stays

	hub.stop(t)

	// Relayed over mutual TLS with the hub's own signature.
	relayed, err := up.Store.Get(t.Context(), recID)
	require.NoError(t, err, "stderr: %s", stderr.String())
	require.Equal(t, "central-bank", relayed.Provenance[len(relayed.Provenance)-1].Org)
}

// waitLog waits until the hub's log holds s (the hub logs each reload).
func waitLog(t *testing.T, log *syncBuffer, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(log.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("the hub never logged %q; stderr: %s", s, log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
