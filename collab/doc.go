// Package collab models the actors of the security-intelligence
// collaboration scheme and the directory that binds them: who takes part, in
// which tier, under whose supervision, what each may submit and where each
// submission goes next.
//
// Package collab imports only package schema.
//
// # Actors
//
// The scheme has four tiers of actors in two layers ([Tier], [Layer]):
//
//   - [LeadingGroup] ([Leadership]): the counter-terrorism leading group; it
//     issues requirements, macro plans and tasks and receives work reports.
//   - [SpecializedDepartment] ([Execution]): public security, state security,
//     armed police; every source ends here, and escalations land here.
//   - [GeneralBusinessDepartment] ([Execution]): central bank, transport,
//     industry and IT, customs; each supervises sectors, aggregates,
//     processes and forwards, and produces domain lists.
//   - [SocialForce] ([Execution]): banks, payment providers, carriers, telecom
//     operators and platforms, hotels, hazmat makers and sellers,
//     hospitals, non-profits, the public; they collect domain data, do
//     first processing and submit upward.
//
// Every organization works in one or more [Sector] values (finance,
// transport, telecom, services, commerce, health, nonprofit, customs,
// public, security) and is seated in an ISO 3166-2 region. An [Org] carries
// all of this, plus the kinds it may submit, the kinds it takes in and the
// hash of its bearer token.
//
// # The directory
//
// A [Directory] is loaded from a collab.directory document ([LoadDirectory],
// [ParseDirectory]): validated against the embedded schema first, so that
// every violation comes with a JSON pointer ([*schema.ValidationError]),
// then against the scheme's rules. Every broken rule is reported at once,
// in one [*DirectoryError] whose Problems carry the pointer of each
// offending value, as a [*schema.ValidationError] does; errors.Is(err,
// [ErrInconsistentDirectory]) detects them. A Directory is immutable and
// safe for concurrent use; tier and sector are taken from it, never from a
// sender.
//
// # Routing
//
// [Directory.Route] gives the next hops of a submission, following
// interaction 2 of the scheme (submission of processed intelligence) upward:
// a social force submits to its general business department if that
// department takes the kind in, otherwise straight to the specialized
// departments that do (a hotel has no supervisor and reaches public security
// directly); a general business department forwards to every specialized
// department that takes the kind in; departments' reports also reach the
// leading group when it takes them in; records end at the specialized
// departments.
//
// # Authorization and authentication
//
// [Directory.Authorize] says whether an organization may submit a kind, and
// if not, why, naming what it may submit ([ErrUnknownOrg],
// [ErrKindNotAllowed]). [Directory.Authenticate] finds the organization
// whose token hash matches the SHA-256 of a presented bearer token; the
// directory never holds a token.
//
// # Requirements, plans and tasks
//
// A requirement ([schema.Requirement], checked by [CheckRequirement]) is
// issued by the leading group or a specialized department: early-warning
// requirements are standing (no valid_until; they run until closed or
// superseded), task-specific ones lapse at valid_until within their window.
// [Active] and [Covers] are the purpose limitation a hub applies to every
// record. Plans form a hierarchy: the leading group's macro plan
// ([CheckMacroPlan]), each department's plan and each social force's
// internal collection scheme ([Derive]); a derived plan never widens its
// parent's scope, and [ScopeWithin] reports every dimension that does as a
// [*ScopeError]. Feedback adjusts a plan by revision ([Revise],
// [CheckRevision]): a reason is required and the plan never widens beyond
// its parent. Tasks (interaction 1, [AssignTask]) go from the leading group
// to anyone, from a specialized department to general business departments
// and unsupervised social forces, and from a general business department to
// the social forces it supervises. [Transition] enforces the task state
// machine and who may make each change ([*TransitionError] wrapping
// [ErrIllegalTransition] or [ErrWrongParty]); a [Tracker] folds statuses into
// each assignee's part of a task and lists the parts that are [Tracker.Late].
// These functions check and decide but never write to a [Journal]: append
// what [EntryOfRequirement], [EntryOfPlan], [EntryOfTask] and [EntryOfTaskStatus]
// return.
//
// # Experts and escalation
//
// In the analysis stage a specialized department first decides whether a
// task needs an expert it lacks ([ExpertPolicy]; by default
// [KindExpertPolicy] maps the task's record kinds to fields of expertise).
// If it does, [NewExpertRequest] asks, by secondment (interaction 3), the
// general business departments, or by hire (interaction 4), the social
// forces working in the domain's sectors ([ExpertDomainSectors]), failing
// with [ErrNoAddressee] when there are none. [CheckOffer] accepts offers,
// and [Match] assigns the expert who covers most of the period, then the
// earliest offer, then the smallest id, or records no_expert_available
// with a reason. [ExpertDesk] runs the exchange and records every request,
// offer and assignment in a [Journal]. In the application stage a general
// business department decides on a [Case] with [Decide]: it handles the
// case itself with the action of its sector ([SectorAction]: recommend
// freezing funds, add to a carrier blacklist, add to an inspection list,
// ...) or escalates it, with evidence and urgency, to a specialized
// department ([EscalationTarget]; interaction 5). The default
// [ThresholdPolicy] escalates cross-sector cases and cases scoring at or
// above 0.8. [Escalator] records both outcomes.
//
// # Products, journal and feedback
//
// A [Catalog] keeps intelligence products ([schema.Product]) so that the
// application stage can first look for what exists: [Catalog.Query] selects
// by list type, producer, subject pseudonym and produced_at window, in
// produced_at then id order, a page at a time ([ProductQuery],
// [ProductPage]); a cursor works only for the query that handed it out
// ([ErrBadCursor]). Products are immutable ([ErrProductConflict]): a
// correction is a new product that supersedes the old. [MemCatalog] keeps
// them in memory, [BoltCatalog] in a bbolt file with indexes by list type,
// producer and subject. Every interaction (1-5), plan, decision and report
// is appended to a [Journal] ([MemJournal], [BoltJournal]), which is
// durable, never rewritten except by a retention purge that takes an
// old entry's payload and leaves its digest ([BoltJournal.PurgeData],
// [Entry.Purged]; [BoltCatalog.PurgeProducts] deletes expired products),
// and names a damaged entry by its seq ([CorruptEntryError]). Feedback reads the journal: [MonthlyReport],
// [AnnualReport] and [TaskReport] count what a reporter submitted and how
// it was judged, its products, escalations, actions, tasks done, late and
// failed and its expert assignments, and recommend adjustments by three
// documented rules; [ReviseFromFeedback] turns them into the next revision
// of a plan, which never widens its scope ([ErrScopeWidened]) and reaches
// only plans of the report's horizon ([Horizon], [Adjusts], [ErrHorizon]:
// monthly reports adjust short- and medium-term plans, annual reports the
// long-term macro plan).
//
// # Closing the cycle
//
// Consumers tell producers what became of a list entry with a
// collab.entry_feedback ([schema.EntryFeedback]: confirmed, false
// positive, acted on; [CheckEntryFeedback], [EntryOfEntryFeedback]). A
// [YieldTally] counts each source's records, the entries they led to and
// the verdicts on those, and [YieldPolicy.Recommend] turns the yields into
// recommendations for the next plan: a productive source collected
// faster, one that yields nothing slower, one whose entries are false
// positives stopped. [KeepCase] keeps a finished task-oriented operation
// as a case in the journal; a [CaseLibrary] ([LoadCaseLibrary]) offers a
// new task-specific requirement the most similar past cases by scope
// ([CaseLibrary.Similar]). The public is a source through a [TipDesk]:
// public.tip payloads, limited per pseudonymous reporter, duplicates
// folded, triaged and routed to public security. [MessageInteraction]
// says which of the five interactions a message is, so that journals and
// reports number them as the scheme does.
package collab
