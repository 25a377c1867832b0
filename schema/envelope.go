package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
	RequirementID string `json:"requirement_id,omitempty"`
	TaskID        string `json:"task_id,omitempty"`
}

// Hop is one step of a record's provenance: which organization handled it,
// in which stage, when, and the digest of the payload as it left that hop.
type Hop struct {
	Org    string    `json:"org"`
	Stage  Stage     `json:"stage"`
	At     time.Time `json:"at"`
	Digest string    `json:"digest"`
}

// Envelope carries every record and collaboration message. Payload holds
// the JSON of the kind named by Kind and SchemaVersion.
type Envelope struct {
	ID            string          `json:"id"`
	Kind          string          `json:"kind"`
	SchemaVersion int             `json:"schema_version"`
	Source        string          `json:"source"`
	CollectedAt   time.Time       `json:"collected_at"`
	Purpose       Purpose         `json:"purpose"`
	LegalBasis    string          `json:"legal_basis"`
	Handling      Handling        `json:"handling"`
	RetainUntil   time.Time       `json:"retain_until"`
	Provenance    []Hop           `json:"provenance,omitempty"`
	Payload       json.RawMessage `json:"payload"`
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
func (e *Envelope) Stamp(org string, stage Stage, at time.Time) error {
	d, err := e.Digest()
	if err != nil {
		return err
	}
	e.Provenance = append(e.Provenance, Hop{Org: org, Stage: stage, At: at.UTC(), Digest: d})
	return nil
}

// PayloadDigest returns "sha-256:<hex>" over the RFC 8785 canonical JSON of
// payload.
func PayloadDigest(payload []byte) (string, error) {
	canon, err := jcs.Transform(payload)
	if err != nil {
		return "", fmt.Errorf("schema: canonicalize payload: %w", err)
	}
	sum := sha256.Sum256(canon)
	return "sha-256:" + hex.EncodeToString(sum[:]), nil
}
