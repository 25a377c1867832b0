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

// DefaultLinkMaxPerKind is the number of recent records a Linker keeps per
// subject and kind when LinkConfig.MaxPerKind is 0.
const DefaultLinkMaxPerKind = 8

// LinkRule links records of different kinds about the same subject: when
// a subject has a record of every kind in Kinds within Within of each
// other (event time), the subject is listed.
type LinkRule struct {
	// Name is the reason the entry gives, e.g. "hazmat purchase and
	// flagged account"; required, at most 128 bytes.
	Name string
	// Kinds are the record kinds that must all appear; at least two,
	// distinct.
	Kinds []string
	// Within is the longest span, in event time, between the records of
	// one link; required.
	Within time.Duration
	// Score is the entry's score, from 0 to 1.
	Score float64
}

// LinkConfig configures NewLinker.
type LinkConfig struct {
	// Rules are the links to look for; at least one.
	Rules []LinkRule
	// Product is written into every product (ListType defaults to
	// schema.ListCrossSectorLink).
	Product ProductConfig
	// MaxPerKind bounds the records kept per subject and kind: the newest
	// (0 means DefaultLinkMaxPerKind).
	MaxPerKind int
}

// Validate reports every problem of c, joined.
func (c LinkConfig) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("stage: link config: "+format, args...))
	}
	if len(c.Rules) == 0 {
		bad("Rules: at least one is required, got none")
	}
	for i, r := range c.Rules {
		if r.Name == "" || len(r.Name) > 128 {
			bad("Rules[%d].Name: must be 1 to 128 bytes, got %q", i, r.Name)
		}
		if len(r.Kinds) < 2 {
			bad("Rules[%d].Kinds: at least two kinds, got %v", i, r.Kinds)
		}
		if k := slices.Clone(r.Kinds); len(slices.Compact(slices.Sorted(slices.Values(k)))) != len(r.Kinds) {
			bad("Rules[%d].Kinds: must be distinct, got %v", i, r.Kinds)
		}
		if r.Within <= 0 {
			bad("Rules[%d].Within: must be positive, got %v", i, r.Within)
		}
		if !(r.Score >= 0 && r.Score <= 1) {
			bad("Rules[%d].Score: must be from 0 to 1, got %v", i, r.Score)
		}
	}
	if c.MaxPerKind < 0 {
		bad("MaxPerKind: must be at least 0 (0 means %d), got %d", DefaultLinkMaxPerKind, c.MaxPerKind)
	}
	p := c.Product
	if p.ListType == "" {
		p.ListType = schema.ListCrossSectorLink
	}
	if err := p.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Linker is an Analyzer that links records of different kinds by subject
// pseudonym (the same person buying a precursor and posting from a flagged
// account) and emits, as soon as a link completes, a product with one
// entry: the subject, the rule's score, the rule's name as reason, and the
// ids of the linked records (the newest record first, then the closest
// record in time of each other kind).
//
// Subjects link only under the same key id. Each set of records is
// reported once. Memory holds, per subject, the newest MaxPerKind records
// of each kind named in a rule, within the longest Within of the newest
// event time seen; older ones are forgotten. Records may arrive in any
// order: a link is found whichever of its records comes last.
//
// Linker is safe for concurrent use.
type Linker struct {
	rules  []LinkRule
	pc     ProductConfig
	maxPer int
	span   time.Duration
	kinds  map[string]bool

	mu       sync.Mutex
	subjects map[[2]string]*linkState
	newest   time.Time
	added    int
}

type linkEvent struct {
	id string
	t  time.Time
}

type linkState struct {
	subject  schema.Subject
	byKind   map[string][]linkEvent
	reported map[string]time.Time // link key -> its newest event time
}

// NewLinker returns a Linker.
func NewLinker(cfg LinkConfig) (*Linker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Product.ListType == "" {
		cfg.Product.ListType = schema.ListCrossSectorLink
	}
	if cfg.MaxPerKind == 0 {
		cfg.MaxPerKind = DefaultLinkMaxPerKind
	}
	l := &Linker{rules: slices.Clone(cfg.Rules), pc: cfg.Product.withDefaults(), maxPer: cfg.MaxPerKind,
		kinds: map[string]bool{}, subjects: map[[2]string]*linkState{}}
	for _, r := range l.rules {
		l.span = max(l.span, r.Within)
		for _, k := range r.Kinds {
			l.kinds[k] = true
		}
	}
	return l, nil
}

// Analyze records env under each of its subjects and emits a product for
// every link it completes.
func (l *Linker) Analyze(ctx context.Context, env schema.Envelope, emit func(schema.Product) error) error {
	if !l.kinds[env.Kind] {
		return nil
	}
	ev, err := EventOf(env)
	if err != nil {
		return fmt.Errorf("stage: linker: record %s: %w", env.ID, err)
	}
	var out []schema.Product
	l.mu.Lock()
	if ev.Time.After(l.newest) {
		l.newest = ev.Time
	}
	for _, subj := range ev.Subjects {
		k := [2]string{subj.KeyID, subj.Pseudonym}
		st := l.subjects[k]
		if st == nil {
			st = &linkState{subject: subj, byKind: map[string][]linkEvent{}, reported: map[string]time.Time{}}
			l.subjects[k] = st
		}
		evs := append(st.byKind[env.Kind], linkEvent{id: env.ID, t: ev.Time})
		slices.SortStableFunc(evs, func(a, b linkEvent) int { return b.t.Compare(a.t) }) // newest first
		if len(evs) > l.maxPer {
			evs = evs[:l.maxPer]
		}
		st.byKind[env.Kind] = evs
		for _, r := range l.rules {
			if p, ok := l.link(st, r, env.Kind, ev.Time, env.ID); ok {
				out = append(out, p)
			}
		}
	}
	if l.added++; l.added%1024 == 0 {
		l.forget()
	}
	l.mu.Unlock()
	for _, p := range out {
		if err := emit(p); err != nil {
			return err
		}
	}
	return nil
}

// link checks rule r for the record (kind, t, id) of subject st.
func (l *Linker) link(st *linkState, r LinkRule, kind string, t time.Time, id string) (schema.Product, bool) {
	if !slices.Contains(r.Kinds, kind) {
		return schema.Product{}, false
	}
	ids := []string{id}
	from, to := t, t
	for _, k := range r.Kinds {
		if k == kind {
			continue
		}
		best, found := linkEvent{}, false
		for _, e := range st.byKind[k] {
			if d := e.t.Sub(t).Abs(); d <= r.Within && (!found || d < best.t.Sub(t).Abs()) {
				best, found = e, true
			}
		}
		if !found {
			return schema.Product{}, false
		}
		ids = append(ids, best.id)
		from, to = minTime(from, best.t), maxTime(to, best.t)
	}
	set := slices.Clone(ids)
	slices.Sort(set)
	key := r.Name + "\x1f" + strings.Join(set, "\x1f")
	if _, done := st.reported[key]; done {
		return schema.Product{}, false
	}
	st.reported[key] = to
	entry := schema.ProductEntry{Subject: st.subject, Score: r.Score, Reasons: []string{r.Name}, EvidenceIDs: ids}
	return l.pc.product(schema.Window{From: from.UTC(), To: to.Add(time.Second).UTC()}, []schema.ProductEntry{entry}), true
}

// forget drops records older than the longest rule span before the newest
// event time, and subjects left with none.
func (l *Linker) forget() {
	cut := l.newest.Add(-l.span)
	for k, st := range l.subjects {
		for kind, evs := range st.byKind {
			evs = slices.DeleteFunc(evs, func(e linkEvent) bool { return e.t.Before(cut) })
			if len(evs) == 0 {
				delete(st.byKind, kind)
			} else {
				st.byKind[kind] = evs
			}
		}
		for key, t := range st.reported {
			if t.Before(cut) {
				delete(st.reported, key)
			}
		}
		if len(st.byKind) == 0 {
			delete(l.subjects, k)
		}
	}
}

// Subjects returns the number of subjects the Linker remembers.
func (l *Linker) Subjects() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.subjects)
}

// Flush emits nothing: links are reported as they complete.
func (l *Linker) Flush(ctx context.Context, emit func(schema.Product) error) error { return nil }

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
