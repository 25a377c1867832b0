package submit

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sicollab/sicollab/collab"
)

// ServerTLSConfig returns the TLS configuration of a hub that takes
// mutual TLS: TLS 1.3 at least, its own certificate cert, and a client
// certificate required and verified against clientCAs (for client
// authentication: extended key usage clientAuth) during the handshake. A
// client without one, with one of an unknown CA, expired or for another
// usage, is refused before any HTTP is read. Pair it with TLSIdentity,
// which takes the organization from the verified certificate.
func ServerTLSConfig(cert tls.Certificate, clientCAs *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientCAs:    clientCAs,
		ClientAuth:   tls.RequireAndVerifyClientCert,
	}
}

// ClientTLSConfig returns the TLS configuration of a client of such a hub:
// TLS 1.3 at least, the organization's certificate cert, and the hub's
// certificate verified against roots. Give it as ClientConfig.TLS.
func ClientTLSConfig(cert tls.Certificate, roots *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		RootCAs:      roots,
	}
}

// TLSIdentity authenticates by the client certificate verified during
// the TLS handshake (see ServerTLSConfig): the organization is the one
// named by the leaf's single URI SAN spiffe://<TrustDomain>/org/<org id>,
// which must be in the directory and, if the organization lists
// tls_identities, among them.
//
// It refuses with 401 a request over plain HTTP, below TLS 1.3, without a
// verified client certificate or with a leaf outside its validity period
// now (a long-lived connection can outlive its certificate); and with 403
// (ProblemIdentityRefused) a certificate with no URI SAN or several, of
// another trust domain or path, or naming an organization the directory
// does not have or does not list for it.
type TLSIdentity struct {
	// TrustDomain is the SPIFFE trust domain of the scheme's
	// certificates, e.g. "sicollab.example". Required.
	TrustDomain string
	// Clock judges the leaf's validity; nil: time.Now.
	Clock func() time.Time
}

// Authenticate implements Authenticator.
func (t TLSIdentity) Authenticate(r *http.Request, dir *collab.Directory) (collab.Org, error) {
	cs := r.TLS
	switch {
	case cs == nil:
		return collab.Org{}, authErr(http.StatusUnauthorized, "tls", "this hub takes requests over TLS with a client certificate only; use https")
	case cs.Version < tls.VersionTLS13:
		return collab.Org{}, authErr(http.StatusUnauthorized, "tls-version", "the connection uses %s; TLS 1.3 is the minimum", tls.VersionName(cs.Version))
	case len(cs.VerifiedChains) == 0 || len(cs.PeerCertificates) == 0:
		return collab.Org{}, authErr(http.StatusUnauthorized, "client-certificate",
			"no verified client certificate; present your organization's certificate, issued by the scheme's CA")
	}
	leaf := cs.PeerCertificates[0]
	now := time.Now()
	if t.Clock != nil {
		now = t.Clock()
	}
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return collab.Org{}, authErr(http.StatusUnauthorized, "client-certificate-expired",
			"the client certificate is valid from %s to %s; renew it", leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if len(leaf.URIs) != 1 {
		return collab.Org{}, authErr(http.StatusForbidden, "uri-san",
			"the client certificate has %d URI SANs; it needs exactly one, %s", len(leaf.URIs), collab.TLSIdentity(t.TrustDomain, "<org id>"))
	}
	u := leaf.URIs[0]
	id, ok := t.orgOf(u)
	if !ok {
		return collab.Org{}, authErr(http.StatusForbidden, "uri-san",
			"the client certificate's URI SAN %q is not of the form %s", u.String(), collab.TLSIdentity(t.TrustDomain, "<org id>"))
	}
	org, ok := dir.Org(id)
	if !ok {
		return collab.Org{}, authErr(http.StatusForbidden, "unknown-org",
			"the client certificate names %q, which is not in the directory (version %d)", id, dir.Version())
	}
	if !org.AcceptsTLSIdentity(t.TrustDomain, u.String()) {
		return collab.Org{}, authErr(http.StatusForbidden, "uri-san",
			"the directory does not list %q among the TLS identities of %q", u.String(), id)
	}
	return org, nil
}

// orgOf returns the org id of a URI SAN of the trust domain.
func (t TLSIdentity) orgOf(u *url.URL) (string, bool) {
	if u.Scheme != "spiffe" || u.Host != t.TrustDomain || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Port() != "" {
		return "", false
	}
	id, ok := strings.CutPrefix(u.Path, "/org/")
	if !ok || id == "" || strings.Contains(id, "/") {
		return "", false
	}
	return id, true
}
