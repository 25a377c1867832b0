package collab

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// Sentinel errors of scopes and plans, for errors.Is.
var (
	// ErrScopeWidened: a scope goes beyond the scope it must stay within (a
	// plan beyond its parent's or its requirement's, a task's kinds beyond
	// its plan's, a revision's collection beyond its plan's kinds).
	// Returned, wrapped in a *ScopeError, by ScopeWithin, CheckMacroPlan,
	// Derive, CheckRevision, Revise and AssignTask, and wrapped with the
	// kind named by ReviseFromFeedback, which never widens what a plan
	// covers.
	ErrScopeWidened = errors.New("collab: scope widened")
	// ErrInvalidPlan: a plan breaks a rule of the scheme. Returned by
	// CheckMacroPlan, Derive, CheckRevision and Revise, one wrapped error per
	// problem.
	ErrInvalidPlan = errors.New("collab: invalid plan")
)

// Dimension names a dimension of a scope in which it can widen.
type Dimension string

// The dimensions of a scope.
const (
	DimensionKinds      Dimension = "kinds"
	DimensionSectors    Dimension = "sectors"
	DimensionRegions    Dimension = "regions"
	DimensionWindowFrom Dimension = "window.from" // the window starts earlier
	DimensionWindowTo   Dimension = "window.to"   // the window ends later
)

// Widening is one dimension in which a scope goes beyond its bound.
type Widening struct {
	// Dimension is the part of the scope that widens.
	Dimension Dimension
	// Values are the scope's values the bound does not have, in the
	// scope's order; for a window dimension, the scope's bound (RFC 3339).
	Values []string
	// Limit is what the bound allows: its values, or its window's bound
	// (RFC 3339).
	Limit []string
}

// String returns, for instance, "kinds: telecom.account_report not among
// finance.transaction" or "window.to: 2027-01-01T00:00:00Z is after
// 2026-12-31T00:00:00Z".
func (w Widening) String() string {
	values, limit := strings.Join(w.Values, ", "), strings.Join(w.Limit, ", ")
	switch w.Dimension {
	case DimensionWindowFrom:
		return fmt.Sprintf("%s: %s is before %s", w.Dimension, values, limit)
	case DimensionWindowTo:
		return fmt.Sprintf("%s: %s is after %s", w.Dimension, values, limit)
	}
	return fmt.Sprintf("%s: %s not among %s", w.Dimension, values, limit)
}

// ScopeError lists every dimension in which a scope widens its bound. It
// wraps ErrScopeWidened.
type ScopeError struct {
	Widenings []Widening // every widening, in dimension order
}

// Error returns "collab: scope widened: " and each widening, separated by
// "; ".
func (e *ScopeError) Error() string {
	parts := make([]string, len(e.Widenings))
	for i, w := range e.Widenings {
		parts[i] = w.String()
	}
	return ErrScopeWidened.Error() + ": " + strings.Join(parts, "; ")
}

// Unwrap returns ErrScopeWidened.
func (e *ScopeError) Unwrap() error { return ErrScopeWidened }

// ScopeWithin returns nil if child stays within parent in every dimension,
// and otherwise a *ScopeError listing each dimension that widens, in the
// order kinds, sectors, regions, window.from, window.to: kinds, sectors or
// regions the parent does not have, a window that starts before the
// parent's or ends after it. Values are compared exactly. A narrower
// child, in any dimension, is within.
func ScopeWithin(child, parent schema.Scope) error {
	var ws []Widening
	for _, d := range []struct {
		dim           Dimension
		child, parent []string
	}{
		{DimensionKinds, child.Kinds, parent.Kinds},
		{DimensionSectors, child.Sectors, parent.Sectors},
		{DimensionRegions, child.Regions, parent.Regions},
	} {
		if out := outside(d.child, d.parent); len(out) > 0 {
			ws = append(ws, Widening{Dimension: d.dim, Values: out, Limit: slices.Clone(d.parent)})
		}
	}
	c, p := child.Window, parent.Window
	if c.From.Before(p.From) {
		ws = append(ws, Widening{Dimension: DimensionWindowFrom, Values: []string{stamp(c.From)}, Limit: []string{stamp(p.From)}})
	}
	if c.To.After(p.To) {
		ws = append(ws, Widening{Dimension: DimensionWindowTo, Values: []string{stamp(c.To)}, Limit: []string{stamp(p.To)}})
	}
	if len(ws) == 0 {
		return nil
	}
	return &ScopeError{Widenings: ws}
}

// outside returns the values that are not in within, in order.
func outside(values, within []string) []string {
	var out []string
	for _, v := range values {
		if !slices.Contains(within, v) {
			out = append(out, v)
		}
	}
	return out
}

// planOwners says, per level, who may own a plan of the level.
var planOwners = map[schema.PlanLevel]struct {
	tiers []Tier
	rule  string
}{
	schema.PlanMacro:      {[]Tier{LeadingGroup}, "only the leading group may"},
	schema.PlanDepartment: {[]Tier{SpecializedDepartment, GeneralBusinessDepartment}, "only a specialized or general business department may"},
	schema.PlanInternal:   {[]Tier{SocialForce}, "only a social force may, for the division of work inside it"},
}

// childLevel is the level of a plan derived from a plan of the key's level.
var childLevel = map[schema.PlanLevel]schema.PlanLevel{
	schema.PlanMacro:      schema.PlanDepartment,
	schema.PlanDepartment: schema.PlanInternal,
}

// aPlan returns "a macro plan", "a department plan", "an internal plan".
func aPlan(l schema.PlanLevel) string {
	if l == schema.PlanInternal {
		return "an internal plan"
	}
	return "a " + string(l) + " plan"
}

// checkPlan adds the problems of a plan on its own and against bound, the
// scope it must stay within.
func (f *faults) checkPlan(dir *Directory, p schema.Plan, bound schema.Scope) {
	if own, ok := planOwners[p.Level]; ok {
		_, err := party(dir, p.Owner, "own "+aPlan(p.Level), own.rule, own.tiers...)
		f.add(err)
	} else {
		f.addf("level %q is not macro, department or internal", p.Level)
	}
	switch {
	case p.Level == schema.PlanMacro && p.ParentID != "":
		f.addf("a macro plan has no parent_id (found %q)", p.ParentID)
	case p.Level != schema.PlanMacro && p.ParentID == "":
		f.addf("%s needs the parent_id of the plan it derives from", aPlan(p.Level))
	}
	switch {
	case p.Revision < 1:
		f.addf("revision %d is below 1", p.Revision)
	case p.Revision > 1 && p.RevisionReason == "":
		f.addf("revision %d has no revision_reason; say why the plan was adjusted", p.Revision)
	}
	f.checkScope("scope", p.Scope)
	f.add(ScopeWithin(p.Scope, bound))
	if len(p.Objectives) == 0 {
		f.addf("objectives is empty; a plan states at least one")
	}
	if len(p.Collection) == 0 {
		f.addf("collection is empty; a plan collects at least one kind")
	}
	for i, c := range p.Collection {
		if !slices.Contains(p.Scope.Kinds, c.Kind) {
			f.addf("collection/%d: kind %q is not in the plan's scope.kinds", i, c.Kind)
		}
		if p.Level == schema.PlanInternal {
			continue // assigned_to names units inside the owner
		}
		for _, a := range c.AssignedTo {
			if _, ok := dir.Org(a); !ok {
				f.addf("collection/%d: assigned_to %q is not in the directory", i, a)
			}
		}
	}
}

// CheckMacroPlan returns nil if p is a valid macro plan for req, or an
// error joining every problem found. A macro plan is the leading group's:
// its owner is the leading group (a *PartyError otherwise), it has no
// parent, it serves req (requirement_id) and req is not closed, and its
// scope is valid and within req's (a *ScopeError otherwise, listing every
// widening). For every plan: revision 1 or more, with a revision_reason
// from 2 on; at least one objective and one collection item; each item's
// kind in the plan's scope; each assigned_to in the directory (except in
// internal plans, where it names units inside the owner). Other problems
// wrap ErrInvalidPlan.
func CheckMacroPlan(dir *Directory, req schema.Requirement, p schema.Plan) error {
	f := faults{sentinel: ErrInvalidPlan}
	if p.Level != schema.PlanMacro {
		f.addf("level is %q, not macro; check derived plans with Derive", p.Level)
	}
	if p.RequirementID != req.ID {
		f.addf("requirement_id %q is not the requirement's id %q", p.RequirementID, req.ID)
	}
	if req.Status == schema.RequirementClosed {
		f.addf("requirement %q is closed; nothing more is planned under it", req.ID)
	}
	f.checkPlan(dir, p, req.Scope)
	return f.err()
}

// Derive returns nil if child is a valid plan derived from parent, or an
// error joining every problem found:
//
//   - levels go down one step: a department plan derives from a macro
//     plan, an internal plan from a department plan, and nothing from an
//     internal plan;
//   - the owner fits the level: a specialized or general business
//     department owns a department plan, a social force an internal plan
//     (a *PartyError otherwise);
//   - child names parent as its parent_id and serves the same requirement;
//   - child's scope is valid and never widens parent's: a *ScopeError
//     lists every dimension that does (kinds, sectors, regions, window.from,
//     window.to) with the offending values;
//   - and the rules of every plan (see CheckMacroPlan).
//
// Derive checks any revision of child against the current revision of
// parent: after parent narrows, run it again on parent's children.
// Problems other than the owner's and the scope's widening wrap
// ErrInvalidPlan.
func Derive(dir *Directory, parent, child schema.Plan) error {
	f := faults{sentinel: ErrInvalidPlan}
	switch want, ok := childLevel[parent.Level]; {
	case !ok:
		f.addf("parent %q is %s; plans derive only from macro and department plans", parent.ID, aPlan(parent.Level))
	case child.Level != want:
		f.addf("level is %q; a plan derived from %s is %s", child.Level, aPlan(parent.Level), aPlan(want))
	}
	if child.ParentID != parent.ID {
		f.addf("parent_id %q is not the parent's id %q", child.ParentID, parent.ID)
	}
	if child.RequirementID != parent.RequirementID {
		f.addf("requirement_id %q is not the parent's %q", child.RequirementID, parent.RequirementID)
	}
	f.checkPlan(dir, child, parent.Scope)
	return f.err()
}

// PlanRevision is an adjustment of a plan, as feedback prompts it. Nil
// fields keep the previous revision's value.
type PlanRevision struct {
	// At is when the revision is made; after the previous revision's.
	At time.Time
	// Reason says why; required.
	Reason string
	// FeedbackReportID names the feedback report that prompted it, if
	// one did.
	FeedbackReportID string
	// Scope is the new scope, or nil to keep it.
	Scope *schema.Scope
	// Objectives are the new objectives, or nil to keep them.
	Objectives []string
	// Collection is the new collection, or nil to keep it.
	Collection []schema.PlanCollectionItem
}

// Revise returns the next revision of prev with change applied: revision
// prev.Revision+1, revised at change.At, with change's reason and
// feedback report, and the same id, level, owner, parent and requirement.
// It returns an error, and no plan, if the result fails CheckRevision.
//
// bound is the scope the plan must stay within: its parent plan's scope,
// or its requirement's for a macro plan. Feedback adjusts a plan but never
// widens it beyond its bound: a revision may narrow the plan, or widen it
// again up to the bound, never further. After narrowing, check the plan's
// children with Derive: they may now widen it and need revisions too.
func Revise(dir *Directory, prev schema.Plan, bound schema.Scope, change PlanRevision) (schema.Plan, error) {
	next := clonePlan(prev)
	next.Revision = prev.Revision + 1
	next.RevisedAt = change.At
	next.RevisionReason = change.Reason
	next.FeedbackReportID = change.FeedbackReportID
	if change.Scope != nil {
		next.Scope = cloneScope(*change.Scope)
	}
	if change.Objectives != nil {
		next.Objectives = slices.Clone(change.Objectives)
	}
	if change.Collection != nil {
		next.Collection = cloneCollection(change.Collection)
	}
	if err := CheckRevision(dir, prev, next, bound); err != nil {
		return schema.Plan{}, err
	}
	return next, nil
}

// CheckRevision returns nil if next is a valid revision of prev within
// bound (see Revise), or an error joining every problem found: next keeps
// prev's id, level, owner, parent_id and requirement_id; its revision is
// prev's plus one, with a revision_reason; it is revised after prev; its
// owner still may own a plan of its level in dir; its scope stays within
// bound (a *ScopeError otherwise); and the rules of every plan (see
// CheckMacroPlan). A receiver of plan revisions runs it on each.
func CheckRevision(dir *Directory, prev, next schema.Plan, bound schema.Scope) error {
	f := faults{sentinel: ErrInvalidPlan}
	for _, c := range [][3]string{
		{"id", prev.ID, next.ID},
		{"level", string(prev.Level), string(next.Level)},
		{"owner", prev.Owner, next.Owner},
		{"parent_id", prev.ParentID, next.ParentID},
		{"requirement_id", prev.RequirementID, next.RequirementID},
	} {
		if c[1] != c[2] {
			f.addf("%s changed from %q to %q; a revision keeps the plan's id, level, owner, parent and requirement", c[0], c[1], c[2])
		}
	}
	if next.Revision != prev.Revision+1 {
		f.addf("revision %d does not follow revision %d", next.Revision, prev.Revision)
	}
	if !next.RevisedAt.After(prev.RevisedAt) {
		f.addf("revised_at %s is not after revision %d's %s", stamp(next.RevisedAt), prev.Revision, stamp(prev.RevisedAt))
	}
	f.checkPlan(dir, next, bound)
	return f.err()
}

func cloneScope(s schema.Scope) schema.Scope {
	s.Kinds, s.Sectors, s.Regions = slices.Clone(s.Kinds), slices.Clone(s.Sectors), slices.Clone(s.Regions)
	return s
}

func cloneCollection(items []schema.PlanCollectionItem) []schema.PlanCollectionItem {
	out := slices.Clone(items)
	for i := range out {
		out[i].AssignedTo = slices.Clone(out[i].AssignedTo)
	}
	return out
}

func clonePlan(p schema.Plan) schema.Plan {
	p.Scope = cloneScope(p.Scope)
	p.Objectives = slices.Clone(p.Objectives)
	p.Collection = cloneCollection(p.Collection)
	return p
}

// EntryOfPlan returns the journal entry of a plan revision: by the owner, at
// revised_at, about the plan's id, with p as its data. Append it once the
// revision is checked and sent.
func EntryOfPlan(p schema.Plan) (Entry, error) {
	return messageEntry(schema.KindPlan, InteractionNone, p.RevisedAt, p.Owner, "", p.ID, p)
}
