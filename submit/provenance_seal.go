package submit

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// Signed provenance.
//
// Each hop an organization adds is a leaf of a batch manifest: the RFC
// 6962 Merkle tree over the leaves of every hop it stamped in one batch,
// whose head the organization signs once with its Ed25519 key of the
// directory (ManifestStatement). Each hop carries its seal
// (schema.HopSeal): the key id, the head, the signature and the leaf's
// inclusion proof. A hop's leaf (HopLeaf) covers the whole hop but its
// seal, the envelope but its provenance and payload (the payload is the
// hop's digest), and the leaf hash of the hop before: altering,
// inserting or removing a hop breaks the leaf of the hop after it, which
// only that hop's organization could sign again.
//
// Verifying costs hashes per record (the leaves and their paths) and one
// signature check per manifest, remembered by a SealVerifier.

// ManifestStatement returns the bytes org signs with key keyID for a
// manifest of size leaves whose tree head is root.
func ManifestStatement(org, keyID string, size int64, root tlog.Hash) []byte {
	b := make([]byte, 0, 128+len(org)+len(keyID))
	b = append(b, "sicollab hop manifest v1\norg "...)
	b = append(b, org...)
	b = append(b, "\nkey "...)
	b = append(b, keyID...)
	b = append(b, "\nsize "...)
	b = strconv.AppendInt(b, size, 10)
	b = append(b, "\nroot "...)
	b = base64.StdEncoding.AppendEncode(b, root[:])
	return append(b, '\n')
}

// The checks a hop's seal can fail, as HopError.Check names them.
const (
	CheckSealMissing = "seal missing"  // the hop is unsigned where signatures are required
	CheckChainStart  = "chain start"   // the chain does not begin with the source's own hop
	CheckDigest      = "digest"        // the last hop's digest is not the payload's
	CheckKey         = "key"           // unknown key, another organization's, revoked or not valid at the hop's time
	CheckInclusion   = "inclusion"     // the leaf is not in the signed tree (the hop, or one before it, was altered)
	CheckSignature   = "signature"     // the manifest's signature does not verify
	CheckSealFormat  = "seal encoding" // a hash or signature is not base64 of the right length
)

// ErrProvenance is wrapped by every HopError: a hop's seal does not
// verify.
var ErrProvenance = errors.New("submit: provenance does not verify")

// HopError says which hop of a record failed which check of its seal.
// It wraps ErrProvenance and, for CheckKey, the collab key error.
type HopError struct {
	// Hop is the index of the hop in the provenance, -1 for the record
	// as a whole.
	Hop int
	// Org is the hop's organization ("" with Hop -1).
	Org string
	// Check is one of the Check constants.
	Check string
	// Err is the cause, if any.
	Err error
}

// Error names the hop (or the record) and the check that failed.
func (e *HopError) Error() string {
	where := "the record"
	if e.Hop >= 0 {
		where = fmt.Sprintf("hop %d (%s)", e.Hop, e.Org)
	}
	msg := fmt.Sprintf("submit: provenance: %s fails the %s check", where, e.Check)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns ErrProvenance and the cause.
func (e *HopError) Unwrap() []error { return []error{ErrProvenance, e.Err} }

// VerifyChain checks the signed provenance of env, a record as stored or
// received, with the public keys of dir alone: it has hops, every hop is
// sealed, the first is the source's, the last hop's digest is the payload's, and
// every seal verifies (key of the hop's organization valid at the hop's
// time and not revoked, leaf in the signed tree, signature). It returns
// nil or a *HopError naming the first hop that fails. A reader runs it
// offline on a record years later, with the directory of that time.
func VerifyChain(dir *collab.Directory, env *schema.Envelope) error {
	if len(env.Provenance) == 0 {
		return &HopError{Hop: -1, Check: CheckSealMissing, Err: errors.New("the record has no provenance: nothing says who made it")}
	}
	digest, err := env.Digest()
	if err != nil {
		return &HopError{Hop: -1, Check: CheckDigest, Err: err}
	}
	if n := len(env.Provenance); n > 0 && env.Provenance[n-1].Digest != digest {
		return &HopError{Hop: n - 1, Org: env.Provenance[n-1].Org, Check: CheckDigest,
			Err: fmt.Errorf("the payload's digest is %s: the payload changed after the last hop", digest)}
	}
	if err := verifySeals(dir, env, true, nil); err != nil {
		return err
	}
	return nil
}

// verifySeals checks the seals of env's hops. With require, every hop
// must be sealed and the first be the source's; otherwise unsigned hops
// pass and sealed ones are checked. A record without hops passes: at a
// hub, only its source may send it so (the handler's source check), and
// the request's authentication stands for it. cache, if not nil, remembers
// verified manifests. It returns nil or a *HopError.
func verifySeals(dir *collab.Directory, env *schema.Envelope, require bool, cache *manifestCache) *HopError {
	hops := env.Provenance
	if require && len(hops) > 0 {
		if hops[0].Org != env.Source {
			return &HopError{Hop: 0, Org: hops[0].Org, Check: CheckChainStart,
				Err: fmt.Errorf("the first hop must be the source's (%s) own signed hop: the source's hop is missing", env.Source)}
		}
	}
	sealed := false
	for i := range hops {
		if hops[i].Seal != nil {
			sealed = true
		} else if require {
			return &HopError{Hop: i, Org: hops[i].Org, Check: CheckSealMissing, Err: errors.New("the hop is unsigned; signed hops are required")}
		}
	}
	if !sealed {
		return nil
	}
	var buf [4]tlog.Hash
	leaves, err := appendChainLeaves(buf[:0], env)
	if err != nil {
		return &HopError{Hop: -1, Check: CheckSealFormat, Err: err}
	}
	for i := range hops {
		if hops[i].Seal == nil {
			continue
		}
		if err := checkSeal(dir, &hops[i], leaves[i], cache); err != nil {
			err.Hop = i
			return err
		}
	}
	return nil
}

// checkSeal checks the seal of h, whose leaf hash is leaf.
func checkSeal(dir *collab.Directory, h *schema.Hop, leaf tlog.Hash, cache *manifestCache) *HopError {
	s := h.Seal
	fail := func(check string, err error) *HopError { return &HopError{Org: h.Org, Check: check, Err: err} }
	key, err := dir.Key(s.KeyID)
	if err != nil {
		return fail(CheckKey, err)
	}
	if key.Org != h.Org {
		return fail(CheckKey, fmt.Errorf("key %q belongs to %q, not to the hop's organization", s.KeyID, key.Org))
	}
	if key.Alg != collab.AlgEd25519 || len(key.Public) != ed25519.PublicKeySize {
		return fail(CheckKey, fmt.Errorf("key %q is not an Ed25519 key", s.KeyID))
	}
	if err := key.ValidAt(h.At); err != nil {
		return fail(CheckKey, fmt.Errorf("at the hop's time: %w", err))
	}
	root, err := decodeHash(s.Root)
	if err != nil {
		return fail(CheckSealFormat, fmt.Errorf("root: %w", err))
	}
	const maxChars = (maxPath*tlog.HashSize + 2) / 3 * 4
	var buf [maxChars / 4 * 3]byte // what Decode may write for maxChars
	n := 0
	if len(s.Path) <= maxChars {
		n, err = base64.StdEncoding.Decode(buf[:], []byte(s.Path))
	}
	if err != nil || n%tlog.HashSize != 0 || len(s.Path) > maxChars {
		return fail(CheckSealFormat, fmt.Errorf("path: want up to %d hashes of %d bytes in standard base64", maxPath, tlog.HashSize))
	}
	var hashes [maxPath]tlog.Hash
	proof := tlog.RecordProof(hashes[:n/tlog.HashSize])
	for j := range proof {
		copy(proof[j][:], buf[j*tlog.HashSize:])
	}
	if s.Index < 0 || s.Index >= s.Size {
		return fail(CheckInclusion, fmt.Errorf("index %d is outside a manifest of %d leaves", s.Index, s.Size))
	}
	notIncluded := func() *HopError { return fail(CheckInclusion, errNotIncluded) }
	var mk manifestKey
	if cache != nil {
		// A manifest whose signature verified has a memo of the nodes its
		// records proved (provenance_memo.go): the path is checked
		// against it, and the signature is known good.
		mk = manifestKey{pub: [ed25519.PublicKeySize]byte(key.Public), org: h.Org, keyID: s.KeyID, size: s.Size, root: root, sig: s.Sig}
		if memo := cache.memoOf(mk); memo != nil {
			if !memo.check(proof, s.Size, s.Index, leaf, root) {
				return notIncluded()
			}
			return nil
		}
	}
	if err := tlog.CheckRecord(proof, s.Size, root, s.Index, leaf); err != nil {
		return notIncluded()
	}
	// The signature is decoded and checked once per manifest: a cached
	// result is keyed by everything the check reads.
	verify := func() error {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil || len(sig) != ed25519.SignatureSize {
			return fail(CheckSealFormat, errors.New("sig: want 64 bytes in standard base64"))
		}
		if !ed25519.Verify(key.Public, ManifestStatement(h.Org, s.KeyID, s.Size, root), sig) {
			return fail(CheckSignature, fmt.Errorf("the manifest's signature does not verify with key %q", s.KeyID))
		}
		return nil
	}
	if cache != nil {
		err = cache.verified(mk, verify)
	} else {
		err = verify()
	}
	if err != nil {
		he := err.(*HopError)
		return &HopError{Org: h.Org, Check: he.Check, Err: he.Err}
	}
	return nil
}

// errNotIncluded is the cause of a CheckInclusion failure.
var errNotIncluded = errors.New("the hop's leaf is not in the signed manifest: this hop or one before it was altered, inserted or removed")

// maxPath is the longest inclusion path a seal may carry (a manifest of
// schema.MaxSealLeaves).
const maxPath = 20

func decodeHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	var buf [(tlog.HashSize + 2) / 3 * 3]byte // what Decode may write for 44 characters
	n, err := 0, error(nil)
	if len(s) == base64.StdEncoding.EncodedLen(tlog.HashSize) {
		n, err = base64.StdEncoding.Decode(buf[:], []byte(s))
	}
	if err != nil || n != tlog.HashSize {
		return h, fmt.Errorf("want %d bytes in standard base64", tlog.HashSize)
	}
	copy(h[:], buf[:n])
	return h, nil
}

// manifestCache remembers which manifests verified, so that the records
// of one batch cost one signature check. At max entries it starts anew.
// The memos of the last memoManifests manifests it saw are kept. A
// lookup takes no lock (the records of a batch are checked in parallel);
// adding a manifest does.
type manifestCache struct {
	m     sync.Map // manifestKey -> *manifestEntry
	n     atomic.Int64
	max   int
	mu    sync.Mutex                    // guards memos, next and clearing m
	memos [memoManifests]*manifestEntry // a ring of the entries that hold a memo
	next  int
}

// newManifestCache returns a cache of up to max manifests.
func newManifestCache(max int) *manifestCache { return &manifestCache{max: max} }

// memoManifests is how many manifests keep an inclusion memo at a time
// (2 x memoLeaves nodes at most each), and memoLeaves the largest
// manifest that has one.
const (
	memoManifests = 16
	memoLeaves    = 4096
)

// manifestKey is what a manifest's signature check depends on.
type manifestKey struct {
	pub        [ed25519.PublicKeySize]byte
	org, keyID string
	size       int64
	root       tlog.Hash
	sig        string
}

type manifestEntry struct {
	once sync.Once
	err  error
	ok   atomic.Bool                   // verify ran and passed
	memo atomic.Pointer[inclusionMemo] // nil once out of the ring
}

// memoOf returns the inclusion memo of a manifest whose signature
// verified, or nil.
func (c *manifestCache) memoOf(key manifestKey) *inclusionMemo {
	v, _ := c.m.Load(key)
	e, _ := v.(*manifestEntry)
	if e == nil || !e.ok.Load() {
		return nil
	}
	return e.memo.Load()
}

// verified runs verify once per key, and returns its result.
func (c *manifestCache) verified(key manifestKey, verify func() error) error {
	v, ok := c.m.Load(key)
	if !ok {
		c.mu.Lock()
		if v, ok = c.m.Load(key); !ok {
			if c.n.Load() >= int64(c.max) {
				c.m.Clear()
				c.n.Store(0)
			}
			e := &manifestEntry{}
			if key.size >= 1 && key.size <= memoLeaves {
				if old := c.memos[c.next]; old != nil {
					old.memo.Store(nil)
				}
				e.memo.Store(newInclusionMemo(key.size))
				c.memos[c.next], c.next = e, (c.next+1)%memoManifests
			}
			c.m.Store(key, e)
			c.n.Add(1)
			v = e
		}
		c.mu.Unlock()
	}
	e := v.(*manifestEntry)
	e.once.Do(func() {
		e.err = verify()
		e.ok.Store(e.err == nil)
	})
	return e.err
}

// DefaultSealCache is SealConfig.CacheSize's default.
const DefaultSealCache = 4096

// SealConfig configures a SealVerifier.
type SealConfig struct {
	// Require refuses a record with hops unless every hop is sealed and
	// the first is the source's own: no unsigned hop, and no chain whose
	// collector's hop was dropped. A record without hops is its source's
	// own submission (a relayed one always has the relay's hop) and
	// passes on the request's authentication. False: unsigned hops
	// (records from before signed provenance) pass; sealed ones are
	// checked.
	Require bool
	// CacheSize is how many verified manifests are remembered; 0:
	// DefaultSealCache.
	CacheSize int
}

// Validate names every problem of c.
func (c SealConfig) Validate() error {
	if c.CacheSize < 0 {
		return fmt.Errorf("submit: SealConfig.CacheSize is %d; it must not be negative", c.CacheSize)
	}
	return nil
}

// SealVerifier is the HopVerifier of signed provenance: it checks each
// record's seals with the request's directory (see VerifyChain), one
// signature check per manifest. It is safe for concurrent use.
type SealVerifier struct {
	cfg   SealConfig
	cache *manifestCache
}

// NewSealVerifier returns a SealVerifier, or cfg.Validate's error.
func NewSealVerifier(cfg SealConfig) (*SealVerifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	setDefault(&cfg.CacheSize, DefaultSealCache)
	return &SealVerifier{cfg: cfg, cache: newManifestCache(cfg.CacheSize)}, nil
}

// VerifyHops checks the seals of env's hops with dir's keys. The hub has
// checked the chain's structure and the last hop's digest.
func (v *SealVerifier) VerifyHops(ctx context.Context, dir *collab.Directory, env *schema.Envelope) (int, error) {
	if err := ctx.Err(); err != nil {
		return -1, err
	}
	if err := verifySeals(dir, env, v.cfg.Require, v.cache); err != nil {
		return err.Hop, err
	}
	return 0, nil
}
