package collab

import (
	"errors"
	"fmt"
	"slices"

	"github.com/sicollab/sicollab/schema"
)

// ErrHorizon: ReviseFromFeedback of a regular report that does not adjust
// plans of the plan's horizon (a monthly report and the long-term macro
// plan, an annual report and a short-term plan).
var ErrHorizon = errors.New("collab: report does not adjust plans of this horizon")

// Horizon returns a plan's horizon: its own, or the one its level implies
// (macro long, department medium, internal short).
func Horizon(p schema.Plan) schema.PlanHorizon {
	if p.Horizon != "" {
		return p.Horizon
	}
	switch p.Level {
	case schema.PlanMacro:
		return schema.HorizonLong
	case schema.PlanInternal:
		return schema.HorizonShort
	}
	return schema.HorizonMedium
}

// Adjusts reports whether a work report of type t adjusts plans of
// horizon h, after the study (4.2.6): monthly reports summarize
// short-term application to adjust medium- and short-term plans; annual
// reports summarize the year to adjust the long-term macro plan; a task
// report, task-oriented feedback, adjusts any plan serving its task.
func Adjusts(t schema.FeedbackType, h schema.PlanHorizon) bool {
	switch t {
	case schema.FeedbackMonthly:
		return h == schema.HorizonShort || h == schema.HorizonMedium
	case schema.FeedbackAnnual:
		return h == schema.HorizonLong
	}
	return true
}

// frequencies, fastest first.
var frequencies = []schema.Frequency{schema.FrequencyRealTime, schema.FrequencyDaily, schema.FrequencyWeekly, schema.FrequencyMonthly}

// Faster returns the next faster collection frequency than f (monthly ->
// weekly -> daily -> real_time), and false when f is real_time already or
// is task.
func Faster(f schema.Frequency) (schema.Frequency, bool) {
	i := slices.Index(frequencies, f)
	if i <= 0 {
		return f, false
	}
	return frequencies[i-1], true
}

// Slower returns the next slower collection frequency than f (real_time ->
// daily -> weekly -> monthly), and false when f is monthly already or is
// task.
func Slower(f schema.Frequency) (schema.Frequency, bool) {
	i := slices.Index(frequencies, f)
	if i < 0 || i == len(frequencies)-1 {
		return f, false
	}
	return frequencies[i+1], true
}

// adjustSource applies an adjust_frequency naming a source: the source's
// collection of the kind moves to the new frequency, in an item of its
// own. The source leaves the items of the kind that name it among others;
// where an item of the kind names no one (every organization of the
// scope's sectors), the source's own item is added beside it. A kind the
// plan does not collect is a widening.
func adjustSource(p *schema.Plan, kind string, r schema.FeedbackRecommendation) error {
	if r.Frequency == "" {
		return errors.New("adjust_frequency names no frequency")
	}
	found := false
	var items []schema.PlanCollectionItem
	for _, item := range p.Collection {
		if item.Kind != kind {
			items = append(items, item)
			continue
		}
		found = true
		switch {
		case len(item.AssignedTo) == 1 && item.AssignedTo[0] == r.Source:
			continue // replaced by the source's own item below
		case slices.Contains(item.AssignedTo, r.Source):
			item.AssignedTo = slices.DeleteFunc(slices.Clone(item.AssignedTo), func(s string) bool { return s == r.Source })
		}
		items = append(items, item)
	}
	if !found {
		return fmt.Errorf("%w: the plan does not collect %q; collecting it is a new plan, not a revision", ErrScopeWidened, kind)
	}
	own := schema.PlanCollectionItem{Kind: kind, Frequency: r.Frequency, AssignedTo: []string{r.Source}, Note: clip(r.Note, 500)}
	p.Collection = append(items, own)
	return nil
}

// stopSource applies a stop_source: the source leaves every item of the
// kind (of every kind, when none is named) that names it; an item left
// with no one is dropped. Where an item names no one, nobody can be left
// out of it, so the stop is passed on to the plan's owner as a
// SourceChange only. Stopping the plan's last collection is an error:
// close the plan instead.
func stopSource(p *schema.Plan, r schema.FeedbackRecommendation) error {
	if r.Source == "" {
		return errors.New("stop_source names no source")
	}
	var items []schema.PlanCollectionItem
	for _, item := range p.Collection {
		if (r.Kind == "" || item.Kind == r.Kind) && slices.Contains(item.AssignedTo, r.Source) {
			item.AssignedTo = slices.DeleteFunc(slices.Clone(item.AssignedTo), func(s string) bool { return s == r.Source })
			if len(item.AssignedTo) == 0 {
				continue
			}
		}
		items = append(items, item)
	}
	if len(items) == 0 {
		return fmt.Errorf("stopping %q leaves the plan collecting nothing; close the plan instead", r.Source)
	}
	p.Collection = items
	return nil
}
