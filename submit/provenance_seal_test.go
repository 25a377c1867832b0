package submit

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// hopSigner is org's HopSigner with its fixture key.
func hopSigner(t testing.TB, org string) *HopSigner {
	t.Helper()
	id, key := fixtureKey(org)
	s, err := NewHopSigner(id, key)
	require.NoError(t, err)
	return s
}

// sealedChains returns n records of the bank, sealed by it in one
// manifest, then stamped and sealed by the central bank in another.
func sealedChains(t *testing.T, f *fixture, n int) []schema.Envelope {
	t.Helper()
	envs := make([]schema.Envelope, n)
	for i := range envs {
		envs[i] = f.envelope(testBank, schema.KindFinanceTransaction)
		require.NoError(t, envs[i].Stamp(testBank, schema.StageCollection, testNow))
	}
	require.NoError(t, hopSigner(t, testBank).SealHops(testBank, envs))
	for i := range envs {
		require.NoError(t, envs[i].Stamp(testHub, schema.StageProcessing, testNow.Add(time.Minute)))
	}
	require.NoError(t, hopSigner(t, testHub).SealHops(testHub, envs))
	return envs
}

// sealWith is a copy of e's first seal changed by f.
func sealWith(e *schema.Envelope, f func(*schema.HopSeal)) *schema.HopSeal {
	s := *e.Provenance[0].Seal
	f(&s)
	return &s
}

// TestVerifyChain: an honest chain verifies with the directory alone;
// each forgery, alteration or removal fails at the hop and check named.
func TestVerifyChain(t *testing.T) {
	f := newFixture(t, nil)
	dir := testDirectory(t)
	envs := sealedChains(t, f, 5)
	for i := range envs {
		require.NoError(t, VerifyChain(dir, &envs[i]), "record %d", i)
		require.Equal(t, int64(5), envs[i].Provenance[0].Seal.Size, "one manifest for the call")
	}
	other := envs[1]

	_, stranger, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	forged := f.envelope(testBank, schema.KindFinanceTransaction)
	require.NoError(t, forged.Stamp(testBank, schema.StageCollection, testNow))

	dirKey, bankKey := newSigningKey(t, "bank-north-01-new", testNow.Add(-time.Hour), testNow.Add(time.Hour))
	revoked := dirKey
	revoked.Revoked = true
	rotated := func(k schema.DirectoryKey) *collab.Directory { return keyedDirectory(t, 2, k) }

	hop := func(e *schema.Envelope, i int) *schema.Hop {
		e.Provenance = slices.Clone(e.Provenance)
		return &e.Provenance[i]
	}
	for name, tc := range map[string]struct {
		mut   func(e *schema.Envelope) *collab.Directory // nil: dir
		hop   int
		check string
		is    error
	}{
		"hop time altered": {mut: func(e *schema.Envelope) *collab.Directory { hop(e, 0).At = testNow.Add(time.Second); return nil }, check: CheckInclusion},
		"trace id added": {mut: func(e *schema.Envelope) *collab.Directory {
			hop(e, 0).TraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
			return nil
		}, check: CheckInclusion},
		"stage altered":      {mut: func(e *schema.Envelope) *collab.Directory { hop(e, 0).Stage = schema.StageAnalysis; return nil }, check: CheckInclusion},
		"record altered":     {mut: func(e *schema.Envelope) *collab.Directory { e.LegalBasis = "another basis"; return nil }, check: CheckInclusion},
		"second hop altered": {mut: func(e *schema.Envelope) *collab.Directory { hop(e, 1).At = testNow.Add(2 * time.Minute); return nil }, hop: 1, check: CheckInclusion},
		"payload swapped": {mut: func(e *schema.Envelope) *collab.Directory {
			e.Payload = readPayload(t, "finance.transaction/v1/valid/card_payment_merchant.json")
			e.Payload = append(e.Payload[:len(e.Payload)-1:len(e.Payload)-1], `,"x":1}`...)
			return nil
		}, hop: 1, check: CheckDigest},
		"first hop removed": {mut: func(e *schema.Envelope) *collab.Directory { e.Provenance = e.Provenance[1:]; return nil }, check: CheckChainStart},
		"hop moved from another record": {mut: func(e *schema.Envelope) *collab.Directory {
			hop(e, 0).Seal = other.Provenance[0].Seal
			return nil
		}, check: CheckInclusion},
		"path not base64": {mut: func(e *schema.Envelope) *collab.Directory {
			hop(e, 0).Seal = sealWith(e, func(s *schema.HopSeal) { s.Path = "!" + s.Path[1:] })
			return nil
		}, check: CheckSealFormat},
		"path too long": {mut: func(e *schema.Envelope) *collab.Directory {
			hop(e, 0).Seal = sealWith(e, func(s *schema.HopSeal) { s.Path = strings.Repeat("A", 900) })
			return nil
		}, check: CheckSealFormat},
		"path cut short": {mut: func(e *schema.Envelope) *collab.Directory {
			hop(e, 0).Seal = sealWith(e, func(s *schema.HopSeal) {
				raw, _ := base64.StdEncoding.DecodeString(s.Path)
				s.Path = base64.StdEncoding.EncodeToString(raw[:64])
			})
			return nil
		}, check: CheckInclusion},
		"root not base64": {mut: func(e *schema.Envelope) *collab.Directory {
			hop(e, 0).Seal = sealWith(e, func(s *schema.HopSeal) { s.Root = "*" })
			return nil
		}, check: CheckSealFormat},
		"sig not base64": {mut: func(e *schema.Envelope) *collab.Directory {
			hop(e, 0).Seal = sealWith(e, func(s *schema.HopSeal) { s.Sig = "*" })
			return nil
		}, check: CheckSealFormat},
		"index past size": {mut: func(e *schema.Envelope) *collab.Directory {
			hop(e, 0).Seal = sealWith(e, func(s *schema.HopSeal) { s.Index = s.Size })
			return nil
		}, check: CheckInclusion},
		"first hop unsigned": {mut: func(e *schema.Envelope) *collab.Directory { hop(e, 0).Seal = nil; return nil }, check: CheckSealMissing},
		"signed with another org's key": {mut: func(e *schema.Envelope) *collab.Directory {
			one := []schema.Envelope{forged}
			id, key := fixtureKey(testHub)
			require.NoError(t, sealHops(testBank, id, key, one))
			*e = one[0]
			return nil
		}, check: CheckKey},
		"signed with a stranger's key under the bank's id": {mut: func(e *schema.Envelope) *collab.Directory {
			one := []schema.Envelope{forged}
			id, _ := fixtureKey(testBank)
			require.NoError(t, sealHops(testBank, id, stranger, one))
			*e = one[0]
			return nil
		}, check: CheckSignature},
		"unknown key id": {mut: func(e *schema.Envelope) *collab.Directory {
			one := []schema.Envelope{forged}
			require.NoError(t, sealHops(testBank, "nobody-2026", stranger, one))
			*e = one[0]
			return nil
		}, check: CheckKey, is: collab.ErrUnknownKey},
		"revoked key": {mut: func(e *schema.Envelope) *collab.Directory {
			one := []schema.Envelope{forged}
			require.NoError(t, sealHops(testBank, dirKey.KeyID, bankKey, one))
			*e = one[0]
			return rotated(revoked)
		}, check: CheckKey, is: collab.ErrKeyRevoked},
		"key not valid at the hop's time": {mut: func(e *schema.Envelope) *collab.Directory {
			late := forged
			late.Provenance = []schema.Hop{late.Provenance[0]}
			late.Provenance[0].At = testNow.Add(2 * time.Hour)
			one := []schema.Envelope{late}
			require.NoError(t, sealHops(testBank, dirKey.KeyID, bankKey, one))
			*e = one[0]
			return rotated(dirKey)
		}, check: CheckKey, is: collab.ErrKeyNotValid},
		"no provenance": {mut: func(e *schema.Envelope) *collab.Directory { e.Provenance = nil; return nil }, hop: -1, check: CheckSealMissing},
	} {
		t.Run(name, func(t *testing.T) {
			e := envs[0]
			d := tc.mut(&e)
			if d == nil {
				d = dir
			}
			err := VerifyChain(d, &e)
			var he *HopError
			require.ErrorAs(t, err, &he)
			require.ErrorIs(t, err, ErrProvenance)
			assert.Equal(t, tc.hop, he.Hop)
			assert.Equal(t, tc.check, he.Check, "%v", err)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			assert.Contains(t, err.Error(), tc.check)
		})
	}
	require.NoError(t, VerifyChain(dir, &envs[0]), "the mutations worked on copies")

	// A new key verifies once the directory lists it; a directory that
	// no longer lists the old key refuses what it sealed.
	one := []schema.Envelope{forged}
	require.NoError(t, sealHops(testBank, dirKey.KeyID, bankKey, one))
	require.NoError(t, VerifyChain(rotated(dirKey), &one[0]))
	require.ErrorIs(t, VerifyChain(rotated(dirKey), &envs[0]), collab.ErrUnknownKey)
}

// TestSealHops: only the trailing unsealed hops of the signer's
// organization are sealed, the caller's slices are not written, and a
// record with none is left alone.
func TestSealHops(t *testing.T) {
	f := newFixture(t, nil)
	a := f.envelope(testBank, schema.KindFinanceTransaction)
	require.NoError(t, a.Stamp(testBank, schema.StageCollection, testNow))
	require.NoError(t, a.Stamp(testBank, schema.StageProcessing, testNow))
	b := f.envelope(testBank, schema.KindFinanceTransaction)
	require.NoError(t, b.Stamp(testHub, schema.StageProcessing, testNow))
	orig := []schema.Envelope{a, b}
	envs := slices.Clone(orig)
	require.NoError(t, hopSigner(t, testBank).SealHops(testBank, envs))
	require.NotNil(t, envs[0].Provenance[0].Seal)
	require.NotNil(t, envs[0].Provenance[1].Seal)
	require.Equal(t, int64(2), envs[0].Provenance[1].Seal.Size)
	require.Nil(t, envs[1].Provenance[0].Seal, "another organization's hop")
	require.Nil(t, orig[0].Provenance[0].Seal, "the caller's provenance is not written")
	require.NoError(t, VerifyChain(testDirectory(t), &envs[0]))

	again := slices.Clone(envs)
	require.NoError(t, hopSigner(t, testBank).SealHops(testBank, again))
	require.Same(t, envs[0].Provenance[0].Seal, again[0].Provenance[0].Seal, "sealed hops are not sealed again")

	// A call past ManifestLeaves hops signs several manifests.
	many := make([]schema.Envelope, ManifestLeaves+3)
	for i := range many {
		many[i] = f.envelope(testBank, schema.KindFinanceTransaction)
		require.NoError(t, many[i].Stamp(testBank, schema.StageCollection, testNow))
	}
	require.NoError(t, hopSigner(t, testBank).SealHops(testBank, many))
	assert.Equal(t, int64(ManifestLeaves), many[0].Provenance[0].Seal.Size)
	assert.Equal(t, int64(3), many[len(many)-1].Provenance[0].Seal.Size)
	assert.Equal(t, int64(2), many[len(many)-1].Provenance[0].Seal.Index)
	for i := range many {
		require.NoError(t, VerifyChain(testDirectory(t), &many[i]))
	}

	_, err := NewHopSigner("", nil)
	require.ErrorContains(t, err, "keyID is empty")
	require.ErrorContains(t, err, "private key is 0 bytes")
}

// TestSealVerifierAtTheHub: a hub that requires signed hops refuses an
// unsigned record with provenance_invalid naming the check; one that
// does not takes old unsigned records and still checks sealed ones.
func TestSealVerifierAtTheHub(t *testing.T) {
	for _, require_ := range []bool{false, true} {
		f := newFixture(t, func(_ *fixture, c *HandlerConfig) {
			v, err := NewSealVerifier(SealConfig{Require: require_})
			require.NoError(t, err)
			c.HopVerifier = v
		})
		unsigned := f.envelope(testBank, schema.KindFinanceTransaction)
		require.NoError(t, unsigned.Stamp(testBank, schema.StageCollection, testNow))
		direct := f.envelope(testBank, schema.KindFinanceTransaction)
		signed := []schema.Envelope{f.envelope(testBank, schema.KindFinanceTransaction)}
		require.NoError(t, signed[0].Stamp(testBank, schema.StageCollection, testNow))
		require.NoError(t, hopSigner(t, testBank).SealHops(testBank, signed))
		altered := signed[0]
		altered.ID = newID(t)
		rc := f.send(post{body: ndjson(line(t, unsigned), line(t, signed[0]), line(t, altered), line(t, direct))}).receipt(t)
		res := rc.Results
		require.Len(t, res, 4)
		assert.Equal(t, StatusAccepted, res[3].Status, "the source's own record without hops: %+v", res[3])
		assert.Equal(t, StatusAccepted, res[1].Status, "require %v: %+v", require_, res[1])
		assert.Equal(t, ReasonProvenanceInvalid, res[2].Reason, "a record id changed under its seal")
		assert.Equal(t, "/provenance/0", res[2].Errors[0].Pointer)
		assert.Contains(t, res[2].Errors[0].Message, "hop 0 (bank-north-01) fails the inclusion check")
		if require_ {
			assert.Equal(t, ReasonProvenanceInvalid, res[0].Reason)
			assert.Equal(t, "/provenance/0", res[0].Errors[0].Pointer)
			assert.Contains(t, res[0].Errors[0].Message, "hop 0 (bank-north-01) fails the seal missing check")
		} else {
			assert.Equal(t, StatusAccepted, res[0].Status, "an unsigned record of before")
		}
	}
	_, err := NewSealVerifier(SealConfig{CacheSize: -1})
	require.ErrorContains(t, err, "SealConfig.CacheSize is -1")
}

// TestManifestCache: a manifest is verified once however many records
// carry it, a failed one stays failed, and the cache is bounded.
func TestManifestCache(t *testing.T) {
	c := newManifestCache(2)
	calls := 0
	failed := errors.New("no")
	ok := func() error { calls++; return nil }
	bad := func() error { calls++; return failed }
	a, b, d := manifestKey{sig: "a"}, manifestKey{sig: "b"}, manifestKey{sig: "a", size: 2}
	require.NoError(t, c.verified(a, ok))
	require.NoError(t, c.verified(a, bad), "remembered")
	require.ErrorIs(t, c.verified(b, bad), failed)
	require.ErrorIs(t, c.verified(b, ok), failed, "a failure is remembered too")
	require.Equal(t, 2, calls)
	require.NoError(t, c.verified(d, ok), "another size is another manifest")
	require.Equal(t, 3, calls)
	require.LessOrEqual(t, c.n.Load(), int64(2))
	require.True(t, errors.Is(&HopError{Check: CheckKey}, ErrProvenance))
}
