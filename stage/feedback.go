package stage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// FeedbackerConfig configures a JournalFeedbacker.
type FeedbackerConfig struct {
	// Reporter is the organization whose work is reported. Required.
	Reporter string
	// Type is monthly, annual or task. Required; task needs TaskID.
	Type   schema.FeedbackType
	TaskID string
	// Plan, if set, is the plan whose sources' yield the report judges:
	// Yield's recommendations for it are added (raise, lower, stop).
	Plan *schema.Plan
	// Yield is the policy for those; default collab.DefaultYieldPolicy().
	Yield *collab.YieldPolicy
	// SourceOf names the source of a record behind a product entry;
	// without it, entries count for no source. Records are counted by
	// the organization that submitted them to the reporter (the sender of
	// its interaction-2 outcomes), so SourceOf should name that
	// organization too: the record's source at a general business
	// department, the relaying ministry (the provenance hop before the
	// reporter) at a specialized department.
	SourceOf func(recordID string) (string, bool)
	// ReadReports makes the report read the work reports others sent the
	// reporter in the period (the leading group "applies departmental
	// work reports"): collab.feedback_report entries (EntryOfFeedbackReport)
	// addressed to the reporter or to no one; a finding for each, and
	// their recommendations for Plan carried on.
	ReadReports bool
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Validate names every field out of range.
func (c FeedbackerConfig) Validate() error {
	var errs []error
	if c.Reporter == "" {
		errs = append(errs, errors.New("stage: feedbacker: Reporter is empty"))
	}
	switch c.Type {
	case schema.FeedbackMonthly, schema.FeedbackAnnual:
	case schema.FeedbackTask:
		if c.TaskID == "" {
			errs = append(errs, errors.New("stage: feedbacker: Type is task and TaskID is empty"))
		}
	default:
		errs = append(errs, fmt.Errorf("stage: feedbacker: Type is %q; use monthly, annual or task", c.Type))
	}
	if c.Yield != nil {
		if err := c.Yield.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("stage: feedbacker: Yield: %w", err))
		}
	}
	return errors.Join(errs...)
}

// JournalFeedbacker is the feedback stage (study, 4.2.6): task-oriented
// and regular (monthly, annual) work reports from the journal
// (collab.TaskReport, MonthlyReport, AnnualReport), with each source's
// yield judged for the plan and, for the leading group, its reading of
// the departments' reports. It is a Feedbacker, safe for concurrent use.
type JournalFeedbacker struct {
	cfg FeedbackerConfig
	v   *schema.Validator
}

var _ Feedbacker = (*JournalFeedbacker)(nil)

// NewFeedbacker returns a feedbacker, or the configuration's problems.
func NewFeedbacker(cfg FeedbackerConfig) (*JournalFeedbacker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Yield == nil {
		p := collab.DefaultYieldPolicy()
		cfg.Yield = &p
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	v, err := schema.NewValidator()
	if err != nil {
		return nil, fmt.Errorf("stage: feedbacker: %w", err)
	}
	return &JournalFeedbacker{cfg: cfg, v: v}, nil
}

// seqJournal reads a sequence of entries as a journal; it cannot append.
type seqJournal struct {
	seq iter.Seq2[collab.Entry, error]
}

func (j seqJournal) Append(context.Context, collab.Entry) (uint64, error) {
	return 0, errors.New("stage: feedbacker: the journal is read-only here")
}

func (j seqJournal) Entries(_ context.Context, from uint64) iter.Seq2[collab.Entry, error] {
	return func(yield func(collab.Entry, error) bool) {
		for e, err := range j.seq {
			if err == nil && e.Seq < from {
				continue
			}
			if !yield(e, err) || err != nil {
				return
			}
		}
	}
}

// Feedback makes the report for period (the month or year it begins, for
// regular reports; ignored for a task report, which runs from the task's
// issue). entries must be re-readable (a journal's Entries is): the
// report reads them more than once. On top of what collab's reports count
// and recommend:
//
//   - yield, when Plan is set: records the reporter took in from each
//     sender (its interaction-2 outcomes), entries of the reporter's
//     products per source of their evidence (SourceOf), and the verdicts
//     consumers sent back (collab.entry_feedback to the reporter); a
//     finding per source and Yield's recommendations for Plan;
//   - with ReadReports, the work reports received in the period from
//     others: a finding for each and their recommendations aimed at Plan.
//
// The report validates against collab.feedback_report; at most
// collab.MaxRecommendations are kept.
func (f *JournalFeedbacker) Feedback(ctx context.Context, period schema.Window, entries iter.Seq2[collab.Entry, error]) (schema.FeedbackReport, error) {
	j := seqJournal{entries}
	now := f.cfg.Now()
	var rep schema.FeedbackReport
	var err error
	switch f.cfg.Type {
	case schema.FeedbackMonthly:
		rep, err = collab.MonthlyReport(ctx, j, f.cfg.Reporter, period.From, now)
	case schema.FeedbackAnnual:
		rep, err = collab.AnnualReport(ctx, j, f.cfg.Reporter, period.From, now)
	default:
		rep, err = collab.TaskReport(ctx, j, f.cfg.Reporter, f.cfg.TaskID, now)
	}
	if err != nil {
		return schema.FeedbackReport{}, fmt.Errorf("stage: feedback of %s: %w", f.cfg.Reporter, err)
	}
	tally := collab.NewYieldTally()
	for e, err := range entries {
		if err != nil {
			return schema.FeedbackReport{}, fmt.Errorf("stage: feedback of %s: %w", f.cfg.Reporter, err)
		}
		if !rep.Period.Contains(e.At) {
			continue
		}
		if err := f.take(e, tally, &rep); err != nil {
			return schema.FeedbackReport{}, fmt.Errorf("stage: feedback of %s: journal entry %d (%s): %w", f.cfg.Reporter, e.Seq, e.Kind, err)
		}
	}
	if f.cfg.Plan != nil {
		for _, y := range tally.Yields() {
			rep.Findings = append(rep.Findings, fmt.Sprintf("Yield of %s: %d records, %d entries, %d confirmed, %d acted on, %d false positives.",
				y.Source, y.Records, y.Entries, y.Confirmed, y.ActedOn, y.FalsePositive))
		}
		recs, err := f.cfg.Yield.Recommend(*f.cfg.Plan, tally.Yields())
		if err != nil {
			return schema.FeedbackReport{}, fmt.Errorf("stage: feedback of %s: %w", f.cfg.Reporter, err)
		}
		rep.Recommendations = appendRecs(rep.Recommendations, recs...)
	}
	if len(rep.Findings) > 100 {
		rep.Findings = append(rep.Findings[:99], fmt.Sprintf("%d further findings left out.", len(rep.Findings)-99))
	}
	if len(rep.Recommendations) == 0 {
		rep.Recommendations = nil
	}
	raw, err := json.Marshal(rep)
	if err == nil {
		err = f.v.ValidatePayload(schema.KindFeedbackReport, 1, raw)
	}
	if err != nil {
		return schema.FeedbackReport{}, fmt.Errorf("stage: feedback of %s: the report does not validate: %w", f.cfg.Reporter, err)
	}
	return rep, nil
}

// take adds one entry of the period to the tally or the report.
func (f *JournalFeedbacker) take(e collab.Entry, tally *collab.YieldTally, rep *schema.FeedbackReport) error {
	switch {
	case e.Kind == collab.EntryRecordsOutcome && e.Counterpart == f.cfg.Reporter && e.Interaction == collab.InteractionSubmission:
		var o collab.RecordsOutcome
		if err := json.Unmarshal(e.Data, &o); err != nil {
			return err
		}
		tally.Records(e.Org, o.Accepted)
	case e.Kind == schema.KindProduct && e.Org == f.cfg.Reporter && f.cfg.SourceOf != nil:
		var p schema.Product
		if err := json.Unmarshal(e.Data, &p); err != nil {
			return err
		}
		tally.Product(p, f.cfg.SourceOf)
	case e.Kind == schema.KindEntryFeedback && e.Counterpart == f.cfg.Reporter:
		var v schema.EntryFeedback
		if err := json.Unmarshal(e.Data, &v); err != nil {
			return err
		}
		tally.Feedback(v)
	case e.Kind == schema.KindFeedbackReport && f.cfg.ReadReports && e.Org != f.cfg.Reporter &&
		(e.Counterpart == f.cfg.Reporter || e.Counterpart == ""):
		var r schema.FeedbackReport
		if err := json.Unmarshal(e.Data, &r); err != nil {
			return err
		}
		c := r.Counts
		rep.Findings = append(rep.Findings, fmt.Sprintf("Work report of %s (%s): %d records submitted, %d products, %d escalations, %d actions, %d of %d tasks late.",
			r.Reporter, r.Type, c.RecordsSubmitted, c.Products, c.Escalations, c.Actions, c.TasksLate, c.TasksDone+c.TasksLate+c.TasksFailed))
		if f.cfg.Plan != nil {
			for _, rec := range r.Recommendations {
				if rec.TargetID == f.cfg.Plan.ID || (rec.Type == schema.RecommendAddTask && rec.TargetID == "") {
					rec.Note = clipNote("From " + r.Reporter + ": " + rec.Note)
					rep.Recommendations = appendRecs(rep.Recommendations, rec)
				}
			}
		}
	}
	return nil
}

// appendRecs appends recommendations not already there, up to the most a
// report carries.
func appendRecs(to []schema.FeedbackRecommendation, recs ...schema.FeedbackRecommendation) []schema.FeedbackRecommendation {
	for _, r := range recs {
		if len(to) >= collab.MaxRecommendations {
			break
		}
		if !slices.Contains(to, r) {
			to = append(to, r)
		}
	}
	return to
}

func clipNote(s string) string {
	if r := []rune(s); len(r) > 2000 {
		return string(r[:1999]) + "…"
	}
	return s
}
