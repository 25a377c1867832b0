package translog

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/gowebpki/jcs"
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

// FuzzCanonical: the one-pass encoding of a leaf is exactly jcs.Transform
// of encoding/json's, whatever the strings hold.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"kind=x", "a<b&c>", "\u2028\u2029", "\b\f\n\r\t\x01\x7f", "\xff\xfe", `"\`, "日本"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, q, r string) {
		l := Leaf{V: LeafVersion, Type: LeafRead, At: testAt, Read: &ReadLeaf{Reader: r, Query: q, Count: 1}}
		got, err := canonical(l)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		want, err := jcs.Transform(raw)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("canonical %q, jcs %q", got, want)
		}
	})
}

// FuzzCanonicalJSON: Canonical gives exactly what jcs.Transform gives
// (both results, or both errors).
func FuzzCanonicalJSON(f *testing.F) {
	for _, s := range []string{
		`{"b":1,"a":[true,false,null,-0,12],"c":{"y":"\u00e9\n","x":"\ud83d\ude00"}}`,
		`{"amount":"10.00","n":1.5,"e":1e3}`, `[]`, `{}`, `"\u2028<&>"`, `{"a":1,"a":2}`,
		`{"\u20ac":1,"\ud83d\ude00":2,"z":3}`, `[1,2`, `{"a" : [ 1 , "x\\"y" ] }`, "\"\xff\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Canonical(b)
		want, werr := jcs.Transform(b)
		if (err == nil) != (werr == nil) {
			t.Fatalf("Canonical err %v, jcs err %v", err, werr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("Canonical %q, jcs %q", got, want)
		}
	})
}
