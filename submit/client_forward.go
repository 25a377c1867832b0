package submit

import (
	"context"

	"github.com/sicollab/sicollab/schema"
)

// forward queues envs as SubmitMany does, for a Relay: every envelope was
// validated by the Handler of the relaying hub, whose Relay appended
// only its own hop (stamped with the payload digest the Handler
// computed), so the payloads are not validated again. The first
// envelope is validated in full, which proves the hop the Relay writes
// into all of them; an envelope whose last hop is not this client's
// organization, or that holds more hops than the envelope schema allows,
// goes through prepare as in SubmitMany.
func (c *Client) forward(ctx context.Context, envs []schema.Envelope) error {
	if err := c.enter(); err != nil {
		return err
	}
	defer c.submits.Done()
	prepared := make([]schema.Envelope, len(envs))
	for i := range envs {
		e := &envs[i]
		n := len(e.Provenance)
		if i == 0 || n == 0 || n > schema.MaxHops || e.Provenance[n-1].Org != c.cfg.Org || !c.cfg.Relay && e.Source != c.cfg.Org {
			p, err := c.prepare(*e, traceIDOf(ctx))
			if err != nil {
				return &IndexError{Index: i, Err: err}
			}
			prepared[i] = p
			continue
		}
		prepared[i] = *e
	}
	recs, err := c.records(prepared)
	if err != nil {
		return err
	}
	return c.queue(ctx, recs, false) // a whole batch the hub holds open: no window
}
