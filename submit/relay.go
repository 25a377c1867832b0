package submit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// Relay is the Sink of a hub that passes records on: a general business
// department runs a Handler whose Sink is a Relay over its Store, with
// the Submitter a client of its specialized department's hub.
//
// Put stores every envelope in the inner Sink first (durable), then
// forwards, in order, each one that goes upward, stamped with a
// provenance hop (the hub's org, stage processing, the clock's time).
// A forwarding Client whose Signer is a HopSealer seals those hops, one
// manifest per Put. Not forwarded:
//
//   - RED records: they stay with the hub that received them;
//   - AMBER+STRICT records: they stay with the organization that
//     received them (TLP 2.0); an upstream hub refuses both if they
//     arrive relayed (handling_violation);
//   - requirements, plans and tasks (collab.requirement, collab.plan,
//     collab.task): they travel down the scheme, not up.
//
// If forwarding fails, Put returns the error: the Handler answers 503,
// nothing is acknowledged, and the sender retries the batch. The retry
// puts the same records into the inner Sink (idempotent by id) and
// forwards them again; those forwarded the first time reach the upstream
// hub twice and are reported there as duplicates. Nothing is lost and
// nothing is stored twice.
//
// A Relay is safe for concurrent use if its inner Sink and Submitter are.
type Relay struct {
	inner Sink
	fwd   Submitter
	org   string
	clock func() time.Time
}

// NewRelay returns a Relay that keeps records in inner and forwards them
// through fwd, stamped by hubOrg. clock gives the hop's time (nil:
// time.Now).
func NewRelay(inner Sink, fwd Submitter, hubOrg string, clock func() time.Time) (*Relay, error) {
	var errs []error
	if inner == nil {
		errs = append(errs, errors.New("submit: NewRelay: inner Sink is nil"))
	}
	if fwd == nil {
		errs = append(errs, errors.New("submit: NewRelay: Submitter is nil"))
	}
	if hubOrg == "" {
		errs = append(errs, errors.New("submit: NewRelay: hubOrg is empty"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if clock == nil {
		clock = time.Now
	}
	return &Relay{inner: inner, fwd: fwd, org: hubOrg, clock: clock}, nil
}

// Relayed reports whether a Relay forwards env.
func Relayed(env *schema.Envelope) bool {
	if !relayable(env.Handling) {
		return false
	}
	switch env.Kind {
	case schema.KindRequirement, schema.KindPlan, schema.KindTask:
		return false
	}
	return true
}

// Put keeps envs in the inner Sink, then forwards those that go upward.
// envs is not changed: the forwarded copies carry the new hop.
func (r *Relay) Put(ctx context.Context, envs []schema.Envelope) error {
	if err := r.inner.Put(ctx, envs); err != nil {
		return err
	}
	now := r.clock()
	tid := traceIDOf(ctx) // the request's trace, for records that have none
	up := make([]schema.Envelope, 0, len(envs))
	for i := range envs {
		if !Relayed(&envs[i]) {
			continue
		}
		e := envs[i]
		if err := e.Stamp(r.org, schema.StageProcessing, now); err != nil {
			return fmt.Errorf("submit: relay %s: %w", e.ID, err)
		}
		e.TraceLastHop(tid)
		up = append(up, e)
	}
	if bf, ok := r.fwd.(BatchSubmitter); ok && len(up) > 0 {
		if err := bf.SubmitMany(ctx, up); err != nil {
			return fmt.Errorf("submit: relay %d records: %w", len(up), err)
		}
		return nil
	}
	for _, e := range up {
		if err := r.fwd.Submit(ctx, e); err != nil {
			return fmt.Errorf("submit: relay %s: %w", e.ID, err)
		}
	}
	return nil
}
