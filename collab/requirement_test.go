package collab_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// planEpoch is the start of the window of the planning fixtures.
var planEpoch = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

// planFixture is a consistent chain of planning messages over
// internal/demoscheme: an early-warning requirement of the leading group
// on finance and transport in three regions for a year, its macro plan,
// the central bank's department plan (finance only) and the northern
// bank's internal plan. Each call returns fresh values to change.
type planFixture struct {
	dir      *collab.Directory
	req      schema.Requirement
	macro    schema.Plan
	dept     schema.Plan
	internal schema.Plan
}

func newPlanFixture(t testing.TB) planFixture {
	t.Helper()
	req := schema.Requirement{
		ID: "0195f3a0-0000-7000-8000-000000000001", Type: schema.RequirementEarlyWarning,
		Title: "Fund flows and travel of watch-listed networks", Description: "Standing watch.",
		Issuer: "leading-group", IssuedAt: planEpoch,
		Scope: schema.Scope{
			Kinds:   []string{schema.KindFinanceTransaction, schema.KindTransportPassenger, schema.KindTransportFreight},
			Sectors: []string{"finance", "transport"},
			Regions: []string{"CN-BJ", "CN-SH", "CN-GD"},
			Window:  schema.Window{From: planEpoch, To: planEpoch.AddDate(1, 0, 0)},
		},
		Priority: schema.PriorityHigh, LegalBasis: "Counter-Terrorism Law, art. 43", Status: schema.RequirementActive,
	}
	macro := schema.Plan{
		ID: "0195f3a0-0000-7000-8000-000000000010", Level: schema.PlanMacro, RequirementID: req.ID,
		Owner: "leading-group", Revision: 1, RevisedAt: planEpoch,
		Scope:      cloneScopeFixture(req.Scope),
		Objectives: []string{"Detect financing and movement of watch-listed networks."},
		Collection: []schema.PlanCollectionItem{
			{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyRealTime, AssignedTo: []string{"central-bank"}},
			{Kind: schema.KindTransportPassenger, Frequency: schema.FrequencyDaily, AssignedTo: []string{"transport-ministry"}},
		},
	}
	dept := schema.Plan{
		ID: "0195f3a0-0000-7000-8000-000000000020", Level: schema.PlanDepartment, ParentID: macro.ID,
		RequirementID: req.ID, Owner: "central-bank", Revision: 1, RevisedAt: planEpoch.AddDate(0, 0, 1),
		Scope: schema.Scope{
			Kinds: []string{schema.KindFinanceTransaction}, Sectors: []string{"finance"},
			Regions: []string{"CN-BJ", "CN-GD"},
			Window:  schema.Window{From: planEpoch.AddDate(0, 0, 1), To: planEpoch.AddDate(1, 0, 0)},
		},
		Objectives: []string{"Flag abnormal transfers of listed accounts."},
		Collection: []schema.PlanCollectionItem{
			{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyRealTime, AssignedTo: []string{"bank-north-01", "bank-south-02"}},
		},
	}
	internal := schema.Plan{
		ID: "0195f3a0-0000-7000-8000-000000000030", Level: schema.PlanInternal, ParentID: dept.ID,
		RequirementID: req.ID, Owner: "bank-north-01", Revision: 1, RevisedAt: planEpoch.AddDate(0, 0, 2),
		Scope: schema.Scope{
			Kinds: []string{schema.KindFinanceTransaction}, Sectors: []string{"finance"}, Regions: []string{"CN-BJ"},
			Window: schema.Window{From: planEpoch.AddDate(0, 0, 2), To: planEpoch.AddDate(0, 6, 0)},
		},
		Objectives: []string{"Screen outgoing transfers in the northern branches."},
		Collection: []schema.PlanCollectionItem{
			{Kind: schema.KindFinanceTransaction, Frequency: schema.FrequencyRealTime, AssignedTo: []string{"compliance-unit"}},
		},
	}
	return planFixture{dir: loadScheme(t), req: req, macro: macro, dept: dept, internal: internal}
}

func cloneScopeFixture(s schema.Scope) schema.Scope {
	s.Kinds = append([]string(nil), s.Kinds...)
	s.Sectors = append([]string(nil), s.Sectors...)
	s.Regions = append([]string(nil), s.Regions...)
	return s
}

func timeRef(t time.Time) *time.Time { return &t }

// assertFaults checks that err wraps sentinel and says each of says.
func assertFaults(t *testing.T, err error, sentinel error, says ...string) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, sentinel)
	for _, s := range says {
		assert.Contains(t, err.Error(), s)
	}
}

func TestCheckRequirementValid(t *testing.T) {
	fx := newPlanFixture(t)
	require.NoError(t, collab.CheckRequirement(fx.dir, fx.req), "the fixture's early-warning requirement")

	r := fx.req
	r.Type = schema.RequirementTaskSpecific
	r.ValidUntil = timeRef(r.Scope.Window.To)
	assert.NoError(t, collab.CheckRequirement(fx.dir, r), "task-specific, lapsing with its window")
	r.ValidUntil = timeRef(planEpoch.AddDate(0, 1, 0))
	r.Addressees = []string{"central-bank", "transport-ministry"}
	r.Issuer = "public-security"
	assert.NoError(t, collab.CheckRequirement(fx.dir, r), "task-specific, by a specialized department, lapsing early")
}

func TestCheckRequirementIssuerTiers(t *testing.T) {
	fx := newPlanFixture(t)
	for _, o := range fx.dir.Orgs() {
		t.Run(o.ID, func(t *testing.T) {
			r := fx.req
			r.Issuer = o.ID
			err := collab.CheckRequirement(fx.dir, r)
			if o.Tier == collab.LeadingGroup || o.Tier == collab.SpecializedDepartment {
				assert.NoError(t, err)
				return
			}
			assertFaults(t, err, collab.ErrWrongParty, `"`+o.ID+`" (`+o.Tier.String()+`) may not issue a requirement`,
				"only the leading group or a specialized department may")
			assert.NotErrorIs(t, err, collab.ErrInvalidRequirement)
			var pe *collab.PartyError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, collab.PartyError{Org: o.ID, Tier: o.Tier, Act: "issue a requirement",
				Rule: "only the leading group or a specialized department may"}, *pe)
		})
	}
	t.Run("unknown", func(t *testing.T) {
		r := fx.req
		r.Issuer = "ministry-of-nowhere"
		err := collab.CheckRequirement(fx.dir, r)
		assertFaults(t, err, collab.ErrWrongParty, `"ministry-of-nowhere" (not in the directory) may not issue a requirement`)
		assert.ErrorIs(t, err, collab.ErrUnknownOrg)
	})
}

func TestCheckRequirementRules(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *schema.Requirement)
		says   string
	}{
		{"no kinds", func(r *schema.Requirement) { r.Scope.Kinds = nil }, "scope.kinds is empty"},
		{"no sectors", func(r *schema.Requirement) { r.Scope.Sectors = nil }, "scope.sectors is empty"},
		{"no regions", func(r *schema.Requirement) { r.Scope.Regions = nil }, "scope.regions is empty"},
		{"unknown kind", func(r *schema.Requirement) { r.Scope.Kinds = append(r.Scope.Kinds, "finance.transfer") },
			`scope.kinds: kind "finance.transfer" is not known`},
		{"unknown sector", func(r *schema.Requirement) { r.Scope.Sectors = append(r.Scope.Sectors, "mining") },
			`scope.sectors: "mining" is not a sector of the scheme`},
		{"empty window", func(r *schema.Requirement) { r.Scope.Window.To = r.Scope.Window.From },
			"scope.window: from 2026-04-01T00:00:00Z is not before to 2026-04-01T00:00:00Z"},
		{"reversed window", func(r *schema.Requirement) { r.Scope.Window.From = r.Scope.Window.To.Add(time.Hour) },
			"scope.window: from 2027-04-01T01:00:00Z is not before to 2027-04-01T00:00:00Z"},
		{"unknown status", func(r *schema.Requirement) { r.Status = "paused" }, `status "paused" is not active, suspended or closed`},
		{"unknown type", func(r *schema.Requirement) { r.Type = "urgent" }, `type "urgent" is not early_warning or task_specific`},
		{"no legal basis", func(r *schema.Requirement) { r.LegalBasis = "" }, "legal_basis is empty"},
		{"early warning with valid_until", func(r *schema.Requirement) { r.ValidUntil = timeRef(planEpoch.AddDate(0, 1, 0)) },
			"an early-warning requirement is standing and has no valid_until (found 2026-05-01T00:00:00Z)"},
		{"task-specific without valid_until", func(r *schema.Requirement) { r.Type = schema.RequirementTaskSpecific },
			"a task-specific requirement needs valid_until"},
		{"task-specific lapsing before issue", func(r *schema.Requirement) {
			r.Type, r.IssuedAt, r.ValidUntil = schema.RequirementTaskSpecific, planEpoch.AddDate(0, 2, 0), timeRef(planEpoch.AddDate(0, 1, 0))
		}, "valid_until 2026-05-01T00:00:00Z is not after issued_at 2026-06-01T00:00:00Z"},
		{"task-specific lapsing with the window's start", func(r *schema.Requirement) {
			r.Type, r.IssuedAt, r.ValidUntil = schema.RequirementTaskSpecific, planEpoch.AddDate(0, -1, 0), timeRef(planEpoch)
		}, "valid_until 2026-04-01T00:00:00Z is not after scope.window.from 2026-04-01T00:00:00Z; the requirement would never be active"},
		{"task-specific lapsing after the window", func(r *schema.Requirement) {
			r.Type, r.ValidUntil = schema.RequirementTaskSpecific, timeRef(r.Scope.Window.To.Add(time.Second))
		}, "valid_until 2027-04-01T00:00:01Z is after scope.window.to 2027-04-01T00:00:00Z"},
		{"unknown addressee", func(r *schema.Requirement) { r.Addressees = []string{"central-bank", "central-bank-typo"} },
			`addressee "central-bank-typo" is not in the directory`},
	}
	fx := newPlanFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fx.req
			r.Scope = cloneScopeFixture(r.Scope)
			tt.change(&r)
			err := collab.CheckRequirement(fx.dir, r)
			assertFaults(t, err, collab.ErrInvalidRequirement, "collab: invalid requirement: "+tt.says)
			assert.Len(t, err.(interface{ Unwrap() []error }).Unwrap(), 1, "one problem: %v", err)
			assert.NotErrorIs(t, err, collab.ErrWrongParty)
		})
	}
}

func TestCheckRequirementReportsEveryProblem(t *testing.T) {
	fx := newPlanFixture(t)
	r := fx.req
	r.Issuer = "bank-north-01"
	r.LegalBasis = ""
	r.Scope.Sectors = []string{"mining"}
	r.ValidUntil = timeRef(planEpoch)
	err := collab.CheckRequirement(fx.dir, r)
	require.Error(t, err)
	assert.Len(t, err.(interface{ Unwrap() []error }).Unwrap(), 4, "%v", err)
	assert.ErrorIs(t, err, collab.ErrWrongParty)
	assert.ErrorIs(t, err, collab.ErrInvalidRequirement)
}

func TestActive(t *testing.T) {
	from, to := planEpoch, planEpoch.AddDate(1, 0, 0)
	until := planEpoch.AddDate(0, 1, 0)
	tests := []struct {
		name       string
		status     schema.RequirementStatus
		validUntil *time.Time
		at         time.Time
		want       bool
	}{
		{"inside", schema.RequirementActive, nil, from.AddDate(0, 3, 0), true},
		{"at from (inclusive)", schema.RequirementActive, nil, from, true},
		{"before from", schema.RequirementActive, nil, from.Add(-time.Nanosecond), false},
		{"just before to", schema.RequirementActive, nil, to.Add(-time.Nanosecond), true},
		{"at to (exclusive)", schema.RequirementActive, nil, to, false},
		{"suspended", schema.RequirementSuspended, nil, from.AddDate(0, 3, 0), false},
		{"closed", schema.RequirementClosed, nil, from.AddDate(0, 3, 0), false},
		{"before valid_until", schema.RequirementActive, &until, until.Add(-time.Nanosecond), true},
		{"at valid_until", schema.RequirementActive, &until, until, false},
		{"after valid_until, inside the window", schema.RequirementActive, &until, until.AddDate(0, 1, 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := schema.Requirement{Status: tt.status, ValidUntil: tt.validUntil,
				Scope: schema.Scope{Window: schema.Window{From: from, To: to}}}
			assert.Equal(t, tt.want, collab.Active(r, tt.at))
		})
	}
}

func TestCovers(t *testing.T) {
	r := newPlanFixture(t).req
	tests := []struct {
		kind, sector, region string
		want                 bool
	}{
		{schema.KindFinanceTransaction, "finance", "CN-BJ", true},
		{schema.KindTransportFreight, "transport", "CN-GD", true},
		{schema.KindTransportFreight, "finance", "CN-SH", true}, // each dimension on its own
		{schema.KindServicesLodging, "finance", "CN-BJ", false},
		{schema.KindFinanceTransaction, "services", "CN-BJ", false},
		{schema.KindFinanceTransaction, "finance", "CN-ZJ", false},
		{"finance.Transaction", "finance", "CN-BJ", false}, // exact
		{schema.KindFinanceTransaction, "Finance", "CN-BJ", false},
		{schema.KindFinanceTransaction, "finance", "cn-bj", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, collab.Covers(r, tt.kind, tt.sector, tt.region), "%s %s %s", tt.kind, tt.sector, tt.region)
	}
	at := planEpoch.AddDate(0, 1, 0)
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		_ = collab.Active(r, at) && collab.Covers(r, schema.KindTransportFreight, "transport", "CN-GD")
	}), "a hub runs them on every record")
}

func TestEntryOfRequirement(t *testing.T) {
	r := newPlanFixture(t).req
	e, err := collab.EntryOfRequirement(r)
	require.NoError(t, err)
	assert.Equal(t, collab.Entry{At: r.IssuedAt, Kind: schema.KindRequirement, Org: "leading-group", Ref: r.ID, Data: e.Data}, e)
	var back schema.Requirement
	require.NoError(t, json.Unmarshal(e.Data, &back))
	assert.Equal(t, r, back)

	r.IssuedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err = collab.EntryOfRequirement(r)
	assert.Error(t, err)
	assert.False(t, errors.Is(err, collab.ErrInvalidRequirement))
}
