package stage

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/sicollab/sicollab/schema"
)

// Assessment is the value of one record.
type Assessment struct {
	// Score combines the rules' scores as independent evidence:
	// 1 - (1-s1)(1-s2)...; 0 when no rule scored.
	Score float64
	// Reasons are the reasons of the rules that scored above 0, in rule
	// order.
	Reasons []string
}

// AssessConfig configures NewAssessor.
type AssessConfig struct {
	// Rules score the record; at least one is required.
	Rules []Rule
	// Threshold is the lowest score that passes, from 0 to 1; records
	// below are dropped under ReasonLowValue. 0 passes everything.
	Threshold float64
	// OnAssess, if set, is called with every record's assessment, passed
	// or not (concurrently when the processor is).
	OnAssess func(env schema.Envelope, a Assessment)
}

// Validate reports what is wrong with c.
func (c AssessConfig) Validate() error {
	var errs []string
	if len(c.Rules) == 0 {
		errs = append(errs, "Rules: at least one is required, got none")
	}
	for i, r := range c.Rules {
		if r == nil {
			errs = append(errs, fmt.Sprintf("Rules[%d]: got nil", i))
		}
	}
	if !(c.Threshold >= 0 && c.Threshold <= 1) {
		errs = append(errs, fmt.Sprintf("Threshold: must be from 0 to 1, got %v", c.Threshold))
	}
	if len(errs) > 0 {
		return fmt.Errorf("stage: assess config: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Assessor scores records with rules (the scheme's "assessing value").
// It is a processor, dropping records below the threshold under
// ReasonLowValue, and can be called directly by analyzers. It is safe for
// concurrent use if its rules are.
type Assessor struct {
	cfg AssessConfig
}

// NewAssessor returns an Assessor.
func NewAssessor(cfg AssessConfig) (*Assessor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Assessor{cfg: cfg}, nil
}

// Assess scores env.
func (a *Assessor) Assess(ctx context.Context, env schema.Envelope) (Assessment, error) {
	keep := 1.0
	var out Assessment
	for i, r := range a.cfg.Rules {
		s, reason, err := r.Assess(ctx, env)
		if err != nil {
			return Assessment{}, fmt.Errorf("stage: assess %s: rule %d: %w", env.ID, i, err)
		}
		if math.IsNaN(s) {
			s = 0
		}
		s = min(max(s, 0), 1)
		if s > 0 {
			keep *= 1 - s
			out.Reasons = append(out.Reasons, reason)
		}
	}
	out.Score = 1 - keep
	return out, nil
}

// Process passes env if its score reaches the threshold.
func (a *Assessor) Process(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error {
	as, err := a.Assess(ctx, env)
	if err != nil {
		return err
	}
	if a.cfg.OnAssess != nil {
		a.cfg.OnAssess(env, as)
	}
	if as.Score < a.cfg.Threshold {
		return DropWith(ReasonLowValue, fmt.Errorf("score %.3f below %.3f", as.Score, a.cfg.Threshold))
	}
	emit(env)
	return nil
}

// KindRule scores a record by its kind: weights[kind], reason "kind
// <kind>". Kinds not in weights score 0.
func KindRule(weights map[string]float64) Rule {
	return RuleFunc(func(ctx context.Context, env schema.Envelope) (float64, string, error) {
		return weights[env.Kind], "kind " + env.Kind, nil
	})
}

// IndicatorRule scores what the source itself flagged: each indicator of
// a finance transaction or hazmat purchase, each customs finding other
// than "none", a flagged account's category other than "other", and a
// suspected deliberate release of an infectious source count as one
// signal; n signals score 1-(1-per)^n, reason "flagged by source".
func IndicatorRule(per float64) Rule {
	return RuleFunc(func(ctx context.Context, env schema.Envelope) (float64, string, error) {
		d, err := decodePayload(&env)
		if err != nil {
			return 0, "", err
		}
		defer d.release()
		n := 0
		switch r := d.p.(type) {
		case *schema.FinanceTransaction:
			n = len(r.Indicators)
		case *schema.HazmatPurchase:
			n = len(r.Indicators)
		case *schema.Inspection:
			for _, f := range r.Findings {
				if f != schema.CustomsFindingNone {
					n++
				}
			}
		case *schema.AccountReport:
			if r.Category != schema.AccountOtherCategory {
				n = 1
			}
		case *schema.InfectiousSource:
			if r.SuspectedSource == schema.HealthSourceDeliberateRelease {
				n = 1
			}
		}
		return 1 - math.Pow(1-min(max(per, 0), 1), float64(n)), "flagged by source", nil
	})
}
