package submit

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/sicollab/sicollab/schema"
)

// ErrNoRoute: a Router was given a record whose kind the directory routes
// to no next hop (an addressed message, or a record of a specialized
// department); it was queued nowhere.
var ErrNoRoute = errors.New("submit: no route")

// RouterConfig configures NewRouter.
type RouterConfig struct {
	// Org is the organization whose records the Router sends: the org
	// Routes.Route is asked about; required.
	Org string
	// Routes says where a record of a kind from Org goes next; required.
	// A *collab.Directory is one.
	Routes Routes
	// Hop returns the Submitter towards the hub of a next-hop
	// organization, e.g. the submit.Client of Org for that hub; required.
	// It is called for every record (or batch) and hop, so it should
	// return a Submitter it keeps rather than make one each time.
	Hop func(to string) (Submitter, error)
}

// Validate reports every problem of c at once, each naming the field.
func (c RouterConfig) Validate() error {
	var errs []error
	if c.Org == "" {
		errs = append(errs, errors.New("submit: router config: Org: required, got empty"))
	}
	if c.Routes == nil {
		errs = append(errs, errors.New("submit: router config: Routes: required, got nil"))
	}
	if c.Hop == nil {
		errs = append(errs, errors.New("submit: router config: Hop: required, got nil"))
	}
	return errors.Join(errs...)
}

// Router is a BatchSubmitter that fans each record out to every next hop
// the directory routes it to (collab.Directory.Route for Org and the
// record's kind): a general business department relaying upward to every
// specialized department that takes the kind in, or a social force whose
// supervisor does not take it in and whose records go straight to the
// specialized departments.
//
// Submit returns nil only when the record is queued with every next hop.
// SubmitMany groups the records by next hop, keeping their order, and
// queues each group in one call when the hop is a BatchSubmitter (one
// outbox commit per hop and batch). If a hop fails, the error names it;
// hops queued before it keep the records, so a retry reaches them again
// and their hubs report the copies as duplicates: nothing is lost.
//
// A record routed nowhere is an error wrapping ErrNoRoute, never a silent
// success; an error from Routes (collab.ErrUnknownOrg,
// collab.ErrKindNotAllowed) is returned wrapped. Router is safe for
// concurrent use if Routes and the hops' Submitters are.
type Router struct {
	cfg RouterConfig
}

// NewRouter returns a Router, or an error naming what is wrong with cfg.
func NewRouter(cfg RouterConfig) (*Router, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Router{cfg: cfg}, nil
}

// Next returns the organizations a record of kind goes to next, sorted,
// or an error wrapping ErrNoRoute if there are none.
func (r *Router) Next(kind string) ([]string, error) {
	to, err := r.cfg.Routes.Route(r.cfg.Org, kind)
	if err != nil {
		return nil, fmt.Errorf("submit: route %s from %s: %w", kind, r.cfg.Org, err)
	}
	if len(to) == 0 {
		return nil, fmt.Errorf("%w: %s from %s goes to no next hop", ErrNoRoute, kind, r.cfg.Org)
	}
	return to, nil
}

// Submit queues env with the Submitter of every next hop.
func (r *Router) Submit(ctx context.Context, env schema.Envelope) error {
	to, err := r.Next(env.Kind)
	if err != nil {
		return err
	}
	for _, t := range to {
		s, err := r.hop(t)
		if err != nil {
			return err
		}
		if err := s.Submit(ctx, env); err != nil {
			return fmt.Errorf("submit: route %s to %s: %w", env.ID, t, err)
		}
	}
	return nil
}

// SubmitMany queues envs with the Submitters of their next hops, one call
// per hop (in the hops' sorted order) when the hop is a BatchSubmitter.
// Every record is routed before any is queued, so an unroutable record
// fails the call with nothing queued.
func (r *Router) SubmitMany(ctx context.Context, envs []schema.Envelope) error {
	byHop := map[string][]schema.Envelope{}
	for i := range envs {
		to, err := r.Next(envs[i].Kind)
		if err != nil {
			return &IndexError{Index: i, Err: err}
		}
		for _, t := range to {
			byHop[t] = append(byHop[t], envs[i])
		}
	}
	for _, t := range slices.Sorted(maps.Keys(byHop)) {
		s, err := r.hop(t)
		if err != nil {
			return err
		}
		group := byHop[t]
		if bs, ok := s.(BatchSubmitter); ok {
			if err := bs.SubmitMany(ctx, group); err != nil {
				return fmt.Errorf("submit: route %d records to %s: %w", len(group), t, err)
			}
			continue
		}
		for _, env := range group {
			if err := s.Submit(ctx, env); err != nil {
				return fmt.Errorf("submit: route %s to %s: %w", env.ID, t, err)
			}
		}
	}
	return nil
}

func (r *Router) hop(to string) (Submitter, error) {
	s, err := r.cfg.Hop(to)
	if err != nil {
		return nil, fmt.Errorf("submit: route from %s: hop %s: %w", r.cfg.Org, to, err)
	}
	if s == nil {
		return nil, fmt.Errorf("submit: route from %s: hop %s: Hop returned a nil Submitter", r.cfg.Org, to)
	}
	return s, nil
}
