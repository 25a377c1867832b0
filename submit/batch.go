package submit

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
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
	fresh   bool // claimed by this process: every member is in the outbox's file (see outbox.complete)

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
	nb := &outBatch{key: newKey(), created: b.created, gzip: b.gzip, fresh: b.fresh}
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
// claims are disjoint. It forms batches; the send chain (chain.go) sends
// them and the settler (settle.go) applies what the hub answered.
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
		if err := s.deliver(s.queue[0]); err != nil {
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
// While it waits, the group commit that queues a full batch claims it
// for this sender in its own transaction (outbox.await).
func (s *sender) nextBatch(draining bool) (b *outBatch, done bool) {
	c := s.c
	pend, pendBytes, oldest := c.ob.pending()
	lim := s.claimLimits()
	if pend == 0 {
		if draining {
			return nil, true
		}
		r := c.ob.await(lim, c.gzip)
		select {
		case <-c.wake:
		case <-r.done:
		case <-c.closing:
		case <-c.runCtx.Done():
		}
		return s.awaited(r), false
	}
	full := lim.full(pend, pendBytes)
	now := c.cfg.Clock()
	if !full && !draining && c.flushing.Load() == 0 && !oldest.IsZero() {
		if wait := oldest.Add(c.cfg.Linger).Sub(now); wait > 0 {
			r := c.ob.await(lim, c.gzip)
			ch, stop := c.cfg.NewTimer(wait)
			select {
			case <-ch:
			case <-c.wake:
			case <-r.done:
			case <-c.closing:
			case <-c.runCtx.Done():
			}
			stop()
			if b := s.awaited(r); b != nil {
				return b, false
			}
			if !isClosed(c.closing) && c.flushing.Load() == 0 && c.cfg.Clock().Before(oldest.Add(c.cfg.Linger)) {
				return nil, false // woken early: look again
			}
		}
	}
	b, dead, err := c.ob.claim(lim, c.cfg.Clock(), c.gzip)
	return s.claimed(b, dead, err), false
}

// awaited withdraws r, or takes the batch the committer claimed for it
// (nil if none).
func (s *sender) awaited(r *claimReq) *outBatch {
	if s.c.ob.withdraw(r) {
		return nil
	}
	<-r.done
	return s.claimed(r.b, r.dead, r.err)
}

// claimed handles the outcome of a claim: the records it dead-lettered,
// an error (logged, then a pause), and a wake-up for another sender if
// records remain.
func (s *sender) claimed(b *outBatch, dead []DeadLetter, err error) *outBatch {
	c := s.c
	if err != nil {
		c.noteErr(err)
		c.log.Error("submit: outbox", "err", err)
		s.sleep(c.cfg.Retry.MaxInterval)
		return nil
	}
	for i := range dead {
		c.settle.noteDead(&dead[i])
	}
	if len(dead) > 0 {
		c.ob.released()
	}
	if more, _, _ := c.ob.pending(); more > 0 {
		c.signal() // another sender may take the next batch
	}
	return b
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

// deliver hands the head batch to the send chain (which retries it) and
// settles the outcome: a receipt, a split on 413, dead letters for a
// permanent answer or a 422, a pause on refused credentials. It returns
// nil when the loop should go on, and an error when retrying was stopped
// (Close) or the client is stopping.
func (s *sender) deliver(b *outBatch) error {
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
			if err := c.ob.complete(b, nil, nil); err != nil {
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
		return s.settled(c.settle.receipt(b, rc))
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
			return s.settled(c.settle.all(b, CauseTooLarge, se))
		}
		return s.splitHead(b, "hub answered 413")
	case classCredentials:
		c.log.Error("submit: hub refused the credentials; sending stopped, records kept", "status", se.status, "err", err)
		return nil
	case classPermanent:
		return s.settled(c.settle.all(b, se.cause, se))
	case classRejected:
		return s.settled(c.settle.rejected(b, se))
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

// settled finishes the head batch once the settler has applied its
// outcome; a storage failure keeps it at the head, to be sent again
// under the same key (the hub answers with the same receipt).
func (s *sender) settled(err error) error {
	c := s.c
	if err != nil {
		c.noteErr(err)
		c.log.Error("submit: outbox", "err", err)
		return s.sleep(c.cfg.Retry.MaxInterval)
	}
	s.pop()
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
