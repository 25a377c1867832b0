package collab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"
)

// ErrInvalidEntry is returned by Journal.Append (MemJournal.Append,
// BoltJournal.Append) for an entry that breaks a rule of the journal: an
// empty Kind or Org, a zero At, an Interaction outside 0-5 or Data that
// is not JSON. Every problem found is reported at once (errors.Join), each
// wrapping ErrInvalidEntry; nothing is appended.
var ErrInvalidEntry = errors.New("collab: invalid journal entry")

// ErrJournalCorrupt is yielded by BoltJournal.Entries for a stored entry
// that cannot be read back; the error is a *CorruptEntryError naming it.
var ErrJournalCorrupt = errors.New("collab: journal corrupt")

// CorruptEntryError is a stored journal entry that cannot be read back:
// a value that is not JSON, an entry whose seq disagrees with its key, a
// missing seq, an entry that breaks the journal's rules. It wraps
// ErrJournalCorrupt and the cause. Entries stops after yielding it; to
// read past it, call Entries again from Seq+1.
type CorruptEntryError struct {
	// Seq is the position of the entry in the journal.
	Seq uint64
	// Err says what is wrong.
	Err error
}

// Error returns "collab: journal corrupt: entry <seq>: <cause>".
func (e *CorruptEntryError) Error() string {
	return fmt.Sprintf("%s: entry %d: %v", ErrJournalCorrupt, e.Seq, e.Err)
}

// Unwrap returns ErrJournalCorrupt and the cause.
func (e *CorruptEntryError) Unwrap() []error { return []error{ErrJournalCorrupt, e.Err} }

// validateEntry checks the rules Append enforces, gathering every problem.
func validateEntry(e Entry) error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidEntry}, args...)...))
	}
	if e.Kind == "" {
		bad("kind is empty; use a schema message kind or an Entry* kind")
	}
	if e.Org == "" {
		bad("org is empty; name the organization that acted")
	}
	if e.At.IsZero() {
		bad("at is zero; say when it happened")
	}
	if e.Interaction < InteractionNone || e.Interaction > InteractionEscalation {
		bad("interaction %d is not 0-5", int(e.Interaction))
	}
	if len(e.Data) > 0 && !json.Valid(e.Data) {
		bad("data is not JSON")
	}
	return errors.Join(errs...)
}

// normalizeEntry is what Append stores: At in UTC (without monotonic
// clock reading) and a private copy of Data.
func normalizeEntry(e Entry) Entry {
	e.At = e.At.UTC()
	e.Data = slices.Clone(e.Data)
	return e
}

// MemJournal is a Journal held in memory, for tests and for programs that
// need no durability. It is safe for concurrent use. The zero value is not
// usable; call NewMemJournal.
type MemJournal struct {
	mu      sync.RWMutex
	entries []Entry
	closed  bool
}

var _ Journal = (*MemJournal)(nil)

// NewMemJournal returns an empty journal in memory.
func NewMemJournal() *MemJournal { return &MemJournal{} }

// Append validates e, assigns it the next Seq and keeps a copy. The Seq of
// e is ignored. It returns an error wrapping ErrInvalidEntry for an invalid
// entry, ErrJournalClosed after Close, and ctx.Err() if ctx is done.
func (j *MemJournal) Append(ctx context.Context, e Entry) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := validateEntry(e); err != nil {
		return 0, err
	}
	e = normalizeEntry(e)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return 0, ErrJournalClosed
	}
	e.Seq = uint64(len(j.entries)) + 1
	j.entries = append(j.entries, e)
	return e.Seq, nil
}

// Entries yields the entries with Seq >= from (from 0 reads from the
// start) in Seq order, each with its own copy of Data, including those
// appended while the iteration runs. It yields ErrJournalClosed if the
// journal is closed, and ctx.Err() when ctx is done, then stops.
func (j *MemJournal) Entries(ctx context.Context, from uint64) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		next := max(from, 1)
		for {
			if err := ctx.Err(); err != nil {
				yield(Entry{}, err)
				return
			}
			j.mu.RLock()
			closed, n := j.closed, uint64(len(j.entries))
			var e Entry
			if !closed && next <= n {
				e = j.entries[next-1]
			}
			j.mu.RUnlock()
			switch {
			case closed:
				yield(Entry{}, ErrJournalClosed)
				return
			case next > n:
				return
			}
			e.Data = slices.Clone(e.Data)
			if !yield(e, nil) {
				return
			}
			next++
		}
	}
}

// Close closes the journal: Append and Entries return ErrJournalClosed
// from then on. Closing twice is not an error.
func (j *MemJournal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.closed = true
	j.entries = nil
	return nil
}
