package schema

import (
	"bytes"
	"crypto/sha256"
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

// appendTapeCanonical appends the RFC 8785 form of the value at token i
// of t to dst, or returns ok false (see the comment above).
func appendTapeCanonical(dst []byte, t *jsontext.Tape, i int) ([]byte, bool) {
	tok := &t.Tokens[i]
	switch tok.Kind {
	case jsontext.Object:
		var keys [jsontext.MaxMembers]int32 // token indexes of the keys, sorted below
		n := int(tok.Len)
		for j, k := 0, i+1; j < n; j++ {
			if !asciiOnly(t.Text(k)) {
				return dst, false // UTF-16 order is byte order for ASCII keys only
			}
			keys[j] = int32(k)
			k = int(t.Tokens[k+1].Next)
		}
		ks := keys[:n]
		for a := 1; a < n; a++ { // insertion sort: a few dozen keys at most
			for b := a; b > 0 && bytes.Compare(t.Text(int(ks[b])), t.Text(int(ks[b-1]))) < 0; b-- {
				ks[b], ks[b-1] = ks[b-1], ks[b]
			}
		}
		dst = append(dst, '{')
		for j, k := range ks {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '"')
			dst = append(dst, t.Text(int(k))...)
			dst = append(dst, '"', ':')
			var ok bool
			if dst, ok = appendTapeCanonical(dst, t, int(k)+1); !ok {
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
