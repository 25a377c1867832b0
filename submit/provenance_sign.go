package submit

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/sicollab/sicollab/schema"
)

// HopSealer seals provenance hops. A Client whose Signer is also a
// HopSealer (an *HTTPSigner is) seals the hops of its organization in
// each Submit or SubmitMany call with one manifest (several past
// ManifestLeaves hops): sign one call of many records and the cost per
// record is hashes.
type HopSealer interface {
	// SealHops seals, in every envelope of envs, the trailing run of
	// unsealed hops of org, all of envs under one signed manifest (or,
	// past ManifestLeaves hops, one per ManifestLeaves). It
	// replaces each changed envelope's Provenance with a new slice, so
	// that copies of the envelope keep theirs.
	SealHops(org string, envs []schema.Envelope) error
}

// HopSigner is a HopSealer with one Ed25519 key of the directory.
type HopSigner struct {
	keyID string
	key   ed25519.PrivateKey
}

// NewHopSigner returns a HopSigner signing with key, which the directory
// lists as keyID.
func NewHopSigner(keyID string, key ed25519.PrivateKey) (*HopSigner, error) {
	var errs []error
	if keyID == "" {
		errs = append(errs, errors.New("submit: NewHopSigner: keyID is empty; give the key's id as the directory lists it"))
	}
	if len(key) != ed25519.PrivateKeySize {
		errs = append(errs, fmt.Errorf("submit: NewHopSigner: private key is %d bytes; want an Ed25519 key of %d", len(key), ed25519.PrivateKeySize))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &HopSigner{keyID: keyID, key: key}, nil
}

// SealHops implements HopSealer.
func (s *HopSigner) SealHops(org string, envs []schema.Envelope) error {
	return sealHops(org, s.keyID, s.key, envs)
}

// SealHops implements HopSealer with the signer's key.
func (s *HTTPSigner) SealHops(org string, envs []schema.Envelope) error {
	return sealHops(org, s.cfg.KeyID, s.cfg.PrivateKey, envs)
}

// leafRef is a hop to seal: its envelope, its index and its leaf hash.
type leafRef struct {
	env, hop int
	hash     tlog.Hash
}

// hashStore is the manifest's tree in memory, as tlog stores it.
type hashStore []tlog.Hash

func (s hashStore) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(s)) {
			return nil, fmt.Errorf("submit: manifest tree: no hash %d", x)
		}
		out[i] = s[x]
	}
	return out, nil
}

// ManifestLeaves is the most hops one manifest of a HopSealer holds: a
// call sealing more signs several. It bounds each hop's inclusion path
// to log2(ManifestLeaves) hashes, which every record carries; the
// signature costs a verifier once per manifest.
const ManifestLeaves = 256

func sealHops(org, keyID string, key ed25519.PrivateKey, envs []schema.Envelope) error {
	var refs []leafRef
	for e := range envs {
		env := &envs[e]
		first := len(env.Provenance)
		for first > 0 && env.Provenance[first-1].Org == org && env.Provenance[first-1].Seal == nil {
			first--
		}
		if first == len(env.Provenance) {
			continue
		}
		leaves, err := chainLeaves(env)
		if err != nil {
			return fmt.Errorf("submit: seal the hops of %s: %w", env.ID, err)
		}
		env.Provenance = slices.Clone(env.Provenance)
		for i := first; i < len(leaves); i++ {
			refs = append(refs, leafRef{env: e, hop: i, hash: leaves[i]})
		}
	}
	for len(refs) > 0 {
		n := min(len(refs), ManifestLeaves)
		if err := sealManifest(org, keyID, key, envs, refs[:n]); err != nil {
			return err
		}
		refs = refs[n:]
	}
	return nil
}

// sealManifest signs one manifest over refs and seals their hops.
func sealManifest(org, keyID string, key ed25519.PrivateKey, envs []schema.Envelope, refs []leafRef) error {
	var tree hashStore
	for i, r := range refs {
		hs, err := tlog.StoredHashesForRecordHash(int64(i), r.hash, tree)
		if err != nil {
			return fmt.Errorf("submit: seal hops: %w", err)
		}
		tree = append(tree, hs...)
	}
	n := int64(len(refs))
	root, err := tlog.TreeHash(n, tree)
	if err != nil {
		return fmt.Errorf("submit: seal hops: %w", err)
	}
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(key, ManifestStatement(org, keyID, n, root)))
	rootS := base64.StdEncoding.EncodeToString(root[:])
	for i, r := range refs {
		proof, err := tlog.ProveRecord(n, int64(i), tree)
		if err != nil {
			return fmt.Errorf("submit: seal hops: %w", err)
		}
		seal := &schema.HopSeal{KeyID: keyID, Size: n, Index: int64(i), Root: rootS, Sig: sig}
		if len(proof) > 0 {
			raw := make([]byte, 0, len(proof)*tlog.HashSize)
			for _, p := range proof {
				raw = append(raw, p[:]...)
			}
			seal.Path = base64.StdEncoding.EncodeToString(raw)
		}
		envs[r.env].Provenance[r.hop].Seal = seal
	}
	return nil
}

// records seals the client's hops of envs, prepared (stamped and
// validated), if its Signer is a HopSealer, and encodes them as they
// will be sent.
func (c *Client) records(envs []schema.Envelope) ([][]byte, error) {
	if s, ok := c.cfg.Signer.(HopSealer); ok {
		if err := s.SealHops(c.cfg.Org, envs); err != nil {
			return nil, err
		}
	}
	out := make([][]byte, len(envs))
	errs := make([]error, len(envs))
	parallel(len(envs), func(i int) {
		if out[i], errs[i] = envs[i].AppendJSON(nil); errs[i] != nil {
			errs[i] = fmt.Errorf("submit: encode envelope %s: %w", envs[i].ID, errs[i])
		}
	})
	return out, errors.Join(errs...)
}
