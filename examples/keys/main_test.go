package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

const scheme = "../../internal/demoscheme/scheme.json"

func runOK(t *testing.T, args ...string) (string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run(args, &out, &errOut), "stderr: %s", errOut.String())
	return out.String(), errOut.String()
}

func TestGen(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "bank.key")
	out, _ := runOK(t, "gen", "-org", "bank-north-01", "-key-id", "bank-north-01-2027", "-out", keyFile,
		"-not-before", "2027-01-01T00:00:00Z", "-valid", "8760h")
	var entry schema.DirectoryKey
	require.NoError(t, json.Unmarshal([]byte(out), &entry))
	k, err := collab.ParseKey("bank-north-01", entry)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), k.NotBefore)
	assert.Equal(t, time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC), k.NotAfter)
	priv, err := readKey(keyFile)
	require.NoError(t, err)
	assert.True(t, k.Public.Equal(priv.Public()), "the entry is the public half of the key written")
	fi, err := os.Stat(keyFile)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

func TestCA(t *testing.T) {
	dir := t.TempDir()
	runOK(t, "ca", "-directory", scheme, "-trust-domain", "sicollab.test", "-out", dir)
	pool := x509.NewCertPool()
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	require.NoError(t, err)
	require.True(t, pool.AppendCertsFromPEM(caPEM))
	raw, err := os.ReadFile(filepath.Join(dir, "bank-north-01.pem"))
	require.NoError(t, err)
	b, _ := pem.Decode(raw)
	cert, err := x509.ParseCertificate(b.Bytes)
	require.NoError(t, err)
	_, err = cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err, "a client certificate of the CA")
	_, err = cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"})
	require.NoError(t, err, "and a server certificate for the hosts")
	require.Len(t, cert.URIs, 1)
	assert.Equal(t, "spiffe://sicollab.test/org/bank-north-01", cert.URIs[0].String())
	_, err = readKey(filepath.Join(dir, "bank-north-01-key.pem"))
	require.NoError(t, err)
}

func TestSign(t *testing.T) {
	tmp := t.TempDir()
	raw, err := os.ReadFile(scheme)
	require.NoError(t, err)
	dirFile := filepath.Join(tmp, "scheme.json")
	require.NoError(t, os.WriteFile(dirFile, raw, 0o644))
	seed := sha256.Sum256([]byte("key-leading-group")) // the fixture's key (internal/demoscheme/README.md)
	keyFile := filepath.Join(tmp, "lg.key")
	require.NoError(t, writeKey(keyFile, ed25519.NewKeyFromSeed(seed[:])))

	out, _ := runOK(t, "sign", "-directory", dirFile, "-key", keyFile, "-key-id", "leading-group-2026")
	assert.Equal(t, dirFile+".sig\n", out)
	sig, err := os.ReadFile(dirFile + ".sig")
	require.NoError(t, err)
	d, err := collab.ParseDirectory(raw)
	require.NoError(t, err)
	_, err = collab.VerifyDirectorySignature(raw, sig, d.LeadingGroup().Keys, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)

	var errOut bytes.Buffer
	require.Equal(t, 1, run([]string{"sign", "-directory", dirFile, "-key", keyFile, "-key-id", "bank-north-01-2026"}, &bytes.Buffer{}, &errOut))
	assert.Contains(t, errOut.String(), "another public key")
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "usage:"},
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"gen"}, "-org is required"},
		{[]string{"gen", "-org", "x"}, "-key-id is required"},
		{[]string{"gen", "-org", "x", "-key-id", "y", "-not-before", "yesterday"}, "-not-before"},
		{[]string{"ca", "-directory", scheme}, "-trust-domain is required"},
		{[]string{"sign", "-directory", scheme}, "-key is required"},
		{[]string{"sign", "extra"}, "unexpected arguments"},
	} {
		var out, errOut bytes.Buffer
		assert.Equal(t, 2, run(tc.args, &out, &errOut), "%v", tc.args)
		assert.Contains(t, errOut.String(), tc.want, "%v", tc.args)
	}
}
