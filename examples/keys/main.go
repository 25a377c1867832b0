package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usageText = `usage:
  keys gen  -org ID -key-id ID [-out FILE] [-not-before RFC3339] [-valid DURATION]
  keys ca   -directory FILE -trust-domain DOMAIN -out DIR [-hosts 127.0.0.1,localhost] [-valid DURATION]
  keys sign -directory FILE -key FILE -key-id ID [-out FILE]
`

// run is the program; it returns the exit code: 0 on success, 1 on a
// failure, 2 on bad usage.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return 2
	}
	var err error
	switch args[0] {
	case "gen":
		err = gen(args[1:], stdout, stderr)
	case "ca":
		err = ca(args[1:], stdout, stderr)
	case "sign":
		err = sign(args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "keys: unknown command %q\n%s", args[0], usageText)
		return 2
	}
	var ue usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "keys %s: %s\n%s", args[0], ue, usageText)
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "keys %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

type usageError string

func (u usageError) Error() string { return string(u) }

func flags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("keys "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("unexpected arguments %q", fs.Args()))
	}
	return nil
}

func gen(args []string, stdout, stderr io.Writer) error {
	fs := flags("gen", stderr)
	org := fs.String("org", "", "organization id (required)")
	keyID := fs.String("key-id", "", "key id, unique in the directory (required)")
	out := fs.String("out", "", "file for the private key (default <key-id>.key)")
	nb := fs.String("not-before", "", "first instant the key verifies, RFC 3339 (default now)")
	valid := fs.Duration("valid", 365*24*time.Hour, "how long the key verifies")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *org == "":
		return usageError("-org is required")
	case *keyID == "":
		return usageError("-key-id is required")
	case *valid <= 0:
		return usageError("-valid must be positive")
	}
	start := time.Now().UTC().Truncate(time.Second)
	if *nb != "" {
		t, err := time.Parse(time.RFC3339, *nb)
		if err != nil {
			return usageError("-not-before: " + err.Error())
		}
		start = t.UTC()
	}
	if *out == "" {
		*out = *keyID + ".key"
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	if err := writeKey(*out, priv); err != nil {
		return err
	}
	entry := schema.DirectoryKey{KeyID: *keyID, Alg: collab.AlgEd25519, PublicKey: base64.StdEncoding.EncodeToString(pub),
		NotBefore: start, NotAfter: start.Add(*valid)}
	if _, err := collab.ParseKey(*org, entry); err != nil {
		return err
	}
	b, err := json.MarshalIndent(entry, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", b)
	fmt.Fprintf(stderr, "keys gen: private key of %s written to %s; add the entry above to its \"keys\" in the directory\n", *org, *out)
	return nil
}

func ca(args []string, stdout, stderr io.Writer) error {
	fs := flags("ca", stderr)
	dirFile := fs.String("directory", "", "collab.directory file (required)")
	td := fs.String("trust-domain", "", "SPIFFE trust domain, e.g. sicollab.example (required)")
	out := fs.String("out", "", "directory to write the CA and the certificates into (required)")
	hosts := fs.String("hosts", "127.0.0.1,localhost", "comma-separated DNS names and IP addresses every certificate also names")
	valid := fs.Duration("valid", 30*24*time.Hour, "how long the certificates are valid")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *dirFile == "":
		return usageError("-directory is required")
	case *td == "":
		return usageError("-trust-domain is required")
	case *out == "":
		return usageError("-out is required")
	case *valid <= 0:
		return usageError("-valid must be positive")
	}
	dir, err := loadDirectory(*dirFile)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return err
	}
	now := time.Now().Add(-time.Minute)
	caPub, caPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "sicollab test CA " + *td},
		NotBefore: now, NotAfter: now.Add(*valid + 24*time.Hour),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true, KeyUsage: x509.KeyUsageCertSign,
		URIs: []*url.URL{{Scheme: "spiffe", Host: *td}},
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caPub, caPriv)
	if err != nil {
		return err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	if err := writePEM(filepath.Join(*out, "ca.pem"), "CERTIFICATE", caDER, 0o644); err != nil {
		return err
	}
	if err := writeKey(filepath.Join(*out, "ca-key.pem"), caPriv); err != nil {
		return err
	}
	var dns []string
	var ips []net.IP
	for h := range strings.SplitSeq(*hosts, ",") {
		if h = strings.TrimSpace(h); h == "" {
			continue
		}
		if ip := net.ParseIP(h); ip != nil {
			ips = append(ips, ip)
		} else {
			dns = append(dns, h)
		}
	}
	for _, o := range dir.Orgs() {
		u, err := url.Parse(collab.TLSIdentity(*td, o.ID))
		if err != nil {
			return err
		}
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		tmpl := &x509.Certificate{
			SerialNumber: serial(), Subject: pkix.Name{CommonName: o.ID, Organization: []string{o.Name}},
			NotBefore: now, NotAfter: now.Add(*valid), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
			URIs:        []*url.URL{u}, DNSNames: dns, IPAddresses: ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, pub, caPriv)
		if err != nil {
			return err
		}
		if err := writePEM(filepath.Join(*out, o.ID+".pem"), "CERTIFICATE", der, 0o644); err != nil {
			return err
		}
		if err := writeKey(filepath.Join(*out, o.ID+"-key.pem"), priv); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "%s\n", filepath.Join(*out, "ca.pem"))
	fmt.Fprintf(stderr, "keys ca: a CA and %d certificates under %s (trust domain %s)\n", len(dir.Orgs()), *out, *td)
	return nil
}

func sign(args []string, stdout, stderr io.Writer) error {
	fs := flags("sign", stderr)
	dirFile := fs.String("directory", "", "collab.directory file to sign (required)")
	keyFile := fs.String("key", "", "the leading group's private key, as keys gen wrote it (required)")
	keyID := fs.String("key-id", "", "the id of that key in the directory (required)")
	out := fs.String("out", "", "file for the signature (default <directory>.sig)")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *dirFile == "":
		return usageError("-directory is required")
	case *keyFile == "":
		return usageError("-key is required")
	case *keyID == "":
		return usageError("-key-id is required")
	}
	if *out == "" {
		*out = *dirFile + ".sig"
	}
	raw, err := os.ReadFile(*dirFile)
	if err != nil {
		return err
	}
	dir, err := collab.ParseDirectory(raw)
	if err != nil {
		return fmt.Errorf("refusing to sign an invalid directory: %w", err)
	}
	priv, err := readKey(*keyFile)
	if err != nil {
		return err
	}
	if k, err := dir.Key(*keyID); err == nil && !k.Public.Equal(priv.Public()) {
		return fmt.Errorf("the directory lists another public key under %q; is -key the right file?", *keyID)
	}
	sig, err := collab.SignDirectory(raw, *keyID, priv)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, sig, 0o644); err != nil {
		return err
	}
	fmt.Fprintln(stdout, *out)
	fmt.Fprintf(stderr, "keys sign: directory version %d signed with %s\n", dir.Version(), *keyID)
	return nil
}

func loadDirectory(path string) (*collab.Directory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return collab.LoadDirectory(f)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127)) // never fails (crypto/rand)
	return n
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode)
}

func writeKey(path string, priv ed25519.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	return writePEM(path, "PRIVATE KEY", der, 0o600)
}

// readKey reads an Ed25519 private key in PKCS #8 PEM.
func readKey(path string) (ed25519.PrivateKey, error) {
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
