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
// Of two messages about the same requirement or task id, the one with the
// later collected_at (then the greater envelope id) wins, whatever the
// order they arrive in: a status change is sent as a new message with the
// same requirement id. A requirement that another names in supersedes is
// no longer active, whatever becomes of the one that replaced it.
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
//     now is inside its scope's window and before its valid_until (else
//     ReasonPurposeInactive); its scope names the record's kind, one of
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
		if err := loadLearnt(tx.Bucket(bucketRequirements), p.reqs); err != nil {
			return err
		}
		return loadLearnt(tx.Bucket(bucketTasks), p.tasks)
	})
	if err != nil {
		return nil, fmt.Errorf("submit: purpose registry: load: %w", ledgerErr(err))
	}
	p.resupersede()
	return p, nil
}

func loadLearnt[T any](b *bolt.Bucket, into map[string]*learnt[T]) error {
	return b.ForEach(func(k, v []byte) error {
		l := new(learnt[T])
		if err := json.Unmarshal(v, l); err != nil {
			return fmt.Errorf("decode %s: %w", k, err)
		}
		if err := json.Unmarshal(l.Payload, &l.v); err != nil {
			return fmt.Errorf("decode %s: %w", k, err)
		}
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
// ignored) durably, in one transaction. A payload that does not decode
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
				reqs = append(reqs, l)
			}
		case schema.KindTask:
			l := &learnt[schema.Task]{At: e.CollectedAt.UTC(), Env: e.ID, Payload: e.Payload}
			if e.DecodePayload(&l.v) == nil {
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
	err := p.ledger.db.Update(func(tx *bolt.Tx) error {
		var err error
		if newReqs, err = putLearnt(tx.Bucket(bucketRequirements), p.reqs, reqs, func(r *schema.Requirement) string { return r.ID }); err != nil {
			return err
		}
		newTasks, err = putLearnt(tx.Bucket(bucketTasks), p.tasks, tasks, func(t *schema.Task) string { return t.ID })
		return err
	})
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
		if cur.newer(l.At, l.Env) {
			best[k] = l
		}
	}
	out := make([]*learnt[T], 0, len(best))
	for k, l := range best {
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
		if !now.Before(t.v.Deadline) {
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
		(r.ValidUntil != nil && !now.Before(*r.ValidUntil)) {
		return ReasonPurposeInactive, false
	}
	if !slices.Contains(r.Scope.Kinds, env.Kind) || !slices.Contains(r.Scope.Regions, org.Region) ||
		!slices.ContainsFunc(org.Sectors, func(s collab.Sector) bool { return slices.Contains(r.Scope.Sectors, string(s)) }) {
		return ReasonPurposeNotCovered, false
	}
	return "", true
}
