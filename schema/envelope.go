package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/gowebpki/jcs"
)

// Handling is a Traffic Light Protocol 2.0 label: who may see a record.
type Handling string

// The TLP 2.0 labels, from least to most restricted.
const (
	HandlingClear       Handling = "CLEAR"
	HandlingGreen       Handling = "GREEN"
	HandlingAmber       Handling = "AMBER"
	HandlingAmberStrict Handling = "AMBER+STRICT"
	HandlingRed         Handling = "RED"
)

// AllowsIdentity reports whether clear identity may travel under h.
func (h Handling) AllowsIdentity() bool {
	return h == HandlingAmberStrict || h == HandlingRed
}

// Stage is a stage of the intelligence cycle, as recorded in provenance.
type Stage string

// The six stages of the cycle.
const (
	StagePlanning    Stage = "planning"
	StageCollection  Stage = "collection"
	StageProcessing  Stage = "processing"
	StageAnalysis    Stage = "analysis"
	StageApplication Stage = "application"
	StageFeedback    Stage = "feedback"
)

// Purpose names the requirement and/or task a record is collected under.
// At least one is set: a hub refuses records without an active purpose.
type Purpose struct {
	// Id of the requirement the record is collected under (UUID v7).
	RequirementID string `json:"requirement_id,omitempty"`
	// Id of the task the record is collected under (UUID v7).
	TaskID string `json:"task_id,omitempty"`
}

// Hop is one step of a record's provenance: which organization handled it,
// in which stage, when, and the digest of the payload as it left that hop.
type Hop struct {
	// The organization that handled the record at this hop, as the directory
	// knows it.
	Org string `json:"org"`
	// Stage of the intelligence cycle.
	Stage Stage `json:"stage"`
	// When the organization handled the record, in UTC.
	At time.Time `json:"at"`
	// sha-256 over the RFC 8785 canonical JSON of the payload, as
	// sha-256:<hex>.
	Digest string `json:"digest"`
	// TraceID is the W3C trace id (32 lower-case hex digits, not all
	// zero) of the trace the organization handled the record in, so one
	// record can be followed from collector to department; empty when
	// nobody traced it. A relay keeps the previous hop's.
	TraceID string `json:"trace_id,omitempty"`
	// Seal, if set, is the signature of the hop by its organization;
	// absent on unsigned hops (see HopSeal).
	Seal *HopSeal `json:"seal,omitempty"`
}

// Envelope carries every record and collaboration message. Payload holds
// the JSON of the kind named by Kind and SchemaVersion.
type Envelope struct {
	// Id of this record, UUID v7; duplicates are dropped by id.
	ID string `json:"id"`
	// The kind of the payload, e.g. finance.transaction.
	Kind string `json:"kind"`
	// Version of the payload schema of this kind.
	SchemaVersion int `json:"schema_version"`
	// The organization that collected the record; must be the authenticated
	// sender at the first hop.
	Source string `json:"source"`
	// When the source collected the record.
	CollectedAt time.Time `json:"collected_at"`
	// The requirement and/or task the record is collected under (purpose
	// limitation).
	Purpose Purpose `json:"purpose"`
	// The law, regulation or agreement the record is collected and shared
	// under.
	LegalBasis string `json:"legal_basis"`
	// TLP 2.0 label: who may see the record. RED and AMBER+STRICT records
	// are never relayed.
	Handling Handling `json:"handling"`
	// When every holder must delete the record.
	RetainUntil time.Time `json:"retain_until"`
	// The hops the record passed, oldest first.
	Provenance []Hop `json:"provenance,omitempty"`
	// Supersedes is the id of an earlier record from the same source that
	// this one corrects (UUID v7); empty for an original. A correction is
	// a new record: the same id with other content is refused as a
	// conflict.
	Supersedes string `json:"supersedes,omitempty"`
	// The record or message itself, validated by the schema of kind and
	// schema_version.
	Payload json.RawMessage `json:"payload"`
}

// SetPayload encodes v (usually one of this package's record types) as the
// payload.
func (e *Envelope) SetPayload(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("schema: encode payload of %s: %w", e.Kind, err)
	}
	e.Payload = b
	return nil
}

// DecodePayload decodes the payload into v, refusing unknown fields.
func (e *Envelope) DecodePayload(v any) error {
	if err := strictUnmarshal(e.Payload, v); err != nil {
		return fmt.Errorf("schema: decode payload of %s: %w", e.Kind, err)
	}
	return nil
}

// Digest returns "sha-256:<hex>" over the RFC 8785 canonical form of the
// payload, so any hop can recompute it whatever its JSON encoder does.
func (e *Envelope) Digest() (string, error) {
	return PayloadDigest(e.Payload)
}

// Stamp appends a provenance hop for org at stage, with the payload digest.
//
// Stamp never writes into the array e.Provenance shares with copies of
// the envelope: it appends to a clipped slice, so the hop always lands in
// a new array and a caller's envelope, or another copy of it, keeps its
// provenance as it was. Callers need not copy the slice first.
func (e *Envelope) Stamp(org string, stage Stage, at time.Time) error {
	d, err := e.Digest()
	if err != nil {
		return err
	}
	e.Provenance = append(slices.Clip(e.Provenance), Hop{Org: org, Stage: stage, At: at.UTC(), Digest: d})
	return nil
}

// TraceLastHop sets the trace id of the last hop, just stamped: the
// previous hop's, if it has one, so that a record stays in the trace it
// started in, else traceID (32 lower-case hex digits, or "" for none).
// It does nothing to an envelope without hops.
func (e *Envelope) TraceLastHop(traceID string) {
	n := len(e.Provenance)
	if n == 0 {
		return
	}
	if n > 1 && e.Provenance[n-2].TraceID != "" {
		traceID = e.Provenance[n-2].TraceID
	}
	e.Provenance[n-1].TraceID = traceID
}

// Canonical returns the RFC 8785 (JCS) canonical form of the JSON document
// b, the same bytes jcs.Transform gives, errors included: in one pass when
// b is of the common shape (ASCII keys, integers of at most 15 digits: a
// hub digests every record it receives, and the general transform costs
// as much as validating it), else by the general transform.
func Canonical(payload []byte) ([]byte, error) {
	if out, rest, ok := appendCanonical(make([]byte, 0, 2*len(payload)+64), payload, 0); ok && len(skipWS(rest)) == 0 {
		return out, nil
	}
	return jcs.Transform(payload)
}

// PayloadDigest returns "sha-256:<hex>" over the RFC 8785 canonical JSON of
// payload.
func PayloadDigest(payload []byte) (string, error) {
	canon, err := Canonical(payload)
	if err != nil {
		return "", fmt.Errorf("schema: canonicalize payload: %w", err)
	}
	sum := sha256.Sum256(canon)
	return "sha-256:" + hex.EncodeToString(sum[:]), nil
}
