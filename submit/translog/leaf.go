package translog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gowebpki/jcs"
)

// LeafType names what a leaf records.
type LeafType string

// The leaf types. Each has its own body struct; a Leaf carries exactly the
// body its Type names.
const (
	LeafBatch     LeafType = "batch"     // an accepted batch of records (BatchLeaf)
	LeafJournal   LeafType = "journal"   // a journal entry (JournalLeaf)
	LeafDirectory LeafType = "directory" // a directory change (DirectoryLeaf)
	LeafPurge     LeafType = "purge"     // a retention purge (PurgeLeaf)
	LeafRead      LeafType = "read"      // a read of stored records or products (ReadLeaf)
)

// LeafVersion is the version of the leaf encoding, carried in every leaf
// as "v". A new version may add fields; an old leaf keeps its bytes.
const LeafVersion = 1

// MaxLeafBytes bounds one encoded leaf; Append and DecodeLeaf refuse
// larger ones. A batch leaf of 5,000 records (the hub's default
// MaxRecords) takes about 700 KB.
const MaxLeafBytes = 2 << 20

// Leaf is one entry of the log. It holds ids and digests, never payloads,
// so that purging what it cites leaves it, and every proof over it,
// intact.
//
// # Encoding
//
// A leaf is stored, hashed and served as the RFC 8785 canonical JSON of
// this struct: members sorted, no insignificant space, at most one body.
// Times are RFC 3339 in UTC. Digests are "sha-256:<64 lower-case hex>".
// DecodeLeaf accepts only bytes that are that canonical form, so one
// leaf has one encoding and one hash (tlog.RecordHash of the bytes).
//
// (The fields of this struct and of the bodies are declared in the order
// of their JSON names, which is the canonical order, so that encoding
// them is one pass of encoding/json; Encode checks the result.)
type Leaf struct {
	At        time.Time      `json:"at"` // when it happened, UTC
	Batch     *BatchLeaf     `json:"batch,omitempty"`
	Directory *DirectoryLeaf `json:"directory,omitempty"`
	Journal   *JournalLeaf   `json:"journal,omitempty"`
	Purge     *PurgeLeaf     `json:"purge,omitempty"`
	Read      *ReadLeaf      `json:"read,omitempty"`
	Type      LeafType       `json:"type"` // which body is set
	V         int            `json:"v"`    // LeafVersion
}

// BatchLeaf records a batch a hub accepted: who sent it, under which
// idempotency key, the records it stored (id and payload digest) and the
// digest of the receipt it answered with.
type BatchLeaf struct {
	IdempotencyKey string         `json:"idempotency_key"` // the request's Idempotency-Key
	ReceiptDigest  string         `json:"receipt_digest"`  // sha-256 of the receipt, see the submit package
	Records        []RecordDigest `json:"records"`         // the records accepted, in line order
	SubmissionID   string         `json:"submission_id"`   // the hub's id of the submission
	Submitter      string         `json:"submitter"`       // the authenticated sender's org id
}

// RecordDigest names one stored record by id and payload digest.
type RecordDigest struct {
	Digest string `json:"digest"` // schema.PayloadDigest of the payload
	ID     string `json:"id"`
}

// JournalLeaf records one journal entry: its sequence number, who acted,
// and the digest of the whole entry (Data included) as the journal holds
// it, so the entry's payload can be purged and the leaf still names it.
type JournalLeaf struct {
	Counterpart string `json:"counterpart,omitempty"`
	EntryDigest string `json:"entry_digest"`
	Interaction int    `json:"interaction,omitempty"`
	Kind        string `json:"kind"`
	Org         string `json:"org"`
	Ref         string `json:"ref,omitempty"`
	Seq         uint64 `json:"seq"`
}

// DirectoryLeaf records a directory the hub started to use: its version,
// who signed it, and the digest of the document.
type DirectoryLeaf struct {
	Digest  string `json:"digest"` // sha-256 of the document as loaded
	Signer  string `json:"signer"` // org id of the signer (the leading group)
	Version int    `json:"version"`
}

// PurgeLeaf records a retention purge: which store, the cut-off, who
// ordered it, how many items went and the digest of their ids (sorted,
// one per line), so the purge can be checked against the leaves that
// cited them.
type PurgeLeaf struct {
	Before    time.Time `json:"before"`     // items whose retention ended before this went
	Count     int       `json:"count"`      // items removed
	IDsDigest string    `json:"ids_digest"` // DigestIDs of the ids removed
	Operator  string    `json:"operator"`   // who ordered it (the hub's own operator)
	Store     string    `json:"store"`      // "store", "ledger", "journal", "catalog", "outbox", ...
}

// ReadLeaf records a read of stored records or products: who read, the
// query as the server normalized it, and how many items were returned.
type ReadLeaf struct {
	Count  int    `json:"count"`
	Query  string `json:"query"`
	Reader string `json:"reader"` // org id
}

// Digest returns "sha-256:<hex>" of b, the digest form leaves use.
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha-256:" + hex.EncodeToString(s[:])
}

// DigestIDs returns the digest of a set of ids as PurgeLeaf.IDsDigest
// holds it: the ids sorted by the caller, one per line, each line ended
// by "\n".
func DigestIDs(sortedIDs []string) string {
	var b bytes.Buffer
	for _, id := range sortedIDs {
		b.WriteString(id)
		b.WriteByte('\n')
	}
	return Digest(b.Bytes())
}

// Validate reports every rule l breaks, each naming the field by JSON
// pointer, joined; each wraps ErrBadLeaf.
func (l Leaf) Validate() error {
	var errs []error
	bad := func(ptr, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrBadLeaf, ptr, fmt.Sprintf(format, a...)))
	}
	if l.V != LeafVersion {
		bad("/v", "version %d: want %d", l.V, LeafVersion)
	}
	if l.At.IsZero() {
		bad("/at", "missing")
	} else if l.At.Location() != time.UTC {
		bad("/at", "%s: must be UTC", l.At.Format(time.RFC3339Nano))
	}
	bodies := 0
	for _, set := range []bool{l.Batch != nil, l.Journal != nil, l.Directory != nil, l.Purge != nil, l.Read != nil} {
		if set {
			bodies++
		}
	}
	if bodies > 1 {
		bad("", "%d bodies set: a leaf carries exactly one", bodies)
	}
	need := func(ptr, v string) {
		if v == "" {
			bad(ptr, "missing")
		}
	}
	digest := func(ptr, v string) {
		if !isDigest(v) {
			bad(ptr, "%q: want sha-256:<64 lower-case hex>", v)
		}
	}
	switch l.Type {
	case LeafBatch:
		if l.Batch == nil {
			bad("/batch", "missing for type %q", l.Type)
			break
		}
		need("/batch/submitter", l.Batch.Submitter)
		need("/batch/idempotency_key", l.Batch.IdempotencyKey)
		need("/batch/submission_id", l.Batch.SubmissionID)
		digest("/batch/receipt_digest", l.Batch.ReceiptDigest)
		if l.Batch.Records == nil {
			bad("/batch/records", "missing (an empty batch has [])")
		}
		for i, r := range l.Batch.Records {
			if r.ID == "" {
				need(fmt.Sprintf("/batch/records/%d/id", i), r.ID)
			}
			if !isDigest(r.Digest) {
				digest(fmt.Sprintf("/batch/records/%d/digest", i), r.Digest)
			}
		}
	case LeafJournal:
		if l.Journal == nil {
			bad("/journal", "missing for type %q", l.Type)
			break
		}
		if l.Journal.Seq == 0 {
			bad("/journal/seq", "missing (sequence numbers start at 1)")
		}
		need("/journal/kind", l.Journal.Kind)
		need("/journal/org", l.Journal.Org)
		if l.Journal.Interaction < 0 || l.Journal.Interaction > 5 {
			bad("/journal/interaction", "%d: want 0-5", l.Journal.Interaction)
		}
		digest("/journal/entry_digest", l.Journal.EntryDigest)
	case LeafDirectory:
		if l.Directory == nil {
			bad("/directory", "missing for type %q", l.Type)
			break
		}
		if l.Directory.Version < 1 {
			bad("/directory/version", "%d: must be at least 1", l.Directory.Version)
		}
		need("/directory/signer", l.Directory.Signer)
		digest("/directory/digest", l.Directory.Digest)
	case LeafPurge:
		if l.Purge == nil {
			bad("/purge", "missing for type %q", l.Type)
			break
		}
		need("/purge/store", l.Purge.Store)
		need("/purge/operator", l.Purge.Operator)
		if l.Purge.Before.IsZero() {
			bad("/purge/before", "missing")
		} else if l.Purge.Before.Location() != time.UTC {
			bad("/purge/before", "must be UTC")
		}
		if l.Purge.Count < 0 {
			bad("/purge/count", "%d: must not be negative", l.Purge.Count)
		}
		digest("/purge/ids_digest", l.Purge.IDsDigest)
	case LeafRead:
		if l.Read == nil {
			bad("/read", "missing for type %q", l.Type)
			break
		}
		need("/read/reader", l.Read.Reader)
		need("/read/query", l.Read.Query)
		if l.Read.Count < 0 {
			bad("/read/count", "%d: must not be negative", l.Read.Count)
		}
	default:
		bad("/type", "%q: want batch, journal, directory, purge or read", l.Type)
	}
	return errors.Join(errs...)
}

func isDigest(s string) bool {
	h, ok := strings.CutPrefix(s, "sha-256:")
	if !ok || len(h) != 64 {
		return false
	}
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Encode validates l and returns its canonical encoding (see Leaf).
func (l Leaf) Encode() ([]byte, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	out, err := canonical(l)
	if err != nil {
		return nil, err
	}
	if len(out) > MaxLeafBytes {
		return nil, fmt.Errorf("%w: %d bytes: limit MaxLeafBytes is %d", ErrBadLeaf, len(out), MaxLeafBytes)
	}
	return out, nil
}

// DecodeLeaf parses an encoded leaf. It accepts only the canonical
// encoding of a valid leaf (unknown members, another member order, extra
// space or a second body are refused), so that the bytes hashed into the
// log are the only bytes that decode to the leaf. Errors wrap ErrBadLeaf.
func DecodeLeaf(b []byte) (Leaf, error) {
	var l Leaf
	if len(b) > MaxLeafBytes {
		return l, fmt.Errorf("%w: %d bytes: limit MaxLeafBytes is %d", ErrBadLeaf, len(b), MaxLeafBytes)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&l); err != nil {
		return Leaf{}, fmt.Errorf("%w: %v", ErrBadLeaf, err)
	}
	if d.More() {
		return Leaf{}, fmt.Errorf("%w: data after the leaf", ErrBadLeaf)
	}
	l.At = l.At.UTC()
	if l.Purge != nil {
		l.Purge.Before = l.Purge.Before.UTC()
	}
	again, err := l.Encode()
	if err != nil {
		return Leaf{}, err
	}
	if !bytes.Equal(again, b) {
		return Leaf{}, fmt.Errorf("%w: not in canonical form (RFC 8785, times in UTC); re-encode with Leaf.Encode", ErrBadLeaf)
	}
	return l, nil
}

// canonical returns the RFC 8785 form of l. encoding/json already writes
// the members in canonical order (see Leaf), integers and times as JCS
// does, and with HTML escaping off the strings too, except that it
// escapes U+2028 and U+2029 and may write control characters otherwise: a
// result holding a \u202x or \u00xx escape goes through jcs.Transform
// instead. FuzzCanonical checks the two agree.
func canonical(l Leaf) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(l); err != nil {
		return nil, fmt.Errorf("translog: encode leaf: %w", err)
	}
	out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if bytes.Contains(out, []byte(`\u`)) {
		c, err := jcs.Transform(out)
		if err != nil {
			return nil, fmt.Errorf("translog: canonicalize leaf: %w", err)
		}
		return c, nil
	}
	return out, nil
}
