package boltdb

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecodeCursor: a cursor is outside input (a caller, an HTTP query
// string). Decoding never panics; what decodes encodes back to a cursor
// that decodes to the same position; what does not is the caller's
// bad-cursor error.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(EncodeCursor([]byte("finance.transaction\x002026-03-01T08:00:00.000000000Z\x00id")))
	f.Add(EncodeCursor(SeqKey(42)))
	f.Add("")
	f.Add("not base64!")
	bad := errors.New("test: bad cursor")
	f.Fuzz(func(t *testing.T, cursor string) {
		pos, err := DecodeCursor(cursor, bad)
		if err != nil {
			if !errors.Is(err, bad) {
				t.Fatalf("error %v does not wrap the caller's sentinel", err)
			}
			return
		}
		again, err := DecodeCursor(EncodeCursor(pos), bad)
		if err != nil || !bytes.Equal(again, pos) {
			t.Fatalf("round trip of %q: %q, %v", pos, again, err)
		}
	})
}
