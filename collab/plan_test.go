package collab_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// scopeWidenings are the five ways a scope can widen the central bank's
// department plan of the fixture, each alone.
func scopeWidenings(fx planFixture) []struct {
	name   string
	change func(s *schema.Scope)
	want   collab.Widening
} {
	w := fx.dept.Scope.Window
	return []struct {
		name   string
		change func(s *schema.Scope)
		want   collab.Widening
	}{{
		name: "kinds",
		change: func(s *schema.Scope) {
			s.Kinds = append(s.Kinds, schema.KindServicesLodging, schema.KindTransportFreight)
		},
		want: collab.Widening{Dimension: collab.DimensionKinds,
			Values: []string{schema.KindServicesLodging, schema.KindTransportFreight}, Limit: []string{schema.KindFinanceTransaction}},
	}, {
		name:   "sectors",
		change: func(s *schema.Scope) { s.Sectors = []string{"telecom", "finance"} },
		want:   collab.Widening{Dimension: collab.DimensionSectors, Values: []string{"telecom"}, Limit: []string{"finance"}},
	}, {
		name:   "regions",
		change: func(s *schema.Scope) { s.Regions = append(s.Regions, "CN-ZJ") },
		want:   collab.Widening{Dimension: collab.DimensionRegions, Values: []string{"CN-ZJ"}, Limit: []string{"CN-BJ", "CN-GD"}},
	}, {
		name:   "window starts earlier",
		change: func(s *schema.Scope) { s.Window.From = w.From.Add(-time.Second) },
		want: collab.Widening{Dimension: collab.DimensionWindowFrom,
			Values: []string{"2026-04-01T23:59:59Z"}, Limit: []string{"2026-04-02T00:00:00Z"}},
	}, {
		name:   "window ends later",
		change: func(s *schema.Scope) { s.Window.To = w.To.AddDate(0, 0, 1) },
		want: collab.Widening{Dimension: collab.DimensionWindowTo,
			Values: []string{"2027-04-02T00:00:00Z"}, Limit: []string{"2027-04-01T00:00:00Z"}},
	}}
}

func TestScopeWithin(t *testing.T) {
	fx := newPlanFixture(t)
	parent := fx.dept.Scope
	assert.NoError(t, collab.ScopeWithin(parent, parent), "equal")
	assert.NoError(t, collab.ScopeWithin(fx.internal.Scope, parent), "narrower in every dimension")
	assert.NoError(t, collab.ScopeWithin(schema.Scope{Window: parent.Window}, parent), "empty is narrower")

	var all []collab.Widening
	combined := cloneScopeFixture(parent)
	for _, tt := range scopeWidenings(fx) {
		t.Run(tt.name, func(t *testing.T) {
			child := cloneScopeFixture(parent)
			tt.change(&child)
			err := collab.ScopeWithin(child, parent)
			assertFaults(t, err, collab.ErrScopeWidened, "collab: scope widened: "+tt.want.String())
			var se *collab.ScopeError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, []collab.Widening{tt.want}, se.Widenings)
		})
		tt.change(&combined)
		all = append(all, tt.want)
	}
	t.Run("every dimension at once", func(t *testing.T) {
		err := collab.ScopeWithin(combined, parent)
		var se *collab.ScopeError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, all, se.Widenings, "in the order kinds, sectors, regions, window.from, window.to")
		assert.Equal(t, "collab: scope widened: "+
			"kinds: services.lodging, transport.freight not among finance.transaction; "+
			"sectors: telecom not among finance; "+
			"regions: CN-ZJ not among CN-BJ, CN-GD; "+
			"window.from: 2026-04-01T23:59:59Z is before 2026-04-02T00:00:00Z; "+
			"window.to: 2027-04-02T00:00:00Z is after 2027-04-01T00:00:00Z", err.Error())
	})
}

func TestDeriveRefusesEveryWidening(t *testing.T) {
	fx := newPlanFixture(t)
	require.NoError(t, collab.Derive(fx.dir, fx.dept, fx.internal))
	for _, tt := range scopeWidenings(fx) {
		t.Run(tt.name, func(t *testing.T) {
			child := fx.internal
			child.Scope = cloneScopeFixture(fx.dept.Scope)
			tt.change(&child.Scope)
			child.Collection = []schema.PlanCollectionItem{{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyDaily}}
			err := collab.Derive(fx.dir, fx.dept, child)
			assertFaults(t, err, collab.ErrScopeWidened, tt.want.String())
			assert.NotErrorIs(t, err, collab.ErrInvalidPlan, "a widening is the only problem")
			var se *collab.ScopeError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, []collab.Widening{tt.want}, se.Widenings)
		})
	}
	t.Run("every dimension at once", func(t *testing.T) {
		child := fx.internal
		child.Scope = cloneScopeFixture(fx.dept.Scope)
		var want []collab.Widening
		for _, tt := range scopeWidenings(fx) {
			tt.change(&child.Scope)
			want = append(want, tt.want)
		}
		var se *collab.ScopeError
		require.ErrorAs(t, collab.Derive(fx.dir, fx.dept, child), &se)
		assert.Equal(t, want, se.Widenings)
	})
	t.Run("department plan beyond the macro plan", func(t *testing.T) {
		child := fx.dept
		child.Scope.Regions = []string{"CN-BJ", "CN-ZJ"}
		assertFaults(t, collab.Derive(fx.dir, fx.macro, child), collab.ErrScopeWidened,
			"regions: CN-ZJ not among CN-BJ, CN-SH, CN-GD")
	})
}

func TestDeriveLevelsAndOwners(t *testing.T) {
	fx := newPlanFixture(t)
	tests := []struct {
		name          string
		parent, child func() schema.Plan
		sentinel      error
		says          []string
	}{{
		name: "macro -> department", parent: func() schema.Plan { return fx.macro }, child: func() schema.Plan { return fx.dept },
	}, {
		name: "department -> internal", parent: func() schema.Plan { return fx.dept }, child: func() schema.Plan { return fx.internal },
	}, {
		name:   "department owned by a specialized department",
		parent: func() schema.Plan { return fx.macro },
		child:  func() schema.Plan { p := fx.dept; p.Owner = "public-security"; return p },
	}, {
		name:   "macro -> internal",
		parent: func() schema.Plan { return fx.macro },
		child:  func() schema.Plan { p := fx.internal; p.ParentID = fx.macro.ID; return p },
		says:   []string{`level is "internal"; a plan derived from a macro plan is a department plan`},
	}, {
		name:   "macro -> macro",
		parent: func() schema.Plan { return fx.macro },
		child:  func() schema.Plan { p := fx.dept; p.Level, p.Owner = schema.PlanMacro, "leading-group"; return p },
		says: []string{`level is "macro"; a plan derived from a macro plan is a department plan`,
			`a macro plan has no parent_id (found "` + fx.macro.ID + `")`},
	}, {
		name:   "department -> department",
		parent: func() schema.Plan { return fx.dept },
		child:  func() schema.Plan { p := fx.dept; p.ID, p.ParentID = fx.internal.ID, fx.dept.ID; return p },
		says:   []string{`level is "department"; a plan derived from a department plan is an internal plan`},
	}, {
		name:   "internal -> internal",
		parent: func() schema.Plan { return fx.internal },
		child:  func() schema.Plan { p := fx.internal; p.ParentID = fx.internal.ID; return p },
		says:   []string{`parent "` + fx.internal.ID + `" is an internal plan; plans derive only from macro and department plans`},
	}, {
		name:   "unknown level",
		parent: func() schema.Plan { return fx.macro },
		child:  func() schema.Plan { p := fx.dept; p.Level = "regional"; return p },
		says:   []string{`level "regional" is not macro, department or internal`},
	}, {
		name:     "department plan owned by the leading group",
		parent:   func() schema.Plan { return fx.macro },
		child:    func() schema.Plan { p := fx.dept; p.Owner = "leading-group"; return p },
		sentinel: collab.ErrWrongParty,
		says:     []string{`"leading-group" (leading_group) may not own a department plan; only a specialized or general business department may`},
	}, {
		name:     "department plan owned by a social force",
		parent:   func() schema.Plan { return fx.macro },
		child:    func() schema.Plan { p := fx.dept; p.Owner = "bank-north-01"; return p },
		sentinel: collab.ErrWrongParty,
		says:     []string{`"bank-north-01" (social_force) may not own a department plan`},
	}, {
		name:     "internal plan owned by a department",
		parent:   func() schema.Plan { return fx.dept },
		child:    func() schema.Plan { p := fx.internal; p.Owner = "central-bank"; return p },
		sentinel: collab.ErrWrongParty,
		says:     []string{`"central-bank" (general_business_department) may not own an internal plan; only a social force may`},
	}, {
		name:     "internal plan owned by an unknown organization",
		parent:   func() schema.Plan { return fx.dept },
		child:    func() schema.Plan { p := fx.internal; p.Owner = "bank-nowhere"; return p },
		sentinel: collab.ErrUnknownOrg,
		says:     []string{`"bank-nowhere" (not in the directory) may not own an internal plan`},
	}, {
		name:   "wrong parent_id",
		parent: func() schema.Plan { return fx.dept },
		child:  func() schema.Plan { p := fx.internal; p.ParentID = fx.macro.ID; return p },
		says:   []string{`parent_id "` + fx.macro.ID + `" is not the parent's id "` + fx.dept.ID + `"`},
	}, {
		name:   "no parent_id",
		parent: func() schema.Plan { return fx.dept },
		child:  func() schema.Plan { p := fx.internal; p.ParentID = ""; return p },
		says:   []string{"an internal plan needs the parent_id", `parent_id "" is not the parent's id`},
	}, {
		name:   "other requirement",
		parent: func() schema.Plan { return fx.dept },
		child: func() schema.Plan {
			p := fx.internal
			p.RequirementID = "0195f3a0-0000-7000-8000-0000000000ff"
			return p
		},
		says: []string{`requirement_id "0195f3a0-0000-7000-8000-0000000000ff" is not the parent's "` + fx.req.ID + `"`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := collab.Derive(fx.dir, tt.parent(), tt.child())
			if tt.says == nil {
				assert.NoError(t, err)
				return
			}
			sentinel := tt.sentinel
			if sentinel == nil {
				sentinel = collab.ErrInvalidPlan
			}
			assertFaults(t, err, sentinel, tt.says...)
		})
	}
}

func TestPlanOwnersByTier(t *testing.T) {
	fx := newPlanFixture(t)
	for _, o := range fx.dir.Orgs() {
		t.Run(o.ID, func(t *testing.T) {
			macro, dept, internal := fx.macro, fx.dept, fx.internal
			macro.Owner, dept.Owner, internal.Owner = o.ID, o.ID, o.ID
			checks := map[collab.Tier]error{
				collab.LeadingGroup:              collab.CheckMacroPlan(fx.dir, fx.req, macro),
				collab.SpecializedDepartment:     collab.Derive(fx.dir, fx.macro, dept),
				collab.GeneralBusinessDepartment: collab.Derive(fx.dir, fx.macro, dept),
				collab.SocialForce:               collab.Derive(fx.dir, fx.dept, internal),
			}
			for tier, err := range checks {
				if tier == o.Tier {
					assert.NoError(t, err, "a %s owns plans of its level", tier)
				} else if tier == collab.LeadingGroup || (o.Tier != collab.SpecializedDepartment && o.Tier != collab.GeneralBusinessDepartment) {
					assert.ErrorIs(t, err, collab.ErrWrongParty, "a %s owns no plans a %s owns", o.Tier, tier)
				}
			}
		})
	}
}

func TestCheckMacroPlan(t *testing.T) {
	fx := newPlanFixture(t)
	require.NoError(t, collab.CheckMacroPlan(fx.dir, fx.req, fx.macro))
	tests := []struct {
		name     string
		change   func(req *schema.Requirement, p *schema.Plan)
		sentinel error
		says     string
	}{
		{"not macro", func(_ *schema.Requirement, p *schema.Plan) { p.Level = schema.PlanDepartment }, collab.ErrInvalidPlan,
			`level is "department", not macro; check derived plans with Derive`},
		{"parent", func(_ *schema.Requirement, p *schema.Plan) { p.ParentID = fx.dept.ID }, collab.ErrInvalidPlan,
			"a macro plan has no parent_id"},
		{"other requirement", func(r *schema.Requirement, _ *schema.Plan) { r.ID = "0195f3a0-0000-7000-8000-0000000000ff" }, collab.ErrInvalidPlan,
			`requirement_id "` + fx.req.ID + `" is not the requirement's id "0195f3a0-0000-7000-8000-0000000000ff"`},
		{"closed requirement", func(r *schema.Requirement, _ *schema.Plan) { r.Status = schema.RequirementClosed }, collab.ErrInvalidPlan,
			"is closed; nothing more is planned under it"},
		{"owner not the leading group", func(_ *schema.Requirement, p *schema.Plan) { p.Owner = "public-security" }, collab.ErrWrongParty,
			`"public-security" (specialized_department) may not own a macro plan; only the leading group may`},
		{"wider than the requirement", func(r *schema.Requirement, _ *schema.Plan) { r.Scope.Window.To = planEpoch.AddDate(0, 6, 0) },
			collab.ErrScopeWidened, "window.to: 2027-04-01T00:00:00Z is after 2026-10-01T00:00:00Z"},
		{"invalid scope", func(_ *schema.Requirement, p *schema.Plan) { p.Scope.Sectors = append(p.Scope.Sectors, "mining") },
			collab.ErrInvalidPlan, `scope.sectors: "mining" is not a sector of the scheme`},
		{"revision 0", func(_ *schema.Requirement, p *schema.Plan) { p.Revision = 0 }, collab.ErrInvalidPlan, "revision 0 is below 1"},
		{"revision 2 without reason", func(_ *schema.Requirement, p *schema.Plan) { p.Revision = 2 }, collab.ErrInvalidPlan,
			"revision 2 has no revision_reason"},
		{"no objectives", func(_ *schema.Requirement, p *schema.Plan) { p.Objectives = nil }, collab.ErrInvalidPlan, "objectives is empty"},
		{"no collection", func(_ *schema.Requirement, p *schema.Plan) { p.Collection = nil }, collab.ErrInvalidPlan, "collection is empty"},
		{"collection outside the scope", func(_ *schema.Requirement, p *schema.Plan) {
			p.Collection = append(p.Collection, schema.PlanCollectionItem{Kind: schema.KindServicesLodging, Frequency: schema.FrequencyDaily})
		}, collab.ErrInvalidPlan, `collection/2: kind "services.lodging" is not in the plan's scope.kinds`},
		{"assigned to an unknown organization", func(_ *schema.Requirement, p *schema.Plan) {
			p.Collection[1].AssignedTo = []string{"transport-ministry", "rail-ministry"}
		}, collab.ErrInvalidPlan, `collection/1: assigned_to "rail-ministry" is not in the directory`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newPlanFixture(t)
			tt.change(&fx.req, &fx.macro)
			assertFaults(t, collab.CheckMacroPlan(fx.dir, fx.req, fx.macro), tt.sentinel, tt.says)
		})
	}
}

func TestInternalPlanAssignsUnits(t *testing.T) {
	fx := newPlanFixture(t)
	require.Equal(t, []string{"compliance-unit"}, fx.internal.Collection[0].AssignedTo, "not an org of the directory")
	assert.NoError(t, collab.Derive(fx.dir, fx.dept, fx.internal))
}

func TestRevise(t *testing.T) {
	fx := newPlanFixture(t)
	bound := fx.macro.Scope
	narrower := cloneScopeFixture(fx.dept.Scope)
	narrower.Regions = []string{"CN-GD"}
	at := fx.dept.RevisedAt.AddDate(0, 1, 0)

	next, err := collab.Revise(fx.dir, fx.dept, bound, collab.PlanRevision{
		At: at, Reason: "Monthly report: no activity in the north.", FeedbackReportID: "0195f3a0-0000-7000-8000-000000000040",
		Scope: &narrower,
	})
	require.NoError(t, err)
	want := fx.dept
	want.Revision, want.RevisedAt = 2, at
	want.RevisionReason, want.FeedbackReportID = "Monthly report: no activity in the north.", "0195f3a0-0000-7000-8000-000000000040"
	want.Scope = narrower
	assert.Equal(t, want, next)
	assert.Equal(t, []string{"CN-BJ", "CN-GD"}, fx.dept.Scope.Regions, "prev is not changed")
	narrower.Regions[0] = "CN-XX"
	assert.Equal(t, []string{"CN-GD"}, next.Scope.Regions, "next does not share the change's slices")

	// Feedback may widen the plan back up to its bound, never beyond.
	back := cloneScopeFixture(bound)
	third, err := collab.Revise(fx.dir, next, bound, collab.PlanRevision{At: at.AddDate(0, 1, 0), Reason: "Activity moved north again.", Scope: &back})
	require.NoError(t, err)
	assert.Equal(t, 3, third.Revision)
	assert.Equal(t, bound, third.Scope)

	// Keep the scope, change what is collected.
	items := []schema.PlanCollectionItem{{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyDaily}}
	fourth, err := collab.Revise(fx.dir, third, bound, collab.PlanRevision{At: at.AddDate(0, 2, 0), Reason: "Daily is enough.", Collection: items})
	require.NoError(t, err)
	assert.Equal(t, third.Scope, fourth.Scope)
	assert.Equal(t, items, fourth.Collection)
	assert.Equal(t, third.Objectives, fourth.Objectives)
	objectives := []string{"Flag transfers of listed accounts daily."}
	fifth, err := collab.Revise(fx.dir, fourth, bound, collab.PlanRevision{At: at.AddDate(0, 3, 0), Reason: "Reworded.", Objectives: objectives})
	require.NoError(t, err)
	assert.Equal(t, objectives, fifth.Objectives)
	assert.Equal(t, fourth.Collection, fifth.Collection)

	for _, tt := range scopeWidenings(fx) {
		t.Run("beyond the bound: "+tt.name, func(t *testing.T) {
			wide := cloneScopeFixture(fx.dept.Scope)
			tt.change(&wide)
			_, err := collab.Revise(fx.dir, fx.dept, fx.dept.Scope, collab.PlanRevision{At: at, Reason: "More.", Scope: &wide})
			assertFaults(t, err, collab.ErrScopeWidened, tt.want.String())
		})
	}
	t.Run("no reason", func(t *testing.T) {
		p, err := collab.Revise(fx.dir, fx.dept, bound, collab.PlanRevision{At: at})
		assertFaults(t, err, collab.ErrInvalidPlan, "revision 2 has no revision_reason")
		assert.Zero(t, p)
	})
	t.Run("not after the previous revision", func(t *testing.T) {
		_, err := collab.Revise(fx.dir, fx.dept, bound, collab.PlanRevision{At: fx.dept.RevisedAt, Reason: "Again."})
		assertFaults(t, err, collab.ErrInvalidPlan, "revised_at 2026-04-02T00:00:00Z is not after revision 1's 2026-04-02T00:00:00Z")
	})
	t.Run("collection outside the narrowed scope", func(t *testing.T) {
		s := cloneScopeFixture(fx.dept.Scope)
		s.Kinds = []string{schema.KindFinanceTransaction}
		_, err := collab.Revise(fx.dir, fx.macro, fx.req.Scope, collab.PlanRevision{At: at, Reason: "Finance only.", Scope: &s})
		assertFaults(t, err, collab.ErrInvalidPlan, `collection/1: kind "transport.passenger" is not in the plan's scope.kinds`)
	})
}

func TestCheckRevision(t *testing.T) {
	fx := newPlanFixture(t)
	next := fx.dept
	next.Revision, next.RevisedAt, next.RevisionReason = 2, next.RevisedAt.Add(time.Hour), "Adjusted."
	require.NoError(t, collab.CheckRevision(fx.dir, fx.dept, next, fx.macro.Scope))
	tests := []struct {
		name     string
		change   func(p *schema.Plan)
		sentinel error
		says     string
	}{
		{"id", func(p *schema.Plan) { p.ID = "0195f3a0-0000-7000-8000-0000000000ff" }, collab.ErrInvalidPlan,
			`id changed from "` + fx.dept.ID + `" to "0195f3a0-0000-7000-8000-0000000000ff"`},
		{"level", func(p *schema.Plan) { p.Level = schema.PlanInternal }, collab.ErrInvalidPlan, `level changed from "department" to "internal"`},
		{"owner", func(p *schema.Plan) { p.Owner = "miit" }, collab.ErrInvalidPlan, `owner changed from "central-bank" to "miit"`},
		{"parent", func(p *schema.Plan) { p.ParentID = fx.internal.ID }, collab.ErrInvalidPlan, `parent_id changed from "` + fx.macro.ID},
		{"requirement", func(p *schema.Plan) { p.RequirementID = fx.macro.ID }, collab.ErrInvalidPlan, `requirement_id changed from "` + fx.req.ID},
		{"revision skipped", func(p *schema.Plan) { p.Revision = 3 }, collab.ErrInvalidPlan, "revision 3 does not follow revision 1"},
		{"revision repeated", func(p *schema.Plan) { p.Revision = 1 }, collab.ErrInvalidPlan, "revision 1 does not follow revision 1"},
		{"earlier", func(p *schema.Plan) { p.RevisedAt = fx.dept.RevisedAt.Add(-time.Hour) }, collab.ErrInvalidPlan,
			"revised_at 2026-04-01T23:00:00Z is not after revision 1's 2026-04-02T00:00:00Z"},
		{"owner now a social force", func(p *schema.Plan) { p.Owner = "bank-north-01" }, collab.ErrWrongParty,
			`"bank-north-01" (social_force) may not own a department plan`},
		{"wider than its bound", func(p *schema.Plan) { p.Scope.Sectors = []string{"finance", "health"} }, collab.ErrScopeWidened,
			"sectors: health not among finance, transport"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := next
			n.Scope = cloneScopeFixture(next.Scope)
			tt.change(&n)
			assertFaults(t, collab.CheckRevision(fx.dir, fx.dept, n, fx.macro.Scope), tt.sentinel, tt.says)
		})
	}
}

func TestEntryOfPlan(t *testing.T) {
	p := newPlanFixture(t).dept
	e, err := collab.EntryOfPlan(p)
	require.NoError(t, err)
	assert.Equal(t, collab.Entry{At: p.RevisedAt, Kind: schema.KindPlan, Org: "central-bank", Ref: p.ID, Data: e.Data}, e)
	var back schema.Plan
	require.NoError(t, json.Unmarshal(e.Data, &back))
	assert.Equal(t, p, back)
}
