package collab

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// EntryCase records a finished operation kept in the case library; Data
// is a LibraryCase.
const EntryCase = "journal.case"

// Case library errors, for errors.Is.
var (
	// ErrNotTaskSpecific: CaseLibrary.Similar for an early-warning
	// requirement; cases are offered to task-specific ones.
	ErrNotTaskSpecific = errors.New("collab: requirement is not task-specific")
	// ErrBadCase: KeepCase with an outcome it does not know, or for a
	// requirement that is not in the journal.
	ErrBadCase = errors.New("collab: bad case")
)

// CaseOutcome is how a task-oriented operation ended.
type CaseOutcome string

// The case outcomes.
const (
	CaseSucceeded CaseOutcome = "succeeded" // the requirement was met
	CasePartly    CaseOutcome = "partly"    // met in part
	CaseFailed    CaseOutcome = "failed"    // not met
)

// LibraryCase is a finished task-oriented operation kept as a case
// (study, 4.2.6: "successful operations provide feasible models for
// similar future tasks"): the requirement, the plans and tasks made for
// it, the experts used, the products, the actions and escalations, the
// feedback, and how it ended.
type LibraryCase struct {
	// Requirement is the task-specific requirement the operation served;
	// its id is the case's.
	Requirement schema.Requirement `json:"requirement"`
	// Plans are the plans made for it, each in its latest revision.
	Plans []schema.Plan `json:"plans"`
	// Tasks are the tasks assigned under it, each in its latest form.
	Tasks []schema.Task `json:"tasks"`
	// Experts are the experts assigned to its tasks.
	Experts []schema.ExpertAssignment `json:"experts,omitempty"`
	// ProductIDs name the products made for it.
	ProductIDs []string `json:"product_ids,omitempty"`
	// Escalations and Actions count the incidents escalated and the
	// actions taken under it.
	Escalations int `json:"escalations"`
	Actions     int `json:"actions"`
	// FeedbackIDs name the work reports about it.
	FeedbackIDs []string `json:"feedback_ids,omitempty"`
	// Outcome is how it ended, and Lesson what to keep from it.
	Outcome CaseOutcome `json:"outcome"`
	Lesson  string      `json:"lesson,omitempty"`
	// ClosedAt is when the case was kept.
	ClosedAt time.Time `json:"closed_at"`
}

// KeepCase gathers from the journal everything about the operation under
// requirement reqID and returns it as a case with outcome and lesson,
// closed at at, and the journal entry that keeps it (Kind EntryCase, Org
// the requirement's issuer). A plan, task or expert assignment journaled
// several times counts in its latest form; products, escalations, actions
// and reports count when their requirement_id (or, for actions and
// escalations, their task's requirement) is reqID.
func KeepCase(ctx context.Context, j Journal, reqID string, outcome CaseOutcome, lesson string, at time.Time) (LibraryCase, Entry, error) {
	if !slices.Contains([]CaseOutcome{CaseSucceeded, CasePartly, CaseFailed}, outcome) {
		return LibraryCase{}, Entry{}, fmt.Errorf("%w: outcome %q; use succeeded, partly or failed", ErrBadCase, outcome)
	}
	c := LibraryCase{Outcome: outcome, Lesson: clip(lesson, maxReasonRunes), ClosedAt: at.UTC()}
	found := false
	plans := map[string]int{}
	tasks := map[string]int{}
	requests := map[string]bool{}
	var assignments []schema.ExpertAssignment
	for e, err := range j.Entries(ctx, 0) {
		if err != nil {
			return LibraryCase{}, Entry{}, fmt.Errorf("collab: keep case %s: %w", reqID, err)
		}
		if e.Purged() {
			continue
		}
		var ref struct {
			ID            string `json:"id"`
			RequirementID string `json:"requirement_id"`
			TaskID        string `json:"task_id"`
		}
		if len(e.Data) > 0 {
			_ = json.Unmarshal(e.Data, &ref)
		}
		under := ref.RequirementID == reqID || (ref.TaskID != "" && tasks[ref.TaskID] > 0)
		var derr error
		switch e.Kind {
		case schema.KindRequirement:
			if ref.ID == reqID {
				derr = json.Unmarshal(e.Data, &c.Requirement)
				found = true
			}
		case schema.KindPlan:
			if ref.RequirementID == reqID {
				derr = latest(e.Data, plans, &c.Plans, func(p schema.Plan) string { return p.ID })
			}
		case schema.KindTask:
			if ref.RequirementID == reqID {
				derr = latest(e.Data, tasks, &c.Tasks, func(t schema.Task) string { return t.ID })
			}
		case schema.KindExpertRequest:
			if tasks[ref.TaskID] > 0 {
				requests[ref.ID] = true
			}
		case schema.KindExpertAssignment:
			var a schema.ExpertAssignment
			if derr = json.Unmarshal(e.Data, &a); derr == nil && a.Outcome == schema.AssignmentAssigned {
				assignments = append(assignments, a)
			}
		case schema.KindProduct:
			if under && !slices.Contains(c.ProductIDs, ref.ID) {
				c.ProductIDs = append(c.ProductIDs, ref.ID)
			}
		case schema.KindEscalation:
			var esc schema.Escalation
			if derr = json.Unmarshal(e.Data, &esc); derr == nil && under && esc.Decision == schema.EscalationEscalate {
				c.Escalations++
			}
		case EntryAction:
			if under {
				c.Actions++
			}
		case schema.KindFeedbackReport:
			if under {
				c.FeedbackIDs = append(c.FeedbackIDs, ref.ID)
			}
		}
		if derr != nil {
			return LibraryCase{}, Entry{}, fmt.Errorf("collab: keep case %s: journal entry %d (%s): %w", reqID, e.Seq, e.Kind, derr)
		}
	}
	if !found {
		return LibraryCase{}, Entry{}, fmt.Errorf("%w: requirement %s is not in the journal", ErrBadCase, reqID)
	}
	for _, a := range assignments {
		if requests[a.RequestID] {
			c.Experts = append(c.Experts, a)
		}
	}
	e, err := messageEntry(EntryCase, InteractionNone, at, c.Requirement.Issuer, "", reqID, c)
	return c, e, err
}

// latest decodes a T from raw and keeps it in *list, replacing an earlier
// form with the same id (index in seen, 1-based).
func latest[T any](raw json.RawMessage, seen map[string]int, list *[]T, id func(T) string) error {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	if i := seen[id(v)]; i > 0 {
		(*list)[i-1] = v
		return nil
	}
	*list = append(*list, v)
	seen[id(v)] = len(*list)
	return nil
}

// CaseMatch is a past case offered for a new requirement: how similar its
// scope is (0 to 1) and in what.
type CaseMatch struct {
	// Case is the past case.
	Case LibraryCase
	// Similarity of the scopes, 0 to 1 (see CaseLibrary.Similar).
	Similarity float64
	// Shared names what the scopes share: "kinds finance.transaction",
	// "sectors finance", "regions CN-XJ".
	Shared []string
}

// CaseLibrary keeps finished operations and finds the most similar ones
// for a new task-specific requirement. It is safe for concurrent use;
// LoadCaseLibrary rebuilds it from the journal, which keeps it durable.
type CaseLibrary struct {
	mu    sync.RWMutex
	cases map[string]LibraryCase // by requirement id; a later keep replaces
}

// NewCaseLibrary returns an empty library.
func NewCaseLibrary() *CaseLibrary { return &CaseLibrary{cases: map[string]LibraryCase{}} }

// LoadCaseLibrary returns a library of every EntryCase of the journal.
func LoadCaseLibrary(ctx context.Context, j Journal) (*CaseLibrary, error) {
	l := NewCaseLibrary()
	for e, err := range j.Entries(ctx, 0) {
		if err != nil {
			return nil, fmt.Errorf("collab: load case library: %w", err)
		}
		if e.Kind != EntryCase || e.Purged() {
			continue
		}
		var c LibraryCase
		if err := json.Unmarshal(e.Data, &c); err != nil {
			return nil, fmt.Errorf("collab: load case library: journal entry %d: %w", e.Seq, err)
		}
		l.Add(c)
	}
	return l, nil
}

// Add keeps c, replacing a case of the same requirement.
func (l *CaseLibrary) Add(c LibraryCase) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cases[c.Requirement.ID] = c
}

// Len is the number of cases kept.
func (l *CaseLibrary) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.cases)
}

// Similar returns up to n cases most similar to req by scope, most similar
// first (then the more recent, then by id), leaving out those that share
// no kind and no sector. Similarity weighs the scopes' kinds 0.4, sectors
// 0.25 and regions 0.25 (each the Jaccard index of the two sets) and the
// windows' lengths 0.1 (the shorter over the longer). It fails with
// ErrNotTaskSpecific for an early-warning requirement.
func (l *CaseLibrary) Similar(req schema.Requirement, n int) ([]CaseMatch, error) {
	if req.Type != schema.RequirementTaskSpecific {
		return nil, fmt.Errorf("%w: %s is %s; cases are offered to task-specific requirements", ErrNotTaskSpecific, req.ID, req.Type)
	}
	l.mu.RLock()
	var out []CaseMatch
	for id, c := range l.cases {
		if id == req.ID {
			continue
		}
		m := similarity(req.Scope, c.Requirement.Scope)
		if m.Similarity > 0 && len(m.Shared) > 0 && !strings.HasPrefix(m.Shared[0], "regions") {
			m.Case = c
			out = append(out, m)
		}
	}
	l.mu.RUnlock()
	slices.SortFunc(out, func(a, b CaseMatch) int {
		return cmp.Or(cmp.Compare(b.Similarity, a.Similarity), b.Case.ClosedAt.Compare(a.Case.ClosedAt),
			strings.Compare(a.Case.Requirement.ID, b.Case.Requirement.ID))
	})
	if n >= 0 && len(out) > n {
		out = out[:n]
	}
	return out, nil
}

func similarity(a, b schema.Scope) CaseMatch {
	var m CaseMatch
	for _, d := range []struct {
		name   string
		weight float64
		x, y   []string
	}{{"kinds", 0.4, a.Kinds, b.Kinds}, {"sectors", 0.25, a.Sectors, b.Sectors}, {"regions", 0.25, a.Regions, b.Regions}} {
		j, shared := jaccard(d.x, d.y)
		m.Similarity += d.weight * j
		if len(shared) > 0 {
			m.Shared = append(m.Shared, d.name+" "+strings.Join(shared, ", "))
		}
	}
	la, lb := a.Window.To.Sub(a.Window.From), b.Window.To.Sub(b.Window.From)
	if la > 0 && lb > 0 {
		m.Similarity += 0.1 * float64(min(la, lb)) / float64(max(la, lb))
	}
	return m
}

func jaccard(a, b []string) (float64, []string) {
	union := map[string]bool{}
	for _, s := range a {
		union[s] = true
	}
	var shared []string
	for _, s := range b {
		if union[s] && !slices.Contains(shared, s) {
			shared = append(shared, s)
		}
		union[s] = true
	}
	if len(union) == 0 {
		return 0, nil
	}
	slices.Sort(shared)
	return float64(len(shared)) / float64(len(union)), shared
}
