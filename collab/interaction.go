package collab

import (
	"encoding/json"

	"github.com/sicollab/sicollab/schema"
)

// MessageInteraction returns the horizontal interaction that a message of
// kind with payload is when it travels from one organization to another,
// so that a hub journals what it receives under the interaction it really
// is, not as a submission whatever it carries:
//
//   - collab.requirement, collab.plan, collab.task and collab.task_status:
//     InteractionTask (1), tasking going down and its status coming back;
//   - collab.expert_request: InteractionSecondment (3) or InteractionHire
//     (4) by its channel; collab.expert_offer by the tier of the offering
//     organization (a social force's offer is a hire); collab.expert_assignment
//     by the tier of the expert's organization (FromOrg; secondment when
//     no expert was found, since the assignment does not name a channel);
//   - collab.escalation: InteractionEscalation (5) for an escalation; a
//     handle_here decision sent for information is InteractionNone, as
//     EscalationEntries journals it;
//   - collab.entry_feedback: InteractionNone (feedback on a product, not
//     one of the five interactions);
//   - everything else (records, public tips, products, work reports):
//     InteractionSubmission (2).
//
// A payload that cannot be read, or an organization the directory does not
// know, falls back to the kind's default reading above. dir may be nil;
// then offers and assignments count as secondments.
func MessageInteraction(dir *Directory, kind string, payload []byte) Interaction {
	switch kind {
	case schema.KindRequirement, schema.KindPlan, schema.KindTask, schema.KindTaskStatus:
		return InteractionTask
	case schema.KindExpertRequest:
		var r struct {
			Channel schema.ExpertChannel `json:"channel"`
		}
		if json.Unmarshal(payload, &r) == nil && r.Channel == schema.ExpertHire {
			return InteractionHire
		}
		return InteractionSecondment
	case schema.KindExpertOffer:
		var o struct {
			OfferedBy string `json:"offered_by"`
		}
		_ = json.Unmarshal(payload, &o)
		return expertSide(dir, o.OfferedBy)
	case schema.KindExpertAssignment:
		var a struct {
			FromOrg string `json:"from_org"`
		}
		_ = json.Unmarshal(payload, &a)
		return expertSide(dir, a.FromOrg)
	case schema.KindEscalation:
		var e struct {
			Decision schema.EscalationDecision `json:"decision"`
		}
		if json.Unmarshal(payload, &e) == nil && e.Decision == schema.EscalationHandleHere {
			return InteractionNone
		}
		return InteractionEscalation
	case schema.KindEntryFeedback:
		return InteractionNone
	}
	return InteractionSubmission
}

// expertSide is the interaction of an expert coming from org: a hire from
// a social force, a secondment otherwise.
func expertSide(dir *Directory, org string) Interaction {
	if dir != nil {
		if o, ok := dir.Org(org); ok && o.Tier == SocialForce {
			return InteractionHire
		}
	}
	return InteractionSecondment
}
