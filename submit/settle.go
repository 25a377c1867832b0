package submit

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// settler applies the outcome of a batch: delivered and duplicate
// records are deleted from the outbox, refused ones move to the dead
// letters, the counters and the refusals Flush reports are updated, and
// the receipt goes to OnReceipt, one call at a time (never concurrently,
// whichever sender settles). Safe for concurrent use.
type settler struct {
	ob        *outbox
	st        *clientStats
	refusals  *refusals
	log       *slog.Logger
	org       string
	clock     func() time.Time
	onReceipt func(Receipt)
	receiptMu sync.Mutex
}

// settleAll moves every record of b to the dead letters.
func (t *settler) all(b *outBatch, cause DeadCause, se *sendError) error {
	dead := make([]*DeadLetter, len(b.seqs))
	for i := range b.seqs {
		dead[i] = t.deadLetter(b, i, cause, se)
	}
	return t.settle(b, dead, nil, 0, 0, 0)
}

// settleRejected applies a 422: the problem's results say why each
// record was refused; records it does not mention are dead-lettered
// with its detail.
func (t *settler) rejected(b *outBatch, se *sendError) error {
	var results []RecordResult
	var runs []RefusedRun
	if se.problem != nil {
		results, runs = se.problem.Results, se.problem.Refused
	}
	byLine := resultsByLine(results, runs, len(b.seqs))
	dead := make([]*DeadLetter, len(b.seqs))
	rc := t.rejectedReceipt(b, se)
	for i := range b.seqs {
		dl := t.deadLetter(b, i, CauseRejected, se)
		dl.SubmissionID = rc.SubmissionID
		if r, ok := byLine[i+1]; ok {
			dl.Reason, dl.Errors = r.Reason, r.Errors
		}
		dead[i] = dl
	}
	return t.settle(b, dead, rc, 0, 0, uint64(len(dead)))
}

// rejectedReceipt is the receipt of a batch the hub refused whole (422),
// read from its problem document, so that OnReceipt sees every answer.
// ReceivedAt is the client's clock when the answer arrived: the problem
// does not carry the hub's.
func (t *settler) rejectedReceipt(b *outBatch, se *sendError) *Receipt {
	rc := &Receipt{
		IdempotencyKey: b.key.String(), Org: t.org, ReceivedAt: t.clock().UTC(),
		BodyDigest: b.digest, Results: []RecordResult{},
	}
	if p := se.problem; p != nil {
		rc.SubmissionID = strings.TrimPrefix(p.Instance, PathSubmissions+"/")
		rc.Results = p.Results
	}
	rc.Counts.Records = len(b.seqs)
	rc.Counts.Rejected = len(b.seqs)
	return rc
}

// resultsByLine indexes results by line, with the lines of the refused
// runs (records the hub summarized) as rejected with the run's reason.
func resultsByLine(results []RecordResult, runs []RefusedRun, n int) map[int]RecordResult {
	m := make(map[int]RecordResult, len(results))
	for _, run := range runs {
		for l := max(run.FirstLine, 1); l <= min(run.LastLine, n); l++ {
			m[l] = RecordResult{Line: l, Status: StatusRejected, Reason: run.Reason}
		}
	}
	for _, r := range results {
		if r.Line >= 1 && r.Line <= n {
			m[r.Line] = r
		}
	}
	return m
}

func (t *settler) deadLetter(b *outBatch, i int, cause DeadCause, se *sendError) *DeadLetter {
	dl := &DeadLetter{
		Record: bytes.Clone(b.record(i)), Cause: cause, At: t.clock().UTC(),
		IdempotencyKey: b.key.String(), seq: b.seqs[i],
	}
	if se != nil {
		dl.Status = se.status
		dl.Detail = se.detail
		if dl.Detail == "" && se.err != nil {
			dl.Detail = se.err.Error()
		}
	}
	dl.fillFromRecord()
	return dl
}

// settleReceipt applies the hub's receipt: accepted and duplicate
// records are deleted, rejected ones move to the dead letters.
func (t *settler) receipt(b *outBatch, rc *Receipt) error {
	if rc.IdempotencyKey != "" && rc.IdempotencyKey != b.key.String() {
		return t.all(b, CauseBadReceipt, &sendError{detail: fmt.Sprintf(
			"receipt %s names idempotency key %s, not %s", rc.SubmissionID, rc.IdempotencyKey, b.key)})
	}
	byLine := resultsByLine(rc.Results, rc.Refused, len(b.seqs))
	dead := make([]*DeadLetter, len(b.seqs))
	var acc, dup, rej uint64
	for i := range b.seqs {
		r, ok := byLine[i+1]
		switch {
		case !ok && len(rc.Results) == 0 && rc.Counts.Rejected == 0 && rc.Counts.Records == len(b.seqs):
			acc++ // a receipt with counts only, all good
		case ok && r.Status == StatusAccepted:
			acc++
		case ok && r.Status == StatusDuplicate:
			dup++
		case ok && r.Status == StatusRejected:
			rej++
			dl := t.deadLetter(b, i, CauseRejected, &sendError{status: http.StatusOK})
			dl.Reason, dl.Errors, dl.SubmissionID = r.Reason, r.Errors, rc.SubmissionID
			dead[i] = dl
		default:
			dl := t.deadLetter(b, i, CauseBadReceipt, &sendError{status: http.StatusOK,
				detail: fmt.Sprintf("receipt %s has no valid result for line %d", rc.SubmissionID, i+1)})
			dl.SubmissionID = rc.SubmissionID
			dead[i] = dl
		}
	}
	return t.settle(b, dead, rc, acc, dup, rej)
}

// settle removes b from the outbox (dead letters moved), then counts
// and logs the outcome and hands the receipt to OnReceipt. It returns
// the outbox's error, with nothing applied.
func (t *settler) settle(b *outBatch, dead []*DeadLetter, rc *Receipt, acc, dup, rej uint64) error {
	err := t.ob.complete(b, dead, func() {
		t.st.delivered.Add(acc)
		t.st.duplicate.Add(dup)
		t.st.rejected.Add(rej)
	})
	if err != nil {
		return err
	}
	for _, dl := range dead {
		if dl != nil {
			t.noteDead(dl)
		}
	}
	if rc != nil {
		t.log.Debug("submit: receipt", "submission", rc.SubmissionID, "key", b.key, "accepted", rc.Counts.Accepted,
			"duplicate", rc.Counts.Duplicate, "rejected", rc.Counts.Rejected)
		if t.onReceipt != nil {
			t.receiptMu.Lock()
			t.onReceipt(*rc)
			t.receiptMu.Unlock()
		}
	}
	t.ob.released() // after the counters and OnReceipt: Flush returns with both done
	return nil
}

// noteDead counts a record moved to the dead letters, for Stats and the
// Flush that covers it.
func (t *settler) noteDead(dl *DeadLetter) {
	t.st.deadLettered.Add(1)
	t.refusals.note(dl)
	t.log.Warn("submit: record moved to dead letters", "dead_letter", dl.ID, "record", dl.RecordID,
		"cause", dl.Cause, "reason", dl.Reason, "status", dl.Status, "detail", dl.Detail)
}
