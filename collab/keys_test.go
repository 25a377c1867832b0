package collab_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/demoscheme"
	"github.com/sicollab/sicollab/schema"
)

var (
	jan2026 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	jul2026 = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	jan2027 = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
)

// docKey is the directory entry of the fixture key of org, valid from nb
// to na.
func docKey(org, suffix string, nb, na time.Time) (schema.DirectoryKey, ed25519.PrivateKey) {
	_, priv := fixtureKey(org + suffix)
	return schema.DirectoryKey{
		KeyID: org + suffix, Alg: collab.AlgEd25519,
		PublicKey: base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)),
		NotBefore: nb, NotAfter: na,
	}, priv
}

func TestDirectoryKeysRotation(t *testing.T) {
	doc := smallScheme()
	oldK, _ := docKey("bank-north-01", "-old", jan2026, jul2026)
	newK, _ := docKey("bank-north-01", "-new", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), jan2027)
	revK, _ := docKey("bank-north-01", "-rev", jan2026, jan2027)
	revK.Revoked = true
	doc.Orgs[3].Keys = []schema.DirectoryKey{oldK, newK, revK}
	d, err := collab.ParseDirectory(encode(t, doc))
	require.NoError(t, err)

	overlap := time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)
	for _, id := range []string{"bank-north-01-old", "bank-north-01-new"} {
		k, err := d.Key(id)
		require.NoError(t, err)
		assert.Equal(t, "bank-north-01", k.Org)
		assert.NoError(t, k.ValidAt(overlap), "during the overlap both keys verify: %s", id)
	}
	old, _ := d.Key("bank-north-01-old")
	assert.ErrorIs(t, old.ValidAt(jul2026), collab.ErrKeyNotValid, "not_after is exclusive: retired")
	assert.ErrorContains(t, old.ValidAt(jul2026), "retired at 2026-07-01T00:00:00Z")
	nw, _ := d.Key("bank-north-01-new")
	assert.ErrorIs(t, nw.ValidAt(jan2026), collab.ErrKeyNotValid, "not yet valid")
	rev, _ := d.Key("bank-north-01-rev")
	assert.ErrorIs(t, rev.ValidAt(overlap), collab.ErrKeyRevoked)
	_, err = d.Key("nobody-1")
	assert.ErrorIs(t, err, collab.ErrUnknownKey)

	bank, _ := d.Org("bank-north-01")
	bank.Keys[0].ID = "changed"
	again, _ := d.Org("bank-north-01")
	assert.Equal(t, "bank-north-01-old", again.Keys[0].ID, "Org hands out copies of its keys")
}

func TestDirectoryKeyProblems(t *testing.T) {
	doc := smallScheme()
	a, _ := docKey("bank-north-01", "-a", jan2026, jan2027)
	dup := a
	backwards, _ := docKey("central-bank", "-b", jan2027, jan2026)
	doc.Orgs[2].Keys = []schema.DirectoryKey{dup, backwards}
	doc.Orgs[3].Keys = []schema.DirectoryKey{a}
	doc.Orgs[4].TLSIdentities = []string{"spiffe://sicollab.test/org/bank-north-01"}
	_, err := collab.ParseDirectory(encode(t, doc))
	assertProblems(t, err, []found{
		{"/orgs/2/keys/1/not_after", "is not after not_before"},
		{"/orgs/3/keys/0/key_id", `key id "bank-north-01-a" is already used at /orgs/2/keys/0`},
		{"/orgs/4/tls_identities/0", "does not end in /org/hotel-north-01"},
	})

	doc = smallScheme()
	a.Alg = "rsa"
	doc.Orgs[3].Keys = []schema.DirectoryKey{a}
	_, err = collab.ParseDirectory(encode(t, doc))
	var ve *schema.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Contains(t, violationMessage(ve, "/orgs/3/keys/0/alg"), "ed25519", "the schema names the one algorithm")
}

func TestTLSIdentity(t *testing.T) {
	d := loadScheme(t)
	bank, _ := d.Org("bank-north-01")
	assert.Equal(t, "spiffe://sicollab.test/org/bank-north-01", collab.TLSIdentity("sicollab.test", "bank-north-01"))
	assert.True(t, bank.AcceptsTLSIdentity("sicollab.test", "spiffe://sicollab.test/org/bank-north-01"))
	assert.False(t, bank.AcceptsTLSIdentity("sicollab.test", "spiffe://other.test/org/bank-north-01"), "another trust domain")
	assert.False(t, bank.AcceptsTLSIdentity("sicollab.test", "spiffe://sicollab.test/org/bank-north-02"))
	bank.TLSIdentities = []string{"spiffe://old.test/org/bank-north-01"}
	assert.True(t, bank.AcceptsTLSIdentity("sicollab.test", "spiffe://old.test/org/bank-north-01"), "a listed identity")
	assert.False(t, bank.AcceptsTLSIdentity("sicollab.test", "spiffe://sicollab.test/org/bank-north-01"), "listed identities replace the default")
}

func TestDirectorySignature(t *testing.T) {
	raw := demoscheme.JSON()
	d := loadScheme(t)
	keyID, priv := fixtureKey("leading-group")
	sig, err := collab.SignDirectory(raw, keyID, priv)
	require.NoError(t, err)
	trusted := d.LeadingGroup().Keys
	at := jul2026

	k, err := collab.VerifyDirectorySignature(raw, sig, trusted, at)
	require.NoError(t, err)
	assert.Equal(t, "leading-group", k.Org)

	changed := append([]byte{' '}, raw...)
	_, err = collab.VerifyDirectorySignature(changed, sig, trusted, at)
	assert.ErrorIs(t, err, collab.ErrDirectorySignature)
	assert.ErrorContains(t, err, "does not match the document")

	bankID, bankPriv := fixtureKey("bank-north-01")
	forged, _ := collab.SignDirectory(raw, bankID, bankPriv)
	_, err = collab.VerifyDirectorySignature(raw, forged, trusted, at)
	assert.ErrorContains(t, err, `key "bank-north-01-2026" is not a trusted key of the leading group`)

	_, err = collab.VerifyDirectorySignature(raw, sig, trusted, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	assert.ErrorIs(t, err, collab.ErrDirectorySignature)
	assert.ErrorIs(t, err, collab.ErrKeyNotValid, "a retired key signs no directory")

	for name, bad := range map[string]string{
		"not json": "garbage", "unknown field": `{"key_id":"x","alg":"ed25519","signature":"","extra":1}`,
		"alg":   `{"key_id":"leading-group-2026","alg":"hmac","signature":""}`,
		"short": `{"key_id":"leading-group-2026","alg":"ed25519","signature":"AAAA"}`,
	} {
		_, err := collab.VerifyDirectorySignature(raw, []byte(bad), trusted, at)
		assert.ErrorIs(t, err, collab.ErrDirectorySignature, name)
	}
}

// dirFiles writes a directory and optionally its signature into dir.
type dirFiles struct {
	t    *testing.T
	path string
}

func (f dirFiles) write(raw, sig []byte) {
	f.t.Helper()
	require.NoError(f.t, os.WriteFile(f.path, raw, 0o600))
	if sig == nil {
		os.Remove(f.path + ".sig")
		return
	}
	require.NoError(f.t, os.WriteFile(f.path+".sig", sig, 0o600))
}

func TestDirectoryFileReload(t *testing.T) {
	files := dirFiles{t, filepath.Join(t.TempDir(), "directory.json")}
	lgID, lgPriv := fixtureKey("leading-group")
	lg := loadScheme(t).LeadingGroup()
	signed := func(doc *schema.Directory) ([]byte, []byte) {
		raw := encode(t, doc)
		sig, err := collab.SignDirectory(raw, lgID, lgPriv)
		require.NoError(t, err)
		return raw, sig
	}
	withLGKey := func(version int) *schema.Directory {
		doc := smallScheme()
		doc.Version = version
		k, _ := docKey("leading-group", "", jan2026, jan2027)
		k.KeyID = lgID
		k.PublicKey = base64.StdEncoding.EncodeToString(lgPriv.Public().(ed25519.PublicKey))
		doc.Orgs[0].Keys = []schema.DirectoryKey{k}
		return doc
	}
	files.write(signed(withLGKey(4)))
	df, err := collab.OpenDirectoryFile(collab.DirectoryFileConfig{
		Path: files.path, RequireSignature: true, TrustedKeys: lg.Keys,
		Clock: func() time.Time { return jul2026 },
		Check: func(d *collab.Directory) error {
			if _, ok := d.Org("hotel-north-01"); !ok {
				return errors.New("the hub's own organization is missing")
			}
			return nil
		},
	})
	require.NoError(t, err)
	first := df.Directory()
	assert.Equal(t, 4, first.Version())

	changed, err := df.ReloadIfChanged()
	assert.NoError(t, err)
	assert.False(t, changed, "nothing changed")

	// A good file is taken without a restart.
	next := withLGKey(5)
	next.Orgs = append(next.Orgs, schema.DirectoryOrg{ID: "hotel-north-02", Name: "Second Hotel", Tier: "social_force",
		Sectors: []string{"services"}, Region: "CN-BJ", Submits: []string{schema.KindServicesLodging}})
	files.write(signed(next))
	changed, err = df.ReloadIfChanged()
	require.NoError(t, err)
	assert.True(t, changed)
	assert.Equal(t, 5, df.Directory().Version())
	_, ok := df.Directory().Org("hotel-north-02")
	assert.True(t, ok, "the new organization is known")
	_, ok = first.Org("hotel-north-02")
	assert.False(t, ok, "a directory taken before stays as it was")

	refused := func(name string, raw, sig []byte, want error, says string) {
		t.Helper()
		files.write(raw, sig)
		changed, err := df.Reload()
		assert.False(t, changed, name)
		if want != nil {
			assert.ErrorIs(t, err, want, name)
		}
		assert.ErrorContains(t, err, says, name)
		assert.Equal(t, 5, df.Directory().Version(), "%s: the directory in use stays", name)
	}
	v6raw, v6sig := signed(withLGKey(6))
	refused("not json", []byte("{"), v6sig, nil, "collab: directory")
	bad := withLGKey(6)
	bad.Orgs[3].Supervisor = "nobody"
	refused("inconsistent", encode(t, bad), nil, nil, "") // unsigned and inconsistent: either refusal will do
	badRaw, badSig := signed(bad)
	refused("inconsistent, signed", badRaw, badSig, collab.ErrInconsistentDirectory, `supervisor "nobody" is not in the directory`)
	refused("unsigned", v6raw, nil, collab.ErrDirectoryUnsigned, "has no signature")
	refused("signature of other bytes", append(v6raw, ' '), v6sig, collab.ErrDirectorySignature, "does not match")
	bankID, bankPriv := fixtureKey("bank-north-01")
	forged, _ := collab.SignDirectory(v6raw, bankID, bankPriv)
	refused("signed by a bank", v6raw, forged, collab.ErrDirectorySignature, "not a trusted key")
	refused("rollback", encode(t, withLGKey(3)), nil, nil, "")
	r3, s3 := signed(withLGKey(3))
	refused("rollback, signed", r3, s3, collab.ErrDirectoryRollback, "version 3, the directory in use has 5")
	r5, s5 := signed(withLGKey(5))
	refused("same version, other content", r5, s5, collab.ErrDirectoryRollback, "publish it as version 6")
	noHub := withLGKey(6)
	noHub.Orgs = noHub.Orgs[:4] // without hotel-north-01
	rn, sn := signed(noHub)
	refused("check", rn, sn, nil, "the hub's own organization is missing")

	files.write(v6raw, v6sig)
	changed, err = df.Reload()
	require.NoError(t, err)
	assert.True(t, changed, "after the refusals, a good file is still taken")
	assert.Equal(t, 6, df.Directory().Version())
}

func TestDirectoryFileConfigValidate(t *testing.T) {
	err := collab.DirectoryFileConfig{RequireSignature: true, PollInterval: -1}.Validate()
	assert.ErrorContains(t, err, "DirectoryFileConfig.Path")
	assert.ErrorContains(t, err, "DirectoryFileConfig.TrustedKeys")
	assert.ErrorContains(t, err, "DirectoryFileConfig.PollInterval is -1ns")
	_, err = collab.OpenDirectoryFile(collab.DirectoryFileConfig{Path: filepath.Join(t.TempDir(), "missing.json")})
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestDirectoryFileWatchSIGHUP(t *testing.T) {
	files := dirFiles{t, filepath.Join(t.TempDir(), "directory.json")}
	files.write(encode(t, smallScheme()), nil)
	df, err := collab.OpenDirectoryFile(collab.DirectoryFileConfig{Path: files.path, PollInterval: time.Hour})
	require.NoError(t, err)
	doc := smallScheme()
	doc.Version = 9
	files.write(encode(t, doc), nil)

	ctx, cancel := context.WithCancel(t.Context())
	hup := make(chan os.Signal)
	done := make(chan error)
	go func() { done <- df.Watch(ctx, hup) }()
	hup <- syscall.SIGHUP // unbuffered: taken by Watch
	hup <- syscall.SIGHUP // the first reload is over once the second is taken
	assert.Equal(t, 9, df.Directory().Version())
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
}
