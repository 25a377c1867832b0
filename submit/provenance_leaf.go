package submit

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/sicollab/sicollab/schema"
)

// HopLeaf returns the leaf of hop i of env, given the leaf hash of hop
// i-1 (ignored for the first hop): the RFC 8785 canonical JSON of
//
//	{"hop": <hop i without seal>, "prev": "<leaf hash of hop i-1, standard base64; empty for hop 0>",
//	 "record": <env without provenance, payload null>}
//
// Every field of the hop and of the envelope is covered, whatever fields
// later versions add; the manifest's tree takes tlog.RecordHash of it.
func HopLeaf(env *schema.Envelope, i int, prev tlog.Hash) ([]byte, error) {
	rec, err := recordHead(env)
	if err != nil {
		return nil, err
	}
	return hopLeaf(rec, env.Provenance, i, prev)
}

// The fast encoders below write the canonical form of the fields they
// know; they serve only while the types have exactly those fields (a
// field added later goes through encoding/json and schema.Canonical, so
// it is covered before anyone updates them), and only for plain values.
// TestLeafFastPath compares them with the general path.
var (
	fastHop      = reflect.TypeFor[schema.Hop]().NumField() == 6
	fastEnvelope = reflect.TypeFor[schema.Envelope]().NumField() == 12 && reflect.TypeFor[schema.Purpose]().NumField() == 2
)

// recordHead is the canonical JSON of env without provenance and payload.
func recordHead(env *schema.Envelope) ([]byte, error) {
	return appendRecordHead(nil, env)
}

// appendRecordHead appends recordHead(env) to b.
func appendRecordHead(b []byte, env *schema.Envelope) ([]byte, error) {
	if out, ok := appendFastRecordHead(b, env); ok {
		return out, nil
	}
	head, err := slowRecordHead(env)
	return append(b, head...), err
}

func slowRecordHead(env *schema.Envelope) ([]byte, error) {
	head := *env
	head.Provenance, head.Payload = nil, nil
	raw, err := json.Marshal(head)
	if err != nil {
		return nil, fmt.Errorf("submit: provenance leaf of %s: encode the envelope: %w", env.ID, err)
	}
	return schema.Canonical(raw)
}

// fastRecordHead writes the keys in RFC 8785 order (UTF-16 code units:
// ASCII byte order here).
func fastRecordHead(e *schema.Envelope) ([]byte, bool) {
	return appendFastRecordHead(make([]byte, 0, 320+len(e.LegalBasis)), e)
}

// appendFastRecordHead appends fastRecordHead(e) to b.
func appendFastRecordHead(b []byte, e *schema.Envelope) ([]byte, bool) {
	if !fastEnvelope || !plainTimes(e.CollectedAt, e.RetainUntil) ||
		!plainStrings(e.ID, e.Kind, e.Source, e.LegalBasis, string(e.Handling), e.Purpose.RequirementID, e.Purpose.TaskID, e.Supersedes) {
		return b, false
	}
	b = appendKV(b, '{', "collected_at")
	b = appendTimeStr(b, e.CollectedAt)
	b = appendKV(b, ',', "handling")
	b = appendStr(b, string(e.Handling))
	b = appendKV(b, ',', "id")
	b = appendStr(b, e.ID)
	b = appendKV(b, ',', "kind")
	b = appendStr(b, e.Kind)
	b = appendKV(b, ',', "legal_basis")
	b = appendStr(b, e.LegalBasis)
	b = appendKV(b, ',', "payload")
	b = append(b, "null"...)
	b = appendKV(b, ',', "purpose")
	sep := byte('{')
	if e.Purpose.RequirementID != "" {
		b = appendKV(b, sep, "requirement_id")
		b = appendStr(b, e.Purpose.RequirementID)
		sep = ','
	}
	if e.Purpose.TaskID != "" {
		b = appendKV(b, sep, "task_id")
		b = appendStr(b, e.Purpose.TaskID)
		sep = ','
	}
	if sep == '{' {
		b = append(b, '{')
	}
	b = append(b, '}')
	b = appendKV(b, ',', "retain_until")
	b = appendTimeStr(b, e.RetainUntil)
	b = appendKV(b, ',', "schema_version")
	b = strconv.AppendInt(b, int64(e.SchemaVersion), 10)
	b = appendKV(b, ',', "source")
	b = appendStr(b, e.Source)
	if e.Supersedes != "" {
		b = appendKV(b, ',', "supersedes")
		b = appendStr(b, e.Supersedes)
	}
	return append(b, '}'), true
}

// hopJSON is the canonical JSON of h without its seal.
func hopJSON(h schema.Hop) ([]byte, error) {
	return appendHopJSON(make([]byte, 0, 160), &h)
}

// appendHopJSON appends hopJSON(*h) to b.
func appendHopJSON(b []byte, h *schema.Hop) ([]byte, error) {
	if fastHop && plainTimes(h.At) && plainStrings(h.Org, string(h.Stage), h.Digest, h.TraceID) {
		b = appendKV(b, '{', "at")
		b = appendTimeStr(b, h.At)
		b = appendKV(b, ',', "digest")
		b = appendStr(b, h.Digest)
		b = appendKV(b, ',', "org")
		b = appendStr(b, h.Org)
		b = appendKV(b, ',', "stage")
		b = appendStr(b, string(h.Stage))
		if h.TraceID != "" {
			b = appendKV(b, ',', "trace_id")
			b = appendStr(b, h.TraceID)
		}
		return append(b, '}'), nil
	}
	c := *h
	c.Seal = nil
	raw, err := json.Marshal(c)
	if err != nil {
		return b, err
	}
	canon, err := schema.Canonical(raw)
	return append(b, canon...), err
}

func hopLeaf(rec []byte, hops []schema.Hop, i int, prev tlog.Hash) ([]byte, error) {
	return appendHopLeaf(make([]byte, 0, len(rec)+240), rec, hops, i, prev)
}

// appendHopLeaf appends hopLeaf(rec, hops, i, prev) to b.
func appendHopLeaf(b, rec []byte, hops []schema.Hop, i int, prev tlog.Hash) ([]byte, error) {
	b = append(b, `{"hop":`...)
	b, err := appendHopJSON(b, &hops[i])
	if err != nil {
		return nil, fmt.Errorf("submit: provenance leaf of hop %d: %w", i, err)
	}
	b = append(b, `,"prev":"`...)
	if i > 0 {
		b = base64.StdEncoding.AppendEncode(b, prev[:])
	}
	b = append(b, `","record":`...)
	b = append(b, rec...)
	return append(b, '}'), nil
}

// chainLeaves returns the leaf hash of every hop of env, in order. The
// leaves are written into one buffer (on the stack for the usual
// sizes) after tlog.RecordHash's 0x00 prefix, and hashed as it hashes
// them.
func chainLeaves(env *schema.Envelope) ([]tlog.Hash, error) {
	return appendChainLeaves(nil, env)
}

// appendChainLeaves appends chainLeaves(env) to out (the caller's
// buffer, so that a record of a few hops allocates nothing).
func appendChainLeaves(out []tlog.Hash, env *schema.Envelope) ([]tlog.Hash, error) {
	var recBuf [640]byte
	rec, err := appendRecordHead(recBuf[:0], env)
	if err != nil {
		return nil, err
	}
	base := len(out)
	out = slices.Grow(out, len(env.Provenance))[:base+len(env.Provenance)]
	var leafBuf [1280]byte
	for i := range env.Provenance {
		var prev tlog.Hash
		if i > 0 {
			prev = out[base+i-1]
		}
		leaf, err := appendHopLeaf(append(leafBuf[:0], 0), rec, env.Provenance, i, prev)
		if err != nil {
			return nil, err
		}
		out[base+i] = sha256.Sum256(leaf) // tlog.RecordHash(leaf[1:])
	}
	return out, nil
}

// plainStrings: printable ASCII without '"' or '\\', which RFC 8785 and
// encoding/json both leave as they are (json.Marshal escapes <, > and &,
// which the canonical form turns back).
func plainStrings(ss ...string) bool {
	for _, s := range ss {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
				return false
			}
		}
	}
	return true
}

// plainTimes: times time.Time.MarshalJSON writes (years 0-9999).
func plainTimes(ts ...time.Time) bool {
	for _, t := range ts {
		if y := t.Year(); y < 0 || y > 9999 {
			return false
		}
	}
	return true
}

func appendKV(b []byte, sep byte, key string) []byte {
	b = append(b, sep, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

func appendStr(b []byte, s string) []byte {
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func appendTimeStr(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}
