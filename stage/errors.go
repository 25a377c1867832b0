package stage

import (
	"errors"
	"fmt"
)

// Sentinel errors, for errors.Is.
var (
	// ErrDrop marks a record a processor drops on purpose: a duplicate, a
	// record of low value, a record merged into another. Make one with
	// Drop or DropWith; the pipeline counts it under its reason and never
	// applies a step's error policy to it.
	ErrDrop = errors.New("stage: record dropped")

	// ErrInvalid: Validate refused a record; the error also wraps the
	// *schema.ValidationError with every violation.
	ErrInvalid = errors.New("stage: invalid record")

	// ErrUnverified: Verify could not establish that a record is authentic
	// (no provenance, a digest that does not match the payload, a first hop
	// that is not the source, or a source the directory does not know or
	// does not allow to submit the kind). The error also wraps the cause,
	// e.g. collab.ErrUnknownOrg.
	ErrUnverified = errors.New("stage: record not verified")

	// ErrNoSubject: Pseudonymize found a subject with neither a pseudonym
	// nor a clear identity to make one from.
	ErrNoSubject = errors.New("stage: subject has neither pseudonym nor identity")

	// ErrStopped: a step with PolicyStop failed, or a record could not be
	// quarantined; Wait and Run return an error wrapping it and the cause.
	ErrStopped = errors.New("stage: pipeline stopped")

	// ErrContract: a stage implementation broke its contract (emit called
	// after Process returned, for instance). Wait and Run return an error
	// wrapping it.
	ErrContract = errors.New("stage: contract violated")

	// ErrClosed: emit was called after the pipeline stopped taking records
	// (Close was called or the pipeline failed). A collector returns when
	// emit fails.
	ErrClosed = errors.New("stage: pipeline closed")
)

// Reasons the built-in processors drop records under.
const (
	// ReasonDuplicate: Dedupe saw the record's id, or its content key from
	// the same source, within its window.
	ReasonDuplicate = "duplicate"
	// ReasonLowValue: Assess scored the record below its threshold.
	ReasonLowValue = "low_value"
	// ReasonMerged: Integrate merged the record into an earlier one about
	// the same event; its id is listed in the MergeInfo of that record.
	ReasonMerged = "merged"
	// ReasonError is the reason a step with PolicyDrop counts failures
	// under when Step.DropReason is empty.
	ReasonError = "error"
	// ReasonLate: a window analyzer got a record older than its watermark.
	ReasonLate = "late"
)

// DropError is a deliberate drop: the record is discarded and counted
// under Reason. It wraps ErrDrop and, if set, Err (the cause).
type DropError struct {
	// Reason is a short, stable, lower-case word or phrase; counters are
	// keyed by it, so it must not carry per-record data.
	Reason string
	// Err is the cause, if any.
	Err error
}

// Drop returns an error that drops the record under reason.
func Drop(reason string) error { return &DropError{Reason: reason} }

// DropWith returns an error that drops the record under reason, with err
// as the cause (logged, and found by errors.Is and errors.As).
func DropWith(reason string, err error) error { return &DropError{Reason: reason, Err: err} }

// Error says the record was dropped, why, and the cause if any.
func (e *DropError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("stage: record dropped (%s): %v", e.Reason, e.Err)
	}
	return "stage: record dropped (" + e.Reason + ")"
}

// Is reports whether target is ErrDrop.
func (e *DropError) Is(target error) bool { return target == ErrDrop }

// Unwrap returns the cause.
func (e *DropError) Unwrap() error { return e.Err }

// DropReason returns the reason of the first *DropError in err's tree, and
// whether there is one.
func DropReason(err error) (string, bool) {
	var d *DropError
	if errors.As(err, &d) {
		return d.Reason, true
	}
	return "", false
}
