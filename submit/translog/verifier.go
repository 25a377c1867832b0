package translog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ConsistencyProver gives consistency proofs between two tree sizes of
// one log; *Client and *Log (through LogProver) are ones.
type ConsistencyProver interface {
	Consistency(ctx context.Context, old, new int64) (tlog.TreeProof, error)
}

// LogProver makes a local *Log a ConsistencyProver.
type LogProver struct{ Log *Log }

// Consistency calls Log.ProveConsistency.
func (p LogProver) Consistency(ctx context.Context, old, new int64) (tlog.TreeProof, error) {
	return p.Log.ProveConsistency(ctx, old, new)
}

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	// VerifierKey is the log's public key (note's format). Required.
	VerifierKey string
	// Prover gives consistency proofs from the last checkpoint seen to a
	// newer one (usually a *Client of the same log). Required.
	Prover ConsistencyProver
	// StatePath is the file that keeps the last checkpoint seen across
	// restarts (written atomically). Empty: kept in memory only, and a
	// rollback across a restart goes unseen.
	StatePath string
}

// Validate reports every problem of c, naming the field, joined.
func (c VerifierConfig) Validate() error {
	var errs []error
	if _, err := note.NewVerifier(c.VerifierKey); err != nil {
		errs = append(errs, fmt.Errorf("translog: VerifierConfig.VerifierKey %q: %w", c.VerifierKey, err))
	}
	if c.Prover == nil {
		errs = append(errs, errors.New("translog: VerifierConfig.Prover: missing"))
	}
	return errors.Join(errs...)
}

// Verifier is the client side of the log: it checks signed checkpoints
// and inclusion proofs, keeps the largest checkpoint it has seen, and
// proves every other checkpoint consistent with it. A log that rewrote
// its history is reported as a *ForkError, one that went back to a smaller
// tree as a *RollbackError; both carry the two signed checkpoints.
//
// A Verifier is safe for concurrent use.
type Verifier struct {
	v      note.Verifier
	prover ConsistencyProver
	path   string

	mu   sync.Mutex
	last *Checkpoint
}

// NewVerifier returns a verifier, with the last checkpoint read back from
// cfg.StatePath if that file exists (it must verify with the key).
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	v, _ := note.NewVerifier(cfg.VerifierKey)
	ver := &Verifier{v: v, prover: cfg.Prover, path: cfg.StatePath}
	if cfg.StatePath != "" {
		b, err := os.ReadFile(cfg.StatePath)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("translog: read verifier state: %w", err)
		default:
			cp, err := parseCheckpoint(b, v)
			if err != nil {
				return nil, fmt.Errorf("translog: verifier state %s: %w; remove it only if you trust the log's current checkpoint", cfg.StatePath, err)
			}
			ver.last = &cp
		}
	}
	return ver, nil
}

// Last returns the largest checkpoint seen, if any.
func (v *Verifier) Last() (Checkpoint, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.last == nil {
		return Checkpoint{}, false
	}
	return *v.last, true
}

// Observe checks the log's latest signed checkpoint msg (PathCheckpoint):
// its signature (ErrUnknownKey, ErrBadCheckpoint), and against the last
// checkpoint seen: a smaller tree is a *RollbackError, the same size with
// another root a *ForkError, a larger tree must come with a consistency
// proof from the Prover (a failed proof is a *ForkError). On success msg
// becomes the last checkpoint, persisted before Observe returns. The first
// checkpoint a Verifier with no state sees is taken on trust; give every
// Verifier of one log the same StatePath across restarts.
func (v *Verifier) Observe(ctx context.Context, msg []byte) (Checkpoint, error) {
	cp, err := parseCheckpoint(msg, v.v)
	if err != nil {
		return Checkpoint{}, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.last != nil && cp.Size < v.last.Size {
		return cp, &RollbackError{Last: *v.last, Got: cp}
	}
	return cp, v.relate(ctx, cp)
}

// relate checks cp against the last checkpoint and advances it when cp is
// larger. v.mu is held.
func (v *Verifier) relate(ctx context.Context, cp Checkpoint) error {
	last := v.last
	switch {
	case last == nil:
	case cp.Size == last.Size:
		if cp.Hash != last.Hash {
			return &ForkError{Old: *last, New: cp, Reason: "same size, different roots"}
		}
		return nil
	case cp.Size < last.Size:
		if err := v.consistent(ctx, cp, *last); err != nil {
			return err
		}
		return nil // an older checkpoint, consistent with the last: nothing to keep
	default:
		if err := v.consistent(ctx, *last, cp); err != nil {
			return err
		}
	}
	if err := v.persist(cp); err != nil {
		return err
	}
	v.last = &cp
	return nil
}

// consistent proves old a prefix of new.
func (v *Verifier) consistent(ctx context.Context, old, new Checkpoint) error {
	if old.Size == 0 {
		return nil // the empty tree is a prefix of every tree
	}
	p, err := v.prover.Consistency(ctx, old.Size, new.Size)
	if err != nil {
		return fmt.Errorf("translog: consistency proof from %d to %d: %w", old.Size, new.Size, err)
	}
	if err := tlog.CheckTree(p, new.Size, new.Hash, old.Size, old.Hash); err != nil {
		return &ForkError{Old: old, New: new, Reason: "consistency proof fails: " + err.Error()}
	}
	return nil
}

// VerifyInclusion checks that leaf (encoded) is in the log as p says:
// p.Checkpoint must verify with the key (ErrUnknownKey,
// ErrBadCheckpoint) and be of size p.Size, the proof must hold against it
// (ErrBadProof), and the checkpoint must be consistent with the last one
// seen (*ForkError); a larger one becomes the last, as with Observe. An
// older checkpoint is not a rollback: receipts age.
func (v *Verifier) VerifyInclusion(ctx context.Context, leaf []byte, p InclusionProof) (Checkpoint, error) {
	cp, err := parseCheckpoint([]byte(p.Checkpoint), v.v)
	if err != nil {
		return Checkpoint{}, err
	}
	if cp.Size != p.Size {
		return cp, fmt.Errorf("%w: proof at size %d, checkpoint of size %d", ErrBadProof, p.Size, cp.Size)
	}
	if err := CheckInclusion(leaf, p.Index, p.Proof, cp); err != nil {
		return cp, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return cp, v.relate(ctx, cp)
}

// persist writes cp's note to the state file: a temporary file, synced,
// renamed over the old one, and the directory synced.
func (v *Verifier) persist(cp Checkpoint) error {
	if v.path == "" {
		return nil
	}
	dir := filepath.Dir(v.path)
	f, err := os.CreateTemp(dir, ".translog-state-*")
	if err != nil {
		return fmt.Errorf("translog: save verifier state: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(cp.Note)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("translog: save verifier state: %w", err)
	}
	if err := os.Rename(tmp, v.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("translog: save verifier state: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
