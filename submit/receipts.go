package submit

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/sicollab/sicollab/collab"
)

func (h *Handler) receipt(w http.ResponseWriter, r *http.Request) {
	org, f := h.authenticate(r)
	if f != nil {
		h.writeFailure(w, r, f)
		return
	}
	raw, err := h.cfg.Ledger.receiptBytes(r.Context(), org.ID, r.PathValue("id"))
	switch {
	case errors.Is(err, ErrReceiptNotFound):
		h.writeFailure(w, r, fail(http.StatusNotFound, ProblemNotFound, "no submission with this id from your organization"))
	case err != nil:
		h.writeFailure(w, r, h.unavailable("reading the receipt failed", err, "org", org.ID))
	default:
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

// logOutcome logs the submission and appends it to the journal.
func (h *Handler) logOutcome(ctx context.Context, org, sub string, a *ledgerAnswer, b *batch, now time.Time) {
	var c Counts
	for _, res := range b.results {
		c.add(res.Status)
	}
	h.log.Info("submission", "org", org, "submission", sub, "status", a.Status,
		"records", c.Records, "accepted", c.Accepted, "duplicate", c.Duplicate, "rejected", c.Rejected)
	if h.cfg.Journal == nil {
		return
	}
	var rc Receipt
	if err := json.Unmarshal(a.Receipt, &rc); err == nil {
		c = rc.Counts
	}
	data, _ := json.Marshal(collab.RecordsOutcome{Submitted: c.Records, Accepted: c.Accepted, Rejected: c.Rejected, Duplicate: c.Duplicate})
	_, err := h.cfg.Journal.Append(ctx, collab.Entry{
		At: now.UTC(), Kind: collab.EntryRecordsOutcome, Interaction: collab.InteractionSubmission,
		Org: org, Counterpart: h.hub.ID, Ref: sub, Data: data,
	})
	if err != nil {
		h.log.Error("journal append failed; the submission stands", "org", org, "submission", sub, "err", err)
	}
}
