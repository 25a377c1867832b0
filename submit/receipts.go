package submit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/sicollab/sicollab/collab"
)

func (h *Handler) receipt(w http.ResponseWriter, r *http.Request) {
	if f := checkSingletons(r.Header); f != nil {
		h.writeFailure(w, r, f)
		return
	}
	org, f := h.admit(r)
	if f != nil {
		h.writeFailure(w, r, f)
		return
	}
	id := r.PathValue("id")
	raw, err := h.cfg.Ledger.ReceiptBytes(r.Context(), org.ID, id)
	h.log.Info("receipt read", "org", org.ID, "submission", id, "addr", clientAddr(r), "found", err == nil)
	switch {
	case errors.Is(err, ErrReceiptNotFound):
		h.writeFailure(w, r, fail(http.StatusNotFound, ProblemNotFound, "no submission with this id from your organization"))
	case err != nil:
		h.writeFailure(w, r, h.unavailable("reading the receipt failed", err, "org", org.ID))
	default:
		h.met.request(routeReceipt, http.StatusOK, "")
		writeBody(w, http.StatusOK, MediaJSON, raw)
	}
}

func mediaOf(status int) string {
	if status == http.StatusOK {
		return MediaJSON
	}
	return MediaProblem
}

func (c *Counts) add(s Status) {
	c.Records++
	switch s {
	case StatusAccepted:
		c.Accepted++
	case StatusDuplicate:
		c.Duplicate++
	case StatusRejected:
		c.Rejected++
	}
}

// logOutcome logs the submission and, when it was committed (sub set),
// appends it to the journal: one outcome entry per interaction the
// submission's records travel as (collab.MessageInteraction), so that a
// task sent down is journaled as interaction 1, an escalation as 5, and
// records as 2. A submission of which nothing was accepted is logged
// only: it changed nothing, and it leaves nothing on disk. results are
// the statuses as committed (nil: b's).
func (h *Handler) logOutcome(ctx context.Context, org, sub string, status int, b *inBatch, results []RecordResult, now time.Time) {
	if results == nil {
		results = b.results
	}
	h.met.recordResults(results)
	var c Counts
	for _, r := range results {
		c.add(r.Status)
	}
	h.log.Info("submission", "org", org, "submission", sub, "status", status,
		"records", c.Records, "accepted", c.Accepted, "duplicate", c.Duplicate, "rejected", c.Rejected)
	if h.cfg.Journal == nil || sub == "" {
		return
	}
	var order []collab.Interaction
	by := map[collab.Interaction]*Counts{}
	for i, res := range results {
		in := collab.InteractionSubmission
		if i < len(b.inter) {
			in = b.inter[i]
		}
		if by[in] == nil {
			by[in] = &Counts{}
			order = append(order, in)
		}
		by[in].add(res.Status)
	}
	slices.Sort(order)
	for _, in := range order {
		c := by[in]
		data, _ := json.Marshal(collab.RecordsOutcome{Submitted: c.Records, Accepted: c.Accepted, Rejected: c.Rejected, Duplicate: c.Duplicate})
		_, err := h.cfg.Journal.Append(ctx, collab.Entry{
			At: now.UTC(), Kind: collab.EntryRecordsOutcome, Interaction: in,
			Org: org, Counterpart: h.hub.ID, Ref: sub, Data: data,
		})
		if err != nil {
			h.log.Error("journal append failed; the submission stands", "org", org, "submission", sub, "interaction", int(in), "err", err)
		}
	}
}

// finish makes the receipt of b inside the ledger's commit: a record
// accepted meanwhile by a concurrent request (another key) becomes a
// duplicate or a conflict; the rejected records beyond MaxRefusedDetails
// are summarized. It returns the receipt, the status (200, or 422 if
// nothing was accepted or duplicate, then with the problem as the
// answer's body) and the records to mark as seen.
func (h *Handler) finish(b *inBatch, seen func(RecordKey) (SeenRecord, bool), rc *Receipt, committed *[]RecordResult) (*Receipt, int, []byte, []AcceptedRecord, error) {
	results := make([]RecordResult, len(b.results))
	var acc []AcceptedRecord
	for i, res := range b.results {
		if res.Status == StatusAccepted {
			k := b.key(i)
			if s, ok := seen(k); ok {
				res = seenResult(res, s, b.digests[i], b.envs[i].Handling)
			} else {
				acc = append(acc, AcceptedRecord{Key: k, Seen: SeenRecord{Org: rc.Org, Submission: rc.SubmissionID,
					Digest: b.digests[i], Handling: b.envs[i].Handling, RetainUntil: b.envs[i].RetainUntil}})
			}
		}
		results[i] = res
		rc.Counts.add(res.Status)
	}
	*committed = results
	rc.Results, rc.Refused = h.summarize(results)
	if rc.Counts.Accepted+rc.Counts.Duplicate > 0 {
		return rc, http.StatusOK, nil, acc, nil
	}
	p := h.nothingValid(rc.Results, rc.Refused)
	p.Instance = PathSubmissions + "/" + rc.SubmissionID
	resp, err := json.Marshal(p)
	return rc, http.StatusUnprocessableEntity, resp, acc, err
}

// summarize keeps every result but the rejected ones beyond
// MaxRefusedDetails, which it returns as runs: consecutive rejected
// records with the same reason.
func (h *Handler) summarize(all []RecordResult) ([]RecordResult, []RefusedRun) {
	rejected := 0
	for _, r := range all {
		if r.Status == StatusRejected {
			rejected++
		}
	}
	if rejected <= h.cfg.MaxRefusedDetails {
		return all, nil
	}
	var kept []RecordResult
	var runs []RefusedRun
	n, prev := 0, -2 // prev: index in all of the last summarized result
	for i, r := range all {
		if r.Status != StatusRejected {
			kept = append(kept, r)
			continue
		}
		if n++; n <= h.cfg.MaxRefusedDetails {
			kept = append(kept, r)
			continue
		}
		if last := len(runs) - 1; last >= 0 && prev == i-1 && runs[last].Reason == r.Reason {
			runs[last].LastLine = r.Line
			runs[last].Records++
		} else {
			runs = append(runs, RefusedRun{FirstLine: r.Line, LastLine: r.Line, Records: 1, Reason: r.Reason})
		}
		prev = i
	}
	return kept, runs
}

// nothingValid is the 422 of a submission of which nothing was accepted.
func (h *Handler) nothingValid(results []RecordResult, runs []RefusedRun) *Problem {
	n := len(results)
	for _, r := range runs {
		n += r.Records
	}
	p := &Problem{
		Type: ProblemNothingValid, Title: problemTitles[ProblemNothingValid], Status: http.StatusUnprocessableEntity,
		Detail:   fmt.Sprintf("all %d records were rejected; the results say why", n),
		Instance: PathSubmissions, Results: results, Refused: runs,
	}
	if n == 0 {
		p.Detail = "the body holds no record"
	}
	return p
}

// Prune deletes, now, what retention allows: receipts and idempotency
// keys older than HandlerConfig.Retention, and accepted record ids whose
// retain_until has passed (see Ledger.Prune). With HandlerConfig.Log,
// each transaction of it is a purge leaf first (as OperatorSchedule). A
// Purger does this and purges the store and the other files too.
func (h *Handler) Prune(ctx context.Context) (PruneStats, error) {
	now := h.cfg.Clock()
	before := now.Add(-h.cfg.Retention)
	l, ok := h.cfg.Ledger.(*Ledger)
	if !ok {
		// A shared ledger (JetStream) expires its own entries.
		return h.cfg.Ledger.Prune(ctx, before, now)
	}
	return l.prune(ctx, before, now,
		leafHook(h.cfg.Log, PurgeStoreReceipts, OperatorSchedule, now, before, nil),
		leafHook(h.cfg.Log, PurgeStoreRecordIDs, OperatorSchedule, now, now, nil))
}

// RunPruner calls Prune every HandlerConfig.PruneEvery until ctx ends,
// and returns ctx's error. An error of one prune is logged; the next
// tries again. A hub runs it in the background: go h.RunPruner(ctx).
func (h *Handler) RunPruner(ctx context.Context) error {
	tick, stop := h.cfg.newTicker(h.cfg.PruneEvery)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick:
		}
		st, err := h.Prune(ctx)
		if err != nil {
			h.log.Error("pruning the ledger failed; retrying at the next tick", "err", err)
		} else if st.Receipts+st.Records > 0 {
			h.log.Info("ledger pruned", "receipts", st.Receipts, "records", st.Records)
		}
		if h.cfg.onPrune != nil {
			h.cfg.onPrune(st, err)
		}
	}
}

// realTicker is the default HandlerConfig.newTicker.
func realTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}
