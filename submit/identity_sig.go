package submit

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/yaronf/httpsign"

	"github.com/sicollab/sicollab/collab"
)

// SignatureLabel is the label of the protocol's RFC 9421 signature in the
// Signature and Signature-Input headers.
const SignatureLabel = "sicollab"

// Defaults of SignatureConfig and SignerConfig.
const (
	// DefaultSignatureMaxAge is how long after its created time a
	// signature is accepted, and the longest expires - created allowed.
	DefaultSignatureMaxAge = time.Minute
	// DefaultSignatureMaxSkew is how far in the future created may be.
	DefaultSignatureMaxSkew = 5 * time.Second
	// DefaultMaxNonces bounds the nonces a SignatureVerifier remembers.
	DefaultMaxNonces = 1 << 20
	// DefaultSignatureTTL is the expires - created a signer sets.
	DefaultSignatureTTL = 30 * time.Second
	// maxNonceLen bounds a nonce's length.
	maxNonceLen = 128
)

// signedComponents are what a signature must cover, by method: the
// request line (method, authority, path), and for a submission the
// headers that say what the body is (its digest, its type, its key).
func signedComponents(method string) httpsign.Fields {
	f := httpsign.Headers("@method", "@authority", "@path")
	if method == http.MethodPost {
		f.AddHeaders("content-digest", "content-type", "idempotency-key")
	}
	return f
}

// SignatureConfig configures a SignatureVerifier.
type SignatureConfig struct {
	// MaxAge is how long after created a signature is accepted, and the
	// longest lifetime (expires - created) it may declare; 0:
	// DefaultSignatureMaxAge.
	MaxAge time.Duration
	// MaxSkew is how far ahead of the hub's clock created may be; 0:
	// DefaultSignatureMaxSkew.
	MaxSkew time.Duration
	// MaxNonces bounds the nonces remembered against replay; 0:
	// DefaultMaxNonces. A nonce is forgotten once its signature has
	// expired. When the bound is reached, requests get 503 until nonces
	// expire.
	MaxNonces int
	// Clock is the hub's time; nil: time.Now.
	Clock func() time.Time
}

// Validate names every problem of c.
func (c SignatureConfig) Validate() error {
	var errs []error
	if c.MaxAge < 0 {
		errs = append(errs, fmt.Errorf("submit: SignatureConfig.MaxAge is %s; it must not be negative", c.MaxAge))
	}
	if c.MaxSkew < 0 {
		errs = append(errs, fmt.Errorf("submit: SignatureConfig.MaxSkew is %s; it must not be negative", c.MaxSkew))
	}
	if c.MaxNonces < 0 {
		errs = append(errs, fmt.Errorf("submit: SignatureConfig.MaxNonces is %d; it must not be negative", c.MaxNonces))
	}
	return errors.Join(errs...)
}

// SignatureVerifier authenticates by an RFC 9421 HTTP message signature
// (label SignatureLabel, Ed25519) made with a key of the directory. In
// this order it checks, answering 401 with the check's name on the first
// failure:
//
//   - signature-missing: Signature and Signature-Input are there;
//   - signature-malformed: they parse, with a keyid; no trailer or
//     related-request component is covered;
//   - signature-alg: alg is ed25519, and so is the key;
//   - signature-key-unknown, signature-key-revoked,
//     signature-key-not-valid: the keyid is a key of the directory,
//     not revoked, within its period;
//   - signature-created: created is there, not older than MaxAge, not
//     ahead by more than MaxSkew;
//   - signature-expires: expires is there, after now, at most MaxAge
//     after created;
//   - signature-nonce: a nonce is there, at most 128 characters;
//   - signature-coverage: the signature covers @method, @authority,
//     @path and, on POST, content-digest, content-type and
//     idempotency-key;
//   - signature-invalid: the signature verifies with the key;
//   - signature-replay: the key's nonce was not seen before (503
//     signature-replay-full when MaxNonces nonces are live).
//
// The body is never read here: the signature covers Content-Digest, and
// the Handler then checks the digest against the body as sent.
type SignatureVerifier struct {
	cfg SignatureConfig

	mu     sync.Mutex
	nonces map[string]time.Time // key id + "\x00" + nonce -> forget after
	order  []nonceAt            // in insertion order, for pruning
}

type nonceAt struct {
	key   string
	until time.Time
}

// NewSignatureVerifier returns a SignatureVerifier for cfg, or
// cfg.Validate's error.
func NewSignatureVerifier(cfg SignatureConfig) (*SignatureVerifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	setDefault(&cfg.MaxAge, DefaultSignatureMaxAge)
	setDefault(&cfg.MaxSkew, DefaultSignatureMaxSkew)
	setDefault(&cfg.MaxNonces, DefaultMaxNonces)
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &SignatureVerifier{cfg: cfg, nonces: map[string]time.Time{}}, nil
}

func sigErr(check, format string, a ...any) error {
	return authErr(http.StatusUnauthorized, check, format, a...)
}

// Authenticate implements Authenticator.
func (v *SignatureVerifier) Authenticate(r *http.Request, dir *collab.Directory) (collab.Org, error) {
	input := r.Header.Get("Signature-Input")
	if input == "" || r.Header.Get("Signature") == "" {
		return collab.Org{}, sigErr("signature-missing", "sign the request (RFC 9421, label %q, Ed25519, with your key id from the directory)", SignatureLabel)
	}
	// A covered trailer or related-request component would make the
	// library read the body before it is bounded: refuse them up front.
	if strings.Contains(input, ";tr") || strings.Contains(input, ";req") {
		return collab.Org{}, sigErr("signature-malformed", "Signature-Input covers a trailer or related-request component; cover headers and derived components only")
	}
	d, err := httpsign.RequestDetails(SignatureLabel, r)
	if err != nil {
		return collab.Org{}, sigErr("signature-malformed", "the signature %q cannot be read: %v", SignatureLabel, err)
	}
	if d.Alg != collab.AlgEd25519 {
		return collab.Org{}, sigErr("signature-alg", "alg is %q; sign with %q and say so in the alg parameter", d.Alg, collab.AlgEd25519)
	}
	key, err := dir.Key(d.KeyID)
	if err != nil {
		return collab.Org{}, sigErr("signature-key-unknown", "keyid %q is no key of the directory (version %d)", d.KeyID, dir.Version())
	}
	if key.Alg != d.Alg {
		return collab.Org{}, sigErr("signature-alg", "key %q is a %s key, the signature says %s", key.ID, key.Alg, d.Alg)
	}
	now := v.cfg.Clock()
	if err := key.ValidAt(now); err != nil {
		check := "signature-key-not-valid"
		if errors.Is(err, collab.ErrKeyRevoked) {
			check = "signature-key-revoked"
		}
		return collab.Org{}, sigErr(check, "%v", err)
	}
	if f := v.checkTimes(d, now); f != nil {
		return collab.Org{}, f
	}
	if d.Nonce == nil || *d.Nonce == "" || len(*d.Nonce) > maxNonceLen {
		return collab.Org{}, sigErr("signature-nonce", "the signature needs a nonce parameter of 1 to %d characters, new for each request", maxNonceLen)
	}
	if err := v.verify(r, key); err != nil {
		return collab.Org{}, err
	}
	if err := v.remember(key.ID+"\x00"+*d.Nonce, *d.Expires, now); err != nil {
		return collab.Org{}, err
	}
	org, ok := dir.Org(key.Org)
	if !ok { // a directory's keys belong to its organizations
		return collab.Org{}, sigErr("signature-key-unknown", "key %q names organization %q, not in the directory", key.ID, key.Org)
	}
	return org, nil
}

func (v *SignatureVerifier) checkTimes(d *httpsign.MessageDetails, now time.Time) error {
	if d.Created == nil {
		return sigErr("signature-created", "the signature has no created parameter")
	}
	created := *d.Created
	if created.After(now.Add(v.cfg.MaxSkew)) {
		return sigErr("signature-created", "created %s is ahead of the hub's clock (%s) by more than %s; check your clock",
			created.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), v.cfg.MaxSkew)
	}
	if now.Sub(created) > v.cfg.MaxAge {
		return sigErr("signature-created", "created %s is more than %s before the hub's clock (%s); sign each attempt anew",
			created.UTC().Format(time.RFC3339), v.cfg.MaxAge, now.UTC().Format(time.RFC3339))
	}
	if d.Expires == nil {
		return sigErr("signature-expires", "the signature has no expires parameter")
	}
	if !now.Before(*d.Expires) {
		return sigErr("signature-expires", "the signature expired at %s", d.Expires.UTC().Format(time.RFC3339))
	}
	if d.Expires.Sub(created) > v.cfg.MaxAge {
		return sigErr("signature-expires", "expires is %s after created; at most %s is accepted", d.Expires.Sub(created), v.cfg.MaxAge)
	}
	return nil
}

// verify checks the signature with key, and that it covers the
// components this method needs. It tells the two apart only on failure,
// with a second verification that requires nothing.
func (v *SignatureVerifier) verify(r *http.Request, key collab.Key) error {
	conf := httpsign.NewVerifyConfig().SetVerifyCreated(false).SetRejectExpired(false).
		SetAllowedAlgs([]string{collab.AlgEd25519}).SetKeyID(key.ID)
	ver, err := httpsign.NewEd25519Verifier(key.Public, conf, signedComponents(r.Method))
	if err != nil {
		return sigErr("signature-invalid", "key %q cannot verify: %v", key.ID, err)
	}
	err = httpsign.VerifyRequest(SignatureLabel, *ver, r)
	if err == nil {
		return nil
	}
	loose, aerr := httpsign.NewEd25519Verifier(key.Public, conf, *httpsign.NewFields())
	if aerr == nil && httpsign.VerifyRequest(SignatureLabel, *loose, r) == nil {
		need := "@method, @authority, @path"
		if r.Method == http.MethodPost {
			need += ", content-digest, content-type, idempotency-key"
		}
		return sigErr("signature-coverage", "the signature does not cover everything a %s needs: %s", r.Method, need)
	}
	return sigErr("signature-invalid", "the signature does not verify with key %q: the request was changed after signing, or signed with another key (%v)", key.ID, err)
}

// remember records a nonce until its signature expires, or fails if it
// was seen.
func (v *SignatureVerifier) remember(key string, until, now time.Time) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	for len(v.order) > 0 && !now.Before(v.order[0].until) {
		if v.nonces[v.order[0].key] == v.order[0].until {
			delete(v.nonces, v.order[0].key)
		}
		v.order = v.order[1:]
	}
	if t, seen := v.nonces[key]; seen && now.Before(t) {
		return sigErr("signature-replay", "this signature's nonce was seen before; sign each request anew with a new nonce")
	}
	if len(v.nonces) >= v.cfg.MaxNonces {
		return authErr(http.StatusServiceUnavailable, "signature-replay-full",
			"the hub remembers %d live nonces, its limit; retry once some have expired", v.cfg.MaxNonces)
	}
	v.nonces[key] = until
	v.order = append(v.order, nonceAt{key, until})
	return nil
}

// RequestSigner signs a request just before it is sent. The Client calls
// it for every attempt, after setting every header; it must be safe for
// concurrent use.
type RequestSigner interface {
	SignRequest(r *http.Request) error
}

// SignerConfig configures an HTTPSigner.
type SignerConfig struct {
	// KeyID is the organization's key id as the directory lists it.
	// Required.
	KeyID string
	// PrivateKey is the private half of that key. Required.
	PrivateKey ed25519.PrivateKey
	// TTL is expires - created; 0: DefaultSignatureTTL. It must stay
	// within the hub's SignatureConfig.MaxAge.
	TTL time.Duration
}

// Validate names every problem of c.
func (c SignerConfig) Validate() error {
	var errs []error
	if c.KeyID == "" {
		errs = append(errs, errors.New(`submit: SignerConfig.KeyID is ""; give the key id the directory lists`))
	}
	if len(c.PrivateKey) != ed25519.PrivateKeySize {
		errs = append(errs, fmt.Errorf("submit: SignerConfig.PrivateKey is %d bytes; an Ed25519 private key is %d", len(c.PrivateKey), ed25519.PrivateKeySize))
	}
	if c.TTL < 0 {
		errs = append(errs, fmt.Errorf("submit: SignerConfig.TTL is %s; it must not be negative", c.TTL))
	}
	return errors.Join(errs...)
}

// HTTPSigner signs requests as SignatureVerifier checks them: RFC 9421,
// label SignatureLabel, Ed25519, covering @method, @authority, @path and,
// on POST, content-digest, content-type and idempotency-key, with
// created (the real clock, as the library sets it), expires, a random
// nonce, keyid and alg.
type HTTPSigner struct {
	cfg SignerConfig
}

// NewHTTPSigner returns an HTTPSigner, or cfg.Validate's error.
func NewHTTPSigner(cfg SignerConfig) (*HTTPSigner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	setDefault(&cfg.TTL, DefaultSignatureTTL)
	return &HTTPSigner{cfg: cfg}, nil
}

// SignRequest sets the Signature-Input and Signature headers of r.
func (s *HTTPSigner) SignRequest(r *http.Request) error {
	var n [16]byte
	rand.Read(n[:]) // never fails (crypto/rand)
	conf := httpsign.NewSignConfig().SetKeyID(s.cfg.KeyID).SetNonce(base64.RawURLEncoding.EncodeToString(n[:])).
		SetExpires(time.Now().Add(s.cfg.TTL).Unix())
	signer, err := httpsign.NewEd25519Signer(s.cfg.PrivateKey, conf, signedComponents(r.Method))
	if err != nil {
		return fmt.Errorf("submit: sign request: %w", err)
	}
	input, sig, err := httpsign.SignRequest(SignatureLabel, *signer, r)
	if err != nil {
		return fmt.Errorf("submit: sign request: %w", err)
	}
	r.Header.Set("Signature-Input", input)
	r.Header.Set("Signature", sig)
	return nil
}
