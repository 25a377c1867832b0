package submit

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// HopVerifier checks what the chain check cannot: that each hop of env
// was made by the organization it names (a signature over the hop and
// the one before, with a key of dir, the directory of the request).
// The Handler calls it once per record with the request's context,
// after the chain's structure held, also for a record without
// provenance; an error rejects the record with provenance_invalid, its
// pointer at hop (the index of the hop that failed, -1 for the record
// as a whole) and the error's text. It must be safe for concurrent use
// and must not block on I/O. SealVerifier is the implementation of
// signed provenance.
type HopVerifier interface {
	VerifyHops(ctx context.Context, dir *collab.Directory, env *schema.Envelope) (hop int, err error)
}

// checkProvenance applies the chain rules to env, whose payload digest
// digest the hub has just recomputed:
//
//   - the last hop's digest is the payload's;
//   - the first hop's organization is the source, or (a source that
//     stamped no hop of its own) on the source's route;
//   - the organizations of the hops, consecutive repeats taken as one,
//     follow the directory's routes for the kind: each is on a route
//     from the one before (so every one is the source or on the way from
//     it to the sender, in route order);
//   - the sender's own hop is the last;
//   - no hop is dated ahead of the hub's clock by more than MaxClockSkew,
//     nor before the hop before it;
//   - HopVerifier, if configured, accepts the record (also one without
//     provenance).
//
// A record without provenance passes (unless HopVerifier refuses it) when its sender is its source (the
// source's own submission); a relayed one has the relay's hop (the
// source check requires it). It returns the violation of the first hop
// that fails, naming it.
func (h *Handler) checkProvenance(ctx context.Context, env *schema.Envelope, sender collab.Org, digest string, now time.Time) *schema.Violation {
	hops := env.Provenance
	if len(hops) == 0 {
		return h.verifyHops(ctx, env)
	}
	bad := func(i int, why string, a ...any) *schema.Violation {
		return &schema.Violation{Pointer: "/provenance/" + strconv.Itoa(i), Keyword: "provenance",
			Message: fmt.Sprintf("hop %d (%s): ", i, hops[i].Org) + fmt.Sprintf(why, a...)}
	}
	last := len(hops) - 1
	if hops[last].Digest != digest {
		return bad(last, "digest %s is not the payload's (%s): the payload changed after the last hop, or the hop is forged", hops[last].Digest, digest)
	}
	if hops[0].Org != env.Source {
		// The chain begins at the source: a source that stamped no hop
		// of its own handed the record straight to the first hop's
		// organization, which must be on its route.
		next, err := h.dir().Route(env.Source, env.Kind)
		if err != nil || !slices.Contains(next, hops[0].Org) {
			return bad(0, "the first hop must be the source's (%s) or on its route for %s", env.Source, env.Kind)
		}
	}
	if hops[last].Org != sender.ID {
		return bad(last, "the last hop must be the sender's (%s)", sender.ID)
	}
	limit := now.Add(h.cfg.MaxClockSkew)
	for i, hop := range hops {
		if hop.At.After(limit) {
			return bad(i, "dated %s, more than %s ahead of the hub's clock", hop.At.UTC().Format(time.RFC3339), h.cfg.MaxClockSkew)
		}
		if i > 0 && hop.At.Before(hops[i-1].At) {
			return bad(i, "dated before the hop before it")
		}
		if i > 0 && hop.Org != hops[i-1].Org {
			next, err := h.dir().Route(hops[i-1].Org, env.Kind)
			if err != nil || !slices.Contains(next, hop.Org) {
				return bad(i, "%s is not on the directory's route for %s from %s", hop.Org, env.Kind, hops[i-1].Org)
			}
		}
	}
	return h.verifyHops(ctx, env)
}

// verifyHops runs the HopVerifier, if any, on env.
func (h *Handler) verifyHops(ctx context.Context, env *schema.Envelope) *schema.Violation {
	if h.cfg.HopVerifier == nil {
		return nil
	}
	i, err := h.cfg.HopVerifier.VerifyHops(ctx, h.dir(), env)
	if err == nil {
		return nil
	}
	v := &schema.Violation{Pointer: "/provenance", Keyword: "provenance", Message: err.Error()}
	if i >= 0 && i < len(env.Provenance) {
		v.Pointer += "/" + strconv.Itoa(i)
	}
	return v
}
