package collab_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// TestMessageInteraction: every kind travels as its real interaction.
func TestMessageInteraction(t *testing.T) {
	dir := loadScheme(t)
	js := func(v any) []byte { b, _ := json.Marshal(v); return b }
	for _, c := range []struct {
		name    string
		kind    string
		payload []byte
		want    collab.Interaction
	}{
		{"requirement goes down", schema.KindRequirement, nil, collab.InteractionTask},
		{"plan goes down", schema.KindPlan, nil, collab.InteractionTask},
		{"task goes down", schema.KindTask, nil, collab.InteractionTask},
		{"task status answers a task", schema.KindTaskStatus, nil, collab.InteractionTask},
		{"secondment request", schema.KindExpertRequest, js(schema.ExpertRequest{Channel: schema.ExpertSecondment}), collab.InteractionSecondment},
		{"hire request", schema.KindExpertRequest, js(schema.ExpertRequest{Channel: schema.ExpertHire}), collab.InteractionHire},
		{"offer from a ministry", schema.KindExpertOffer, js(schema.ExpertOffer{OfferedBy: "central-bank"}), collab.InteractionSecondment},
		{"offer from a bank", schema.KindExpertOffer, js(schema.ExpertOffer{OfferedBy: "bank-north-01"}), collab.InteractionHire},
		{"assignment from a bank", schema.KindExpertAssignment, js(schema.ExpertAssignment{FromOrg: "bank-north-01"}), collab.InteractionHire},
		{"assignment from a ministry", schema.KindExpertAssignment, js(schema.ExpertAssignment{FromOrg: "customs"}), collab.InteractionSecondment},
		{"no expert found", schema.KindExpertAssignment, js(schema.ExpertAssignment{}), collab.InteractionSecondment},
		{"escalation", schema.KindEscalation, js(schema.Escalation{Decision: schema.EscalationEscalate}), collab.InteractionEscalation},
		{"handle-here notice", schema.KindEscalation, js(schema.Escalation{Decision: schema.EscalationHandleHere}), collab.InteractionNone},
		{"unreadable escalation", schema.KindEscalation, []byte("{"), collab.InteractionEscalation},
		{"entry feedback", schema.KindEntryFeedback, nil, collab.InteractionNone},
		{"record", schema.KindFinanceTransaction, nil, collab.InteractionSubmission},
		{"public tip", schema.KindPublicTip, nil, collab.InteractionSubmission},
		{"product", schema.KindProduct, nil, collab.InteractionSubmission},
		{"work report", schema.KindFeedbackReport, nil, collab.InteractionSubmission},
	} {
		assert.Equal(t, c.want, collab.MessageInteraction(dir, c.kind, c.payload), c.name)
	}
	// Entry feedback goes to the producer it names, not by kind.
	assert.True(t, collab.Addressed(schema.KindEntryFeedback))
	next, err := dir.Route("public-security", schema.KindEntryFeedback)
	assert.NoError(t, err)
	assert.Empty(t, next)
	// Without a directory an offer cannot be placed: a secondment.
	assert.Equal(t, collab.InteractionSecondment, collab.MessageInteraction(nil, schema.KindExpertOffer, js(schema.ExpertOffer{OfferedBy: "bank-north-01"})))
}
