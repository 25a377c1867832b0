package submit

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// gzipLevel is the level batches are compressed at; see GzipMode.
const gzipLevel = gzip.BestSpeed

// maxReceiptBytes bounds a response body the client reads: a receipt
// for 5,000 records each with a few violations fits well inside it.
const maxReceiptBytes = 64 << 20

// outBatch is a batch being sent (the hub decodes it as an inBatch): one
// request's worth of records, their outbox seqs, and the NDJSON body
// built from them, identical on every attempt so the hub sees the same
// body under the same key.
type outBatch struct {
	key     uuid.UUID
	seqs    []uint64
	offs    []int  // start of each record in body
	body    []byte // NDJSON, one record and "\n" per seq
	created time.Time
	gzip    bool // persisted: a resumed batch is encoded as it first was
	loaded  bool

	attempts int    // failed attempts in this process
	wire     []byte // body as sent
	digest   string // Content-Digest of wire
}

func (b *outBatch) add(seq uint64, rec []byte) {
	b.seqs = append(b.seqs, seq)
	b.offs = append(b.offs, len(b.body))
	b.body = append(b.body, rec...)
	b.body = append(b.body, '\n')
	b.loaded = true
}

// record returns the i-th record, without its newline.
func (b *outBatch) record(i int) []byte {
	end := len(b.body)
	if i+1 < len(b.offs) {
		end = b.offs[i+1]
	}
	return b.body[b.offs[i] : end-1]
}

// slice returns a new batch, with a new key, of records i to j.
func (b *outBatch) slice(i, j int, _ time.Time) *outBatch {
	nb := &outBatch{key: newKey(), created: b.created, gzip: b.gzip}
	for k := i; k < j; k++ {
		nb.add(b.seqs[k], b.record(k))
	}
	return nb
}

// encodeWire compresses the body if the batch says so and computes its
// Content-Digest (RFC 9530), once per batch.
func (b *outBatch) encodeWire(gw *gzip.Writer) {
	if b.wire != nil {
		return
	}
	b.wire = b.body
	if b.gzip {
		var buf bytes.Buffer
		buf.Grow(len(b.body) / 4)
		gw.Reset(&buf)
		gw.Write(b.body) // a bytes.Buffer does not fail
		gw.Close()
		b.wire = buf.Bytes()
	}
	sum := sha256.Sum256(b.wire)
	b.digest = "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
}

// sender is a goroutine that forms, sends and settles batches, one at a
// time; the client runs MaxInFlightBatches of them over the same outbox, whose
// claims are disjoint.
type sender struct {
	c          *Client
	queue      []*outBatch // batches persisted in flight, oldest first
	limits     Limits
	haveLimits bool
	limitTries int
	gw         *gzip.Writer
}

func (s *sender) run() {
	c := s.c
	gw, _ := gzip.NewWriterLevel(io.Discard, gzipLevel)
	s.gw = gw
	for {
		if c.runCtx.Err() != nil {
			return
		}
		draining := isClosed(c.closing)
		if err := c.st.credentialsErr(); err != nil {
			if draining {
				c.stopDraining(err)
				return
			}
			select {
			case <-c.resumed():
			case <-c.closing:
			case <-c.runCtx.Done():
			}
			continue
		}
		if !s.haveLimits {
			if err := s.fetchLimits(); err != nil {
				if draining {
					c.stopDraining(err)
					return
				}
				s.limitTries++
				if errors.Is(err, ErrCredentials) {
					continue
				}
				c.chain.retry.sleep(c.runCtx, c.chain.retry.backoff(s.limitTries, err))
				continue
			}
			s.limitTries = 0
		}
		if len(s.queue) == 0 {
			b, done := s.nextBatch(draining)
			if done {
				return
			}
			if b == nil {
				continue
			}
			s.queue = append(s.queue, b)
		}
		if err := s.deliver(s.queue[0], draining); err != nil {
			if draining || isClosed(c.closing) {
				c.stopDraining(err)
				return
			}
		}
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// nextBatch waits for records and claims a batch. It returns nil to have
// the loop look again, and done once a drain has emptied the outbox.
func (s *sender) nextBatch(draining bool) (b *outBatch, done bool) {
	c := s.c
	pend, pendBytes, oldest := c.ob.pending()
	if pend == 0 {
		if draining {
			return nil, true
		}
		select {
		case <-c.wake:
		case <-c.closing:
		case <-c.runCtx.Done():
		}
		return nil, false
	}
	lim := s.claimLimits()
	full := pend >= int64(lim.records) || pendBytes+pend >= int64(lim.bytes)
	now := c.cfg.Clock()
	if !full && !draining && c.flushing.Load() == 0 && !oldest.IsZero() {
		if wait := oldest.Add(c.cfg.Linger).Sub(now); wait > 0 {
			ch, stop := c.cfg.NewTimer(wait)
			select {
			case <-ch:
			case <-c.wake:
			case <-c.closing:
			case <-c.runCtx.Done():
			}
			stop()
			if !isClosed(c.closing) && c.flushing.Load() == 0 && c.cfg.Clock().Before(oldest.Add(c.cfg.Linger)) {
				return nil, false // woken early: look again
			}
		}
	}
	b, dead, err := c.ob.claim(lim, c.cfg.Clock(), c.gzip)
	if err != nil {
		c.noteErr(err)
		c.log.Error("submit: outbox", "err", err)
		s.sleep(c.cfg.Retry.MaxInterval)
		return nil, false
	}
	for i := range dead {
		dl := &dead[i]
		c.st.deadLettered.Add(1)
		c.refusals.note(dl)
		c.log.Warn("submit: record moved to dead letters", "dead_letter", dl.ID, "record", dl.RecordID, "cause", dl.Cause, "detail", dl.Detail)
	}
	if len(dead) > 0 {
		c.ob.released()
	}
	if more, _, _ := c.ob.pending(); more > 0 {
		c.signal() // another sender may take the next batch
	}
	return b, false
}

// claimLimits are the smallest of the config's, the hub's and the rate
// limiters' bounds.
func (s *sender) claimLimits() claimLimits {
	c := s.c
	l := claimLimits{records: c.cfg.MaxBatchRecords, bytes: c.cfg.MaxBatchBytes}
	h := s.limits
	if h.MaxRecords > 0 {
		l.records = min(l.records, h.MaxRecords)
	}
	hard := int64(0)
	for _, v := range []int64{h.MaxBodyBytes, h.MaxDecompressedBytes} {
		if v > 0 && (hard == 0 || v < hard) {
			hard = v
		}
	}
	if hard > 0 {
		l.hard = int(min(hard, 1<<40))
		l.bytes = min(l.bytes, l.hard)
	}
	if h.MaxLineBytes > 0 {
		l.line = h.MaxLineBytes
	}
	if rb, bb := c.chain.rate.bursts(); rb > 0 || bb > 0 {
		if rb > 0 {
			l.records = min(l.records, rb)
		}
		if bb > 0 {
			l.bytes = min(l.bytes, bb)
		}
	}
	l.records = max(1, l.records)
	return l
}

// pop removes the head batch of the queue.
func (s *sender) pop() {
	s.queue[0] = nil
	s.queue = s.queue[1:]
}

// deliver sends the head batch until a receipt or a permanent answer
// settles it. It returns nil when the loop should go on, and an error
// when retrying was stopped (Close) or the client is stopping.
func (s *sender) deliver(b *outBatch, draining bool) error {
	c := s.c
	if !b.loaded {
		missing, err := c.ob.load(b)
		if err != nil {
			c.noteErr(err)
			return s.sleep(c.cfg.Retry.MaxInterval)
		}
		if missing > 0 {
			c.log.Warn("submit: batch resumed without records already gone", "key", b.key, "missing", missing)
		}
		if len(b.seqs) == 0 {
			if err := c.ob.complete(b, nil); err != nil {
				return s.sleep(c.cfg.Retry.MaxInterval)
			}
			s.pop()
			c.ob.released()
			return nil
		}
	}
	lim := s.claimLimits()
	if len(b.seqs) > lim.records || (lim.hard > 0 && len(b.body) > lim.hard) {
		// Formed under larger limits (an earlier start, or the hub's
		// changed): split before sending, never send above the limits.
		return s.splitHead(b, "batch over the hub's declared limits")
	}
	b.encodeWire(s.gw)
	rc, err := c.chain.send(c.runCtx, b)
	if err == nil {
		return s.settleReceipt(b, rc)
	}
	if c.runCtx.Err() != nil {
		return c.runCtx.Err()
	}
	var se *sendError
	if !errors.As(err, &se) {
		return err // the chain stopped, or a rate limiter refused
	}
	switch se.class {
	case classTooLarge:
		s.haveLimits = false // the hub may have lowered them: ask again
		if len(b.seqs) == 1 {
			return s.settleAll(b, CauseTooLarge, se)
		}
		return s.splitHead(b, "hub answered 413")
	case classCredentials:
		c.log.Error("submit: hub refused the credentials; sending stopped, records kept", "status", se.status, "err", err)
		return nil
	case classPermanent:
		return s.settleAll(b, se.cause, se)
	case classRejected:
		return s.settleRejected(b, se)
	}
	return err // retryable, returned because retrying stopped (Close)
}

// splitHead replaces the head batch by its halves.
func (s *sender) splitHead(b *outBatch, why string) error {
	c := s.c
	x, y, err := c.ob.split(b, c.cfg.Clock())
	if err != nil {
		c.noteErr(err)
		return s.sleep(c.cfg.Retry.MaxInterval)
	}
	c.log.Info("submit: batch split", "key", b.key, "records", len(b.seqs), "why", why, "keys", []uuid.UUID{x.key, y.key})
	s.queue = append([]*outBatch{x, y}, s.queue[1:]...)
	return nil
}

// settleAll moves every record of b to the dead letters.
func (s *sender) settleAll(b *outBatch, cause DeadCause, se *sendError) error {
	dead := make([]*DeadLetter, len(b.seqs))
	for i := range b.seqs {
		dead[i] = s.deadLetter(b, i, cause, se)
	}
	return s.settle(b, dead, nil, 0, 0, 0)
}

// settleRejected applies a 422: the problem's results say why each
// record was refused; records it does not mention are dead-lettered
// with its detail.
func (s *sender) settleRejected(b *outBatch, se *sendError) error {
	var results []RecordResult
	var runs []RefusedRun
	if se.problem != nil {
		results, runs = se.problem.Results, se.problem.Refused
	}
	byLine := resultsByLine(results, runs, len(b.seqs))
	dead := make([]*DeadLetter, len(b.seqs))
	rc := s.rejectedReceipt(b, se)
	for i := range b.seqs {
		dl := s.deadLetter(b, i, CauseRejected, se)
		dl.SubmissionID = rc.SubmissionID
		if r, ok := byLine[i+1]; ok {
			dl.Reason, dl.Errors = r.Reason, r.Errors
		}
		dead[i] = dl
	}
	return s.settle(b, dead, rc, 0, 0, uint64(len(dead)))
}

// rejectedReceipt is the receipt of a batch the hub refused whole (422),
// read from its problem document, so that OnReceipt sees every answer.
// ReceivedAt is the client's clock when the answer arrived: the problem
// does not carry the hub's.
func (s *sender) rejectedReceipt(b *outBatch, se *sendError) *Receipt {
	rc := &Receipt{
		IdempotencyKey: b.key.String(), Org: s.c.cfg.Org, ReceivedAt: s.c.cfg.Clock().UTC(),
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

func (s *sender) deadLetter(b *outBatch, i int, cause DeadCause, se *sendError) *DeadLetter {
	dl := &DeadLetter{
		Record: bytes.Clone(b.record(i)), Cause: cause, At: s.c.cfg.Clock().UTC(),
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
func (s *sender) settleReceipt(b *outBatch, rc *Receipt) error {
	if rc.IdempotencyKey != "" && rc.IdempotencyKey != b.key.String() {
		return s.settleAll(b, CauseBadReceipt, &sendError{detail: fmt.Sprintf(
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
			dl := s.deadLetter(b, i, CauseRejected, &sendError{status: http.StatusOK})
			dl.Reason, dl.Errors, dl.SubmissionID = r.Reason, r.Errors, rc.SubmissionID
			dead[i] = dl
		default:
			dl := s.deadLetter(b, i, CauseBadReceipt, &sendError{status: http.StatusOK,
				detail: fmt.Sprintf("receipt %s has no valid result for line %d", rc.SubmissionID, i+1)})
			dl.SubmissionID = rc.SubmissionID
			dead[i] = dl
		}
	}
	return s.settle(b, dead, rc, acc, dup, rej)
}

// settle removes b from the outbox (dead letters moved) and the queue,
// then hands the receipt to OnReceipt. A storage failure keeps b at the
// head: it is sent again under the same key and the hub answers with
// the same receipt.
func (s *sender) settle(b *outBatch, dead []*DeadLetter, rc *Receipt, acc, dup, rej uint64) error {
	c := s.c
	if err := c.ob.complete(b, dead); err != nil {
		c.noteErr(err)
		c.log.Error("submit: outbox", "err", err)
		return s.sleep(c.cfg.Retry.MaxInterval)
	}
	s.pop()
	c.st.delivered.Add(acc)
	c.st.duplicate.Add(dup)
	c.st.rejected.Add(rej)
	for _, dl := range dead {
		if dl != nil {
			c.st.deadLettered.Add(1)
			c.refusals.note(dl)
			c.log.Warn("submit: record moved to dead letters", "dead_letter", dl.ID, "record", dl.RecordID,
				"cause", dl.Cause, "reason", dl.Reason, "status", dl.Status, "detail", dl.Detail)
		}
	}
	if rc != nil {
		c.log.Debug("submit: receipt", "submission", rc.SubmissionID, "key", b.key, "accepted", rc.Counts.Accepted,
			"duplicate", rc.Counts.Duplicate, "rejected", rc.Counts.Rejected)
		if c.cfg.OnReceipt != nil {
			c.receiptMu.Lock()
			c.cfg.OnReceipt(*rc)
			c.receiptMu.Unlock()
		}
	}
	c.ob.released() // after the counters and OnReceipt: Flush returns with both done
	return nil
}

// fetchLimits asks the hub for its declared limits.
func (s *sender) fetchLimits() error {
	c := s.c
	l, err := c.chain.transport.limits(c.runCtx)
	if err != nil {
		c.noteErr(err)
		return err
	}
	s.limits, s.haveLimits = l, true
	c.log.Debug("submit: hub limits", "max_records", l.MaxRecords, "max_body_bytes", l.MaxBodyBytes, "max_line_bytes", l.MaxLineBytes)
	return nil
}

// sleep waits d on the client's timer, for the outbox to recover. It
// ends early when Close begins, and with the run context's error when
// the client stops.
func (s *sender) sleep(d time.Duration) error {
	c := s.c
	return sleepOn(c.runCtx, c.cfg.NewTimer, d, c.closing, errRetryStopped)
}
