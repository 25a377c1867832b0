package collab

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// AlgEd25519 is the one signature algorithm keys of the directory have:
// Ed25519 (RFC 8032), named as RFC 9421 names it.
const AlgEd25519 = "ed25519"

// Errors of key lookups; Directory.Key and Key.ValidAt return them
// wrapped, with the key id in the message.
var (
	// ErrUnknownKey: no organization of the directory has the key id.
	ErrUnknownKey = errors.New("collab: unknown key id")
	// ErrKeyRevoked: the key is marked revoked in the directory.
	ErrKeyRevoked = errors.New("collab: key revoked")
	// ErrKeyNotValid: the time is outside the key's not_before and
	// not_after (not yet valid, or retired).
	ErrKeyNotValid = errors.New("collab: key not valid at this time")
)

// Key is one public key of an organization. It verifies from NotBefore
// (inclusive) to NotAfter (exclusive) unless Revoked. While an
// organization rotates its key, the old and the new key are both valid:
// their periods overlap.
type Key struct {
	// ID is unique in the directory; signatures name it as keyid.
	ID string
	// Org is the id of the organization the key belongs to.
	Org string
	// Alg is AlgEd25519.
	Alg string
	// Public is the Ed25519 public key.
	Public ed25519.PublicKey
	// NotBefore is the first instant the key verifies.
	NotBefore time.Time
	// NotAfter is the first instant it no longer verifies.
	NotAfter time.Time
	// Revoked, once true, stops the key verifying whatever its dates.
	Revoked bool
}

// ValidAt returns nil if k verifies at t, or an error wrapping
// ErrKeyRevoked or ErrKeyNotValid that names the key and its period.
func (k Key) ValidAt(t time.Time) error {
	switch {
	case k.Revoked:
		return fmt.Errorf("%w: %q of %q; the organization must sign with another key", ErrKeyRevoked, k.ID, k.Org)
	case t.Before(k.NotBefore):
		return fmt.Errorf("%w: %q of %q is valid from %s, it is %s", ErrKeyNotValid, k.ID, k.Org,
			k.NotBefore.UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339))
	case !t.Before(k.NotAfter):
		return fmt.Errorf("%w: %q of %q was retired at %s, it is %s", ErrKeyNotValid, k.ID, k.Org,
			k.NotAfter.UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339))
	}
	return nil
}

// Key returns the key with the id and the organization that holds it, or
// an error wrapping ErrUnknownKey. It does not check the key's period:
// call Key.ValidAt.
func (d *Directory) Key(id string) (Key, error) {
	ref, ok := d.byKey[id]
	if !ok {
		return Key{}, fmt.Errorf("%w %q (directory version %d)", ErrUnknownKey, id, d.version)
	}
	return d.orgs[ref[0]].Keys[ref[1]], nil
}

// TLSIdentity returns the URI SAN a certificate of the organization
// carries under trustDomain: spiffe://<trustDomain>/org/<org>.
func TLSIdentity(trustDomain, org string) string {
	return "spiffe://" + trustDomain + "/org/" + org
}

// AcceptsTLSIdentity reports whether a certificate whose one URI SAN is
// uri may stand for o: o lists uri in its tls_identities, or lists none
// and uri is o's identity under trustDomain.
func (o Org) AcceptsTLSIdentity(trustDomain, uri string) bool {
	if len(o.TLSIdentities) > 0 {
		return slices.Contains(o.TLSIdentities, uri)
	}
	return uri == TLSIdentity(trustDomain, o.ID)
}

// parseKeys turns the document's keys into Keys. The schema has checked
// the encoding, so a failure here is reported by checkKeys first.
func parseKeys(org string, in []schema.DirectoryKey) []Key {
	if len(in) == 0 {
		return nil
	}
	out := make([]Key, 0, len(in))
	for _, k := range in {
		pub, _ := base64.StdEncoding.DecodeString(k.PublicKey)
		out = append(out, Key{ID: k.KeyID, Org: org, Alg: k.Alg, Public: ed25519.PublicKey(pub),
			NotBefore: k.NotBefore, NotAfter: k.NotAfter, Revoked: k.Revoked})
	}
	return out
}

// checkKeys adds the key rules to c: key ids unique in the directory,
// public keys of 32 bytes, not_after after not_before, and every TLS
// identity naming its own organization.
func (c *checker) checkKeys(orgs []schema.DirectoryOrg) {
	seen := map[string]string{} // key id -> pointer of its first use
	for i, o := range orgs {
		for j, k := range o.Keys {
			ptr := orgPointer(i, "keys", j)
			if first, dup := seen[k.KeyID]; dup {
				c.add(i, ptr+"/key_id", "key id %q is already used at %s; key ids must be unique in the directory", k.KeyID, first)
			} else {
				seen[k.KeyID] = ptr
			}
			if pub, err := base64.StdEncoding.DecodeString(k.PublicKey); err != nil || len(pub) != ed25519.PublicKeySize {
				c.add(i, ptr+"/public_key", "public key is not %d bytes of standard base64", ed25519.PublicKeySize)
			}
			if !k.NotAfter.After(k.NotBefore) {
				c.add(i, ptr+"/not_after", "not_after %s is not after not_before %s",
					k.NotAfter.UTC().Format(time.RFC3339), k.NotBefore.UTC().Format(time.RFC3339))
			}
		}
		for j, uri := range o.TLSIdentities {
			if !strings.HasSuffix(uri, "/org/"+o.ID) {
				c.add(i, orgPointer(i, "tls_identities", j), "TLS identity %q does not end in /org/%s; an identity names its own organization", uri, o.ID)
			}
		}
	}
}

// ParseKey checks one key entry as the directory document writes it (a
// trust anchor configured out of band, say) and returns it as a Key of
// org.
func ParseKey(org string, k schema.DirectoryKey) (Key, error) {
	var errs []error
	if k.KeyID == "" {
		errs = append(errs, errors.New("key_id is empty"))
	}
	if k.Alg != AlgEd25519 {
		errs = append(errs, fmt.Errorf("alg is %q; only %q is accepted", k.Alg, AlgEd25519))
	}
	pub, err := base64.StdEncoding.DecodeString(k.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		errs = append(errs, fmt.Errorf("public_key is not %d bytes of standard base64", ed25519.PublicKeySize))
	}
	if !k.NotAfter.After(k.NotBefore) {
		errs = append(errs, errors.New("not_after is not after not_before"))
	}
	if err := errors.Join(errs...); err != nil {
		return Key{}, fmt.Errorf("collab: key %q: %w", k.KeyID, err)
	}
	return parseKeys(org, []schema.DirectoryKey{k})[0], nil
}
