package translog

import (
	"errors"
	"fmt"
)

// Errors of the log, its proofs and its verifier. Each is returned
// wrapped; test with errors.Is.
var (
	// ErrClosed: the Log was closed; every method returns it afterwards.
	ErrClosed = errors.New("translog: log closed")
	// ErrBadLeaf: a leaf does not follow its type's rules (Leaf.Validate,
	// DecodeLeaf); the message names the field.
	ErrBadLeaf = errors.New("translog: bad leaf")
	// ErrRange: an index or tree size lies outside the tree (an inclusion
	// proof for a leaf not yet logged, a size beyond the latest
	// checkpoint).
	ErrRange = errors.New("translog: index or size out of range")
	// ErrTampered: what the log file holds does not match its signed
	// checkpoint: a leaf or a tile was edited, dropped or rewritten. The
	// file must be restored from a backup; the log refuses to serve from it.
	ErrTampered = errors.New("translog: stored log does not match its signed checkpoint")
	// ErrBadCheckpoint: a checkpoint is malformed, or its signature does
	// not verify.
	ErrBadCheckpoint = errors.New("translog: bad checkpoint")
	// ErrUnknownKey: a checkpoint is signed by no key the verifier knows.
	ErrUnknownKey = errors.New("translog: checkpoint signed by an unknown key")
	// ErrBadProof: an inclusion or consistency proof does not verify.
	ErrBadProof = errors.New("translog: proof does not verify")
	// ErrFork: the log showed two histories that cannot both be true
	// (see ForkError).
	ErrFork = errors.New("translog: log forked")
	// ErrRollback: the log showed a tree smaller than one it showed before
	// (see RollbackError).
	ErrRollback = errors.New("translog: log rolled back")
)

// ForkError reports two checkpoints that no honest log could both have
// signed: the same size with different roots, or a larger tree whose
// consistency proof with the smaller one fails. Both checkpoints are the
// evidence: each is signed by the log, so anyone can check the claim.
type ForkError struct {
	Old, New Checkpoint // as signed, in Checkpoint.Note
	Reason   string     // what did not hold
}

// Error gives both checkpoints and the reason, and says to keep both
// signed notes as evidence.
func (e *ForkError) Error() string {
	return fmt.Sprintf("translog: log %q forked: checkpoint of size %d (root %s) and checkpoint of size %d (root %s): %s; keep both signed notes as evidence",
		e.New.Origin, e.Old.Size, e.Old.Hash, e.New.Size, e.New.Hash, e.Reason)
}

// Is makes errors.Is(err, ErrFork) hold.
func (e *ForkError) Is(target error) bool { return target == ErrFork }

// RollbackError reports a checkpoint smaller than one seen before from the
// same log. Both signed checkpoints are the evidence.
type RollbackError struct {
	Last, Got Checkpoint
}

// Error names the log and the two sizes.
func (e *RollbackError) Error() string {
	return fmt.Sprintf("translog: log %q rolled back: it showed size %d before and now shows size %d; keep both signed notes as evidence",
		e.Got.Origin, e.Last.Size, e.Got.Size)
}

// Is makes errors.Is(err, ErrRollback) hold.
func (e *RollbackError) Is(target error) bool { return target == ErrRollback }
