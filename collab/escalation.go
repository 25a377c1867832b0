package collab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sicollab/sicollab/schema"
)

// Escalation: interaction 5 of the scheme. In the application stage a
// general business department "first determines whether it can handle an
// incident; if beyond its scope, it reports to the specialized
// departments". Decide takes that decision on a Case under an
// EscalationPolicy; Escalator also records it in a Journal.

// Sentinel errors of escalation, for errors.Is. Decide and Escalator also
// return ErrUnknownOrg, ErrKindNotAllowed and ErrWrongParty.
var (
	// ErrInvalidCase: the case cannot be decided on: no evidence, a score
	// outside 0 to 1, an unknown evidence kind, or a decision that would
	// not be valid against the collab.escalation schema (the error then
	// also wraps the *schema.ValidationError, whose pointers name the
	// field, e.g. "/evidence_ids/0"). Returned by Decide and
	// Escalator.Decide.
	ErrInvalidCase = errors.New("collab: invalid escalation case")
	// ErrNoEscalationTarget: no specialized department in the directory
	// takes collab.escalation in, or the policy named a target that is
	// not one. Returned by EscalationTarget, Decide and Escalator.Decide.
	ErrNoEscalationTarget = errors.New("collab: no escalation target")
	// ErrBadVerdict: the escalation policy returned a verdict that is not
	// a decision (unknown decision, action or urgency, handle_here without
	// action, other without a note, no reason). Returned by Decide and
	// Escalator.Decide; the fault is the policy's.
	ErrBadVerdict = errors.New("collab: bad escalation verdict")
)

// maxReasonRunes is the longest reason the schema's text allows.
const maxReasonRunes = 2000

// Case is an incident a general business department has found, as it
// stands when the department decides on it.
type Case struct {
	// Subjects are the persons concerned, as keyed pseudonyms (at most
	// 100).
	Subjects []schema.Subject
	// EvidenceIDs are the ids (UUID v7) of the records and products the
	// case rests on; at least one.
	EvidenceIDs []string
	// EvidenceKinds are the kinds of that evidence (e.g.
	// finance.transaction, collab.product). They decide whether the case
	// is within the department's sectors, which action it takes, and
	// which specialized department receives the case.
	EvidenceKinds []string
	// Score is how strongly the evidence points at a threat, from 0 to 1
	// (a domain list's score).
	Score float64
	// Reasons say why the case was raised; the decision's reason quotes
	// them.
	Reasons []string
	// TaskID and RequirementID name the task during which, and the
	// requirement under which, the case arose, if any.
	TaskID        string
	RequirementID string
}

// Verdict is an EscalationPolicy's decision on a case.
type Verdict struct {
	// Decision is schema.EscalationEscalate or schema.EscalationHandleHere.
	Decision schema.EscalationDecision
	// Action is what the department does when it handles the case here;
	// required then, ignored when escalating.
	Action schema.EscalationAction
	// ActionNote describes the action; required with
	// schema.EscalationActionOther.
	ActionNote string
	// Urgency is how urgent the case is; "" means UrgencyForScore of the
	// case's score.
	Urgency schema.Priority
	// Reason says why; required.
	Reason string
	// To names the specialized department that receives the escalation
	// or, for handle_here, the notice; "" means EscalationTarget's choice.
	To string
}

// DefaultEscalationThreshold is the score from which DefaultEscalationPolicy
// escalates.
const DefaultEscalationThreshold = 0.8

// ThresholdPolicy is the default EscalationPolicy. It escalates a case
//
//   - when some evidence kind lies in a sector the department does not
//     supervise (a cross-sector case: the central bank cannot act on a
//     passenger list), or
//   - when the case's score is at or above Threshold;
//
// and otherwise handles it here with SectorAction of the first of the
// department's sectors the evidence lies in (of its first sector when no
// evidence kind names a sector). A kind's sector is KindSector's.
// Urgency is UrgencyForScore of the score. The zero ThresholdPolicy, with
// threshold 0, escalates every case.
type ThresholdPolicy struct {
	// Threshold is the score, 0 to 1, from which a case is escalated.
	Threshold float64
}

// DefaultEscalationPolicy returns the ThresholdPolicy with threshold
// DefaultEscalationThreshold.
func DefaultEscalationPolicy() ThresholdPolicy {
	return ThresholdPolicy{Threshold: DefaultEscalationThreshold}
}

// Decide implements EscalationPolicy. It never fails.
func (p ThresholdPolicy) Decide(_ context.Context, dept Org, c Case) (Verdict, error) {
	urgency := UrgencyForScore(c.Score)
	var outside []string
	var within []Sector
	for _, k := range c.EvidenceKinds {
		s, ok := KindSector(k)
		switch {
		case !ok:
		case slices.Contains(dept.Sectors, s):
			within = append(within, s)
		default:
			outside = append(outside, fmt.Sprintf("%s (%s)", k, s))
		}
	}
	sectors := sectorList(dept.Sectors)
	if len(outside) > 0 {
		return Verdict{Decision: schema.EscalationEscalate, Urgency: urgency, Reason: fmt.Sprintf(
			"cross-sector case: evidence %s lies outside the sectors %s supervises (%s)",
			strings.Join(outside, ", "), dept.ID, sectors)}, nil
	}
	if c.Score >= p.Threshold {
		return Verdict{Decision: schema.EscalationEscalate, Urgency: urgency, Reason: fmt.Sprintf(
			"score %.2f is at or above the escalation threshold %.2f", c.Score, p.Threshold)}, nil
	}
	sector := SectorPublic // no sector: SectorAction's default, monitor
	if len(dept.Sectors) > 0 {
		sector = dept.Sectors[0]
	}
	for _, s := range dept.Sectors {
		if slices.Contains(within, s) {
			sector = s
			break
		}
	}
	action := SectorAction(sector)
	return Verdict{Decision: schema.EscalationHandleHere, Action: action, Urgency: urgency, Reason: fmt.Sprintf(
		"score %.2f is below the escalation threshold %.2f and the evidence lies within the sectors %s supervises (%s): %s",
		c.Score, p.Threshold, dept.ID, sectors, action)}, nil
}

// UrgencyForScore maps a case's score to an urgency: critical from 0.9,
// high from 0.7, medium from 0.4, low below.
func UrgencyForScore(score float64) schema.Priority {
	switch {
	case score >= 0.9:
		return schema.PriorityCritical
	case score >= 0.7:
		return schema.PriorityHigh
	case score >= 0.4:
		return schema.PriorityMedium
	}
	return schema.PriorityLow
}

// KindSector returns the sector a record kind belongs to: the kind's prefix
// when it names a sector ("finance.transaction" is finance,
// "health.infectious_source" health). Collaboration message kinds
// (collab.*) belong to no sector.
func KindSector(kind string) (Sector, bool) {
	prefix, _, ok := strings.Cut(kind, ".")
	if !ok || IsMessageKind(kind) {
		return "", false
	}
	s := Sector(prefix)
	return s, s.Valid()
}

// SectorAction returns the action a general business department takes
// when it handles a case of sector s itself, after the scheme's examples
// (the central bank recommends freezing suspect funds; the transport
// ministry adds suspects to carriers' blacklists; customs adds infectious
// sources and suspects to inspection lists; industry and IT acts on
// accounts):
//
//	finance           recommend_freeze_funds
//	transport         add_carrier_blacklist
//	customs, health   add_inspection_list
//	telecom           suspend_account
//	any other         monitor (commerce: watch further purchases)
func SectorAction(s Sector) schema.EscalationAction {
	switch s {
	case SectorFinance:
		return schema.EscalationActionRecommendFreezeFunds
	case SectorTransport:
		return schema.EscalationActionAddCarrierBlacklist
	case SectorCustoms, SectorHealth:
		return schema.EscalationActionAddInspectionList
	case SectorTelecom:
		return schema.EscalationActionSuspendAccount
	}
	return schema.EscalationActionMonitor
}

// EscalationTarget returns the specialized department an escalation with
// evidence of kinds goes to: among the specialized departments that take
// collab.escalation in, the one that
//
//  1. takes in every kind of the evidence, or failing that the most of
//     them (it can examine the evidence itself);
//  2. then takes in the most record kinds overall (it can link the case
//     with the most other sources: public security in the scheme);
//  3. then comes first by id.
//
// It fails with ErrNoEscalationTarget if no specialized department takes
// collab.escalation in.
func EscalationTarget(dir *Directory, kinds []string) (string, error) {
	type cand struct {
		id            string
		covered, wide int
	}
	var cands []cand
	for _, o := range dir.ByTier(SpecializedDepartment) { // sorted by id
		if !o.CanReceive(schema.KindEscalation) {
			continue
		}
		c := cand{id: o.ID}
		for _, k := range kinds {
			if o.CanReceive(k) {
				c.covered++
			}
		}
		for _, k := range o.Receives {
			if !IsMessageKind(k) {
				c.wide++
			}
		}
		cands = append(cands, c)
	}
	if len(cands) == 0 {
		return "", fmt.Errorf("%w: no specialized department takes %s in (directory version %d)", ErrNoEscalationTarget, schema.KindEscalation, dir.Version())
	}
	best := slices.MinFunc(cands, func(a, b cand) int {
		if a.covered != b.covered {
			return b.covered - a.covered
		}
		if a.wide != b.wide {
			return b.wide - a.wide
		}
		return strings.Compare(a.id, b.id)
	})
	return best.id, nil
}

// checkCase returns what is wrong with c, or nil.
func checkCase(c Case) error {
	var problems []string
	if len(c.EvidenceIDs) == 0 {
		problems = append(problems, "no evidence ids; a decision rests on at least one record or product")
	}
	if math.IsNaN(c.Score) || c.Score < 0 || c.Score > 1 {
		problems = append(problems, fmt.Sprintf("score %v is outside 0 to 1", c.Score))
	}
	known := knownKinds()
	for _, k := range c.EvidenceKinds {
		if !known[k] {
			problems = append(problems, fmt.Sprintf("evidence kind %q is not known", k))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidCase, strings.Join(problems, "; "))
}

// checkVerdict returns what is wrong with v, or nil.
func checkVerdict(v Verdict) error {
	var problems []string
	switch v.Decision {
	case schema.EscalationEscalate:
	case schema.EscalationHandleHere:
		switch v.Action {
		case "":
			problems = append(problems, "handle_here needs an action")
		case schema.EscalationActionRecommendFreezeFunds, schema.EscalationActionAddCarrierBlacklist,
			schema.EscalationActionAddInspectionList, schema.EscalationActionSuspendAccount, schema.EscalationActionMonitor:
		case schema.EscalationActionOther:
			if v.ActionNote == "" {
				problems = append(problems, "action other needs an action note")
			}
		default:
			problems = append(problems, fmt.Sprintf("unknown action %q", v.Action))
		}
	default:
		problems = append(problems, fmt.Sprintf("unknown decision %q (want escalate or handle_here)", v.Decision))
	}
	switch v.Urgency {
	case "", schema.PriorityLow, schema.PriorityMedium, schema.PriorityHigh, schema.PriorityCritical:
	default:
		problems = append(problems, fmt.Sprintf("unknown urgency %q", v.Urgency))
	}
	if strings.TrimSpace(v.Reason) == "" {
		problems = append(problems, "no reason")
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrBadVerdict, strings.Join(problems, "; "))
}

// clip shortens s to at most n runes, ending it with an ellipsis when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Decide takes the decision of from, a general business department, on
// case c under policy (nil means DefaultEscalationPolicy), at now, and
// returns it as a collab.escalation with a new id:
//
//   - escalate (interaction 5): the case goes, with its evidence, subjects
//     and urgency, to a specialized department;
//   - handle_here: the department acts itself (Action), and the
//     specialized department receives the decision for information.
//
// Either way To is the policy's Verdict.To, which must be a specialized
// department taking collab.escalation in, or else EscalationTarget's
// choice for the evidence kinds. The reason is the verdict's, followed by
// the case's reasons, cut to the schema's 2000 characters. Decide records
// nothing; Escalator does.
//
// Errors: a *PartyError (ErrWrongParty; ErrUnknownOrg too if unknown) unless from is a
// general business department; ErrKindNotAllowed if the directory does
// not let from submit collab.escalation; ErrInvalidCase; the policy's
// error; ErrBadVerdict; ErrNoEscalationTarget.
func Decide(ctx context.Context, dir *Directory, from string, policy EscalationPolicy, c Case, now time.Time) (schema.Escalation, error) {
	return decide(ctx, dir, from, policy, c, now, mintID)
}

func decide(ctx context.Context, dir *Directory, from string, policy EscalationPolicy, c Case, now time.Time, newID func() string) (schema.Escalation, error) {
	dept, err := orgOfTier(dir, from, GeneralBusinessDepartment, "decide whether to handle or escalate a case")
	if err != nil {
		return schema.Escalation{}, err
	}
	if err := dir.Authorize(from, schema.KindEscalation); err != nil {
		return schema.Escalation{}, err
	}
	if err := checkCase(c); err != nil {
		return schema.Escalation{}, err
	}
	if policy == nil {
		policy = DefaultEscalationPolicy()
	}
	v, err := policy.Decide(ctx, dept, c)
	if err != nil {
		return schema.Escalation{}, fmt.Errorf("collab: escalation policy for %q: %w", from, err)
	}
	if err := checkVerdict(v); err != nil {
		return schema.Escalation{}, err
	}
	to := v.To
	if to == "" {
		if to, err = EscalationTarget(dir, c.EvidenceKinds); err != nil {
			return schema.Escalation{}, err
		}
	} else if o, ok := dir.Org(to); !ok || o.Tier != SpecializedDepartment || !o.CanReceive(schema.KindEscalation) {
		return schema.Escalation{}, fmt.Errorf("%w: the policy names %q, which is not a specialized department that takes %s in",
			ErrNoEscalationTarget, to, schema.KindEscalation)
	}
	if v.Urgency == "" {
		v.Urgency = UrgencyForScore(c.Score)
	}
	reason := v.Reason
	if len(c.Reasons) > 0 {
		reason += "; case: " + strings.Join(c.Reasons, "; ")
	}
	e := schema.Escalation{
		ID: newID(), From: from, To: to, Decision: v.Decision,
		Reason: clip(reason, maxReasonRunes), Urgency: v.Urgency,
		EvidenceIDs: slices.Clone(c.EvidenceIDs), Subjects: slices.Clone(c.Subjects),
		RequirementID: c.RequirementID, TaskID: c.TaskID, DecidedAt: now.UTC(),
	}
	if v.Decision == schema.EscalationHandleHere {
		e.Action, e.ActionNote = v.Action, v.ActionNote
	}
	if _, err := validatePayload(schema.KindEscalation, e); err != nil {
		return schema.Escalation{}, fmt.Errorf("%w: decision of %q: %w", ErrInvalidCase, from, err)
	}
	return e, nil
}

// EscalationEntries returns the journal entries that record e:
//
//   - escalate: one entry, Kind collab.escalation, Interaction
//     InteractionEscalation (5), Org the department, Counterpart the
//     specialized department;
//   - handle_here: the decision sent for information (Kind
//     collab.escalation, InteractionNone, Counterpart the specialized
//     department), then the action taken (Kind EntryAction,
//     InteractionNone, no Counterpart).
//
// Every entry has At e.DecidedAt, Ref e.ID and Data the escalation's JSON.
func EscalationEntries(e schema.Escalation) ([]Entry, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("collab: journal entry for escalation %s: %w", e.ID, err)
	}
	msg := Entry{At: e.DecidedAt, Kind: schema.KindEscalation, Org: e.From, Counterpart: e.To, Ref: e.ID, Data: data}
	if e.Decision == schema.EscalationEscalate {
		msg.Interaction = InteractionEscalation
		return []Entry{msg}, nil
	}
	action := Entry{At: e.DecidedAt, Kind: EntryAction, Org: e.From, Ref: e.ID, Data: data}
	return []Entry{msg, action}, nil
}

// EscalatorConfig configures an Escalator.
type EscalatorConfig struct {
	// Directory decides who may decide and who receives. Required.
	Directory *Directory
	// Journal records every decision. Required.
	Journal Journal
	// Policy decides; nil means DefaultEscalationPolicy().
	Policy EscalationPolicy
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NewID makes escalation ids (UUIDs v7); nil means a new random UUID
	// v7.
	NewID func() string
}

// Validate reports every field that is wrong.
func (c EscalatorConfig) Validate() error {
	var errs []error
	if c.Directory == nil {
		errs = append(errs, errors.New("collab: escalator: Directory is nil"))
	}
	if c.Journal == nil {
		errs = append(errs, errors.New("collab: escalator: Journal is nil"))
	}
	return errors.Join(errs...)
}

// Escalator takes general business departments' decisions on cases
// (Decide) and records each in the journal (EscalationEntries). It is safe
// for concurrent use if its policy and journal are.
type Escalator struct {
	dir     *Directory
	journal Journal
	policy  EscalationPolicy
	now     func() time.Time
	newID   func() string
}

// NewEscalator returns an escalator configured by cfg, or cfg.Validate's
// error.
func NewEscalator(cfg EscalatorConfig) (*Escalator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &Escalator{dir: cfg.Directory, journal: cfg.Journal, policy: cfg.Policy, now: cfg.Now, newID: cfg.NewID}
	if e.policy == nil {
		e.policy = DefaultEscalationPolicy()
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.newID == nil {
		e.newID = mintID
	}
	return e, nil
}

// Decide takes from's decision on c with the package's Decide, at the
// escalator's clock, and records it. It returns Decide's errors, or the
// journal's; an escalation returned without error is recorded. If the
// journal fails after the first of a handle_here decision's two entries,
// the error says so and the decision should not be taken again.
func (e *Escalator) Decide(ctx context.Context, from string, c Case) (schema.Escalation, error) {
	esc, err := decide(ctx, e.dir, from, e.policy, c, e.now(), e.newID)
	if err != nil {
		return schema.Escalation{}, err
	}
	entries, err := EscalationEntries(esc)
	if err != nil {
		return schema.Escalation{}, err
	}
	for i, en := range entries {
		if _, err := e.journal.Append(ctx, en); err != nil {
			if i > 0 {
				return schema.Escalation{}, fmt.Errorf("collab: record escalation %s: %d of %d entries recorded: %w", esc.ID, i, len(entries), err)
			}
			return schema.Escalation{}, fmt.Errorf("collab: record escalation %s: %w", esc.ID, err)
		}
	}
	return esc, nil
}
