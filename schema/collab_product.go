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
	register(KindEntryFeedback, 1, EntryFeedback{})
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
	// Id of the escalation.
	ID string `json:"id"`
	// Deciding organization, a general business department.
	From string `json:"from"`
	// Specialized department that receives the escalation or the notice.
	To string `json:"to"`
	// escalate: the incident is beyond the department and goes to the
	// specialized department; handle_here: the department acts itself.
	Decision EscalationDecision `json:"decision"`
	// Action is required with EscalationHandleHere.
	Action EscalationAction `json:"action,omitempty"`
	// ActionNote describes the action; required with EscalationActionOther.
	ActionNote string `json:"action_note,omitempty"`
	// Why the department decided as it did.
	Reason string `json:"reason"`
	// How urgent the incident is.
	Urgency Priority `json:"urgency"`
	// EvidenceIDs are the records and products the decision rests on; at
	// least one is required with EscalationEscalate.
	EvidenceIDs []string `json:"evidence_ids,omitempty"`
	// Persons concerned, as keyed pseudonyms.
	Subjects []Subject `json:"subjects,omitempty"`
	// Id of the requirement the incident falls under, if any.
	RequirementID string `json:"requirement_id,omitempty"`
	// Id of the task during which the incident arose, if any.
	TaskID string `json:"task_id,omitempty"`
	// When the decision was taken.
	DecidedAt time.Time `json:"decided_at"`
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
	// Id of the product.
	ID string `json:"id"`
	// Which domain list this is.
	ListType ListType `json:"list_type"`
	// real_time: one product per finding as it happens; daily: one per day;
	// task: one for a task, which task_id names.
	Frequency Frequency `json:"frequency"`
	// Organization that produced the list.
	Producer string `json:"producer"`
	// Id of the requirement the list serves.
	RequirementID string `json:"requirement_id"`
	// Id of the task the list answers; required at task frequency.
	TaskID string `json:"task_id,omitempty"`
	// Supersedes is the id of an earlier product this one corrects.
	Supersedes string `json:"supersedes,omitempty"`
	// The time the records behind the list were collected in.
	Period Window `json:"period"`
	// When the list was produced.
	ProducedAt time.Time `json:"produced_at"`
	// The entries, highest score first by convention; empty when the period had
	// no finding.
	Entries []ProductEntry `json:"entries"`
	// What the list shows, in a few sentences.
	Summary string `json:"summary,omitempty"`
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
	// The person, as a keyed pseudonym.
	Subject Subject `json:"subject"`
	// How strongly the evidence points at the subject, from 0 to 1.
	Score float64 `json:"score"`
	// Why the subject is on the list, each a short phrase or rule name.
	Reasons []string `json:"reasons"`
	// Ids of the records behind the entry.
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
	// Id of the report; a plan revision it prompts cites it.
	ID string `json:"id"`
	// task: the report closing one task, which task_id names; monthly or
	// annual: a work report for the period.
	Type FeedbackType `json:"type"`
	// Organization reporting.
	Reporter string `json:"reporter"`
	// The time the report covers.
	Period Window `json:"period"`
	// RequirementID names the requirement when the report covers one only.
	RequirementID string `json:"requirement_id,omitempty"`
	// TaskID is required with FeedbackTask.
	TaskID string `json:"task_id,omitempty"`
	// What the reporter did in the period. Every count is required: 0 is data.
	Counts FeedbackCounts `json:"counts"`
	// What the reporter found, one finding per item.
	Findings []string `json:"findings,omitempty"`
	// Adjustments the reporter recommends to the plan.
	Recommendations []FeedbackRecommendation `json:"recommendations,omitempty"`
	// When the report was produced.
	ProducedAt time.Time `json:"produced_at"`
}

// FeedbackCounts is what a reporter did in the period. Every count is
// always encoded: 0 is data.
type FeedbackCounts struct {
	// Records submitted upward.
	RecordsSubmitted int `json:"records_submitted"`
	// Of those, records the receiver accepted.
	RecordsAccepted int `json:"records_accepted"`
	// Of those, records the receiver rejected.
	RecordsRejected int `json:"records_rejected"`
	// Of those, records the receiver already had.
	RecordsDuplicate int `json:"records_duplicate"`
	// Products (domain lists) produced.
	Products int `json:"products"`
	// Incidents escalated to a specialized department.
	Escalations int `json:"escalations"`
	// Incidents handled here with an action.
	Actions int `json:"actions"`
	// Tasks done by their deadline.
	TasksDone int `json:"tasks_done"`
	// Tasks done after their deadline.
	TasksLate int `json:"tasks_late"`
	// Tasks failed or cancelled.
	TasksFailed int `json:"tasks_failed"`
	// Experts assigned to or from the reporter.
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
	// and names the Kind when the plan collects more than one; with
	// Source, only that source's collection changes.
	RecommendAdjustFrequency RecommendationType = "adjust_frequency"
	// RecommendStopSource needs TargetID (the plan) and Source: stop
	// collecting Kind (or every kind) from Source.
	RecommendStopSource RecommendationType = "stop_source"
)

// FeedbackRecommendation is one plan adjustment a report recommends.
type FeedbackRecommendation struct {
	// reprioritize a requirement, plan or task; add a task; close a task;
	// adjust a plan's collection frequency (for one source when source is
	// given); stop collecting from one source.
	Type RecommendationType `json:"type"`
	// Id of the requirement, plan or task concerned; required except for
	// add_task, where it names the plan if given.
	TargetID string `json:"target_id,omitempty"`
	// The priority recommended; required for reprioritize.
	Priority Priority `json:"priority,omitempty"`
	// Source is the collecting organization concerned; required for
	// stop_source, optional for adjust_frequency.
	Source string `json:"source,omitempty"`
	// Kind whose collection frequency should change; for adjust_frequency.
	Kind string `json:"kind,omitempty"`
	// The collection frequency recommended; required for adjust_frequency.
	Frequency Frequency `json:"frequency,omitempty"`
	// What and why.
	Note string `json:"note"`
}

// EntryVerdict is what a consumer found about a product entry.
type EntryVerdict string

// The entry verdicts.
const (
	// VerdictConfirmed: the consumer's own work confirms the entry.
	VerdictConfirmed EntryVerdict = "confirmed"
	// VerdictFalsePositive: the entry is wrong.
	VerdictFalsePositive EntryVerdict = "false_positive"
	// VerdictActedOn: the consumer took an action on the entry (Action).
	VerdictActedOn EntryVerdict = "acted_on"
)

// EntryFeedback is a collab.entry_feedback: a consumer's verdict on one
// entry of a product, sent back to its producer, which counts verdicts per
// source to learn each source's yield.
type EntryFeedback struct {
	// Id of the feedback.
	ID string `json:"id"`
	// Id of the product the entry is on.
	ProductID string `json:"product_id"`
	// Organization that produced the product, to which the feedback goes.
	Producer string `json:"producer"`
	// The entry's subject, as the product names it (keyed pseudonym).
	Subject Subject `json:"subject"`
	// Organization giving the feedback, a consumer of the product.
	By string `json:"by"`
	// confirmed, false_positive or acted_on.
	Verdict EntryVerdict `json:"verdict"`
	// Action is the action taken; required with VerdictActedOn.
	Action EscalationAction `json:"action,omitempty"`
	// What the consumer found, in a few words.
	Note string `json:"note,omitempty"`
	// When the consumer reached the verdict.
	At time.Time `json:"at"`
}
