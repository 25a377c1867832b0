package submit

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit/translog"
)

// Paths, media types and headers of the wire protocol (docs/protocol.md).
const (
	PathSubmissions = "/v1/submissions" // POST a batch; GET PathSubmissions+"/{id}" for its receipt
	PathLimits      = "/v1/limits"      // GET the hub's declared Limits
	MediaNDJSON     = "application/x-ndjson"
	MediaJSON       = "application/json"
	MediaProblem    = "application/problem+json"

	HeaderIdempotencyKey = "Idempotency-Key" // a UUID chosen by the client, one per batch
	HeaderContentDigest  = "Content-Digest"  // RFC 9530: sha-256=:<base64>: of the body as sent
	HeaderRetryAfter     = "Retry-After"     // seconds, on 429 and 503
)

// Status is what the hub did with one record of a batch.
type Status string

// The per-record outcomes of a submission.
const (
	// StatusAccepted: validated, authorized and durably stored.
	StatusAccepted Status = "accepted"
	// StatusDuplicate: a record with this id was accepted before; a success
	// that changed nothing.
	StatusDuplicate Status = "duplicate"
	// StatusRejected: refused on its own merits; Reason and Errors say why.
	// The rest of the batch is unaffected.
	StatusRejected Status = "rejected"
)

// Reason is a stable code for a rejected record.
type Reason string

// Reasons a single record is rejected.
const (
	ReasonInvalid           Reason = "invalid"             // fails the schemas or cannot be parsed; Errors has pointers
	ReasonSourceMismatch    Reason = "source_mismatch"     // /source is not the authenticated organization
	ReasonKindNotAllowed    Reason = "kind_not_allowed"    // the directory does not let the organization submit this kind
	ReasonPurposeUnknown    Reason = "purpose_unknown"     // no requirement or task with the /purpose ids is known here
	ReasonPurposeInactive   Reason = "purpose_inactive"    // the purpose is closed, suspended, expired or not yet valid
	ReasonPurposeNotCovered Reason = "purpose_not_covered" // the purpose's scope does not cover this kind, sector or region
	ReasonExpired           Reason = "expired"             // /retain_until has passed
)

// Reasons added with the hub's trust boundary (docs/security.md).
const (
	// ReasonConflict: the source already had a record with this id
	// accepted, with another payload digest or another handling; Errors
	// names what differs. A correction is a new record naming the old
	// one in /supersedes.
	ReasonConflict Reason = "conflict"
	// ReasonFutureCollected: /collected_at is further ahead of the hub's
	// clock than HandlerConfig.MaxClockSkew.
	ReasonFutureCollected Reason = "collected_in_future"
	// ReasonProvenanceInvalid: the provenance chain does not hold; Errors
	// names the hop (/provenance/N) and why.
	ReasonProvenanceInvalid Reason = "provenance_invalid"
	// ReasonHandlingViolation: a RED or AMBER+STRICT record arrived
	// relayed (the sender is not its source); TLP 2.0 keeps those with
	// the organization that received them.
	ReasonHandlingViolation Reason = "handling_violation"
	// ReasonPurposeNotOwned: a requirement or task sent by an
	// organization that is not its issuer, or whose issuer is not the
	// envelope's source, or that would change the issuer of one known.
	ReasonPurposeNotOwned Reason = "purpose_not_owned"
	// ReasonRevisionStale: a requirement or task that is not newer than
	// the revision the hub holds, or that revises a closed requirement
	// (closed is terminal).
	ReasonRevisionStale Reason = "revision_stale"
)

// RecordResult is the outcome of one line of a submission.
type RecordResult struct {
	// Line is the 1-based line of the record in the request body.
	Line int `json:"line"`
	// ID is the record's envelope id, when it could be read.
	ID string `json:"id,omitempty"`
	// Status is accepted, duplicate (a success: the hub already holds the
	// record) or rejected.
	Status Status `json:"status"`
	// Reason and Errors are set for rejected records. Errors carries JSON
	// pointers relative to the record.
	Reason Reason             `json:"reason,omitempty"`
	Errors []schema.Violation `json:"errors,omitempty"`
}

// Counts sums the results of a submission.
type Counts struct {
	Records   int `json:"records"`   // lines that held a record
	Accepted  int `json:"accepted"`  // stored now
	Duplicate int `json:"duplicate"` // stored before, by id
	Rejected  int `json:"rejected"`  // refused; the results say why
}

// Receipt is the hub's answer to a submission, stored durably before it is
// sent. The same Idempotency-Key and body always get the same receipt.
type Receipt struct {
	SubmissionID   string         `json:"submission_id"`   // the hub's id: GET /v1/submissions/{id}
	IdempotencyKey string         `json:"idempotency_key"` // the request's Idempotency-Key
	Org            string         `json:"org"`             // the authenticated sender
	ReceivedAt     time.Time      `json:"received_at"`     // when the hub took the request
	BodyDigest     string         `json:"body_digest"`     // Content-Digest of the body as sent
	Counts         Counts         `json:"counts"`          // the results, summed
	Results        []RecordResult `json:"results"`         // in line order; see Refused
	// Log, if the hub keeps a transparency log, places the batch's leaf
	// in it: index, tree size, inclusion proof and signed checkpoint (see
	// VerifyReceipt and ReceiptLeaf).
	Log *translog.InclusionProof `json:"log,omitempty"`
	// Refused summarizes the rejected records beyond the first
	// HandlerConfig.MaxRefusedDetails, which Results does not list one by
	// one: what a hub keeps of a submission is bounded by what it
	// accepted, not by what it was sent.
	Refused []RefusedRun `json:"refused,omitempty"`
}

// RefusedRun is a run of consecutive rejected records, all with the same
// reason, summarized in a receipt rather than listed one by one.
type RefusedRun struct {
	FirstLine int    `json:"first_line"` // line of the first record of the run
	LastLine  int    `json:"last_line"`  // line of the last record of the run
	Records   int    `json:"records"`    // records in the run (blank lines are not records)
	Reason    Reason `json:"reason"`     // why each was rejected
}

// Limits are what a hub accepts; GET /v1/limits declares them so clients
// size their batches. Every limit has a default (DefaultLimits) and a test
// that crosses it.
type Limits struct {
	MaxBodyBytes         int64 `json:"max_body_bytes"`         // request body as sent (compressed or not)
	MaxDecompressedBytes int64 `json:"max_decompressed_bytes"` // body after gzip
	MaxRecords           int   `json:"max_records"`            // lines per request
	MaxLineBytes         int   `json:"max_line_bytes"`         // one record
	MaxDepth             int   `json:"max_depth"`              // JSON nesting of one record
	// RecordsPerSecond and Burst are the per-organization rate limit;
	// requests beyond it get 429 with Retry-After.
	RecordsPerSecond float64 `json:"records_per_second"`
	Burst            int     `json:"burst"`
}

// DefaultLimits returns the limits a hub uses unless configured otherwise.
func DefaultLimits() Limits {
	return Limits{
		MaxBodyBytes:         8 << 20,
		MaxDecompressedBytes: 32 << 20,
		MaxRecords:           5000,
		MaxLineBytes:         schema.DefaultMaxBytes,
		MaxDepth:             schema.DefaultMaxDepth,
		RecordsPerSecond:     20000,
		Burst:                40000,
	}
}

// Problem is an RFC 9457 problem document: the body of every error
// response. Type is one of the Problem* constants and never changes.
type Problem struct {
	Type     string `json:"type"`               // a Problem* constant
	Title    string `json:"title"`              // the type in words, the same for every instance
	Status   int    `json:"status"`             // the HTTP status
	Detail   string `json:"detail,omitempty"`   // this occurrence in words, with what to do
	Instance string `json:"instance,omitempty"` // the submission it concerns, if one was made
	// Limit names the limit crossed on 413 (e.g. "max_body_bytes").
	Limit string `json:"limit,omitempty"`
	// Results, on 422, says why each record was refused.
	Results []RecordResult `json:"results,omitempty"`
	// Refused, on 422, summarizes the records Results does not list.
	Refused []RefusedRun `json:"refused,omitempty"`
	// Check names the authentication check that failed on 401 and 403
	// (see AuthError.Check).
	Check string `json:"check,omitempty"`
}

// Problem types. The URIs are names; nothing is served there.
const (
	problemBase             = "https://sicollab.github.io/problems/"
	ProblemMalformed        = problemBase + "malformed"         // 400: body, headers or NDJSON unreadable
	ProblemDigestMismatch   = problemBase + "digest-mismatch"   // 400: Content-Digest missing or does not match
	ProblemBadIdempotency   = problemBase + "bad-idempotency"   // 400: Idempotency-Key missing or not a UUID
	ProblemUnauthenticated  = problemBase + "unauthenticated"   // 401
	ProblemForbidden        = problemBase + "forbidden"         // 403: the organization may submit nothing here
	ProblemNotFound         = problemBase + "not-found"         // 404: no such receipt for this organization
	ProblemConflict         = problemBase + "idempotency-reuse" // 409: the key was used with another body
	ProblemTooLarge         = problemBase + "too-large"         // 413: Limit names which
	ProblemUnsupportedMedia = problemBase + "unsupported-media" // 415: not NDJSON, or an unknown Content-Encoding
	ProblemNothingValid     = problemBase + "nothing-valid"     // 422: every record rejected; Results says why
	ProblemRateLimited      = problemBase + "rate-limited"      // 429, with Retry-After
	ProblemOverloaded       = problemBase + "overloaded"        // 503, with Retry-After
)

// Problem types added with the receiving side.
const (
	// ProblemUnavailable: 503, with Retry-After: the hub could not store,
	// forward or commit the submission; nothing of it was acknowledged.
	// Retry the same batch with the same Idempotency-Key.
	ProblemUnavailable = problemBase + "unavailable"
	// ProblemMethodNotAllowed: 405, with Allow.
	ProblemMethodNotAllowed = problemBase + "method-not-allowed"
	// ProblemSlowBody: 408: the body arrived slower than the hub's
	// minimum rate after its grace period, and was cut; Limit is
	// "min_body_rate". Send the batch again, at once.
	ProblemSlowBody = problemBase + "slow-body"
	// ProblemIdentityRefused: 403: the client certificate is valid but
	// names no organization this hub accepts (no or several URI SANs,
	// another trust domain, an organization not in the directory).
	ProblemIdentityRefused = problemBase + "identity-refused"
)

// ContentDigest returns the Content-Digest field value (RFC 9530) of
// body: "sha-256=:<base64 of its SHA-256>:". Compute it over the body as
// sent, after gzip.
func ContentDigest(body []byte) string {
	return contentDigestOf(sha256.Sum256(body))
}

// contentDigestOf is ContentDigest of a body whose SHA-256 is sum.
func contentDigestOf(sum [sha256.Size]byte) string {
	return "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
}

// parseContentDigest finds the sha-256 member of Content-Digest field
// values (an RFC 8941 dictionary; other algorithms are ignored).
func parseContentDigest(values []string) (sum [sha256.Size]byte, ok bool) {
	for _, v := range values {
		for m := range strings.SplitSeq(v, ",") {
			k, val, found := strings.Cut(strings.TrimSpace(m), "=")
			if !found || k != "sha-256" {
				continue
			}
			if p := strings.IndexByte(val, ';'); p >= 0 { // parameters
				val = val[:p]
			}
			b64, ok1 := strings.CutPrefix(val, ":")
			b64, ok2 := strings.CutSuffix(b64, ":")
			if !ok1 || !ok2 {
				return sum, false
			}
			raw, err := base64.StdEncoding.DecodeString(b64)
			if err != nil || len(raw) != sha256.Size {
				return sum, false
			}
			copy(sum[:], raw)
			return sum, true
		}
	}
	return sum, false
}
