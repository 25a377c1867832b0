package schema

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"sync"

	"github.com/sicollab/sicollab/schema/internal/jsontext"
)

// The payload digest from the validating pass.
//
// Validation leaves the payload's tokens on a tape: where each string,
// number and container starts and ends, which strings hold escapes, and
// that the document is well formed (UTF-8, escapes, no duplicate key).
// The RFC 8785 form is written from those tokens without reading the
// bytes again: members sorted by key, strings without escapes copied as
// they are, integers of at most 15 digits copied as they are. What it
// cannot write exactly as the general transform does (a fraction or an
// exponent, a longer integer, a non-ASCII key) it declines, and the
// caller falls back to PayloadDigest. FuzzTapeDigest checks the two
// agree.

// canonBufs holds canonical forms between records.
var canonBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledCanon bounds the buffers the pool keeps.
const maxPooledCanon = 1 << 16

// tapeDigest returns the payload digest ("sha-256:<hex>") of the value at
// token i of t, and false when the general transform must decide.
func tapeDigest(t *jsontext.Tape, i int) (string, bool) {
	bp := canonBufs.Get().(*[]byte)
	out, ok := appendTapeCanonical((*bp)[:0], t, i)
	var d string
	if ok {
		sum := sha256.Sum256(out)
		var hx [len(digestPrefix) + 2*sha256.Size]byte
		copy(hx[:], digestPrefix)
		hex.Encode(hx[len(digestPrefix):], sum[:])
		d = string(hx[:])
	}
	if cap(out) <= maxPooledCanon {
		*bp = out[:0]
		canonBufs.Put(bp)
	}
	return d, ok
}

// digestPrefix begins every payload digest.
const digestPrefix = "sha-256:"

// sortKey is a member's key in the sort of its object: the token of
// the key and its first eight bytes as a big-endian number.
type sortKey struct {
	prefix uint64
	tok    int32
}

// keyPrefix is the first eight bytes of key, big-endian, padded with
// zero bytes: a key holds no zero byte (Tokenize refuses control
// characters and keys with escapes), so keys of different prefixes
// order as their prefixes do.
func keyPrefix(key []byte) uint64 {
	if len(key) >= 8 {
		return binary.BigEndian.Uint64(key)
	}
	var p uint64
	for i, c := range key {
		p |= uint64(c) << (56 - 8*i)
	}
	return p
}

// less tells whether k sorts before o, by bytes (UTF-16 code units, for
// ASCII).
func (k *sortKey) less(t *jsontext.Tape, o *sortKey) bool {
	if k.prefix != o.prefix {
		return k.prefix < o.prefix
	}
	return bytes.Compare(t.Text(int(k.tok)), t.Text(int(o.tok))) < 0
}

// appendTapeCanonical appends the RFC 8785 form of the value at token i
// of t to dst, or returns ok false (see the comment above).
func appendTapeCanonical(dst []byte, t *jsontext.Tape, i int) ([]byte, bool) {
	tok := &t.Tokens[i]
	switch tok.Kind {
	case jsontext.Object:
		var keys [jsontext.MaxMembers]sortKey // sorted below
		n := int(tok.Len)
		for j, k := 0, i+1; j < n; j++ {
			text := t.Text(k)
			if !asciiOnly(text) {
				return dst, false // UTF-16 order is byte order for ASCII keys only
			}
			keys[j] = sortKey{prefix: keyPrefix(text), tok: int32(k)}
			k = int(t.Tokens[k+1].Next)
		}
		ks := keys[:n]
		for a := 1; a < n; a++ { // insertion sort: a few dozen keys at most
			for b := a; b > 0 && ks[b].less(t, &ks[b-1]); b-- {
				ks[b], ks[b-1] = ks[b-1], ks[b]
			}
		}
		dst = append(dst, '{')
		for j, key := range ks {
			if j > 0 {
				dst = append(dst, ',')
			}
			k := int(key.tok)
			dst = append(dst, '"')
			dst = append(dst, t.Text(k)...)
			dst = append(dst, '"', ':')
			var ok bool
			if dst, ok = appendTapeCanonical(dst, t, k+1); !ok {
				return dst, false
			}
		}
		return append(dst, '}'), true
	case jsontext.Array:
		dst = append(dst, '[')
		for j, e := 0, i+1; j < int(tok.Len); j++ {
			if j > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = appendTapeCanonical(dst, t, e); !ok {
				return dst, false
			}
			e = int(t.Tokens[e].Next)
		}
		return append(dst, ']'), true
	case jsontext.String:
		raw := t.Text(i)
		if !tok.Escaped {
			// Tokenize checked the UTF-8 and found no escape: no '"',
			// '\\' or control character to write otherwise.
			dst = append(dst, '"')
			dst = append(dst, raw...)
			return append(dst, '"'), true
		}
		return appendCanonicalString(dst, raw)
	case jsontext.Number:
		raw := t.Text(i)
		digits := len(raw)
		if digits > 0 && raw[0] == '-' {
			digits--
		}
		if !tok.Int || digits > 15 || len(raw) == 2 && raw[0] == '-' && raw[1] == '0' {
			return dst, false // the general transform writes these
		}
		return append(dst, raw...), true
	case jsontext.True, jsontext.False, jsontext.Null:
		return append(dst, t.Text(i)...), true
	}
	return dst, false
}
