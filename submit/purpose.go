package submit

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// PurposeRegistry is the default Purposes: it learns requirements
// (collab.requirement) and tasks (collab.task) from the envelopes the hub
// accepts, keeps them in the Ledger's file, and checks records against
// them.
//
// A requirement or task belongs to its issuer: the Handler accepts one
// only when the sender, the envelope's source and the payload's issuer
// are the same organization (else purpose_not_owned), and a revision
// (a new message with the same requirement or task id) only from the
// issuer of the revision held, only if it is newer than it (a later
// collected_at, then a greater envelope id; else revision_stale), and
// never of a closed requirement: closed is terminal. collected_at is
// bounded by the hub's clock (HandlerConfig.MaxClockSkew), so no sender
// can pin a purpose with a date in the future. A requirement that
// another names in supersedes is no longer active, whatever becomes of
// the one that replaced it.
//
// The rules of Check, for records (collaboration messages, kind
// "collab.*", carry no purpose to check: they are how purposes travel,
// and the directory already says who may send which):
//
//   - purpose.task_id set: the task is known (else ReasonPurposeUnknown);
//     if purpose.requirement_id is set too it is the task's requirement
//     (else ReasonPurposeNotCovered); the task's requirement is known
//     (else ReasonPurposeUnknown); now is before the task's deadline
//     (else ReasonPurposeInactive); the task's kinds include the record's
//     kind, and the collecting organization or its supervisor is one of
//     the task's assignees (else ReasonPurposeNotCovered). Then the
//     requirement is checked as below.
//   - purpose.requirement_id: the requirement is known (else
//     ReasonPurposeUnknown); its status is active, it is not superseded,
//     now and the record's collected_at are inside its scope's window and
//     before its valid_until (else ReasonPurposeInactive); its scope names the record's kind, one of
//     the organization's sectors and its region (else
//     ReasonPurposeNotCovered).
//
// A PurposeRegistry is safe for concurrent use.
type PurposeRegistry struct {
	ledger *Ledger
	clock  func() time.Time

	mu         sync.RWMutex
	reqs       map[string]*learnt[schema.Requirement]
	tasks      map[string]*learnt[schema.Task]
	superseded map[string]bool
}

// learnt is a requirement or task with the envelope that brought it.
type learnt[T any] struct {
	At      time.Time       `json:"at"`  // the envelope's collected_at
	Env     string          `json:"env"` // the envelope's id
	Payload json.RawMessage `json:"payload"`
	v       T
	head    revision
}

// revision is what ownership and monotonic revisions are judged on.
type revision struct {
	at     time.Time // collected_at
	env    string    // envelope id
	issuer string
	closed bool
}

// revises reports whether next may replace r: the same issuer, r not
// closed, and next newer.
func (r revision) revises(next revision) bool {
	if r.issuer != next.issuer || r.closed {
		return false
	}
	if c := next.at.Compare(r.at); c != 0 {
		return c > 0
	}
	return next.env > r.env
}

// revisionOf reads the head of a requirement or task message.
func revisionOf(e *schema.Envelope) (id string, r revision, ok bool) {
	var p struct {
		ID     string `json:"id"`
		Issuer string `json:"issuer"`
		Status string `json:"status"`
	}
	if json.Unmarshal(e.Payload, &p) != nil || p.ID == "" {
		return "", r, false
	}
	return p.ID, revision{at: e.CollectedAt.UTC(), env: e.ID, issuer: p.Issuer,
		closed: e.Kind == schema.KindRequirement && p.Status == string(schema.RequirementClosed)}, true
}

// reviser is a Purposes that owns the purposes it learns: checkRevision
// says whether e (a requirement or task) may create or revise one, given
// the revisions accepted earlier in the same batch (pending, updated on
// success). It returns "" or a reason and its violation.
type reviser interface {
	checkRevision(e *schema.Envelope, pending map[string]revision) (Reason, schema.Violation)
}

// checkRevision applies ownership, monotonic revisions and closed as
// terminal to e against what p holds and pending.
func (p *PurposeRegistry) checkRevision(e *schema.Envelope, pending map[string]revision) (Reason, schema.Violation) {
	id, next, ok := revisionOf(e)
	if !ok {
		return "", schema.Violation{}
	}
	pk := e.Kind + "\x00" + id
	cur, have := pending[pk]
	if !have {
		p.mu.RLock()
		if e.Kind == schema.KindRequirement {
			if l := p.reqs[id]; l != nil {
				cur, have = l.head, true
			}
		} else if l := p.tasks[id]; l != nil {
			cur, have = l.head, true
		}
		p.mu.RUnlock()
	}
	if have {
		switch {
		case cur.issuer != next.issuer:
			return ReasonPurposeNotOwned, schema.Violation{Pointer: "/payload/issuer", Keyword: "issuer",
				Message: fmt.Sprintf("%s %s belongs to %q; only its issuer revises or closes it", e.Kind, id, cur.issuer)}
		case cur.closed:
			return ReasonRevisionStale, schema.Violation{Pointer: "/payload/status", Keyword: "revision",
				Message: fmt.Sprintf("requirement %s is closed; closed is terminal: issue a new requirement", id)}
		case !cur.revises(next):
			return ReasonRevisionStale, schema.Violation{Pointer: "/collected_at", Keyword: "revision",
				Message: fmt.Sprintf("%s %s is held at a revision collected at %s; a revision must be newer", e.Kind, id, cur.at.Format(time.RFC3339Nano))}
		}
	}
	pending[pk] = next
	return "", schema.Violation{}
}

// newer reports whether a message collected at at with envelope id env
// replaces l.
func (l *learnt[T]) newer(at time.Time, env string) bool {
	if l == nil {
		return true
	}
	if c := at.Compare(l.At); c != 0 {
		return c > 0
	}
	return env > l.Env
}

// NewPurposeRegistry returns a registry kept in l's file, loaded with
// everything learnt before. clock gives the time purposes are checked at
// (nil: time.Now).
func NewPurposeRegistry(l *Ledger, clock func() time.Time) (*PurposeRegistry, error) {
	if l == nil {
		return nil, fmt.Errorf("submit: purpose registry: nil Ledger")
	}
	if clock == nil {
		clock = time.Now
	}
	p := &PurposeRegistry{
		ledger: l, clock: clock,
		reqs: map[string]*learnt[schema.Requirement]{}, tasks: map[string]*learnt[schema.Task]{},
		superseded: map[string]bool{},
	}
	err := l.db.View(func(tx *bolt.Tx) error {
		if err := loadLearnt(tx.Bucket(bucketRequirements), schema.KindRequirement, p.reqs); err != nil {
			return err
		}
		return loadLearnt(tx.Bucket(bucketTasks), schema.KindTask, p.tasks)
	})
	if err != nil {
		return nil, fmt.Errorf("submit: purpose registry: load: %w", ledgerErr(err))
	}
	p.resupersede()
	return p, nil
}

// NewMemoryPurposeRegistry returns a registry that keeps what it learns
// in memory only: for a hub whose purposes are shared and loaded at
// start from elsewhere (jetstream.SharedPurposes), so that it needs no
// file. clock gives the time purposes are checked at (nil: time.Now).
func NewMemoryPurposeRegistry(clock func() time.Time) *PurposeRegistry {
	if clock == nil {
		clock = time.Now
	}
	return &PurposeRegistry{
		clock: clock,
		reqs:  map[string]*learnt[schema.Requirement]{}, tasks: map[string]*learnt[schema.Task]{},
		superseded: map[string]bool{},
	}
}

func loadLearnt[T any](b *bolt.Bucket, kind string, into map[string]*learnt[T]) error {
	return b.ForEach(func(k, v []byte) error {
		l := new(learnt[T])
		if err := json.Unmarshal(v, l); err != nil {
			return fmt.Errorf("decode %s: %w", k, err)
		}
		if err := json.Unmarshal(l.Payload, &l.v); err != nil {
			return fmt.Errorf("decode %s: %w", k, err)
		}
		_, l.head, _ = revisionOf(&schema.Envelope{ID: l.Env, Kind: kind, CollectedAt: l.At, Payload: l.Payload})
		into[string(k)] = l
		return nil
	})
}

// resupersede recomputes which requirements are superseded. Called with
// p.mu held for writing, or before p is shared.
func (p *PurposeRegistry) resupersede() {
	clear(p.superseded)
	for _, r := range p.reqs {
		if r.v.Supersedes != "" {
			p.superseded[r.v.Supersedes] = true
		}
	}
}

// Learn registers the requirements and tasks among envs (other kinds are
// ignored) durably, in one transaction (in memory only for a registry of
// NewMemoryPurposeRegistry). A payload that does not decode
// into its Go type is skipped: the schemas accepted it, so the SDK's
// types and schemas disagree, which their own tests catch.
func (p *PurposeRegistry) Learn(ctx context.Context, envs []schema.Envelope) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var reqs []*learnt[schema.Requirement]
	var tasks []*learnt[schema.Task]
	for i := range envs {
		e := &envs[i]
		switch e.Kind {
		case schema.KindRequirement:
			l := &learnt[schema.Requirement]{At: e.CollectedAt.UTC(), Env: e.ID, Payload: e.Payload}
			if e.DecodePayload(&l.v) == nil {
				_, l.head, _ = revisionOf(e)
				reqs = append(reqs, l)
			}
		case schema.KindTask:
			l := &learnt[schema.Task]{At: e.CollectedAt.UTC(), Env: e.ID, Payload: e.Payload}
			if e.DecodePayload(&l.v) == nil {
				_, l.head, _ = revisionOf(e)
				tasks = append(tasks, l)
			}
		}
	}
	if len(reqs) == 0 && len(tasks) == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var newReqs []*learnt[schema.Requirement]
	var newTasks []*learnt[schema.Task]
	put := func(tx *bolt.Tx) error {
		var rb, tb *bolt.Bucket // nil in memory: nothing written
		if tx != nil {
			rb, tb = tx.Bucket(bucketRequirements), tx.Bucket(bucketTasks)
		}
		var err error
		if newReqs, err = putLearnt(rb, p.reqs, reqs, func(r *schema.Requirement) string { return r.ID }); err != nil {
			return err
		}
		newTasks, err = putLearnt(tb, p.tasks, tasks, func(t *schema.Task) string { return t.ID })
		return err
	}
	var err error
	if p.ledger == nil {
		err = put(nil)
	} else {
		err = p.ledger.db.Update(put)
	}
	if err != nil {
		return fmt.Errorf("submit: purpose registry: learn: %w", ledgerErr(err))
	}
	for _, l := range newReqs {
		p.reqs[l.v.ID] = l
	}
	for _, l := range newTasks {
		p.tasks[l.v.ID] = l
	}
	p.resupersede()
	return nil
}

// putLearnt writes each of ls that is newer than what have (and than the
// others of ls) holds for its id, and returns those written.
func putLearnt[T any](b *bolt.Bucket, have map[string]*learnt[T], ls []*learnt[T], id func(*T) string) ([]*learnt[T], error) {
	best := map[string]*learnt[T]{}
	for _, l := range ls {
		k := id(&l.v)
		cur := best[k]
		if cur == nil {
			cur = have[k]
		}
		if cur.newer(l.At, l.Env) && (cur == nil || cur.head.revises(l.head)) {
			best[k] = l
		}
	}
	out := make([]*learnt[T], 0, len(best))
	for k, l := range best {
		if b == nil {
			out = append(out, l)
			continue
		}
		v, err := json.Marshal(l)
		if err != nil {
			return nil, err
		}
		if err := b.Put([]byte(k), v); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// Check applies the rules in the type's documentation.
func (p *PurposeRegistry) Check(env schema.Envelope, org collab.Org) (Reason, bool) {
	if strings.HasPrefix(env.Kind, "collab.") {
		return "", true
	}
	now := p.clock()
	p.mu.RLock()
	defer p.mu.RUnlock()
	reqID := env.Purpose.RequirementID
	if tid := env.Purpose.TaskID; tid != "" {
		t, ok := p.tasks[tid]
		if !ok {
			return ReasonPurposeUnknown, false
		}
		if reqID != "" && reqID != t.v.RequirementID {
			return ReasonPurposeNotCovered, false
		}
		if _, ok := p.reqs[t.v.RequirementID]; !ok {
			return ReasonPurposeUnknown, false
		}
		if !now.Before(t.v.Deadline) || !env.CollectedAt.Before(t.v.Deadline) {
			return ReasonPurposeInactive, false
		}
		if !slices.Contains(t.v.Kinds, env.Kind) {
			return ReasonPurposeNotCovered, false
		}
		if !slices.Contains(t.v.Assignee, org.ID) && (org.Supervisor == "" || !slices.Contains(t.v.Assignee, org.Supervisor)) {
			return ReasonPurposeNotCovered, false
		}
		reqID = t.v.RequirementID
	}
	l, ok := p.reqs[reqID]
	if !ok {
		return ReasonPurposeUnknown, false
	}
	r := &l.v
	if r.Status != schema.RequirementActive || p.superseded[r.ID] || !r.Scope.Window.Contains(now) ||
		!r.Scope.Window.Contains(env.CollectedAt) ||
		(r.ValidUntil != nil && (!now.Before(*r.ValidUntil) || !env.CollectedAt.Before(*r.ValidUntil))) {
		return ReasonPurposeInactive, false
	}
	if !slices.Contains(r.Scope.Kinds, env.Kind) || !slices.Contains(r.Scope.Regions, org.Region) ||
		!slices.ContainsFunc(org.Sectors, func(s collab.Sector) bool { return slices.Contains(r.Scope.Sectors, string(s)) }) {
		return ReasonPurposeNotCovered, false
	}
	return "", true
}
