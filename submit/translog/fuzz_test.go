package translog

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecodeLeaf: any bytes either decode to a leaf whose encoding is
// exactly those bytes, or fail with ErrBadLeaf; never a panic.
func FuzzDecodeLeaf(f *testing.F) {
	for i := range 5 {
		b, _ := mixedLeaf(i).Encode()
		f.Add(b)
	}
	f.Add([]byte(`{"v":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := DecodeLeaf(b)
		if err != nil {
			if !errors.Is(err, ErrBadLeaf) {
				t.Fatalf("error not ErrBadLeaf: %v", err)
			}
			return
		}
		again, err := l.Encode()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("decoded leaf re-encodes to %q, %v; input %q", again, err, b)
		}
	})
}

// FuzzParseCheckpoint: any bytes either verify as a checkpoint of the
// test key that re-signs to the same text, or fail with one of the
// checkpoint errors.
func FuzzParseCheckpoint(f *testing.F) {
	s, v := testKeys()
	for _, size := range []int64{0, 1, 1 << 40} {
		cp, _ := signCheckpoint(Checkpoint{Origin: "hub.test/log", Size: size}, mustSigner(f, s))
		f.Add(cp.Note)
	}
	f.Add([]byte("hub.test/log\n1\nAAAA\n\n— hub.test/log abc\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cp, err := ParseCheckpoint(b, v)
		if err != nil {
			if !errors.Is(err, ErrBadCheckpoint) && !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if cp.Size < 0 || cp.Origin != "hub.test/log" || !bytes.HasPrefix(b, []byte(cp.text())) {
			t.Fatalf("accepted %q as %+v", b, cp)
		}
	})
}

// FuzzDecodeProof: proofs as served or carried in receipts decode within
// their limits or fail with ErrBadProof.
func FuzzDecodeProof(f *testing.F) {
	f.Add([]byte(`{"index":0,"size":1,"proof":[]}`))
	f.Add([]byte(`{"index":3,"size":9,"proof":["47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="],"checkpoint":"x"}`))
	f.Add([]byte(`{"old":1,"new":2,"proof":["47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := DecodeInclusionProof(b); err == nil {
			if p.Index < 0 || p.Size <= p.Index || len(p.Proof) > MaxProofHashes {
				t.Fatalf("accepted %+v", p)
			}
		} else if !errors.Is(err, ErrBadProof) {
			t.Fatalf("inclusion: %v", err)
		}
		if p, err := DecodeConsistencyProof(b); err == nil {
			if p.Old < 1 || p.New < p.Old || len(p.Proof) > MaxProofHashes {
				t.Fatalf("accepted %+v", p)
			}
		} else if !errors.Is(err, ErrBadProof) {
			t.Fatalf("consistency: %v", err)
		}
	})
}
