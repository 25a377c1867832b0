package submit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// inBatch is a submission being decoded: one result per record, and for
// each result the envelope when it passed so far.
type inBatch struct {
	sender  string
	records int
	results []RecordResult
	envs    []*schema.Envelope   // per result; nil once rejected
	srcs    []collab.Org         // per result: the organization that collected it
	digests []string             // per result: the payload digest, once computed
	inter   []collab.Interaction // per result: the interaction the record travels as
}

func (b *inBatch) accepted() []schema.Envelope {
	var out []schema.Envelope
	for i, e := range b.envs {
		if e != nil && b.results[i].Status == StatusAccepted {
			out = append(out, *e)
		}
	}
	return out
}

// anyDuplicate reports whether a record of b is a duplicate.
func (b *inBatch) anyDuplicate() bool {
	return slices.ContainsFunc(b.results, func(r RecordResult) bool { return r.Status == StatusDuplicate })
}

// counts sums b's results.
func (b *inBatch) counts() Counts {
	var c Counts
	for _, r := range b.results {
		c.add(r.Status)
	}
	return c
}

func (b *inBatch) reject(i int, reason Reason, vs ...schema.Violation) {
	b.results[i].Status = StatusRejected
	b.results[i].Reason = reason
	b.results[i].Errors = vs
	b.envs[i] = nil
}

// decodeBatch reads the records of src and runs the checks each record
// has on its own: schemas, source, directory. Every non-blank line gets
// exactly one result.
//
// The lines are read first and checked afterwards, on up to GOMAXPROCS
// goroutines: validation is most of a hub's work, and one client sending
// one batch at a time should not leave all but one core idle. Reading
// first costs no more memory than MaxDecompressedBytes, and a body that
// breaks a limit is refused before any record is validated.
func (h *Handler) decodeBatch(ctx context.Context, src io.Reader, sender collab.Org, now time.Time, sizeHint int) (*inBatch, *failure) {
	b := &inBatch{sender: sender.ID}
	maxRec := h.cfg.Limits.MaxRecords
	type rawLine struct {
		n          int
		start, end int // in buf
		tooLong    bool
	}
	var lines []rawLine
	buf := make([]byte, 0, sizeHint) // the lines, back to back
	err := eachLine(src, h.cfg.Limits.MaxLineBytes, func(n int, line []byte, tooLong bool) error {
		if !tooLong && len(bytes.TrimSpace(line)) == 0 {
			return nil
		}
		if b.records == maxRec {
			return errTooManyRecords
		}
		b.records++
		start := len(buf)
		if !tooLong {
			buf = append(buf, line...)
		}
		lines = append(lines, rawLine{n: n, start: start, end: len(buf), tooLong: tooLong})
		return nil
	})
	if err == nil {
		b.results = make([]RecordResult, len(lines))
		b.envs = make([]*schema.Envelope, len(lines))
		b.srcs = make([]collab.Org, len(lines))
		b.digests = make([]string, len(lines))
		b.inter = make([]collab.Interaction, len(lines))
		parallel(len(lines), func(i int) {
			l := lines[i]
			b.results[i], b.envs[i], b.srcs[i], b.digests[i] = h.checkRecord(ctx, l.n, buf[l.start:l.end:l.end], l.tooLong, sender, now)
			b.inter[i] = collab.InteractionSubmission // what cannot be read counts as submitted
			if e := b.envs[i]; e != nil {
				b.inter[i] = collab.MessageInteraction(h.cfg.Directory, e.Kind, e.Payload)
			}
		})
	}
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, errTooManyRecords):
		return b, tooLarge("max_records", fmt.Sprintf("more than %d records; split the batch", maxRec))
	case errors.Is(err, errDecompressedTooLarge):
		return b, tooLarge("max_decompressed_bytes", fmt.Sprintf("body decompresses to more than %d bytes", h.cfg.Limits.MaxDecompressedBytes))
	default:
		return b, fail(http.StatusBadRequest, ProblemMalformed, "reading the gzip stream failed: "+err.Error())
	}
}

// parallel calls fn(0) to fn(n-1) on up to GOMAXPROCS goroutines, in
// chunks big enough that handing them out costs little, and returns when
// all have returned.
func parallel(n int, fn func(i int)) {
	const chunk = 16
	workers := min(runtime.GOMAXPROCS(0), (n+chunk-1)/chunk)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				start := int(next.Add(chunk)) - chunk
				if start >= n {
					return
				}
				for i := start; i < min(start+chunk, n); i++ {
					fn(i)
				}
			}
		})
	}
	wg.Wait()
}

// checkRecord runs the checks of one line that need nothing but the line,
// the sender, the directory and the clock, in this order: size and
// schemas (invalid), source (source_mismatch), kind (kind_not_allowed),
// handling on relay (handling_violation), collected_at skew
// (collected_in_future), provenance (provenance_invalid) and a
// purpose's issuer (purpose_not_owned). It returns the payload digest of
// a record that passed.
func (h *Handler) checkRecord(ctx context.Context, n int, line []byte, tooLong bool, sender collab.Org, now time.Time) (RecordResult, *schema.Envelope, collab.Org, string) {
	res := RecordResult{Line: n, Status: StatusRejected, Reason: ReasonInvalid}
	reject := func(reason Reason, v schema.Violation) (RecordResult, *schema.Envelope, collab.Org, string) {
		res.Reason, res.Errors = reason, []schema.Violation{v}
		return res, nil, collab.Org{}, ""
	}
	if tooLong {
		return reject(ReasonInvalid, schema.Violation{Keyword: "size",
			Message: fmt.Sprintf("record is more than %d bytes, the hub's max_line_bytes", h.cfg.Limits.MaxLineBytes)})
	}
	env, err := h.validate.Validate(line)
	if err != nil {
		if ve, ok := errors.AsType[*schema.ValidationError](err); ok {
			res.Errors = ve.Violations
			if !errors.Is(err, schema.ErrSyntax) && !errors.Is(err, schema.ErrTooDeep) && !errors.Is(err, schema.ErrDuplicateKey) {
				res.ID = peekID(line)
			}
		} else {
			res.Errors = []schema.Violation{{Keyword: "schema", Message: err.Error()}}
		}
		return res, nil, collab.Org{}, ""
	}
	res.ID = env.ID
	if env.Supersedes == env.ID {
		return reject(ReasonInvalid, schema.Violation{Pointer: "/supersedes", Keyword: "supersedes",
			Message: "a record cannot supersede itself; a correction is a new record with a new id"})
	}
	src, ok := h.source(&env, sender)
	if !ok {
		return reject(ReasonSourceMismatch, schema.Violation{Pointer: "/source", Keyword: "source",
			Message: fmt.Sprintf("source %q is not the authenticated organization %q", env.Source, sender.ID)})
	}
	if !sender.CanSubmit(env.Kind) || !h.hub.CanReceive(env.Kind) {
		msg := fmt.Sprintf("%q may not submit %q", sender.ID, env.Kind)
		if sender.CanSubmit(env.Kind) {
			msg = fmt.Sprintf("%q does not take in %q", h.hub.ID, env.Kind)
		}
		return reject(ReasonKindNotAllowed, schema.Violation{Pointer: "/kind", Keyword: "kind", Message: msg})
	}
	if env.Source != sender.ID && !relayable(env.Handling) {
		return reject(ReasonHandlingViolation, schema.Violation{Pointer: "/handling", Keyword: "handling",
			Message: fmt.Sprintf("%s records stay with the organization that received them; %q relayed one from %q", env.Handling, sender.ID, env.Source)})
	}
	if env.CollectedAt.After(now.Add(h.cfg.MaxClockSkew)) {
		return reject(ReasonFutureCollected, schema.Violation{Pointer: "/collected_at", Keyword: "clock_skew",
			Message: fmt.Sprintf("collected_at %s is more than %s ahead of the hub's clock (%s); check the sender's clock",
				env.CollectedAt.UTC().Format(time.RFC3339), h.cfg.MaxClockSkew, now.UTC().Format(time.RFC3339))})
	}
	digest, err := schema.PayloadDigest(env.Payload)
	if err != nil {
		return reject(ReasonInvalid, schema.Violation{Pointer: "/payload", Keyword: "digest", Message: err.Error()})
	}
	if v := h.checkProvenance(ctx, &env, sender, digest, now); v != nil {
		return reject(ReasonProvenanceInvalid, *v)
	}
	if v := purposeIssuer(&env, sender); v != nil {
		return reject(ReasonPurposeNotOwned, *v)
	}
	res.Status, res.Reason = StatusAccepted, ""
	return res, &env, src, digest
}

// relayable reports whether records of handling h may arrive relayed
// (TLP 2.0: RED stays where it arrives, AMBER+STRICT with its
// recipient organization).
func relayable(h schema.Handling) bool {
	return h != schema.HandlingRed && h != schema.HandlingAmberStrict
}

// purposeIssuer checks that a requirement or task is sent by its issuer:
// the sender, the envelope's source and the payload's issuer are one
// organization.
func purposeIssuer(env *schema.Envelope, sender collab.Org) *schema.Violation {
	if env.Kind != schema.KindRequirement && env.Kind != schema.KindTask {
		return nil
	}
	var p struct {
		Issuer string `json:"issuer"`
	}
	if err := json.Unmarshal(env.Payload, &p); err != nil {
		return &schema.Violation{Pointer: "/payload", Keyword: "issuer", Message: err.Error()}
	}
	if p.Issuer != env.Source || env.Source != sender.ID {
		return &schema.Violation{Pointer: "/payload/issuer", Keyword: "issuer",
			Message: fmt.Sprintf("a %s is created, revised or closed only by its issuer: issuer %q, source %q, sender %q must be one organization",
				env.Kind, p.Issuer, env.Source, sender.ID)}
	}
	return nil
}

// source returns the organization that collected env, if the sender may
// send it: the sender itself, or, for a relayed record, a collector
// whose route for the kind leads to the sender, which stamped the newest
// provenance hop.
func (h *Handler) source(env *schema.Envelope, sender collab.Org) (collab.Org, bool) {
	if env.Source == sender.ID {
		return sender, true
	}
	if len(env.Provenance) == 0 || env.Provenance[len(env.Provenance)-1].Org != sender.ID {
		return collab.Org{}, false
	}
	next, err := h.dir().Route(env.Source, env.Kind)
	if err != nil || !slices.Contains(next, sender.ID) {
		return collab.Org{}, false
	}
	return h.dir().Org(env.Source)
}

// peekID reads the id of a record the schemas refused, if it has one
// that looks like a UUID.
func peekID(line []byte) string {
	var v struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(line, &v) != nil || len(v.ID) != 36 {
		return ""
	}
	return v.ID
}

// seenResult turns a result into a duplicate of the record s accepted,
// or a conflict if the payload digest or the handling differ.
func seenResult(res RecordResult, s SeenRecord, digest string, handling schema.Handling) RecordResult {
	switch {
	case s.Digest != digest:
		res.Status, res.Reason, res.Errors = StatusRejected, ReasonConflict, []schema.Violation{{Pointer: "/payload", Keyword: "conflict",
			Message: "a record with this id from this source was accepted with another payload (" + s.Digest + "); a correction is a new record naming this one in supersedes"}}
	case s.Handling != handling:
		res.Status, res.Reason, res.Errors = StatusRejected, ReasonConflict, []schema.Violation{{Pointer: "/handling", Keyword: "conflict",
			Message: "a record with this id from this source was accepted with handling " + string(s.Handling) + "; a correction is a new record naming this one in supersedes"}}
	default:
		res.Status = StatusDuplicate
	}
	return res
}

// key is the record's identity at the hub: (source, id).
func (b *inBatch) key(i int) RecordKey { return RecordKey{b.srcs[i].ID, b.results[i].ID} }

// dedupe marks records accepted before (in the ledger) or earlier in the
// batch, by (source, id), as duplicates, or as conflicts when their
// payload digest or handling differ. It runs before the purpose check:
// a record accepted before stays a success even if its purpose lapsed
// since.
func (h *Handler) dedupe(ctx context.Context, b *inBatch) *failure {
	var keys []RecordKey
	for i, e := range b.envs {
		if e != nil {
			keys = append(keys, b.key(i))
		}
	}
	if len(keys) == 0 {
		return nil
	}
	seen, err := h.cfg.Ledger.Seen(ctx, keys)
	if err != nil {
		return h.unavailable("reading the ledger failed", err)
	}
	first := make(map[RecordKey]int, len(keys))
	for i, e := range b.envs {
		if e == nil {
			continue
		}
		k := b.key(i)
		if s, ok := seen[k]; ok {
			b.results[i] = seenResult(b.results[i], s, b.digests[i], e.Handling)
			b.envs[i] = nil
			continue
		}
		if j, ok := first[k]; ok {
			b.results[i] = seenResult(b.results[i], SeenRecord{Digest: b.digests[j], Handling: b.envs[j].Handling}, b.digests[i], e.Handling)
			b.envs[i] = nil
			continue
		}
		first[k] = i
	}
	return nil
}

// checkPurposes applies purpose, retention and, to requirements and
// tasks, ownership of revisions to the records still accepted.
func (h *Handler) checkPurposes(b *inBatch, now time.Time) {
	rv, _ := h.purposes.(reviser)
	var pending map[string]revision
	for i, e := range b.envs {
		if e == nil || b.results[i].Status != StatusAccepted {
			continue
		}
		if reason, ok := h.purposes.Check(*e, b.srcs[i]); !ok {
			b.reject(i, reason, schema.Violation{Pointer: "/purpose", Keyword: "purpose", Message: purposeMessage(reason)})
			continue
		}
		if !now.Before(e.RetainUntil) {
			b.reject(i, ReasonExpired, schema.Violation{Pointer: "/retain_until", Keyword: "retention",
				Message: "retain_until " + e.RetainUntil.UTC().Format(time.RFC3339) + " has passed; the record must be deleted, not shared"})
			continue
		}
		// Last, so that pending holds only revisions that are accepted.
		if rv != nil && (e.Kind == schema.KindRequirement || e.Kind == schema.KindTask) {
			if pending == nil {
				pending = map[string]revision{}
			}
			if reason, v := rv.checkRevision(e, pending); reason != "" {
				b.reject(i, reason, v)
			}
		}
	}
}

func purposeMessage(r Reason) string {
	switch r {
	case ReasonPurposeUnknown:
		return "no requirement or task with this id is known at this hub"
	case ReasonPurposeInactive:
		return "the purpose is not active now (closed, suspended, superseded, expired or not yet valid), or the record was collected outside its window"
	case ReasonPurposeNotCovered:
		return "the purpose's scope does not cover this kind, the collecting organization's sector or region, or its assignees"
	}
	return "the purpose does not allow this record"
}
