package schema

import "time"

// Collaboration message kinds travel in the same envelope as records:
// requirements, plans and tasks go down the scheme; task statuses,
// products, escalations and feedback reports go up; expert requests,
// offers and assignments go across. This file holds the planning and
// tasking kinds and the expert exchange (interactions 1, 3 and 4);
// collab_product.go holds escalations, products and feedback reports.

func init() {
	register(KindRequirement, 1, Requirement{})
	register(KindPlan, 1, Plan{})
	register(KindTask, 1, Task{})
	register(KindTaskStatus, 1, TaskStatus{})
	register(KindExpertRequest, 1, ExpertRequest{})
	register(KindExpertOffer, 1, ExpertOffer{})
	register(KindExpertAssignment, 1, ExpertAssignment{})
}

// Priority ranks requirements, tasks, escalations and recommendations.
type Priority string

// The priorities, lowest first.
const (
	PriorityLow      Priority = "low"
	PriorityMedium   Priority = "medium"
	PriorityHigh     Priority = "high"
	PriorityCritical Priority = "critical"
)

// RequirementType says whether a requirement is a standing early-warning
// need or a clear, task-specific one.
type RequirementType string

// The requirement types.
const (
	// RequirementEarlyWarning is a standing, unclear need that runs until
	// it is closed.
	RequirementEarlyWarning RequirementType = "early_warning"
	// RequirementTaskSpecific is a clear need tied to a known incident or
	// threat.
	RequirementTaskSpecific RequirementType = "task_specific"
)

// RequirementStatus says whether records may be collected under a
// requirement.
type RequirementStatus string

// The requirement statuses.
const (
	RequirementActive    RequirementStatus = "active"
	RequirementSuspended RequirementStatus = "suspended"
	RequirementClosed    RequirementStatus = "closed"
)

// Requirement is a collab.requirement: an intelligence need issued by the
// leading group (or a department for its domain), with the scope that
// every plan, task and record under it must stay within.
type Requirement struct {
	// Id of the requirement; records cite it as their purpose.
	ID string `json:"id"`
	// early_warning: standing, unclear need that runs until closed;
	// task_specific: a clear need tied to a known incident or threat.
	Type RequirementType `json:"type"`
	// Short title.
	Title string `json:"title"`
	// What is needed and why, in words a receiving department can act on.
	Description string `json:"description"`
	// Organization that issued the requirement, usually the leading group.
	Issuer string `json:"issuer"`
	// When the requirement was issued.
	IssuedAt time.Time `json:"issued_at"`
	// Kinds, sectors, regions and time window the requirement covers; nothing
	// derived from it may be wider.
	Scope Scope `json:"scope"`
	// Priority of the requirement.
	Priority Priority `json:"priority"`
	// The law, regulation or decision that authorizes the collection.
	LegalBasis string `json:"legal_basis"`
	// active: records may be collected under it; suspended: collection paused;
	// closed: no further collection.
	Status RequirementStatus `json:"status"`
	// ValidUntil is when the requirement lapses unless renewed; nil for a
	// standing requirement.
	ValidUntil *time.Time `json:"valid_until,omitempty"`
	// Addressees are the organizations expected to act on it; empty when
	// the directory decides from the scope.
	Addressees []string `json:"addressees,omitempty"`
	// Supersedes is the id of an earlier requirement this one replaces.
	Supersedes string `json:"supersedes,omitempty"`
}

// PlanLevel is where a plan sits in the hierarchy of plans.
type PlanLevel string

// The plan levels, top down.
const (
	// PlanMacro is the leading group's plan; it has no parent.
	PlanMacro PlanLevel = "macro"
	// PlanDepartment is a department's plan under a macro plan.
	PlanDepartment PlanLevel = "department"
	// PlanInternal is an organization's own plan under a department plan.
	PlanInternal PlanLevel = "internal"
)

// PlanHorizon is the term a plan looks ahead.
type PlanHorizon string

// The plan horizons.
const (
	// HorizonShort: weeks to a few months; monthly reports adjust it.
	HorizonShort PlanHorizon = "short"
	// HorizonMedium: months to a year; monthly reports adjust it.
	HorizonMedium PlanHorizon = "medium"
	// HorizonLong: the long-term macro plan; annual reports adjust it.
	HorizonLong PlanHorizon = "long"
)

// Frequency is how often data is collected or a product delivered. Plans
// use all five; products only real_time, daily and task.
type Frequency string

// The frequencies.
const (
	FrequencyRealTime Frequency = "real_time"
	FrequencyDaily    Frequency = "daily"
	FrequencyWeekly   Frequency = "weekly"
	FrequencyMonthly  Frequency = "monthly"
	FrequencyTask     Frequency = "task"
)

// Plan is a collab.plan: a collection plan derived from a requirement.
// Every adjustment is sent as a new revision of the same plan id; a derived
// plan never widens its parent's scope.
type Plan struct {
	// Id of the plan; the same across revisions.
	ID string `json:"id"`
	// macro: the leading group's plan; department: a department's plan under a
	// macro plan; internal: an organization's own plan under a department plan.
	Level PlanLevel `json:"level"`
	// ParentID is the plan this one derives from; empty only for a macro
	// plan.
	ParentID string `json:"parent_id,omitempty"`
	// Id of the requirement the plan serves.
	RequirementID string `json:"requirement_id"`
	// Horizon is short, medium or long term; empty, the level decides
	// (macro long, department medium, internal short). Monthly work
	// reports adjust short- and medium-term plans, annual reports
	// long-term ones.
	Horizon PlanHorizon `json:"horizon,omitempty"`
	// Organization responsible for the plan.
	Owner string `json:"owner"`
	// Revision number, 1 for the first issue, growing by one with each
	// adjustment.
	Revision int `json:"revision"`
	// When this revision was made.
	RevisedAt time.Time `json:"revised_at"`
	// RevisionReason says why the plan was adjusted; required from
	// revision 2 on.
	RevisionReason string `json:"revision_reason,omitempty"`
	// FeedbackReportID names the feedback report that prompted the
	// revision, when one did.
	FeedbackReportID string `json:"feedback_report_id,omitempty"`
	// What the plan covers; within the requirement's scope and the parent
	// plan's.
	Scope Scope `json:"scope"`
	// What the plan is to achieve, one objective per item.
	Objectives []string `json:"objectives"`
	// What is to be collected, how often and by whom.
	Collection []PlanCollectionItem `json:"collection"`
}

// PlanCollectionItem is one line of a plan: a kind to collect, how often,
// and by whom.
type PlanCollectionItem struct {
	// Kind of record to collect.
	Kind string `json:"kind"`
	// How often records of the kind are delivered.
	Frequency Frequency `json:"frequency"`
	// AssignedTo lists the collecting organizations; empty means every
	// organization of the scope's sectors.
	AssignedTo []string `json:"assigned_to,omitempty"`
	// Instructions particular to this item.
	Note string `json:"note,omitempty"`
}

// Task is a collab.task (interaction 1): what one or more assignees are to
// collect, process or analyse under a plan, and by when.
type Task struct {
	// Id of the task; records collected for it cite it as their purpose.
	ID string `json:"id"`
	// Id of the plan the task carries out.
	PlanID string `json:"plan_id"`
	// Id of the requirement the plan serves.
	RequirementID string `json:"requirement_id"`
	// ParentTaskID names the task this one was split from, when a
	// department passes part of its own task down.
	ParentTaskID string `json:"parent_task_id,omitempty"`
	// Organization that assigns the task.
	Issuer string `json:"issuer"`
	// Organizations the task is assigned to.
	Assignee []string `json:"assignee"`
	// Short title.
	Title string `json:"title"`
	// What to do, in words the assignee can act on.
	Instructions string `json:"instructions"`
	// Stage is the stage of the cycle the task belongs to, when only one.
	Stage Stage `json:"stage,omitempty"`
	// Kinds are the record kinds asked for; empty for analysis or review.
	Kinds []string `json:"kinds,omitempty"`
	// Priority of the task.
	Priority Priority `json:"priority"`
	// When the task was issued.
	IssuedAt time.Time `json:"issued_at"`
	// When the task must be done.
	Deadline time.Time `json:"deadline"`
}

// TaskState is the state of a task.
type TaskState string

// The task states.
const (
	TaskIssued     TaskState = "issued"
	TaskAccepted   TaskState = "accepted"
	TaskInProgress TaskState = "in_progress"
	TaskDone       TaskState = "done"
	TaskFailed     TaskState = "failed"
	TaskEscalated  TaskState = "escalated"
	TaskCancelled  TaskState = "cancelled"
)

// TaskStatus is a collab.task_status: a change of a task's state, reported
// by the organization that made it.
type TaskStatus struct {
	// Id of the task.
	TaskID string `json:"task_id"`
	// The state the task is in now.
	State TaskState `json:"state"`
	// PreviousState lets a receiver detect a missed update.
	PreviousState TaskState `json:"previous_state,omitempty"`
	// Organization that changed the state.
	By string `json:"by"`
	// When the state changed.
	At time.Time `json:"at"`
	// Reason is required when State is TaskFailed or TaskCancelled.
	Reason string `json:"reason,omitempty"`
	// Progress is the share done in percent; nil when unknown (0 is data).
	Progress *int `json:"progress,omitempty"`
	// EvidenceIDs are the records or products that show the work done.
	EvidenceIDs []string `json:"evidence_ids,omitempty"`
	// EscalationID names the escalation message when State is TaskEscalated.
	EscalationID string `json:"escalation_id,omitempty"`
}

// ExpertDomain is a field of expertise.
type ExpertDomain string

// The fields of expertise.
const (
	ExpertDomainFinance     ExpertDomain = "finance"
	ExpertDomainTransport   ExpertDomain = "transport"
	ExpertDomainTelecom     ExpertDomain = "telecom"
	ExpertDomainServices    ExpertDomain = "services"
	ExpertDomainCommerce    ExpertDomain = "commerce"
	ExpertDomainHealth      ExpertDomain = "health"
	ExpertDomainNonprofit   ExpertDomain = "nonprofit"
	ExpertDomainCustoms     ExpertDomain = "customs"
	ExpertDomainChemistry   ExpertDomain = "chemistry"
	ExpertDomainCyber       ExpertDomain = "cyber"
	ExpertDomainLinguistics ExpertDomain = "linguistics"
	ExpertDomainOther       ExpertDomain = "other"
)

// ExpertChannel is how experts are obtained.
type ExpertChannel string

// The expert channels.
const (
	// ExpertSecondment: from a general business department to a
	// specialized one or back (interaction 3).
	ExpertSecondment ExpertChannel = "secondment"
	// ExpertHire: external experts hired from social forces
	// (interaction 4).
	ExpertHire ExpertChannel = "hire"
)

// ExpertRequest is a collab.expert_request: a department asks for experts
// for a task, by secondment or by hiring.
type ExpertRequest struct {
	// Id of the request; offers and assignments cite it.
	ID string `json:"id"`
	// Organization that needs the experts.
	Requester string `json:"requester"`
	// Id of the task the experts are needed for.
	TaskID string `json:"task_id"`
	// Field of expertise needed.
	Domain ExpertDomain `json:"domain"`
	// secondment: from a general business department to a specialized one or
	// back (interaction 3); hire: external experts from social forces
	// (interaction 4).
	Channel ExpertChannel `json:"channel"`
	// When the experts are needed.
	Period Window `json:"period"`
	// Skills are particular skills needed, each a short phrase.
	Skills []string `json:"skills,omitempty"`
	// How many experts are needed.
	NeededCount int `json:"needed_count"`
	// Addressees are the organizations asked to offer; empty when the
	// directory chooses by domain and channel.
	Addressees []string `json:"addressees,omitempty"`
	// RespondBy is when offers are due, if there is a limit.
	RespondBy *time.Time `json:"respond_by,omitempty"`
	// Anything else offering organizations should know.
	Note string `json:"note,omitempty"`
	// When the request was made.
	RequestedAt time.Time `json:"requested_at"`
}

// ExpertOffer is a collab.expert_offer: one expert offered in answer to a
// request, named only by keyed pseudonym.
type ExpertOffer struct {
	// Id of the offer; an assignment cites it.
	ID string `json:"id"`
	// Id of the expert request answered.
	RequestID string `json:"request_id"`
	// Organization offering the expert.
	OfferedBy string `json:"offered_by"`
	// Field of expertise of the expert.
	Domain ExpertDomain `json:"domain"`
	// The expert, as a keyed pseudonym.
	Expert Subject `json:"expert"`
	// When the expert is available.
	Available Window `json:"available"`
	// Qualifications and experience, each a short phrase; never
	// special-category data.
	Qualifications []string `json:"qualifications"`
	// Conditions of the offer, if any.
	Note string `json:"note,omitempty"`
	// When the offer was made.
	OfferedAt time.Time `json:"offered_at"`
}

// AssignmentOutcome is the outcome of an expert request.
type AssignmentOutcome string

// The assignment outcomes.
const (
	AssignmentAssigned          AssignmentOutcome = "assigned"
	AssignmentNoExpertAvailable AssignmentOutcome = "no_expert_available"
)

// ExpertAssignment is a collab.expert_assignment: the outcome of an expert
// request. With AssignmentAssigned, OfferID, Expert, FromOrg and Period are
// set; with AssignmentNoExpertAvailable they are empty and Reason says why.
type ExpertAssignment struct {
	// Id of the assignment.
	ID string `json:"id"`
	// Id of the expert request.
	RequestID string `json:"request_id"`
	// assigned: an expert is assigned; no_expert_available: the request could
	// not be met.
	Outcome AssignmentOutcome `json:"outcome"`
	// Id of the accepted offer.
	OfferID string `json:"offer_id,omitempty"`
	// Organization the expert works for during the period: the requester.
	AssignedTo string `json:"assigned_to"`
	// The expert, as a keyed pseudonym.
	Expert *Subject `json:"expert,omitempty"`
	// Organization the expert comes from.
	FromOrg string `json:"from_org,omitempty"`
	// When the expert is assigned.
	Period *Window `json:"period,omitempty"`
	// Why no expert is available, or notes on the assignment.
	Reason string `json:"reason,omitempty"`
	// When the outcome was decided.
	AssignedAt time.Time `json:"assigned_at"`
}
