package collab

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// MaxDirectorySignatureBytes is the largest detached directory signature
// VerifyDirectorySignature reads.
const MaxDirectorySignatureBytes = 4 << 10

// directorySigContext is signed before the document's bytes, so a
// directory signature can never be taken for a signature of anything
// else made with the same key (a request, a provenance hop).
const directorySigContext = "sicollab collab.directory signature v1\n"

// Errors of directory signatures.
var (
	// ErrDirectoryUnsigned: a signature is required and there is none.
	// Returned by DirectoryFile when RequireSignature is set.
	ErrDirectoryUnsigned = errors.New("collab: directory is not signed")
	// ErrDirectorySignature: the signature is malformed, made with a key
	// that is not trusted or not valid, or does not verify. Returned by
	// VerifyDirectorySignature.
	ErrDirectorySignature = errors.New("collab: directory signature invalid")
)

// DirectorySignature is the detached signature of a directory document
// (by convention in a file beside it, named as it with ".sig" added): an
// Ed25519 signature by a key of the leading group over the document's
// exact bytes.
type DirectorySignature struct {
	// KeyID names the signing key.
	KeyID string `json:"key_id"`
	// Alg is AlgEd25519.
	Alg string `json:"alg"`
	// Signature is the 64-byte signature, standard base64.
	Signature string `json:"signature"`
}

// SignDirectory signs raw, a directory document exactly as it will be
// published, with priv, the private half of the leading group's key
// keyID, and returns the DirectorySignature as JSON (one line, with a
// newline). Any change to raw, even of white space, breaks the signature.
func SignDirectory(raw []byte, keyID string, priv ed25519.PrivateKey) ([]byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("collab: sign directory: private key is %d bytes, want %d", len(priv), ed25519.PrivateKeySize)
	}
	if keyID == "" {
		return nil, errors.New("collab: sign directory: key id is empty; name the key as the directory lists it")
	}
	sig := ed25519.Sign(priv, directoryMessage(raw))
	out, err := json.Marshal(DirectorySignature{KeyID: keyID, Alg: AlgEd25519, Signature: base64.StdEncoding.EncodeToString(sig)})
	if err != nil {
		return nil, fmt.Errorf("collab: sign directory: %w", err)
	}
	return append(out, '\n'), nil
}

// VerifyDirectorySignature checks sig, a DirectorySignature as JSON, over
// raw with the trusted keys, at time at. It returns the key that verified,
// or an error wrapping ErrDirectorySignature that says what failed: the
// signature unreadable, its key not among the trusted ones, the key
// revoked or outside its period, or the signature not matching raw.
func VerifyDirectorySignature(raw, sig []byte, trusted []Key, at time.Time) (Key, error) {
	bad := func(format string, a ...any) (Key, error) {
		return Key{}, fmt.Errorf("%w: %s", ErrDirectorySignature, fmt.Sprintf(format, a...))
	}
	if len(sig) > MaxDirectorySignatureBytes {
		return bad("signature file is %d bytes, more than %d", len(sig), MaxDirectorySignatureBytes)
	}
	var s DirectorySignature
	dec := json.NewDecoder(bytes.NewReader(sig))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return bad("not a directory signature document: %v", err)
	}
	if s.Alg != AlgEd25519 {
		return bad("alg is %q; only %q is accepted", s.Alg, AlgEd25519)
	}
	raw64, err := base64.StdEncoding.DecodeString(s.Signature)
	if err != nil || len(raw64) != ed25519.SignatureSize {
		return bad("signature is not %d bytes of standard base64", ed25519.SignatureSize)
	}
	for _, k := range trusted {
		if k.ID != s.KeyID {
			continue
		}
		if err := k.ValidAt(at); err != nil {
			return Key{}, fmt.Errorf("%w: signing key: %w", ErrDirectorySignature, err)
		}
		if k.Alg != AlgEd25519 || len(k.Public) != ed25519.PublicKeySize {
			return bad("trusted key %q is not an Ed25519 key", k.ID)
		}
		if !ed25519.Verify(k.Public, directoryMessage(raw), raw64) {
			return bad("signature by %q does not match the document; was it changed after signing?", k.ID)
		}
		return k, nil
	}
	return bad("key %q is not a trusted key of the leading group", s.KeyID)
}

func directoryMessage(raw []byte) []byte {
	m := make([]byte, 0, len(directorySigContext)+len(raw))
	return append(append(m, directorySigContext...), raw...)
}
