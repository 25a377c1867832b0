package stage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// ListTypes returns the domain lists that products about records of kind
// appear on (the list a general business department makes of its domain,
// or the cross-sector links a specialized department makes): finance to
// abnormal_financial_activity, passengers and freight to their
// trajectories, accounts to flagged_accounts, hazmat purchases to
// hazmat_purchases, entry-exit, inspections and infectious sources to
// abnormal_entry_exit; every kind also to cross_sector_link.
func ListTypes(kind string) []schema.ListType {
	one := map[string]schema.ListType{
		schema.KindFinanceTransaction:   schema.ListAbnormalFinancialActivity,
		schema.KindTransportPassenger:   schema.ListPassengerTrajectory,
		schema.KindTransportFreight:     schema.ListFreightTrajectory,
		schema.KindTelecomAccountReport: schema.ListFlaggedAccounts,
		schema.KindCommerceHazmat:       schema.ListHazmatPurchases,
		schema.KindCustomsEntryExit:     schema.ListAbnormalEntryExit,
		schema.KindCustomsInspection:    schema.ListAbnormalEntryExit,
		schema.KindHealthInfectious:     schema.ListAbnormalEntryExit,
	}
	if lt, ok := one[kind]; ok {
		return []schema.ListType{lt, schema.ListCrossSectorLink}
	}
	return []schema.ListType{schema.ListCrossSectorLink}
}

// recordKinds are the kinds ListTypes maps to a domain list of their own.
var recordKinds = []string{
	schema.KindFinanceTransaction, schema.KindTransportPassenger, schema.KindTransportFreight, schema.KindTelecomAccountReport,
	schema.KindCommerceHazmat, schema.KindCustomsEntryExit, schema.KindCustomsInspection, schema.KindHealthInfectious,
}

// listSector is the sector whose action applies to an entry of a list.
func listSector(lt schema.ListType) collab.Sector {
	switch lt {
	case schema.ListAbnormalFinancialActivity:
		return collab.SectorFinance
	case schema.ListPassengerTrajectory, schema.ListFreightTrajectory:
		return collab.SectorTransport
	case schema.ListFlaggedAccounts:
		return collab.SectorTelecom
	case schema.ListHazmatPurchases:
		return collab.SectorCommerce
	case schema.ListAbnormalEntryExit:
		return collab.SectorCustoms
	}
	return collab.SectorSecurity
}

// ApplierConfig configures a ProductApplier.
type ApplierConfig struct {
	// Directory says who the applying organization is. Required.
	Directory *collab.Directory
	// Org is the organization applying products: a specialized
	// department applies them directly, a general business department
	// decides to handle or escalate (collab.Decide). Required.
	Org string
	// Catalog holds the existing products Meets queries (local, or remote
	// catalogs behind the same interface). Required for Meets.
	Catalog collab.Catalog
	// Policy decides for a general business department; default
	// collab.DefaultEscalationPolicy().
	Policy collab.EscalationPolicy
	// MinScore is the lowest entry score acted on; default 0.5.
	MinScore float64
	// MinEntries is how many entries the products of a list must hold
	// together, in the requirement's window, for Meets to count the list
	// as covered; default 1.
	MinEntries int
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger gets a line per decision at debug level; default silent.
	Logger *slog.Logger
}

// Validate names every field out of range.
func (c ApplierConfig) Validate() error {
	var errs []error
	if c.Directory == nil {
		errs = append(errs, errors.New("stage: applier: Directory is nil"))
	} else if o, ok := c.Directory.Org(c.Org); !ok {
		errs = append(errs, fmt.Errorf("stage: applier: Org %q is not in the directory", c.Org))
	} else if o.Tier != collab.SpecializedDepartment && o.Tier != collab.GeneralBusinessDepartment {
		errs = append(errs, fmt.Errorf("stage: applier: Org %q is a %s; only departments apply products", c.Org, o.Tier))
	}
	if c.MinScore < 0 || c.MinScore > 1 {
		errs = append(errs, fmt.Errorf("stage: applier: MinScore is %v; it must be in [0, 1]", c.MinScore))
	}
	if c.MinEntries < 0 {
		errs = append(errs, fmt.Errorf("stage: applier: MinEntries is %d; it must not be negative", c.MinEntries))
	}
	return errors.Join(errs...)
}

// ApplyDecision is what the application stage did with an entry.
type ApplyDecision string

// The application decisions.
const (
	// ApplyAct: a specialized department applied the entry directly,
	// with the action of the list's sector.
	ApplyAct ApplyDecision = "act"
	// ApplyHandleHere: a general business department handles it itself
	// (Escalation holds the notice and its action).
	ApplyHandleHere ApplyDecision = "handle_here"
	// ApplyEscalate: a general business department escalates it
	// (interaction 5; Escalation holds it).
	ApplyEscalate ApplyDecision = "escalate"
)

// Application is one decision of the application stage about one entry.
type Application struct {
	// Decision is what was done with the entry.
	Decision ApplyDecision
	// ProductID and Subject name the entry: its product and its subject.
	ProductID string
	Subject   schema.Subject
	// Action is the action applied (ApplyAct and ApplyHandleHere).
	Action schema.EscalationAction
	// Escalation is the decision of a general business department, to
	// send and journal (collab.EscalationEntries).
	Escalation *schema.Escalation
}

// ProductApplier is the application stage (study, 4.2.5): Meets decides
// whether existing products meet a requirement, or what is missing to
// feed back to planning; Apply acts on a product's entries. It is an
// Applier[Application] and safe for concurrent use.
type ProductApplier struct {
	cfg  ApplierConfig
	tier collab.Tier
}

var _ Applier[Application] = (*ProductApplier)(nil)

// NewApplier returns an applier, or the configuration's problems.
func NewApplier(cfg ApplierConfig) (*ProductApplier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Policy == nil {
		cfg.Policy = collab.DefaultEscalationPolicy()
	}
	if cfg.MinScore == 0 {
		cfg.MinScore = 0.5
	}
	if cfg.MinEntries == 0 {
		cfg.MinEntries = 1
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	o, _ := cfg.Directory.Org(cfg.Org)
	return &ProductApplier{cfg: cfg, tier: o.Tier}, nil
}

// Apply acts on every entry of p scoring at least MinScore, highest first
// as the product lists them: a specialized department applies it directly
// with its list's sector action (collab.SectorAction); a general business
// department decides with collab.Decide (evidence: the product and the
// entry's records), handling it here or escalating.
func (a *ProductApplier) Apply(ctx context.Context, p schema.Product) ([]Application, error) {
	var out []Application
	for _, e := range p.Entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if e.Score < a.cfg.MinScore {
			continue
		}
		app := Application{ProductID: p.ID, Subject: e.Subject}
		if a.tier == collab.SpecializedDepartment {
			app.Decision, app.Action = ApplyAct, collab.SectorAction(listSector(p.ListType))
		} else {
			kinds := []string{schema.KindProduct}
			for _, k := range recordKinds {
				if ListTypes(k)[0] == p.ListType {
					kinds = append(kinds, k)
				}
			}
			esc, err := collab.Decide(ctx, a.cfg.Directory, a.cfg.Org, a.cfg.Policy, collab.Case{
				Subjects: []schema.Subject{e.Subject}, EvidenceIDs: append([]string{p.ID}, e.EvidenceIDs...),
				EvidenceKinds: kinds, Score: e.Score, Reasons: e.Reasons, TaskID: p.TaskID, RequirementID: p.RequirementID,
			}, a.cfg.Now())
			if err != nil {
				return nil, fmt.Errorf("stage: apply product %s: entry %s: %w", p.ID, e.Subject.Pseudonym, err)
			}
			app.Escalation = &esc
			app.Decision, app.Action = ApplyEscalate, ""
			if esc.Decision == schema.EscalationHandleHere {
				app.Decision, app.Action = ApplyHandleHere, esc.Action
			}
		}
		a.cfg.Logger.Debug("applied", "product", p.ID, "decision", app.Decision, "action", app.Action)
		out = append(out, app)
	}
	return out, nil
}

// Coverage is Meets's answer.
type Coverage struct {
	// Met is true when every list the requirement's kinds call for has
	// products in its window with at least MinEntries entries.
	Met bool
	// Products are the products found, per list, in produced_at order.
	Products map[schema.ListType][]schema.Product
	// Missing are the lists with too few entries, sorted.
	Missing []schema.ListType
	// Recommendations are what to feed back to planning when not Met: an
	// add_task naming what is missing (PlanInput.Recommendations).
	Recommendations []schema.FeedbackRecommendation
}

// Meets queries the catalog for the products a requirement calls for:
// for each kind of its scope, the lists of ListTypes but cross-sector
// links (which any kind may produce, and only a specialized department
// makes), products whose period overlaps the requirement's window and
// that were produced by now. A requirement whose kinds call for no list
// but cross-sector links looks for those.
func (a *ProductApplier) Meets(ctx context.Context, req schema.Requirement) (Coverage, error) {
	if a.cfg.Catalog == nil {
		return Coverage{}, errors.New("stage: applier: Meets needs a Catalog; set ApplierConfig.Catalog")
	}
	var lists []schema.ListType
	for _, k := range req.Scope.Kinds {
		for _, lt := range ListTypes(k) {
			if lt != schema.ListCrossSectorLink && !slices.Contains(lists, lt) {
				lists = append(lists, lt)
			}
		}
	}
	if len(lists) == 0 {
		lists = []schema.ListType{schema.ListCrossSectorLink}
	}
	slices.Sort(lists)
	now := a.cfg.Now()
	as := Coverage{Products: map[schema.ListType][]schema.Product{}}
	for _, lt := range lists {
		entries := 0
		q := collab.ProductQuery{ListType: lt, From: req.Scope.Window.From, To: now.Add(time.Nanosecond), Limit: collab.MaxQueryLimit}
		for {
			page, err := a.cfg.Catalog.Query(ctx, q)
			if err != nil {
				return Coverage{}, fmt.Errorf("stage: applier: query %s products: %w", lt, err)
			}
			for _, p := range page.Products {
				if p.Period.From.Before(req.Scope.Window.To) && p.Period.To.After(req.Scope.Window.From) {
					as.Products[lt] = append(as.Products[lt], p)
					entries += len(p.Entries)
				}
			}
			if page.Next == "" {
				break
			}
			q.Cursor = page.Next
		}
		if entries < a.cfg.MinEntries {
			as.Missing = append(as.Missing, lt)
		}
	}
	as.Met = len(as.Missing) == 0
	if !as.Met {
		names := make([]string, len(as.Missing))
		for i, lt := range as.Missing {
			names[i] = string(lt)
		}
		as.Recommendations = []schema.FeedbackRecommendation{{
			Type: schema.RecommendAddTask,
			Note: fmt.Sprintf("Existing products do not meet requirement %s: no %s with %d or more entries since %s; task collection and analysis for them.",
				req.ID, strings.Join(names, ", "), a.cfg.MinEntries, req.Scope.Window.From.UTC().Format(time.DateOnly)),
		}}
	}
	return as, nil
}
