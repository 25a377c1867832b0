package submit

import (
	"context"
	"errors"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// ErrKeyConflict: LedgerStore.Commit found the idempotency key taken, by
// another hub or request, for a body with another digest. The Handler
// answers 409 conflict, as when it finds the key before decoding.
var ErrKeyConflict = errors.New("submit: idempotency key used with another body")

// LedgerStore is the protocol's memory, what a Handler shares with every
// other hub that answers for the same address: idempotency keys with the
// answers given, receipts by (organization, submission id) and the
// records accepted, by (source, id). *Ledger keeps it in a bbolt file of
// one hub; package submit/jetstream keeps it in a JetStream key-value
// bucket, so that any number of hubs give the same answers.
//
// The Handler calls Lock, then Idempotent; if the key is new it decodes
// the batch, calls Seen for its records, puts the records it accepts in
// its Sink, and only then calls Commit. Implementations must be safe for
// concurrent use, and Commit must be atomic in effect:
//
//   - two Commits with the same (org, key), from one hub or two, store one
//     answer; the one that does not store it returns the one that did (or
//     an error wrapping ErrKeyConflict when its digest differs);
//   - a record (source, id) is accepted by one Commit only: finish is
//     given, through seen, every record another Commit accepted first, and
//     an implementation that learns of one after finish returned calls
//     finish again (finish is idempotent: it recomputes the whole receipt).
type LedgerStore interface {
	// Lock serializes, within this process, the requests of org with
	// one idempotency key: the second waits until the first unlocks or
	// ctx ends. Across processes, Commit decides.
	Lock(ctx context.Context, org, key string) (unlock func(), err error)
	// Idempotent returns the body digest and the answer stored for org's
	// key, and found false when none is.
	Idempotent(ctx context.Context, org, key string) (digest string, a *LedgerAnswer, found bool, err error)
	// Seen returns what is kept of each record of keys accepted before;
	// records never accepted are absent from the map.
	Seen(ctx context.Context, keys []RecordKey) (map[RecordKey]SeenRecord, error)
	// Commit records a submission (see the type's documentation) and
	// returns the answer stored for c's key: finish's, or another
	// Commit's that stored first.
	Commit(ctx context.Context, c CommitRequest, finish FinishFunc) (*LedgerAnswer, error)
	// ReceiptBytes returns the receipt of submission id, as sent, if org
	// sent it; otherwise an error wrapping ErrReceiptNotFound.
	ReceiptBytes(ctx context.Context, org, id string) ([]byte, error)
	// Prune forgets the receipts and keys made before receivedBefore and
	// the records whose retain_until is not after now. A store whose
	// entries expire by themselves returns zero stats.
	Prune(ctx context.Context, receivedBefore, now time.Time) (PruneStats, error)
}

// FinishFunc makes the receipt inside LedgerStore.Commit. seen reports a
// record accepted by another submission; finish returns the receipt, the
// answer's status, the answer's body when that is not the receipt (422),
// and the records it accepts.
type FinishFunc func(seen func(RecordKey) (SeenRecord, bool)) (r *Receipt, status int, response []byte, accepted []AcceptedRecord, err error)

// CommitRequest names the submission a Commit records.
type CommitRequest struct {
	Org          string    // the sender
	Key          string    // its Idempotency-Key
	Digest       string    // the body's Content-Digest
	SubmissionID string    // the submission id the Handler made
	At           time.Time // when it was received, on the Handler's clock
	// Retention is how long the receipt and key are to be kept, for a
	// store whose entries expire by themselves.
	Retention time.Duration
}

// RecordKey identifies a record at a hub: its source and its id.
type RecordKey struct{ Source, ID string }

// SeenRecord is what a ledger keeps of an accepted record: who sent it,
// in which submission, its payload digest ("sha-256:<hex>") and its
// handling, and its retain_until (when it may be forgotten).
type SeenRecord struct {
	Org, Submission string
	Digest          string
	Handling        schema.Handling
	RetainUntil     time.Time
}

// AcceptedRecord is a record a Commit marks as seen.
type AcceptedRecord struct {
	Key  RecordKey
	Seen SeenRecord
}

// LedgerAnswer is what a ledger keeps of one submission: the receipt as
// sent and, when the answer was not the receipt itself (422), the exact
// response body, so that a replay is byte-identical.
type LedgerAnswer struct {
	Org string `json:"org"`
	// Submission is the submission id the answer is of (empty in answers
	// kept before it was added).
	Submission string    `json:"submission,omitempty"`
	Status     int       `json:"status"`
	At         time.Time `json:"at"` // when the receipt was made, on the handler's clock
	Receipt    []byte    `json:"receipt"`
	Response   []byte    `json:"response,omitempty"`
}

// Body returns the bytes of the response to the submission.
func (a *LedgerAnswer) Body() []byte {
	if a.Response != nil {
		return a.Response
	}
	return a.Receipt
}

// EncodeSeen returns the compact form *Ledger keeps a SeenRecord in (see
// DecodeSeen), or nil when s.Digest is not "sha-256:" and 64 hex digits.
// Other stores may keep it the same way.
func EncodeSeen(s SeenRecord) []byte { return encodeSeen(s) }

// DecodeSeen decodes EncodeSeen's form; a value too short yields the zero
// SeenRecord.
func DecodeSeen(v []byte) SeenRecord { return decodeSeen(v) }
