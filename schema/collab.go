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
	ID          string            `json:"id"`
	Type        RequirementType   `json:"type"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	Issuer      string            `json:"issuer"`
	IssuedAt    time.Time         `json:"issued_at"`
	Scope       Scope             `json:"scope"`
	Priority    Priority          `json:"priority"`
	LegalBasis  string            `json:"legal_basis"`
	Status      RequirementStatus `json:"status"`
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
	ID    string    `json:"id"`
	Level PlanLevel `json:"level"`
	// ParentID is the plan this one derives from; empty only for a macro
	// plan.
	ParentID      string    `json:"parent_id,omitempty"`
	RequirementID string    `json:"requirement_id"`
	Owner         string    `json:"owner"`
	Revision      int       `json:"revision"`
	RevisedAt     time.Time `json:"revised_at"`
	// RevisionReason says why the plan was adjusted; required from
	// revision 2 on.
	RevisionReason string `json:"revision_reason,omitempty"`
	// FeedbackReportID names the feedback report that prompted the
	// revision, when one did.
	FeedbackReportID string               `json:"feedback_report_id,omitempty"`
	Scope            Scope                `json:"scope"`
	Objectives       []string             `json:"objectives"`
	Collection       []PlanCollectionItem `json:"collection"`
}

// PlanCollectionItem is one line of a plan: a kind to collect, how often,
// and by whom.
type PlanCollectionItem struct {
	Kind      string    `json:"kind"`
	Frequency Frequency `json:"frequency"`
	// AssignedTo lists the collecting organizations; empty means every
	// organization of the scope's sectors.
	AssignedTo []string `json:"assigned_to,omitempty"`
	Note       string   `json:"note,omitempty"`
}

// Task is a collab.task (interaction 1): what one or more assignees are to
// collect, process or analyse under a plan, and by when.
type Task struct {
	ID            string `json:"id"`
	PlanID        string `json:"plan_id"`
	RequirementID string `json:"requirement_id"`
	// ParentTaskID names the task this one was split from, when a
	// department passes part of its own task down.
	ParentTaskID string   `json:"parent_task_id,omitempty"`
	Issuer       string   `json:"issuer"`
	Assignee     []string `json:"assignee"`
	Title        string   `json:"title"`
	Instructions string   `json:"instructions"`
	// Stage is the stage of the cycle the task belongs to, when only one.
	Stage Stage `json:"stage,omitempty"`
	// Kinds are the record kinds asked for; empty for analysis or review.
	Kinds    []string  `json:"kinds,omitempty"`
	Priority Priority  `json:"priority"`
	IssuedAt time.Time `json:"issued_at"`
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
	TaskID string    `json:"task_id"`
	State  TaskState `json:"state"`
	// PreviousState lets a receiver detect a missed update.
	PreviousState TaskState `json:"previous_state,omitempty"`
	By            string    `json:"by"`
	At            time.Time `json:"at"`
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
	ID        string        `json:"id"`
	Requester string        `json:"requester"`
	TaskID    string        `json:"task_id"`
	Domain    ExpertDomain  `json:"domain"`
	Channel   ExpertChannel `json:"channel"`
	Period    Window        `json:"period"`
	// Skills are particular skills needed, each a short phrase.
	Skills      []string `json:"skills,omitempty"`
	NeededCount int      `json:"needed_count"`
	// Addressees are the organizations asked to offer; empty when the
	// directory chooses by domain and channel.
	Addressees []string `json:"addressees,omitempty"`
	// RespondBy is when offers are due, if there is a limit.
	RespondBy   *time.Time `json:"respond_by,omitempty"`
	Note        string     `json:"note,omitempty"`
	RequestedAt time.Time  `json:"requested_at"`
}

// ExpertOffer is a collab.expert_offer: one expert offered in answer to a
// request, named only by keyed pseudonym.
type ExpertOffer struct {
	ID             string       `json:"id"`
	RequestID      string       `json:"request_id"`
	OfferedBy      string       `json:"offered_by"`
	Domain         ExpertDomain `json:"domain"`
	Expert         Subject      `json:"expert"`
	Available      Window       `json:"available"`
	Qualifications []string     `json:"qualifications"`
	Note           string       `json:"note,omitempty"`
	OfferedAt      time.Time    `json:"offered_at"`
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
	ID         string            `json:"id"`
	RequestID  string            `json:"request_id"`
	Outcome    AssignmentOutcome `json:"outcome"`
	OfferID    string            `json:"offer_id,omitempty"`
	AssignedTo string            `json:"assigned_to"`
	Expert     *Subject          `json:"expert,omitempty"`
	FromOrg    string            `json:"from_org,omitempty"`
	Period     *Window           `json:"period,omitempty"`
	Reason     string            `json:"reason,omitempty"`
	AssignedAt time.Time         `json:"assigned_at"`
}
