package stage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// runner runs one step (a processor, or the sink when sink is set).
type runner struct {
	p      *Pipeline
	c      *stepCounters
	proc   Processor
	sink   Submitter
	conc   int
	policy Policy
	reason string
	in     <-chan *chunk
	out    chan *chunk            // nil for the sink
	taps   []chan schema.Envelope // analyzers, for the sink

	// Ordered mode.
	tokens  chan struct{}
	results chan result
	outSeq  uint64 // next sequence number out, written by reorder then finish
}

// result is what one record became in a step, for the reorder buffer.
type result struct {
	seq  uint64
	outs []schema.Envelope
}

func (r *runner) start() {
	ordered := r.p.cfg.Ordered && r.out != nil
	var wg sync.WaitGroup
	if ordered {
		// At most window records are between "taken by a worker" and
		// "released in order", so the reorder buffer is bounded.
		window := r.conc * 2
		r.tokens = make(chan struct{}, window)
		r.results = make(chan result, window)
	}
	for i := range r.conc {
		wg.Add(1)
		r.p.wg.Go(func() {
			defer wg.Done()
			r.work(ordered, &r.c.shards[i])
		})
	}
	r.p.wg.Go(func() {
		if ordered {
			go func() { wg.Wait(); close(r.results) }()
			r.reorder()
		} else {
			wg.Wait()
		}
		r.finish()
	})
}

// work takes chunks of records from in until it closes, counting in
// shard c. What the step emits is passed on in chunks too: a chunk goes
// when it is full, or when the worker would otherwise wait for input, so
// a record never waits in a chunk while the step is idle.
func (r *runner) work(ordered bool, c *counterShard) {
	ctx := r.p.ctx
	em := &emitter{p: r.p}
	out := chunkWriter{p: r.p, ch: r.out, max: r.p.chunkMax, passed: &c.out}
	for {
		if ordered {
			select {
			case r.tokens <- struct{}{}: // chunks of one record in Ordered mode
			case <-ctx.Done():
				r.drain(c)
				return
			}
		}
		b, ok, got := tryReceive(r.in)
		if !got {
			if !out.flush(ctx) {
				r.drain(c)
				return
			}
			if r.in == r.p.first { // the collector's channel
				r.p.poke()
				b, ok, got = tryReceive(r.in)
			}
		}
		if !got {
			var live bool
			if b, ok, live = receive(ctx, r.in); !live {
				r.drain(c)
				return
			}
		}
		if !ok {
			out.flush(ctx)
			return
		}
		t := time.Now()
		for i := range b.items {
			c.in.Add(1)
			if ctx.Err() != nil {
				r.abandon(c, 1)
				r.abandonRest(c, b, i+1)
				out.discard()
				r.drain(c)
				return
			}
			t = r.handle(ctx, b.items[i].env, em, c, t)
			if ordered {
				var outs []schema.Envelope
				if len(em.outs) > 0 {
					outs = append(outs, em.outs...)
				}
				clear(em.outs)
				r.results <- result{seq: b.items[i].seq, outs: outs} // never blocks: tokens bound it
				continue
			}
			sent := out.sent
			for j, o := range em.outs {
				if r.out == nil {
					break
				}
				if !out.add(ctx, item{env: o}) {
					r.p.abandoned.Add(uint64(len(em.outs) - j - 1)) // the chunk that failed is counted
					clear(em.outs)
					r.abandonRest(c, b, i+1)
					r.drain(c)
					return
				}
			}
			clear(em.outs)
			if out.sent != sent {
				t = time.Now() // a full channel may have kept it waiting
			}
		}
		putChunk(b)
	}
}

// abandonRest counts the records of b from i on as taken in and
// abandoned, and gives b back.
func (r *runner) abandonRest(c *counterShard, b *chunk, i int) {
	if n := uint64(len(b.items) - i); n > 0 {
		c.in.Add(n)
		r.abandon(c, n)
	}
	putChunk(b)
}

// chunk is records handed from one goroutine of the pipeline to the next
// in one channel operation: with a record per operation, the channels'
// locks cost more CPU than light processors do.
type chunk struct{ items []item }

// maxChunk bounds a chunk; Config.Buffer/8 is the bound in use, so that a
// small buffer keeps records moving one by one.
const maxChunk = 32

var chunks = sync.Pool{New: func() any { return &chunk{items: make([]item, 0, maxChunk)} }}

func getChunk() *chunk { return chunks.Get().(*chunk) }

func putChunk(b *chunk) {
	clear(b.items) // the envelopes are the next holder's, not the pool's
	b.items = b.items[:0]
	chunks.Put(b)
}

// chunkWriter fills chunks for one channel and sends them.
type chunkWriter struct {
	p      *Pipeline
	ch     chan<- *chunk
	max    int
	passed *atomic.Uint64 // counts records sent
	cur    *chunk
	sent   int // chunks sent
}

// add queues it, sending the chunk when it is full; false if the
// pipeline ended first (what the chunk held is counted as abandoned).
func (o *chunkWriter) add(ctx context.Context, it item) bool {
	if o.cur == nil {
		o.cur = getChunk()
	}
	o.cur.items = append(o.cur.items, it)
	if len(o.cur.items) >= o.max {
		return o.flush(ctx)
	}
	return true
}

// flush sends what is queued; false if the pipeline ended first.
func (o *chunkWriter) flush(ctx context.Context) bool {
	if o.cur == nil {
		return true
	}
	b, n := o.cur, uint64(len(o.cur.items))
	o.cur = nil
	if !send(ctx, o.ch, b) {
		o.p.abandoned.Add(n)
		putChunk(b)
		return false
	}
	o.passed.Add(n)
	o.sent++
	return true
}

// discard counts what is queued as abandoned.
func (o *chunkWriter) discard() {
	if o.cur != nil {
		o.p.abandoned.Add(uint64(len(o.cur.items)))
		putChunk(o.cur)
		o.cur = nil
	}
}

// reorder passes results on in input order, renumbering the records it
// passes on so the next step can order them in turn.
func (r *runner) reorder() {
	ctx := r.p.ctx
	pending := map[uint64]result{}
	var next, seq uint64
	out := chunkWriter{p: r.p, ch: r.out, max: 1, passed: &r.c.shards[r.conc].out}
	for res := range r.results {
		pending[res.seq] = res
		for {
			res, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			<-r.tokens
			for i, o := range res.outs {
				if ctx.Err() != nil {
					r.p.abandoned.Add(uint64(len(res.outs) - i))
					break
				}
				if !out.add(ctx, item{seq: seq, env: o}) { // chunks of one in Ordered mode: sent now
					r.p.abandoned.Add(uint64(len(res.outs) - i - 1))
					break
				}
				seq++
			}
		}
	}
	for _, res := range pending { // only after a cancellation
		r.p.abandoned.Add(uint64(len(res.outs)))
	}
	r.outSeq = seq
}

// finish flushes a Flusher (on a drain) or counts what a Holder held (on a
// cancellation), then closes the step's output.
func (r *runner) finish() {
	ctx := r.p.ctx
	defer func() {
		if r.out != nil {
			close(r.out)
		}
		for _, t := range r.taps {
			close(t)
		}
	}()
	if ctx.Err() != nil {
		if h, ok := r.proc.(Holder); ok {
			r.p.abandoned.Add(uint64(h.Held()))
		}
		return
	}
	f, ok := r.proc.(Flusher)
	if !ok {
		return
	}
	var outs []schema.Envelope
	if err := f.Flush(ctx, func(e schema.Envelope) { outs = append(outs, e) }); err != nil {
		r.p.fail(fmt.Errorf("%w: step %q: flush: %w", ErrStopped, r.c.name, err))
		r.p.abandoned.Add(uint64(len(outs)))
		if h, ok := r.proc.(Holder); ok {
			r.p.abandoned.Add(uint64(h.Held()))
		}
		return
	}
	out := chunkWriter{p: r.p, ch: r.out, max: r.p.chunkMax, passed: &r.c.shards[r.conc].out}
	for i, o := range outs {
		if !out.add(ctx, item{seq: r.outSeq, env: o}) {
			r.p.abandoned.Add(uint64(len(outs) - i - 1))
			return
		}
		r.outSeq++
	}
	out.flush(ctx)
}

// drain empties in after a cancellation, counting what it held.
func (r *runner) drain(c *counterShard) {
	for b := range r.in {
		r.abandonRest(c, b, 0)
	}
}

func (r *runner) abandon(c *counterShard, n uint64) {
	c.abandn.Add(n)
	r.p.abandoned.Add(n)
}

// handle runs one record through the processor or the sink and counts the
// outcome; em.outs holds what was emitted.
//
// start is when the call began (the end of the previous call, when the
// worker went straight on: one clock read per record instead of two); it
// returns when the call ended.
func (r *runner) handle(ctx context.Context, env schema.Envelope, em *emitter, c *counterShard, start time.Time) time.Time {
	var err error
	if r.sink != nil {
		err = r.sink.Submit(ctx, env)
	} else {
		clear(em.outs)
		em.outs = em.outs[:0]
		g := em.gen.Add(1)
		err = r.proc.Process(ctx, env, func(e schema.Envelope) { em.emit(g, e) })
		em.gen.Add(1)
	}
	end := time.Now()
	c.observe(end.Sub(start))
	if err == nil {
		c.passed.Add(1)
		if r.sink != nil {
			for _, t := range r.taps {
				select {
				case t <- env:
				case <-ctx.Done():
				}
			}
			if len(r.taps) > 0 {
				return time.Now() // an analyzer may have kept it waiting
			}
		}
		return end
	}
	if reason, ok := DropReason(err); ok {
		r.c.drop(reason)
		if !r.p.log.Enabled(ctx, slog.LevelDebug) { // a drop is common: spare building the record for nothing
			return end
		}
		r.p.log.Debug("stage: record dropped", "step", r.c.name, "id", env.ID, "kind", env.Kind, "reason", reason, "err", err)
		return time.Now()
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		r.abandon(c, 1)
		return time.Now()
	}
	c.errors.Add(1)
	switch r.policy {
	case PolicyDrop:
		r.c.drop(r.reason)
		r.p.log.Warn("stage: record failed; dropped", "step", r.c.name, "id", env.ID, "kind", env.Kind, "reason", r.reason, "err", err)
	case PolicyQuarantine:
		if qerr := r.p.cfg.DeadLetter.Submit(ctx, env); qerr != nil {
			c.failed.Add(1)
			r.p.fail(fmt.Errorf("%w: step %q: quarantine record %s: %w (it failed with: %v)", ErrStopped, r.c.name, env.ID, qerr, err))
			return time.Now()
		}
		c.quarantined.Add(1)
		r.p.log.Warn("stage: record failed; quarantined", "step", r.c.name, "id", env.ID, "kind", env.Kind, "err", err)
	default:
		c.failed.Add(1)
		r.p.fail(fmt.Errorf("%w: step %q: record %s: %w", ErrStopped, r.c.name, env.ID, err))
	}
	return time.Now()
}

// send sends it on ch unless ctx ends first, and reports whether it was
// sent. It tries a plain send first: a select that also waits on
// ctx.Done() locks that channel, which every goroutine of the pipeline
// shares, and on a busy pipeline that lock was a tenth of its CPU time.
func send[T any](ctx context.Context, ch chan<- T, v T) bool {
	select {
	case ch <- v:
		return true
	default:
	}
	select {
	case ch <- v:
		return true
	case <-ctx.Done():
		return false
	}
}

// tryReceive takes the next value from ch if one is there: got is false
// when it would have to wait, ok false when ch is closed.
func tryReceive[T any](ch <-chan T) (v T, ok, got bool) {
	select {
	case v, ok = <-ch:
		return v, ok, true
	default:
		return v, false, false
	}
}

// receive takes the next value from ch unless ctx ends first; ok is false
// when ch is closed, live false when ctx ended. Like send, it tries
// without ctx first.
func receive[T any](ctx context.Context, ch <-chan T) (v T, ok, live bool) {
	select {
	case v, ok = <-ch:
		return v, ok, true
	default:
	}
	select {
	case v, ok = <-ch:
		return v, ok, true
	case <-ctx.Done():
		return v, false, false
	}
}

// emitter collects what a processor emits during one Process call. Each
// call gets an emit function of its own generation, so that an emit
// function kept past its call is caught, even during a later call.
type emitter struct {
	p    *Pipeline
	outs []schema.Envelope
	gen  atomic.Uint64 // odd while a call is running
}

func (e *emitter) emit(gen uint64, env schema.Envelope) {
	if e.gen.Load() != gen {
		e.p.fail(fmt.Errorf("%w: processor called emit after Process returned (record %s)", ErrContract, env.ID))
		return
	}
	e.outs = append(e.outs, env)
}
