package schema

import (
	"encoding/json"
	"strconv"

	"github.com/sicollab/sicollab/schema/internal/jsontext"
)

// HopSeal is the signature of a provenance hop. The organization of the
// hop signs one manifest per batch: the RFC 6962 Merkle tree head over
// the leaves of the hops it stamped in that batch. Each hop carries its
// leaf's inclusion proof and the signed head, so a reader checks the hop
// with hashes and one Ed25519 verification per manifest.
//
// What a leaf covers, and the manifest's signed statement, are defined in
// package submit (submit.HopLeaf, submit.ManifestStatement): the
// canonical form of the whole hop without its seal, the envelope without
// its provenance and payload, and the leaf hash of the hop before, so
// that the hops form a chain.
type HopSeal struct {
	// KeyID is the directory's id of the Ed25519 key that signed the
	// manifest; it belongs to the hop's organization.
	KeyID string `json:"key_id"`
	// Size is the number of leaves of the manifest (1 or more).
	Size int64 `json:"size"`
	// Index is the hop's leaf in the manifest, 0 to Size-1.
	Index int64 `json:"index"`
	// Path is the RFC 6962 inclusion proof of the leaf (tlog.RecordProof):
	// its hashes one after the other, in standard base64; empty when Size
	// is 1.
	Path string `json:"path,omitempty"`
	// Root is the manifest's tree head hash, in standard base64.
	Root string `json:"root"`
	// Sig is the Ed25519 signature of the manifest's statement, in
	// standard base64.
	Sig string `json:"sig"`
}

// Limits of a seal, as the envelope schema states them.
const (
	// MaxSealLeaves is the most leaves a manifest may have.
	MaxSealLeaves = 1 << 20
	// maxSealPath is the longest inclusion proof of such a tree, in
	// hashes, and maxPathChars its base64 length.
	maxSealPath  = 20
	maxPathChars = (maxSealPath*32 + 2) / 3 * 4
)

// isB64Hash matches 32 bytes in standard base64 (^[A-Za-z0-9+/]{43}=$).
func isB64Hash(s string) bool { return len(s) == 44 && s[43] == '=' && b64Chars(s[:43]) }

// isB64Sig matches 64 bytes in standard base64 (^[A-Za-z0-9+/]{86}==$).
func isB64Sig(s string) bool { return len(s) == 88 && s[86:] == "==" && b64Chars(s[:86]) }

// isB64Path matches the base64 of 1 to maxSealPath hashes of 32 bytes
// (the schema asks 44 to maxPathChars characters).
func isB64Path(s string) bool {
	n := len(s)
	if n < 44 || n > maxPathChars || n%4 != 0 {
		return false
	}
	body := s
	for k := 0; k < 2 && len(body) > 0 && body[len(body)-1] == '='; k++ {
		body = body[:len(body)-1]
	}
	return b64Chars(body)
}

func b64Chars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// isKeyID matches ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$.
func isKeyID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			i > 0 && (c == '.' || c == '_' || c == ':' || c == '-')) {
			return false
		}
	}
	return true
}

// structOK tells whether s encodes as a seal the schema accepts.
func (s *HopSeal) structOK() bool {
	return isKeyID(s.KeyID) && s.Size >= 1 && s.Size <= MaxSealLeaves && s.Index >= 0 && s.Index < MaxSealLeaves &&
		(s.Path == "" || isB64Path(s.Path)) && isB64Hash(s.Root) && isB64Sig(s.Sig)
}

// isSealDoc is envelopeOK's check of a parsed seal: true only when it
// certainly satisfies the schema.
func isSealDoc(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) < 5 || len(m) > 6 {
		return false
	}
	n := 5
	for k, v := range m {
		s, isStr := v.(string)
		switch k {
		case "key_id":
			ok = isStr && isKeyID(s)
		case "size":
			ok = isSmallInt(v, 1, MaxSealLeaves)
		case "index":
			ok = isSmallInt(v, 0, MaxSealLeaves-1)
		case "root":
			ok = isStr && isB64Hash(s)
		case "sig":
			ok = isStr && isB64Sig(s)
		case "path":
			n++
			ok = isStr && isB64Path(s)
		default:
			return false
		}
		if !ok {
			return false
		}
	}
	return len(m) == n
}

// isSmallInt accepts a JSON number spelled as plain digits in lo..hi.
func isSmallInt(v any, lo, hi int64) bool {
	n, ok := v.(json.Number)
	if !ok || len(n) == 0 || len(n) > 7 || len(n) > 1 && n[0] == '0' {
		return false
	}
	x, err := strconv.ParseInt(string(n), 10, 64)
	return err == nil && x >= lo && x <= hi
}

// sealOfMap builds the seal of a hop the schema accepted.
func sealOfMap(hm map[string]any) *HopSeal {
	m, ok := hm["seal"].(map[string]any)
	if !ok {
		return nil
	}
	s := &HopSeal{}
	s.KeyID, _ = m["key_id"].(string)
	s.Size = int64(intOf(m["size"]))
	s.Index = int64(intOf(m["index"]))
	s.Root, _ = m["root"].(string)
	s.Sig, _ = m["sig"].(string)
	s.Path, _ = m["path"].(string)
	return s
}

// sealOfTape builds the seal of the hop at token h of a tape the
// envelope's checks passed, or nil; ok is false if a number or string
// is not in its plain form.
func sealOfTape(t *jsontext.Tape, h int) (s *HopSeal, ok bool) {
	v := t.Member(h, "seal")
	if v < 0 {
		return nil, true
	}
	ok = true
	// The strings are cut from one copy of the seal's text: one
	// allocation per seal.
	vt := t.Tokens[v]
	text := string(t.Data[vt.Start:vt.End])
	str := func(i int) string {
		if i < 0 || t.Tokens[i].Escaped {
			ok = false
			return ""
		}
		tok := t.Tokens[i]
		return text[tok.Start-vt.Start : tok.End-vt.Start]
	}
	num := func(i int) int64 {
		if i < 0 || !t.Tokens[i].Int {
			ok = false
			return 0
		}
		n, good := jsontext.PlainInt(t.Text(i))
		ok = ok && good
		return n
	}
	s = &HopSeal{KeyID: str(t.Member(v, "key_id")), Size: num(t.Member(v, "size")), Index: num(t.Member(v, "index")),
		Root: str(t.Member(v, "root")), Sig: str(t.Member(v, "sig"))}
	if p := t.Member(v, "path"); p >= 0 {
		s.Path = str(p)
	}
	return s, ok
}

// sealMap is the document json.Marshal(s) encodes, in the parser's form.
func sealMap(s *HopSeal) map[string]any {
	m := map[string]any{
		"key_id": s.KeyID, "size": json.Number(strconv.FormatInt(s.Size, 10)),
		"index": json.Number(strconv.FormatInt(s.Index, 10)), "root": s.Root, "sig": s.Sig,
	}
	if s.Path != "" {
		m["path"] = s.Path
	}
	return m
}

// appendSeal appends `,"seal":{...}` as json.Marshal writes it; the
// caller has checked that every string of s is plain.
func appendSeal(dst []byte, s *HopSeal) []byte {
	dst = append(dst, `,"seal":{"key_id":`...)
	dst = appendPlain(dst, s.KeyID)
	dst = append(dst, `,"size":`...)
	dst = strconv.AppendInt(dst, s.Size, 10)
	dst = append(dst, `,"index":`...)
	dst = strconv.AppendInt(dst, s.Index, 10)
	if s.Path != "" {
		dst = append(dst, `,"path":`...)
		dst = appendPlain(dst, s.Path)
	}
	dst = append(dst, `,"root":`...)
	dst = appendPlain(dst, s.Root)
	dst = append(dst, `,"sig":`...)
	dst = appendPlain(dst, s.Sig)
	return append(dst, '}')
}

// sealStrings tells whether ok holds for every string of s (nil: true).
func sealStrings(s *HopSeal, ok func(string) bool) bool {
	if s == nil {
		return true
	}
	return ok(s.KeyID) && ok(s.Path) && ok(s.Root) && ok(s.Sig)
}
