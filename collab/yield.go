package collab

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sicollab/sicollab/schema"
)

// ErrBadEntryFeedback: CheckEntryFeedback of feedback that does not fit
// the product it names (another producer, a subject not on the list) or
// comes from an organization that may not give it.
var ErrBadEntryFeedback = errors.New("collab: bad entry feedback")

// CheckEntryFeedback checks a collab.entry_feedback before its producer
// counts it: it validates against the schema; by is an organization of
// the directory other than the producer; the product is in the catalog,
// produced by the producer the feedback names, with an entry about the
// subject. Every problem wraps ErrBadEntryFeedback (or ErrNotFound for an
// unknown product).
func CheckEntryFeedback(ctx context.Context, dir *Directory, cat Catalog, f schema.EntryFeedback) error {
	if _, err := validatePayload(schema.KindEntryFeedback, f); err != nil {
		return fmt.Errorf("%w: %w", ErrBadEntryFeedback, err)
	}
	if _, ok := dir.Org(f.By); !ok {
		return fmt.Errorf("%w: /by: %q is not in the directory (version %d)", ErrBadEntryFeedback, f.By, dir.Version())
	}
	if f.By == f.Producer {
		return fmt.Errorf("%w: /by: %q gives feedback on its own product; only consumers do", ErrBadEntryFeedback, f.By)
	}
	p, err := cat.Get(ctx, f.ProductID)
	if err != nil {
		return fmt.Errorf("collab: entry feedback %s: product %s: %w", f.ID, f.ProductID, err)
	}
	if p.Producer != f.Producer {
		return fmt.Errorf("%w: /producer: product %s was produced by %q, not %q", ErrBadEntryFeedback, p.ID, p.Producer, f.Producer)
	}
	if !hasSubject(p, f.Subject.Pseudonym) {
		return fmt.Errorf("%w: /subject/pseudonym: product %s has no entry about %s", ErrBadEntryFeedback, p.ID, f.Subject.Pseudonym)
	}
	return nil
}

// EntryOfEntryFeedback returns the journal entry of a verdict: Kind
// collab.entry_feedback, Org the consumer, Counterpart the producer, Ref
// the feedback's id, no interaction (feedback on a product is not one of
// the five).
func EntryOfEntryFeedback(f schema.EntryFeedback) (Entry, error) {
	return messageEntry(schema.KindEntryFeedback, InteractionNone, f.At, f.By, f.Producer, f.ID, f)
}

// ReceiveEntryFeedback is the producer's side of a verdict: it checks f
// (CheckEntryFeedback) and journals it (EntryOfEntryFeedback), so that the
// producer's work reports count it in its sources' yield. A verdict
// received twice counts once (YieldTally keeps one of each verdict per
// entry).
func ReceiveEntryFeedback(ctx context.Context, dir *Directory, cat Catalog, j Journal, f schema.EntryFeedback) error {
	if err := CheckEntryFeedback(ctx, dir, cat, f); err != nil {
		return err
	}
	e, err := EntryOfEntryFeedback(f)
	if err != nil {
		return err
	}
	if _, err := j.Append(ctx, e); err != nil {
		return fmt.Errorf("collab: entry feedback %s: %w", f.ID, err)
	}
	return nil
}

// EntryOfFeedbackReport returns the journal entry of a work report sent to
// to (the leading group, or a specialized department): by the reporter,
// at produced_at, about the report's id, with the report as its data, as
// interaction 2 (a report goes up like a submission, and a hub journals
// it so). A stage.JournalFeedbacker with ReadReports reads these.
func EntryOfFeedbackReport(r schema.FeedbackReport, to string) (Entry, error) {
	return messageEntry(schema.KindFeedbackReport, InteractionSubmission, r.ProducedAt, r.Reporter, to, r.ID, r)
}

// SourceYield is what one source's records came to: records -> entries
// on products -> verdicts on those entries.
type SourceYield struct {
	// Source is the collecting organization.
	Source string
	// Records is how many of its records were taken in.
	Records int
	// Entries counts product entries with at least one of its records
	// among their evidence.
	Entries int
	// Confirmed, FalsePositive and ActedOn count those entries by the
	// verdicts consumers gave (an entry with several verdicts counts
	// under each once).
	Confirmed, FalsePositive, ActedOn int
}

// Useful is the number of its entries that consumers confirmed or acted
// on.
func (y SourceYield) Useful() int { return y.Confirmed + y.ActedOn }

// YieldTally counts sources' yield from the records taken in, the
// products made and the verdicts on their entries, in any order. It is
// not safe for concurrent use.
type YieldTally struct {
	records  map[string]int
	entries  map[entryKey][]string // product entry -> its sources
	verdicts map[entryKey]map[schema.EntryVerdict]bool
}

type entryKey struct{ product, pseudonym string }

// NewYieldTally returns an empty tally.
func NewYieldTally() *YieldTally {
	return &YieldTally{records: map[string]int{}, entries: map[entryKey][]string{}, verdicts: map[entryKey]map[schema.EntryVerdict]bool{}}
}

// Records counts n records of source taken in.
func (t *YieldTally) Records(source string, n int) {
	if n > 0 {
		t.records[source] += n
	}
}

// Product counts the entries of p for the sources of their evidence;
// sourceOf names the source of an evidence record (false for a record it
// does not know, which is not counted). A product seen twice counts once.
func (t *YieldTally) Product(p schema.Product, sourceOf func(recordID string) (string, bool)) {
	for _, e := range p.Entries {
		k := entryKey{p.ID, e.Subject.Pseudonym}
		if _, ok := t.entries[k]; ok {
			continue
		}
		var srcs []string
		for _, id := range e.EvidenceIDs {
			if s, ok := sourceOf(id); ok && !slices.Contains(srcs, s) {
				srcs = append(srcs, s)
			}
		}
		t.entries[k] = srcs
	}
}

// Feedback counts a verdict on an entry; verdicts on entries of products
// the tally has not seen count for no source.
func (t *YieldTally) Feedback(f schema.EntryFeedback) {
	k := entryKey{f.ProductID, f.Subject.Pseudonym}
	if t.verdicts[k] == nil {
		t.verdicts[k] = map[schema.EntryVerdict]bool{}
	}
	t.verdicts[k][f.Verdict] = true
}

// Yields returns every source's yield, sorted by source.
func (t *YieldTally) Yields() []SourceYield {
	by := map[string]*SourceYield{}
	get := func(s string) *SourceYield {
		if by[s] == nil {
			by[s] = &SourceYield{Source: s}
		}
		return by[s]
	}
	for s, n := range t.records {
		get(s).Records = n
	}
	for k, srcs := range t.entries {
		v := t.verdicts[k]
		for _, s := range srcs {
			y := get(s)
			y.Entries++
			if v[schema.VerdictConfirmed] {
				y.Confirmed++
			}
			if v[schema.VerdictFalsePositive] {
				y.FalsePositive++
			}
			if v[schema.VerdictActedOn] {
				y.ActedOn++
			}
		}
	}
	out := make([]SourceYield, 0, len(by))
	for _, y := range by {
		out = append(out, *y)
	}
	slices.SortFunc(out, func(a, b SourceYield) int { return strings.Compare(a.Source, b.Source) })
	return out
}

// YieldPolicy turns sources' yields into collection recommendations.
type YieldPolicy struct {
	// MinRecords is how many records a source must have sent before it
	// is judged unproductive for having no entry. Default 1000.
	MinRecords int
	// MinVerdicts is how many of a source's entries must carry a verdict
	// before its entries are judged. Default 3.
	MinVerdicts int
	// RaiseShare is the share of a source's judged entries confirmed or
	// acted on at or above which its collection is made faster.
	// Default 0.5.
	RaiseShare float64
	// StopShare is the share of a source's judged entries found false
	// positives at or above which, with none confirmed or acted on,
	// collection from it stops. Default 0.8.
	StopShare float64
}

// DefaultYieldPolicy returns the defaults.
func DefaultYieldPolicy() YieldPolicy {
	return YieldPolicy{MinRecords: 1000, MinVerdicts: 3, RaiseShare: 0.5, StopShare: 0.8}
}

// Validate names every field out of range.
func (p YieldPolicy) Validate() error {
	var errs []error
	if p.MinRecords < 1 {
		errs = append(errs, fmt.Errorf("collab: yield policy: MinRecords is %d; it must be at least 1", p.MinRecords))
	}
	if p.MinVerdicts < 1 {
		errs = append(errs, fmt.Errorf("collab: yield policy: MinVerdicts is %d; it must be at least 1", p.MinVerdicts))
	}
	if !(p.RaiseShare > 0 && p.RaiseShare <= 1) {
		errs = append(errs, fmt.Errorf("collab: yield policy: RaiseShare is %v; it must be in (0, 1]", p.RaiseShare))
	}
	if !(p.StopShare > 0 && p.StopShare <= 1) {
		errs = append(errs, fmt.Errorf("collab: yield policy: StopShare is %v; it must be in (0, 1]", p.StopShare))
	}
	return errors.Join(errs...)
}

// Recommend returns the collection recommendations for plan that the
// yields call for, one rule per source, checked in this order:
//
//  1. stop: at least MinVerdicts of its entries judged, none confirmed or
//     acted on, and at least StopShare of its entries false positives:
//     stop_source;
//  2. raise: at least MinVerdicts judged and at least RaiseShare of its
//     entries confirmed or acted on: adjust_frequency one step faster
//     (Faster) than the source collects now;
//  3. lower: at least MinRecords records and no entry at all:
//     adjust_frequency one step slower (Slower).
//
// A source is considered only for the plan's kinds it collects: those of
// the collection items that name it, or, when it is named nowhere, of the
// items that name no one (every organization of the scope). The
// recommendations name the plan, the source, the kind and (for a
// frequency) the new frequency; their notes give the numbers. A source at
// the fastest or slowest frequency already gets no recommendation.
func (p YieldPolicy) Recommend(plan schema.Plan, yields []SourceYield) ([]schema.FeedbackRecommendation, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var out []schema.FeedbackRecommendation
	for _, y := range yields {
		items := sourceItems(plan, y.Source)
		if len(items) == 0 {
			continue
		}
		judged := y.Confirmed + y.ActedOn + y.FalsePositive
		useful := y.Useful()
		switch {
		case judged >= p.MinVerdicts && useful == 0 && float64(y.FalsePositive) >= p.StopShare*float64(y.Entries):
			for _, kind := range itemKinds(items) {
				out = append(out, schema.FeedbackRecommendation{
					Type: schema.RecommendStopSource, TargetID: plan.ID, Source: y.Source, Kind: kind,
					Note: fmt.Sprintf("%d of %d entries from %s found false positives, none confirmed: stop collecting %s from it.", y.FalsePositive, y.Entries, y.Source, kind),
				})
			}
		case judged >= p.MinVerdicts && float64(useful) >= p.RaiseShare*float64(y.Entries):
			for _, it := range items {
				if f, ok := Faster(it.Frequency); ok {
					out = append(out, schema.FeedbackRecommendation{
						Type: schema.RecommendAdjustFrequency, TargetID: plan.ID, Source: y.Source, Kind: it.Kind, Frequency: f,
						Note: fmt.Sprintf("%d of %d entries from %s confirmed or acted on, from %d records: collect %s %s instead of %s.", useful, y.Entries, y.Source, y.Records, it.Kind, f, it.Frequency),
					})
				}
			}
		case y.Records >= p.MinRecords && y.Entries == 0:
			for _, it := range items {
				if f, ok := Slower(it.Frequency); ok {
					out = append(out, schema.FeedbackRecommendation{
						Type: schema.RecommendAdjustFrequency, TargetID: plan.ID, Source: y.Source, Kind: it.Kind, Frequency: f,
						Note: fmt.Sprintf("%d records from %s and no entry on any list: collect %s %s instead of %s.", y.Records, y.Source, it.Kind, f, it.Frequency),
					})
				}
			}
		}
	}
	return out, nil
}

// sourceItems returns, one per kind, the collection items of plan by which
// source collects: those naming it, else those naming no one.
func sourceItems(plan schema.Plan, source string) []schema.PlanCollectionItem {
	var named, open []schema.PlanCollectionItem
	for _, it := range plan.Collection {
		switch {
		case slices.Contains(it.AssignedTo, source):
			named = append(named, it)
		case len(it.AssignedTo) == 0:
			open = append(open, it)
		}
	}
	items := named
	if len(named) == 0 {
		items = open
	}
	seen := map[string]bool{}
	return slices.DeleteFunc(slices.Clone(items), func(it schema.PlanCollectionItem) bool {
		dup := seen[it.Kind]
		seen[it.Kind] = true
		return dup
	})
}

func itemKinds(items []schema.PlanCollectionItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Kind)
	}
	return out
}
