package schema

import (
	"encoding/json"
	"time"
)

// Escalations, products and feedback reports travel up the scheme: from a
// general business department to a specialized one (interaction 5), from
// producers to whoever set the requirement, and from every organization
// back into planning.

func init() {
	register(KindEscalation, 1, Escalation{})
	register(KindProduct, 1, Product{})
	register(KindFeedbackReport, 1, FeedbackReport{})
}

// EscalationDecision is what a general business department decides about
// an incident.
type EscalationDecision string

// The escalation decisions.
const (
	// EscalationEscalate sends the incident, with evidence, to a
	// specialized department (interaction 5).
	EscalationEscalate EscalationDecision = "escalate"
	// EscalationHandleHere keeps the incident with the department, which
	// records the action it takes.
	EscalationHandleHere EscalationDecision = "handle_here"
)

// EscalationAction is what a department does or recommends when it
// handles an incident itself.
type EscalationAction string

// The escalation actions.
const (
	EscalationActionRecommendFreezeFunds EscalationAction = "recommend_freeze_funds"
	EscalationActionAddCarrierBlacklist  EscalationAction = "add_carrier_blacklist"
	EscalationActionAddInspectionList    EscalationAction = "add_inspection_list"
	EscalationActionSuspendAccount       EscalationAction = "suspend_account"
	EscalationActionMonitor              EscalationAction = "monitor"
	// EscalationActionOther needs ActionNote.
	EscalationActionOther EscalationAction = "other"
)

// Escalation is a collab.escalation: a general business department's
// decision on an incident, either escalated to a specialized department
// with evidence or handled here with an action the specialized department
// receives for information.
type Escalation struct {
	ID       string             `json:"id"`
	From     string             `json:"from"`
	To       string             `json:"to"`
	Decision EscalationDecision `json:"decision"`
	// Action is required with EscalationHandleHere.
	Action EscalationAction `json:"action,omitempty"`
	// ActionNote describes the action; required with EscalationActionOther.
	ActionNote string   `json:"action_note,omitempty"`
	Reason     string   `json:"reason"`
	Urgency    Priority `json:"urgency"`
	// EvidenceIDs are the records and products the decision rests on; at
	// least one is required with EscalationEscalate.
	EvidenceIDs   []string  `json:"evidence_ids,omitempty"`
	Subjects      []Subject `json:"subjects,omitempty"`
	RequirementID string    `json:"requirement_id,omitempty"`
	TaskID        string    `json:"task_id,omitempty"`
	DecidedAt     time.Time `json:"decided_at"`
}

// ListType names a domain list.
type ListType string

// The domain lists.
const (
	ListAbnormalFinancialActivity ListType = "abnormal_financial_activity"
	ListPassengerTrajectory       ListType = "passenger_trajectory"
	ListFreightTrajectory         ListType = "freight_trajectory"
	ListFlaggedAccounts           ListType = "flagged_accounts"
	ListHazmatPurchases           ListType = "hazmat_purchases"
	ListAbnormalEntryExit         ListType = "abnormal_entry_exit"
	ListCrossSectorLink           ListType = "cross_sector_link"
)

// Product is a collab.product: a domain list produced at real-time, daily
// or task frequency (FrequencyRealTime, FrequencyDaily, FrequencyTask; the
// last needs TaskID). Entries may be empty when the period had no finding;
// a nil Entries is encoded as [].
type Product struct {
	ID            string    `json:"id"`
	ListType      ListType  `json:"list_type"`
	Frequency     Frequency `json:"frequency"`
	Producer      string    `json:"producer"`
	RequirementID string    `json:"requirement_id"`
	TaskID        string    `json:"task_id,omitempty"`
	// Supersedes is the id of an earlier product this one corrects.
	Supersedes string         `json:"supersedes,omitempty"`
	Period     Window         `json:"period"`
	ProducedAt time.Time      `json:"produced_at"`
	Entries    []ProductEntry `json:"entries"`
	Summary    string         `json:"summary,omitempty"`
}

// MarshalJSON encodes the product, writing a nil Entries as [] so that an
// empty list stays valid.
func (p Product) MarshalJSON() ([]byte, error) {
	type plain Product
	if p.Entries == nil {
		p.Entries = []ProductEntry{}
	}
	return json.Marshal(plain(p))
}

// ProductEntry is one subject on a domain list: a score from 0 to 1, the
// reasons, and the records behind it.
type ProductEntry struct {
	Subject     Subject  `json:"subject"`
	Score       float64  `json:"score"`
	Reasons     []string `json:"reasons"`
	EvidenceIDs []string `json:"evidence_ids"`
}

// FeedbackType is the kind of work report.
type FeedbackType string

// The feedback report types.
const (
	// FeedbackTask closes one task; the report names it in TaskID.
	FeedbackTask    FeedbackType = "task"
	FeedbackMonthly FeedbackType = "monthly"
	FeedbackAnnual  FeedbackType = "annual"
)

// FeedbackReport is a collab.feedback_report: the counts, findings and
// recommendations of an organization at the end of a task, a month or a
// year, which re-enter planning as plan adjustments.
type FeedbackReport struct {
	ID       string       `json:"id"`
	Type     FeedbackType `json:"type"`
	Reporter string       `json:"reporter"`
	Period   Window       `json:"period"`
	// RequirementID names the requirement when the report covers one only.
	RequirementID string `json:"requirement_id,omitempty"`
	// TaskID is required with FeedbackTask.
	TaskID          string                   `json:"task_id,omitempty"`
	Counts          FeedbackCounts           `json:"counts"`
	Findings        []string                 `json:"findings,omitempty"`
	Recommendations []FeedbackRecommendation `json:"recommendations,omitempty"`
	ProducedAt      time.Time                `json:"produced_at"`
}

// FeedbackCounts is what a reporter did in the period. Every count is
// always encoded: 0 is data.
type FeedbackCounts struct {
	RecordsSubmitted  int `json:"records_submitted"`
	RecordsAccepted   int `json:"records_accepted"`
	RecordsRejected   int `json:"records_rejected"`
	RecordsDuplicate  int `json:"records_duplicate"`
	Products          int `json:"products"`
	Escalations       int `json:"escalations"`
	Actions           int `json:"actions"`
	TasksDone         int `json:"tasks_done"`
	TasksLate         int `json:"tasks_late"`
	TasksFailed       int `json:"tasks_failed"`
	ExpertAssignments int `json:"expert_assignments"`
}

// RecommendationType is the kind of plan adjustment a report recommends.
type RecommendationType string

// The recommendation types.
const (
	// RecommendReprioritize needs TargetID and Priority.
	RecommendReprioritize RecommendationType = "reprioritize"
	// RecommendAddTask may name the plan in TargetID.
	RecommendAddTask RecommendationType = "add_task"
	// RecommendCloseTask needs TargetID.
	RecommendCloseTask RecommendationType = "close_task"
	// RecommendAdjustFrequency needs TargetID (the plan) and Frequency,
	// and names the Kind when the plan collects more than one.
	RecommendAdjustFrequency RecommendationType = "adjust_frequency"
)

// FeedbackRecommendation is one plan adjustment a report recommends.
type FeedbackRecommendation struct {
	Type      RecommendationType `json:"type"`
	TargetID  string             `json:"target_id,omitempty"`
	Priority  Priority           `json:"priority,omitempty"`
	Kind      string             `json:"kind,omitempty"`
	Frequency Frequency          `json:"frequency,omitempty"`
	Note      string             `json:"note"`
}
