package submit

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ErrRefused is wrapped by the *RefusedError that Flush returns when
// records it waited for left the outbox as dead letters instead of
// being delivered: the hub rejected them, or the client gave up on
// them. Test with errors.Is(err, ErrRefused); errors.As gives the
// counts and the first dead letters.
var ErrRefused = errors.New("submit: records of the flush were refused")

// maxRefusalSamples bounds the dead letters a RefusedError names.
const maxRefusalSamples = 10

// RefusedError is returned by Flush when some of the records it covered
// were dead-lettered. Every record is accounted for all the same: the
// refused ones are in the dead-letter store (DeadLetters), where they can
// be read, resubmitted once fixed, or discarded.
type RefusedError struct {
	// Refused counts the flush's records moved to the dead letters.
	Refused int
	// ByCause counts them by cause (rejected, too_large, ...).
	ByCause map[DeadCause]int
	// ByReason counts the rejected ones by the hub's reason.
	ByReason map[Reason]int
	// Samples are the first dead letters made (at most 10), without
	// their record bytes; DeadLetters lists them all.
	Samples []DeadLetter
}

// Error says how many records were refused and why, in words.
func (e *RefusedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "submit: %d records of the flush were refused and moved to the dead letters", e.Refused)
	b.WriteString(" (")
	b.WriteString(countsText(e.ByCause))
	if len(e.ByReason) > 0 {
		b.WriteString("; reasons: ")
		b.WriteString(countsText(e.ByReason))
	}
	b.WriteString("); list them with DeadLetters, fix and Resubmit, or Discard")
	if len(e.Samples) > 0 {
		s := e.Samples[0]
		fmt.Fprintf(&b, "; first: record %s", s.RecordID)
		if s.Detail != "" {
			fmt.Fprintf(&b, ": %s", s.Detail)
		} else if s.Reason != "" {
			fmt.Fprintf(&b, ": %s", s.Reason)
		}
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Unwrap() error { return ErrRefused }

func countsText[K ~string](m map[K]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[K(k)])
	}
	return strings.Join(parts, ", ")
}

// refusals tells each waiting Flush about the dead letters made among
// its records: those with an outbox sequence up to the Flush's target.
// A record is dead-lettered once, so a Flush counts each at most once.
// A dead letter made while no Flush covered it (a full batch sent, or
// refused, before Flush was called) is kept as counts and samples only,
// so its memory is bounded, and reported by the next Flush.
type refusals struct {
	mu         sync.Mutex
	watchers   map[*refusalWatch]struct{}
	unreported *RefusedError
}

type refusalWatch struct {
	upTo uint64
	err  *RefusedError // nil until one of its records is refused
}

func (r *refusals) watch(upTo uint64) *refusalWatch {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.watchers == nil {
		r.watchers = make(map[*refusalWatch]struct{})
	}
	w := &refusalWatch{upTo: upTo, err: r.unreported}
	r.unreported = nil
	r.watchers[w] = struct{}{}
	return w
}

// done stops w and returns its error, nil if none of its records was refused.
func (r *refusals) done(w *refusalWatch) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.watchers, w)
	if w.err == nil {
		return nil
	}
	return w.err
}

func (r *refusals) note(dl *DeadLetter) {
	if dl.seq == 0 {
		return // not a record of the outbox: no Flush waits for it
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	covered := false
	for w := range r.watchers {
		if dl.seq > w.upTo {
			continue
		}
		covered = true
		w.err = addRefusal(w.err, dl)
	}
	if !covered {
		r.unreported = addRefusal(r.unreported, dl)
	}
}

// addRefusal counts dl in e, made if nil, and returns e.
func addRefusal(e *RefusedError, dl *DeadLetter) *RefusedError {
	if e == nil {
		e = &RefusedError{ByCause: map[DeadCause]int{}, ByReason: map[Reason]int{}}
	}
	e.Refused++
	e.ByCause[dl.Cause]++
	if dl.Reason != "" {
		e.ByReason[dl.Reason]++
	}
	if len(e.Samples) < maxRefusalSamples {
		s := *dl
		s.Record = nil
		e.Samples = append(e.Samples, s)
	}
	return e
}
