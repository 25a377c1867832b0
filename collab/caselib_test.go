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

func caseReq(id int, typ schema.RequirementType, kinds, sectors, regions []string, days int) schema.Requirement {
	from := day(time.January, 1)
	return schema.Requirement{ID: catID(id), Type: typ, Title: "t", Description: "d", Issuer: "leading-group",
		IssuedAt: from, Priority: schema.PriorityHigh, LegalBasis: "Synthetic Act", Status: schema.RequirementActive,
		Scope: schema.Scope{Kinds: kinds, Sectors: sectors, Regions: regions, Window: schema.Window{From: from, To: from.AddDate(0, 0, days)}}}
}

func appendMsg(t *testing.T, j collab.Journal, kind, org string, at time.Time, v any) {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	_, err = j.Append(t.Context(), collab.Entry{At: at, Kind: kind, Org: org, Data: raw})
	require.NoError(t, err)
}

// TestCaseLibrary: a finished operation is kept from the journal, survives
// a reload, and is offered to a similar task-specific requirement.
func TestCaseLibrary(t *testing.T) {
	ctx := t.Context()
	j := collab.NewMemJournal()
	fin := []string{schema.KindFinanceTransaction}
	past := caseReq(0xc01, schema.RequirementTaskSpecific, fin, []string{"finance"}, []string{"CN-XJ"}, 30)
	appendMsg(t, j, schema.KindRequirement, "leading-group", day(time.January, 1), past)
	plan := fbPlan()
	plan.RequirementID = past.ID
	appendMsg(t, j, schema.KindPlan, "central-bank", day(time.January, 2), plan)
	plan.Revision++
	appendMsg(t, j, schema.KindPlan, "central-bank", day(time.January, 9), plan)
	task := schema.Task{ID: catID(0xc02), PlanID: plan.ID, RequirementID: past.ID, Issuer: "central-bank", Assignee: []string{"bank-north-01"}}
	appendMsg(t, j, schema.KindTask, "central-bank", day(time.January, 3), task)
	appendMsg(t, j, schema.KindExpertRequest, "public-security", day(time.January, 4), schema.ExpertRequest{ID: catID(0xc03), TaskID: task.ID})
	appendMsg(t, j, schema.KindExpertAssignment, "public-security", day(time.January, 5),
		schema.ExpertAssignment{ID: catID(0xc04), RequestID: catID(0xc03), Outcome: schema.AssignmentAssigned, FromOrg: "bank-north-01"})
	appendMsg(t, j, schema.KindExpertAssignment, "public-security", day(time.January, 5),
		schema.ExpertAssignment{ID: catID(0xc05), RequestID: catID(0xdead), Outcome: schema.AssignmentAssigned}) // another operation's
	appendMsg(t, j, schema.KindProduct, "central-bank", day(time.January, 6), schema.Product{ID: catID(0xc06), RequirementID: past.ID})
	appendMsg(t, j, collab.EntryAction, "central-bank", day(time.January, 7), schema.Escalation{ID: catID(0xc07), TaskID: task.ID})
	appendMsg(t, j, schema.KindFeedbackReport, "central-bank", day(time.January, 8), schema.FeedbackReport{ID: catID(0xc08), RequirementID: past.ID})

	c, e, err := collab.KeepCase(ctx, j, past.ID, collab.CaseSucceeded, "Payment-provider alerts found the ring in a week.", day(time.February, 1))
	require.NoError(t, err)
	assert.Equal(t, past, c.Requirement)
	require.Len(t, c.Plans, 1)
	assert.Equal(t, plan.Revision, c.Plans[0].Revision, "latest revision")
	assert.Len(t, c.Tasks, 1)
	require.Len(t, c.Experts, 1)
	assert.Equal(t, catID(0xc04), c.Experts[0].ID)
	assert.Equal(t, []string{catID(0xc06)}, c.ProductIDs)
	assert.Equal(t, 1, c.Actions)
	assert.Equal(t, []string{catID(0xc08)}, c.FeedbackIDs)
	_, err = j.Append(ctx, e)
	require.NoError(t, err)

	// Two more cases: one sharing only sectors, one sharing only a region.
	other := caseReq(0xc11, schema.RequirementTaskSpecific, []string{schema.KindTransportPassenger}, []string{"finance", "transport"}, []string{"CN-SH"}, 30)
	appendMsg(t, j, schema.KindRequirement, "leading-group", day(time.January, 2), other)
	_, e, err = collab.KeepCase(ctx, j, other.ID, collab.CasePartly, "", day(time.February, 2))
	require.NoError(t, err)
	_, err = j.Append(ctx, e)
	require.NoError(t, err)
	far := caseReq(0xc21, schema.RequirementTaskSpecific, []string{schema.KindServicesLodging}, []string{"services"}, []string{"CN-XJ"}, 30)
	appendMsg(t, j, schema.KindRequirement, "leading-group", day(time.January, 2), far)
	_, e, err = collab.KeepCase(ctx, j, far.ID, collab.CaseFailed, "", day(time.February, 3))
	require.NoError(t, err)
	_, err = j.Append(ctx, e)
	require.NoError(t, err)

	lib, err := collab.LoadCaseLibrary(ctx, j)
	require.NoError(t, err)
	assert.Equal(t, 3, lib.Len())
	now := caseReq(0xc31, schema.RequirementTaskSpecific, fin, []string{"finance"}, []string{"CN-XJ", "CN-BJ"}, 20)
	got, err := lib.Similar(now, 5)
	require.NoError(t, err)
	require.Len(t, got, 2, "the region-only case is left out")
	assert.Equal(t, past.ID, got[0].Case.Requirement.ID)
	assert.Equal(t, collab.CaseSucceeded, got[0].Case.Outcome)
	assert.Equal(t, []string{"kinds finance.transaction", "sectors finance", "regions CN-XJ"}, got[0].Shared)
	assert.InDelta(t, 0.4+0.25+0.25*0.5+0.1*20.0/30, got[0].Similarity, 1e-9)
	assert.Equal(t, other.ID, got[1].Case.Requirement.ID)
	assert.Greater(t, got[0].Similarity, got[1].Similarity)
	one, _ := lib.Similar(now, 1)
	assert.Len(t, one, 1)

	_, err = lib.Similar(caseReq(0xc41, schema.RequirementEarlyWarning, fin, []string{"finance"}, nil, 30), 5)
	assert.ErrorIs(t, err, collab.ErrNotTaskSpecific)
	_, _, err = collab.KeepCase(ctx, j, catID(0xbad), collab.CaseSucceeded, "", day(time.March, 1))
	assert.ErrorIs(t, err, collab.ErrBadCase)
	_, _, err = collab.KeepCase(ctx, j, past.ID, "great", "", day(time.March, 1))
	assert.ErrorIs(t, err, collab.ErrBadCase)
}
