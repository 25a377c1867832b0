package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	js "github.com/nats-io/nats.go/jetstream"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// Errors of Collector.
var (
	// ErrBusy: Collect was called while another Collect of the same
	// Collector runs. Start another Collector on the same consumer to
	// share the work.
	ErrBusy = errors.New("jetstream: collector already collecting")
	// ErrMalformed: a message is not an envelope (see Stats.Malformed).
	ErrMalformed = errors.New("jetstream: malformed message")
)

// A Collector is a stage.Collector.
var _ stage.Collector = (*Collector)(nil)

// Stats counts what a Collector did.
type Stats struct {
	// Delivered counts messages fetched, redeliveries included.
	Delivered uint64
	// Emitted counts records handed to the pipeline.
	Emitted uint64
	// Acked counts records acknowledged after the pipeline handled them.
	Acked uint64
	// Redelivered counts deliveries not emitted because the message was
	// in the pipeline or already acknowledged.
	Redelivered uint64
	// Malformed counts messages terminated because they were not
	// envelopes.
	Malformed uint64
	// Pending is the number of records emitted and not yet acknowledged.
	Pending int
}

// Collector is a stage.Collector over a durable JetStream consumer (see
// the package documentation). Run it through Pipeline, so that records
// are acknowledged when the pipeline has handled them.
//
// One Collect runs at a time; the other methods are safe for concurrent
// use. The Collector does not own its connection: close it after the
// pipeline ended.
type Collector struct {
	cfg  Config
	cons js.Consumer

	running atomic.Bool

	mu    sync.Mutex
	byID  map[string][]entry  // records in the pipeline, by envelope id, oldest first
	bySeq map[uint64]string   // stream sequence -> envelope id, of those records
	acked map[uint64]struct{} // stream sequences acknowledged and maybe above the ack floor
	st    Stats
}

// entry is a message whose record is in the pipeline.
type entry struct {
	seq uint64
	msg js.Msg
}

// New returns a Collector over the durable consumer cfg.Consumer of
// cfg.Stream, reached through nc. With cfg.CreateConsumer it creates the
// consumer (explicit acknowledgement, from the first message), or updates
// it to cfg; otherwise the consumer must exist.
func New(ctx context.Context, nc *nats.Conn, cfg Config) (*Collector, error) {
	if nc == nil {
		return nil, errors.New("jetstream: New: nil connection; connect with nats.Connect")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	j, err := js.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: New: %w", err)
	}
	var cons js.Consumer
	if cfg.CreateConsumer {
		cons, err = j.CreateOrUpdateConsumer(ctx, cfg.Stream, cfg.ConsumerConfig())
	} else {
		cons, err = j.Consumer(ctx, cfg.Stream, cfg.Consumer)
	}
	if err != nil {
		return nil, fmt.Errorf("jetstream: New: consumer %s of stream %s: %w", cfg.Consumer, cfg.Stream, err)
	}
	return &Collector{cfg: cfg, cons: cons, byID: map[string][]entry{}, bySeq: map[uint64]string{}, acked: map[uint64]struct{}{}}, nil
}

// ConsumerConfig returns the durable consumer c describes: explicit
// acknowledgement, delivery from the first message of the stream.
func (c Config) ConsumerConfig() js.ConsumerConfig {
	c = c.withDefaults()
	return js.ConsumerConfig{
		Durable:        c.Consumer,
		Description:    "sicollab: analysis",
		DeliverPolicy:  js.DeliverAllPolicy,
		AckPolicy:      js.AckExplicitPolicy,
		AckWait:        c.AckWait,
		MaxDeliver:     orUnbounded(c.MaxDeliver),
		MaxAckPending:  c.MaxAckPending,
		FilterSubjects: c.FilterSubjects,
	}
}

// orUnbounded maps 0 to JetStream's -1 (no bound).
func orUnbounded(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// Stats returns the counters now.
func (c *Collector) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.st
	s.Pending = len(c.bySeq)
	return s
}

// Collect fetches messages and emits their records until ctx ends, emit
// fails, or (with Config.StopWhenIdle) the consumer has nothing left.
// Fetch errors (a leader election, a lost connection) are logged and
// retried. It returns ErrBusy if another Collect runs.
func (c *Collector) Collect(ctx context.Context, emit func(schema.Envelope) error) error {
	if !c.running.CompareAndSwap(false, true) {
		return ErrBusy
	}
	defer c.running.Store(false)
	backoff := 10 * time.Millisecond
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch, err := c.cons.Fetch(c.cfg.Batch, js.FetchMaxWait(c.cfg.FetchWait))
		if err != nil {
			c.cfg.Logger.WarnContext(ctx, "jetstream: fetch failed; trying again", "consumer", c.cfg.Consumer, "wait", backoff, "err", err)
			if !sleep(ctx, backoff) {
				return ctx.Err()
			}
			backoff = min(2*backoff, c.cfg.FetchWait)
			continue
		}
		n := 0
		for m := range batch.Messages() {
			n++
			if err := c.handle(ctx, m, emit); err != nil {
				// The pipeline stopped taking records: give the rest
				// back at once rather than after the ack wait.
				for m := range batch.Messages() {
					_ = m.Nak()
				}
				return err
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			c.cfg.Logger.WarnContext(ctx, "jetstream: fetch ended with an error", "consumer", c.cfg.Consumer, "messages", n, "err", err)
			if n == 0 && !sleep(ctx, backoff) {
				return ctx.Err()
			}
			backoff = min(2*backoff, c.cfg.FetchWait)
			continue
		}
		backoff = 10 * time.Millisecond
		c.prune(ctx)
		if n == 0 && c.cfg.StopWhenIdle && c.exhausted(ctx) {
			return nil
		}
	}
}

// sleep waits d or until ctx ends; false if ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// exhausted reports whether the consumer has nothing to deliver and
// nothing awaiting acknowledgement but this collector's records.
func (c *Collector) exhausted(ctx context.Context) bool {
	ictx, cancel := context.WithTimeout(ctx, c.cfg.FetchWait)
	defer cancel()
	info, err := c.cons.Info(ictx)
	if err != nil {
		return false
	}
	return info.NumPending == 0 && info.NumAckPending <= c.Stats().Pending
}

// handle emits the record of m, unless m is a redelivery or malformed.
func (c *Collector) handle(ctx context.Context, m js.Msg, emit func(schema.Envelope) error) error {
	md, err := m.Metadata()
	if err != nil {
		c.malformed(ctx, m, 0, err)
		return nil
	}
	seq := md.Sequence.Stream
	c.mu.Lock()
	c.st.Delivered++
	if _, done := c.acked[seq]; done {
		c.st.Redelivered++
		c.mu.Unlock()
		_ = m.Ack() // the first acknowledgement was lost
		return nil
	}
	if id, inFlight := c.bySeq[seq]; inFlight {
		c.st.Redelivered++
		for i, e := range c.byID[id] {
			if e.seq == seq {
				c.byID[id][i].msg = m // acknowledge the latest delivery
			}
		}
		c.mu.Unlock()
		_ = m.InProgress()
		return nil
	}
	c.mu.Unlock()
	env, err := c.decode(m.Data())
	if err != nil {
		c.malformed(ctx, m, seq, err)
		return nil
	}
	c.mu.Lock()
	c.byID[env.ID] = append(c.byID[env.ID], entry{seq: seq, msg: m})
	c.bySeq[seq] = env.ID
	c.st.Emitted++
	c.mu.Unlock()
	if err := emit(env); err != nil {
		c.forget(env.ID, seq)
		_ = m.Nak()
		return err
	}
	return nil
}

// decode returns the envelope in data.
func (c *Collector) decode(data []byte) (schema.Envelope, error) {
	if len(data) > c.cfg.MaxMessageBytes {
		return schema.Envelope{}, fmt.Errorf("%w: %d bytes, over MaxMessageBytes %d", ErrMalformed, len(data), c.cfg.MaxMessageBytes)
	}
	if c.cfg.Validator != nil {
		env, err := c.cfg.Validator.Validate(data)
		if err != nil {
			return schema.Envelope{}, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		return env, nil
	}
	return decodeEnvelope(data)
}

// decodeEnvelope decodes an envelope as a hub stored it: JSON with at
// least an id, a kind and a source.
func decodeEnvelope(data []byte) (schema.Envelope, error) {
	var env schema.Envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return schema.Envelope{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	switch {
	case env.ID == "":
		return schema.Envelope{}, fmt.Errorf("%w: /id is missing", ErrMalformed)
	case env.Kind == "":
		return schema.Envelope{}, fmt.Errorf("%w: /kind is missing", ErrMalformed)
	case env.Source == "":
		return schema.Envelope{}, fmt.Errorf("%w: /source is missing", ErrMalformed)
	}
	return env, nil
}

// malformed terminates m: it is never delivered again.
func (c *Collector) malformed(ctx context.Context, m js.Msg, seq uint64, err error) {
	c.mu.Lock()
	c.st.Malformed++
	c.mu.Unlock()
	c.cfg.Logger.WarnContext(ctx, "jetstream: malformed message terminated", "consumer", c.cfg.Consumer,
		"subject", m.Subject(), "stream_seq", seq, "err", err)
	_ = m.Term()
}

// forget drops the pending entry of seq, unacknowledged.
func (c *Collector) forget(id string, seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	es := c.byID[id]
	if i := slices.IndexFunc(es, func(e entry) bool { return e.seq == seq }); i >= 0 {
		es = slices.Delete(es, i, i+1)
	}
	if len(es) == 0 {
		delete(c.byID, id)
	} else {
		c.byID[id] = es
	}
	delete(c.bySeq, seq)
}

// Ack acknowledges one record with envelope id that the pipeline has
// handled: the oldest message with that id still in the pipeline. It
// does nothing if none is. The wrappers Pipeline installs call it; a
// program that ends records elsewhere calls it itself.
func (c *Collector) Ack(id string) {
	c.mu.Lock()
	es := c.byID[id]
	if len(es) == 0 {
		c.mu.Unlock()
		return
	}
	e := es[0]
	if len(es) == 1 {
		delete(c.byID, id)
	} else {
		c.byID[id] = es[1:]
	}
	delete(c.bySeq, e.seq)
	c.acked[e.seq] = struct{}{}
	c.st.Acked++
	c.mu.Unlock()
	// A lost acknowledgement means a redelivery, which handle answers.
	_ = e.msg.Ack()
}

// prune forgets acknowledged sequences at or below the consumer's ack
// floor (the stream delivers none of them again), and bounds the rest.
func (c *Collector) prune(ctx context.Context) {
	c.mu.Lock()
	n := len(c.acked)
	c.mu.Unlock()
	if n <= 2*c.cfg.MaxAckPending {
		return
	}
	ictx, cancel := context.WithTimeout(ctx, c.cfg.FetchWait)
	info, err := c.cons.Info(ictx)
	cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		for seq := range c.acked {
			if seq <= info.AckFloor.Stream {
				delete(c.acked, seq)
			}
		}
	}
	// Past 64 times MaxAckPending (a message held without end keeps the
	// floor down), the oldest are forgotten: a lost acknowledgement among
	// them means one record seen twice, not memory without bound.
	if limit := 64 * c.cfg.MaxAckPending; len(c.acked) > limit {
		seqs := make([]uint64, 0, len(c.acked))
		for seq := range c.acked {
			seqs = append(seqs, seq)
		}
		slices.Sort(seqs)
		for _, seq := range seqs[:len(seqs)-limit/2] {
			delete(c.acked, seq)
		}
	}
}
