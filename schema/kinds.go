package schema

// Record kinds: what social forces collect and submit upward.
const (
	KindFinanceTransaction   = "finance.transaction"
	KindTransportPassenger   = "transport.passenger"
	KindTransportFreight     = "transport.freight"
	KindTelecomAccountReport = "telecom.account_report"
	KindCommerceHazmat       = "commerce.hazmat_purchase"
	KindServicesLodging      = "services.lodging"
	KindHealthInfectious     = "health.infectious_source"
	KindCustomsEntryExit     = "customs.entry_exit"
	KindCustomsInspection    = "customs.inspection"
	KindPublicTip            = "public.tip"
)

// Collaboration message kinds: requirements, plans and tasks travel down,
// products, escalations and reports travel up, in the same envelope.
const (
	KindRequirement      = "collab.requirement"
	KindPlan             = "collab.plan"
	KindTask             = "collab.task"
	KindTaskStatus       = "collab.task_status"
	KindExpertRequest    = "collab.expert_request"
	KindExpertOffer      = "collab.expert_offer"
	KindExpertAssignment = "collab.expert_assignment"
	KindEscalation       = "collab.escalation"
	KindProduct          = "collab.product"
	KindFeedbackReport   = "collab.feedback_report"
	KindEntryFeedback    = "collab.entry_feedback"
)
