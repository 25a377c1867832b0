package collab

import (
	"context"
	"errors"
	"fmt"
	"iter"
)

// ErrEntryNotLogged is wrapped by a LoggedJournal's Append when the entry
// is in the journal but the EntryLogger refused it. The entry stands (its
// Seq is returned with the error); the log lacks it until the operator
// appends it again with the logger.
var ErrEntryNotLogged = errors.New("collab: journal entry stored but not logged")

// EntryLogger is told of each journal entry after the journal made it
// durable, with its Seq set. A transparency log is one (the submit/translog
// package's Log.LogEntry appends the entry's digest as a leaf).
type EntryLogger interface {
	LogEntry(ctx context.Context, e Entry) error
}

// LoggedJournal returns a Journal that appends each entry to j and then
// hands it, with its Seq, to l, so that a tamper-evident record of the
// journal grows beside it. Entries reads j. An entry l refuses is still
// in j: Append returns its Seq and an error wrapping ErrEntryNotLogged.
func LoggedJournal(j Journal, l EntryLogger) Journal {
	return &loggedJournal{j: j, l: l}
}

type loggedJournal struct {
	j Journal
	l EntryLogger
}

func (lj *loggedJournal) Append(ctx context.Context, e Entry) (uint64, error) {
	seq, err := lj.j.Append(ctx, e)
	if err != nil {
		return 0, err
	}
	e = normalizeEntry(e) // as the journal stored it, so its digest is the stored entry's
	e.Seq = seq
	if err := lj.l.LogEntry(ctx, e); err != nil {
		return seq, fmt.Errorf("%w: entry %d: %w", ErrEntryNotLogged, seq, err)
	}
	return seq, nil
}

func (lj *loggedJournal) Entries(ctx context.Context, from uint64) iter.Seq2[Entry, error] {
	return lj.j.Entries(ctx, from)
}
