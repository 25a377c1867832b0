package schema_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
)

// TestCollabFromGo builds collaboration messages in Go, as a department's
// code would, and checks that what encoding/json writes passes the schema:
// zero counts are kept, a nil product entry list is written as [], and the
// optional fields left at their zero value are omitted.
func TestCollabFromGo(t *testing.T) {
	v, err := schema.NewValidator()
	require.NoError(t, err)
	at := time.Date(2026, 3, 1, 8, 15, 0, 0, time.UTC)
	win := schema.Window{From: at, To: at.Add(24 * time.Hour)}
	const (
		req  = "0195a1b2-0bb9-7001-8001-000000000001"
		task = "0195a1b2-0bcd-7015-9015-000000000015"
		rec  = "0195b000-0c1c-7064-8064-000000000064"
	)
	expert := schema.Subject{Pseudonym: "5e1f0c3a9b2d4e6f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f", IDType: schema.IDNationalID, KeyID: "k1"}
	progress := 0
	cases := []struct {
		kind string
		v    any
	}{
		{schema.KindProduct, schema.Product{
			ID: req, ListType: schema.ListHazmatPurchases, Frequency: schema.FrequencyDaily,
			Producer: "industry-it-ministry", RequirementID: req, Period: win, ProducedAt: at,
		}},
		{schema.KindFeedbackReport, schema.FeedbackReport{
			ID: req, Type: schema.FeedbackMonthly, Reporter: "hotel-chain-07", Period: win, ProducedAt: at,
		}},
		{schema.KindTaskStatus, schema.TaskStatus{
			TaskID: task, State: schema.TaskInProgress, PreviousState: schema.TaskAccepted,
			By: "bank-north-01", At: at, Progress: &progress,
		}},
		{schema.KindExpertAssignment, schema.ExpertAssignment{
			ID: req, RequestID: req, Outcome: schema.AssignmentNoExpertAvailable, AssignedTo: "ps-dept", AssignedAt: at,
		}},
		{schema.KindExpertAssignment, schema.ExpertAssignment{
			ID: req, RequestID: req, Outcome: schema.AssignmentAssigned, OfferID: req, AssignedTo: "ps-dept",
			Expert: &expert, FromOrg: "central-bank", Period: &win, AssignedAt: at,
		}},
		{schema.KindEscalation, schema.Escalation{
			ID: req, From: "customs", To: "armed-police", Decision: schema.EscalationEscalate,
			Reason: "synthetic", Urgency: schema.PriorityHigh, EvidenceIDs: []string{rec}, DecidedAt: at,
		}},
		{schema.KindEscalation, schema.Escalation{
			ID: req, From: "central-bank", To: "ps-dept", Decision: schema.EscalationHandleHere,
			Action: schema.EscalationActionMonitor, Reason: "synthetic", Urgency: schema.PriorityLow, DecidedAt: at,
		}},
	}
	for _, c := range cases {
		b, err := json.Marshal(c.v)
		require.NoError(t, err)
		assert.NoError(t, v.ValidatePayload(c.kind, 1, b), "%s: %s", c.kind, b)
	}

	b, err := json.Marshal(&schema.Product{})
	require.NoError(t, err)
	assert.Contains(t, string(b), `"entries":[]`)
	b, err = json.Marshal(schema.FeedbackCounts{})
	require.NoError(t, err)
	assert.Contains(t, string(b), `"tasks_failed":0`)
}

// TestCollabTypesRegistered checks every collaboration kind has a Go type.
func TestCollabTypesRegistered(t *testing.T) {
	for kind, want := range map[string]any{
		schema.KindRequirement:      &schema.Requirement{},
		schema.KindPlan:             &schema.Plan{},
		schema.KindTask:             &schema.Task{},
		schema.KindTaskStatus:       &schema.TaskStatus{},
		schema.KindExpertRequest:    &schema.ExpertRequest{},
		schema.KindExpertOffer:      &schema.ExpertOffer{},
		schema.KindExpertAssignment: &schema.ExpertAssignment{},
		schema.KindEscalation:       &schema.Escalation{},
		schema.KindProduct:          &schema.Product{},
		schema.KindFeedbackReport:   &schema.FeedbackReport{},
	} {
		p, err := schema.NewPayload(kind, 1)
		require.NoError(t, err, kind)
		assert.IsType(t, want, p, kind)
	}
}
