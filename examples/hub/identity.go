package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
)

// identityFlags are the flags that say how the hub knows who is calling.
type identityFlags struct {
	tlsCert, tlsKey string
	clientCA        string
	trustDomain     string
	requireSigs     bool
	requireHops     bool
	refuseTokens    bool
	directoryKey    string

	// For -upstream: how this hub proves itself there.
	upstreamCA   string
	signingKey   string
	signingKeyID string
}

func (f *identityFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate (chain) the hub serves TLS 1.3 with")
	fs.StringVar(&f.tlsKey, "tls-key", "", "PEM private key of -tls-cert")
	fs.StringVar(&f.clientCA, "client-ca", "", "PEM CA certificates client certificates must chain to: mutual TLS (needs -tls-cert, -trust-domain)")
	fs.StringVar(&f.trustDomain, "trust-domain", "", "SPIFFE trust domain of client certificates: the organization is spiffe://<domain>/org/<id>")
	fs.BoolVar(&f.requireSigs, "require-signatures", false, "require RFC 9421 signed requests with keys of the directory")
	fs.BoolVar(&f.requireHops, "require-signed-hops", false, "refuse a record with an unsigned provenance hop, or whose chain does not begin with its source's signed hop (signed hops are checked in any case)")
	fs.BoolVar(&f.refuseTokens, "refuse-tokens", false, "refuse bearer tokens (needs -client-ca or -require-signatures)")
	fs.StringVar(&f.upstreamCA, "upstream-ca", "", "PEM CA certificates of the -upstream hub's certificate; the relay then presents -tls-cert as its client certificate")
	fs.StringVar(&f.signingKey, "signing-key", "", "this hub's Ed25519 private key (PKCS #8 PEM, as keys gen writes it): sign the requests to -upstream")
	fs.StringVar(&f.signingKeyID, "signing-key-id", "", "the id of -signing-key in the directory")
	fs.StringVar(&f.directoryKey, "directory-key", "", "JSON file of the leading group's key entries (one or an array, as keys gen prints): the directory must be signed by one of them (<directory>.sig)")
}

// check returns a usage problem, or "".
func (f *identityFlags) check() string {
	switch {
	case (f.tlsCert == "") != (f.tlsKey == ""):
		return "-tls-cert and -tls-key go together"
	case f.clientCA != "" && f.tlsCert == "":
		return "-client-ca needs -tls-cert and -tls-key"
	case (f.clientCA == "") != (f.trustDomain == ""):
		return "-client-ca and -trust-domain go together"
	case f.refuseTokens && f.clientCA == "" && !f.requireSigs:
		return "-refuse-tokens needs -client-ca or -require-signatures: something must authenticate"
	case (f.signingKey == "") != (f.signingKeyID == ""):
		return "-signing-key and -signing-key-id go together"
	case f.upstreamCA != "" && f.tlsCert == "":
		return "-upstream-ca needs -tls-cert and -tls-key: the relay presents them upstream"
	}
	return ""
}

// build returns the Authenticator and the TLS configuration (nil: plain
// HTTP) the flags ask for.
func (f *identityFlags) build() (submit.Authenticator, *tls.Config, error) {
	var tc *tls.Config
	if f.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return nil, nil, fmt.Errorf("-tls-cert, -tls-key: %w", err)
		}
		tc = &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}}
		if f.clientCA != "" {
			raw, err := os.ReadFile(f.clientCA)
			if err != nil {
				return nil, nil, fmt.Errorf("-client-ca: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(raw) {
				return nil, nil, fmt.Errorf("-client-ca: %s holds no PEM certificate", f.clientCA)
			}
			tc = submit.ServerTLSConfig(cert, pool)
		}
	}
	var auths []submit.Authenticator
	if f.clientCA != "" {
		auths = append(auths, submit.TLSIdentity{TrustDomain: f.trustDomain})
	}
	if f.refuseTokens { // before the signature: cheap, and no nonce is spent on a refusal
		auths = append(auths, submit.RefuseTokens{})
	} else {
		auths = append(auths, submit.BearerTokens{Optional: f.clientCA != "" || f.requireSigs})
	}
	if f.requireSigs {
		v, err := submit.NewSignatureVerifier(submit.SignatureConfig{})
		if err != nil {
			return nil, nil, err
		}
		auths = append(auths, v)
	}
	return submit.AllOf(auths...), tc, nil
}

// hopVerifier checks every sealed provenance hop, and requires them with
// -require-signed-hops.
func (f *identityFlags) hopVerifier() (*submit.SealVerifier, error) {
	return submit.NewSealVerifier(submit.SealConfig{Require: f.requireHops})
}

// openDirectory opens the directory file under the flags' rules; the
// hub's own organization must stay in every revision it takes.
func (f *identityFlags) openDirectory(path, org string, log *slog.Logger) (*collab.DirectoryFile, error) {
	rules, err := f.directoryRules(org)
	if err != nil {
		return nil, err
	}
	return collab.OpenDirectoryFile(collab.DirectoryFileConfig{Path: path, Logger: log,
		RequireSignature: rules.RequireSignature, TrustedKeys: rules.TrustedKeys, Check: rules.Check})
}

// directoryRules are the checks every directory revision passes, from a
// file or from the shared bucket.
func (f *identityFlags) directoryRules(org string) (collab.DirectoryRules, error) {
	rules := collab.DirectoryRules{
		Check: func(d *collab.Directory) error {
			if _, ok := d.Org(org); !ok {
				return fmt.Errorf("-org %q is not in the directory (version %d); give the id of this hub's own organization, and keep it in every revision", org, d.Version())
			}
			return nil
		},
	}
	if f.directoryKey != "" {
		keys, err := readKeyEntries(f.directoryKey)
		if err != nil {
			return rules, fmt.Errorf("-directory-key: %w", err)
		}
		rules.RequireSignature, rules.TrustedKeys = true, keys
	}
	return rules, nil
}

// readKeyEntries reads one key entry or an array of them.
func readKeyEntries(path string) ([]collab.Key, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var entries []schema.DirectoryKey
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '{' {
		var one schema.DirectoryKey
		err = json.Unmarshal(t, &one)
		entries = append(entries, one)
	} else {
		err = json.Unmarshal(raw, &entries)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(entries) == 0 {
		return nil, errors.New(path + " lists no key")
	}
	keys := make([]collab.Key, 0, len(entries))
	for _, e := range entries {
		k, err := collab.ParseKey("leading-group", e)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// upstreamCredentials fills the relay client's identity from the flags:
// a client certificate (-tls-cert, trusted roots -upstream-ca) and a
// signer (-signing-key).
func (f *identityFlags) upstreamCredentials(c *submit.ClientConfig) error {
	if f.upstreamCA != "" {
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return fmt.Errorf("-tls-cert, -tls-key: %w", err)
		}
		raw, err := os.ReadFile(f.upstreamCA)
		if err != nil {
			return fmt.Errorf("-upstream-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(raw) {
			return fmt.Errorf("-upstream-ca: %s holds no PEM certificate", f.upstreamCA)
		}
		c.TLS = submit.ClientTLSConfig(cert, pool)
	}
	if f.signingKey != "" {
		priv, err := readPrivateKey(f.signingKey)
		if err != nil {
			return fmt.Errorf("-signing-key: %w", err)
		}
		s, err := submit.NewHTTPSigner(submit.SignerConfig{KeyID: f.signingKeyID, PrivateKey: priv})
		if err != nil {
			return err
		}
		c.Signer = s
	}
	return nil
}

// hasUpstreamCredentials reports whether the flags give the relay a
// certificate or a key.
func (f *identityFlags) hasUpstreamCredentials() bool {
	return f.upstreamCA != "" || f.signingKey != ""
}

// readPrivateKey reads an Ed25519 private key in PKCS #8 PEM.
func readPrivateKey(path string) (ed25519.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(raw)
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s holds no PEM PRIVATE KEY block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s holds a %T, not an Ed25519 key", path, k)
	}
	return priv, nil
}
