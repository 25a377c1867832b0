package stage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// Defaults of a WindowConfig.
const (
	DefaultWindowMaxOpen     = 100_000
	DefaultWindowMaxEvidence = 100
)

// WindowConfig configures windows on event time (EventOf's Time).
type WindowConfig struct {
	// Size is the length of a window; required.
	Size time.Duration
	// Slide is the distance between the starts of consecutive windows: 0
	// (or Size) makes tumbling windows, less than Size sliding ones, each
	// record then falling in about Size/Slide windows. Windows start at
	// multiples of Slide since the Unix epoch.
	Slide time.Duration
	// AllowedLateness holds windows open past their end: the watermark is
	// the newest event time seen minus AllowedLateness, and a window
	// closes when the watermark reaches its end.
	AllowedLateness time.Duration
	// OnLate receives late records: those whose every window has already
	// closed. Nil means they are dropped (and counted: Windows.Late). With
	// sliding windows, a record some of whose windows closed is added to
	// the others and is not late.
	OnLate func(env schema.Envelope, eventTime time.Time)
	// MaxOpen bounds the open (subject, window) pairs (0 means
	// DefaultWindowMaxOpen); past it, the windows that end first close
	// early.
	MaxOpen int
	// MaxEvidence bounds the record ids kept per window (0 means
	// DefaultWindowMaxEvidence; the product schema allows 1000).
	MaxEvidence int
}

// Validate reports every problem of c, joined.
func (c WindowConfig) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("stage: window config: "+format, args...))
	}
	if c.Size <= 0 {
		bad("Size: must be positive, got %v", c.Size)
	}
	if c.Slide < 0 || c.Slide > c.Size {
		bad("Slide: must be from 0 to Size (%v), got %v", c.Size, c.Slide)
	}
	if c.AllowedLateness < 0 {
		bad("AllowedLateness: must be at least 0, got %v", c.AllowedLateness)
	}
	if c.MaxOpen < 0 {
		bad("MaxOpen: must be at least 0 (0 means %d), got %d", DefaultWindowMaxOpen, c.MaxOpen)
	}
	if c.MaxEvidence < 0 || c.MaxEvidence > 1000 {
		bad("MaxEvidence: must be from 0 to 1000 (0 means %d), got %d", DefaultWindowMaxEvidence, c.MaxEvidence)
	}
	return errors.Join(errs...)
}

// Record is what a window's fold function sees: one record, one of its
// subjects, and the event time.
type Record struct {
	// Env is the record; the fold function must not modify it.
	Env schema.Envelope
	// Subject is the subject whose window this is.
	Subject schema.Subject
	// Time is the record's event time.
	Time time.Time
}

// WindowResult is a closed window of one subject.
type WindowResult[A any] struct {
	// Subject is the subject, without clear identity.
	Subject schema.Subject
	// Window is the window's span.
	Window schema.Window
	// Value is what the fold function made of the window's records.
	Value A
	// Count is the number of records in the window.
	Count int
	// EvidenceIDs are the ids of the first MaxEvidence records.
	EvidenceIDs []string
}

// Windows aggregates records per subject pseudonym in tumbling or sliding
// windows on event time. A record with several subjects counts for each;
// a record without any is skipped. Results come out when the watermark
// passes a window's end, ordered by end, then by subject; they are
// deterministic for a given order of records.
//
// Windows is safe for concurrent use. Memory holds the open windows: those
// of subjects seen within Size + AllowedLateness of the newest event time,
// at most MaxOpen.
type Windows[A any] struct {
	cfg  WindowConfig
	fold func(acc A, r Record) A

	mu      sync.Mutex
	open    map[winKey]*winState[A]
	byEnd   map[int64][]winKey
	ends    []int64 // sorted, distinct
	newest  time.Time
	seen    bool
	late    uint64
	skipped uint64
}

type winKey struct {
	keyID, pseudonym string
	start            int64
}

type winState[A any] struct {
	subject schema.Subject
	value   A
	count   int
	ids     []string
}

// NewWindows returns windows that fold each record into its subject's
// windows with fold, starting from A's zero value.
func NewWindows[A any](cfg WindowConfig, fold func(acc A, r Record) A) (*Windows[A], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if fold == nil {
		return nil, errors.New("stage: windows: fold function: required, got nil")
	}
	if cfg.Slide == 0 {
		cfg.Slide = cfg.Size
	}
	if cfg.MaxOpen == 0 {
		cfg.MaxOpen = DefaultWindowMaxOpen
	}
	if cfg.MaxEvidence == 0 {
		cfg.MaxEvidence = DefaultWindowMaxEvidence
	}
	return &Windows[A]{cfg: cfg, fold: fold, open: map[winKey]*winState[A]{}, byEnd: map[int64][]winKey{}}, nil
}

// Watermark returns the newest event time seen minus AllowedLateness, and
// false before the first record.
func (w *Windows[A]) Watermark() (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.newest.Add(-w.cfg.AllowedLateness), w.seen
}

// Late returns the number of late records dropped or handed to OnLate.
func (w *Windows[A]) Late() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.late
}

// Skipped returns the number of records without a subject.
func (w *Windows[A]) Skipped() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.skipped
}

// Add folds env into the open windows of its subjects and returns the
// windows its event time closes. A payload that does not decode is an
// error.
func (w *Windows[A]) Add(env schema.Envelope) ([]WindowResult[A], error) {
	ev, err := EventOf(env)
	if err != nil {
		return nil, fmt.Errorf("stage: windows: record %s: %w", env.ID, err)
	}
	return w.add(env, ev), nil
}

func (w *Windows[A]) add(env schema.Envelope, ev Event) []WindowResult[A] {
	w.mu.Lock()
	if len(ev.Subjects) == 0 {
		w.skipped++
		w.mu.Unlock()
		return nil
	}
	t := ev.Time.UnixNano()
	size, slide := int64(w.cfg.Size), int64(w.cfg.Slide)
	wm := w.newest.Add(-w.cfg.AllowedLateness).UnixNano()
	var starts []int64
	for s := floorDiv(t, slide) * slide; s > t-size; s -= slide {
		if !w.seen || s+size > wm {
			starts = append(starts, s)
		}
	}
	if len(starts) == 0 {
		w.late++
		w.mu.Unlock()
		if w.cfg.OnLate != nil {
			w.cfg.OnLate(env, ev.Time)
		}
		return nil
	}
	for _, subj := range ev.Subjects {
		for _, s := range starts {
			k := winKey{subj.KeyID, subj.Pseudonym, s}
			st := w.open[k]
			if st == nil {
				st = &winState[A]{subject: subj}
				w.open[k] = st
				end := s + size
				if _, ok := w.byEnd[end]; !ok {
					i, _ := slices.BinarySearch(w.ends, end)
					w.ends = slices.Insert(w.ends, i, end)
				}
				w.byEnd[end] = append(w.byEnd[end], k)
			}
			st.value = w.fold(st.value, Record{Env: env, Subject: subj, Time: ev.Time})
			st.count++
			if len(st.ids) < w.cfg.MaxEvidence && !slices.Contains(st.ids, env.ID) {
				st.ids = append(st.ids, env.ID)
			}
		}
	}
	if !w.seen || ev.Time.After(w.newest) {
		w.newest, w.seen = ev.Time, true
	}
	wm = w.newest.Add(-w.cfg.AllowedLateness).UnixNano()
	var out []WindowResult[A]
	for len(w.ends) > 0 && (w.ends[0] <= wm || len(w.open) > w.cfg.MaxOpen) {
		out = w.fire(out)
	}
	w.mu.Unlock()
	return out
}

// fire closes every window with the earliest end.
func (w *Windows[A]) fire(out []WindowResult[A]) []WindowResult[A] {
	end := w.ends[0]
	w.ends = w.ends[1:]
	keys := w.byEnd[end]
	delete(w.byEnd, end)
	slices.SortFunc(keys, func(a, b winKey) int {
		if c := strings.Compare(a.keyID, b.keyID); c != 0 {
			return c
		}
		return strings.Compare(a.pseudonym, b.pseudonym)
	})
	for _, k := range keys {
		st := w.open[k]
		delete(w.open, k)
		out = append(out, WindowResult[A]{
			Subject: st.subject, Value: st.value, Count: st.count, EvidenceIDs: st.ids,
			Window: schema.Window{From: time.Unix(0, k.start).UTC(), To: time.Unix(0, end).UTC()},
		})
	}
	return out
}

// Flush closes every open window, in order of end.
func (w *Windows[A]) Flush() []WindowResult[A] {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []WindowResult[A]
	for len(w.ends) > 0 {
		out = w.fire(out)
	}
	return out
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// WindowAnalyzerConfig configures NewWindowAnalyzer.
type WindowAnalyzerConfig[A any] struct {
	// Window sets the windows.
	Window WindowConfig
	// Fold folds one record into a subject's window; required.
	Fold func(acc A, r Record) A
	// Score turns a closed window into a product entry, or false when the
	// subject is not to be listed; required. Subject and EvidenceIDs are
	// filled in from the window when Score leaves them empty; Reasons
	// must not be empty.
	Score func(r WindowResult[A]) (schema.ProductEntry, bool)
	// Product is written into every product.
	Product ProductConfig
}

// WindowAnalyzer is an Analyzer over Windows: when windows close, it
// scores each and emits one product per window period with the entries
// scored, highest score first (no product when none is).
type WindowAnalyzer[A any] struct {
	w     *Windows[A]
	score func(WindowResult[A]) (schema.ProductEntry, bool)
	pc    ProductConfig
}

// NewWindowAnalyzer returns a WindowAnalyzer.
func NewWindowAnalyzer[A any](cfg WindowAnalyzerConfig[A]) (*WindowAnalyzer[A], error) {
	var errs []error
	if err := cfg.Product.Validate(); err != nil {
		errs = append(errs, err)
	}
	if cfg.Score == nil {
		errs = append(errs, errors.New("stage: window analyzer config: Score: required, got nil"))
	}
	w, err := NewWindows(cfg.Window, cfg.Fold)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &WindowAnalyzer[A]{w: w, score: cfg.Score, pc: cfg.Product.withDefaults()}, nil
}

// Windows returns the analyzer's windows, for their counters.
func (a *WindowAnalyzer[A]) Windows() *Windows[A] { return a.w }

// Analyze adds env to the windows and emits products for those it closes.
func (a *WindowAnalyzer[A]) Analyze(ctx context.Context, env schema.Envelope, emit func(schema.Product) error) error {
	res, err := a.w.Add(env)
	if err != nil {
		return err
	}
	return a.publish(res, emit)
}

// Flush closes every window and emits their products.
func (a *WindowAnalyzer[A]) Flush(ctx context.Context, emit func(schema.Product) error) error {
	return a.publish(a.w.Flush(), emit)
}

func (a *WindowAnalyzer[A]) publish(res []WindowResult[A], emit func(schema.Product) error) error {
	for len(res) > 0 {
		period := res[0].Window
		var entries []schema.ProductEntry
		n := 0
		for n < len(res) && res[n].Window == period {
			r := res[n]
			n++
			e, ok := a.score(r)
			if !ok {
				continue
			}
			if e.Subject.Pseudonym == "" {
				e.Subject = r.Subject
			}
			if len(e.EvidenceIDs) == 0 {
				e.EvidenceIDs = slices.Clone(r.EvidenceIDs)
			}
			entries = append(entries, e)
		}
		res = res[n:]
		if len(entries) == 0 {
			continue
		}
		if err := emit(a.pc.product(period, entries)); err != nil {
			return err
		}
	}
	return nil
}
