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

// Pipeline runs a Config: the collector in one goroutine, each step in
// Concurrency goroutines, the sink in SinkConcurrency goroutines and each
// analyzer in one, joined by channels of Buffer records. A full channel
// blocks the step before it, and so on back to the collector's emit: a
// slow sink slows collection instead of filling memory.
//
// Stopping, in order of gentleness:
//   - the collector returns nil: everything it emitted is drained through
//     the steps, the sink and the analyzers (flushed), and Wait returns;
//   - Close: the collector's context is cancelled, then as above;
//   - a step with PolicyStop fails, or the caller's context is cancelled:
//     every goroutine returns as soon as it can; records inside are
//     counted as abandoned, processors are not flushed.
//
// Its methods are safe for concurrent use.
type Pipeline struct {
	cfg Config
	log *slog.Logger

	ctx           context.Context // cancelled on failure or by the caller
	cancel        context.CancelCauseFunc
	collectCancel context.CancelFunc
	closing       atomic.Bool

	emitMu      sync.Mutex
	collectDone bool
	seq         uint64
	first       chan item

	collected, delivered, abandoned, products atomic.Uint64
	steps                                     []*stepCounters

	errMu      sync.Mutex
	failErr    error // first failure: stop policy, contract, analyzer
	collectErr error

	wg   sync.WaitGroup
	done chan struct{}
	err  error
}

// item is one record on its way, with its position in the order of the
// channel it travels in (used in Ordered mode).
type item struct {
	seq uint64
	env schema.Envelope
}

// Start validates cfg, applies its defaults and starts the pipeline. The
// pipeline runs until its collector is exhausted, Close is called, a step
// stops it, or ctx is cancelled; Wait returns its outcome.
func Start(ctx context.Context, cfg Config) (*Pipeline, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	p := &Pipeline{cfg: cfg, log: cfg.Logger, done: make(chan struct{})}
	p.ctx, p.cancel = context.WithCancelCause(ctx)
	var collectCtx context.Context
	collectCtx, p.collectCancel = context.WithCancel(p.ctx)

	p.first = make(chan item, cfg.Buffer)
	in := p.first
	for _, st := range cfg.Steps {
		c := &stepCounters{name: st.Name}
		p.steps = append(p.steps, c)
		out := make(chan item, cfg.Buffer)
		r := &runner{p: p, c: c, proc: st.Processor, conc: st.Concurrency,
			policy: st.OnError, reason: st.DropReason, in: in, out: out}
		r.start()
		in = out
	}
	sc := &stepCounters{name: SinkStepName}
	p.steps = append(p.steps, sc)
	sink := &runner{p: p, c: sc, sink: cfg.Sink, conc: cfg.SinkConcurrency,
		policy: cfg.SinkPolicy, reason: cfg.SinkDropReason, in: in}
	for _, a := range cfg.Analyzers {
		tap := make(chan schema.Envelope, cfg.Buffer)
		sink.taps = append(sink.taps, tap)
		p.wg.Go(func() { p.analyze(a, tap) })
	}
	sink.start()

	p.wg.Go(func() { p.collect(collectCtx) })
	go func() {
		p.wg.Wait()
		p.err = p.outcome(ctx)
		p.cancel(nil)
		close(p.done)
	}()
	return p, nil
}

// Run starts a pipeline over cfg, waits for it and returns its counters
// and the error Wait returns.
func Run(ctx context.Context, cfg Config) (Stats, error) {
	p, err := Start(ctx, cfg)
	if err != nil {
		return Stats{}, err
	}
	err = p.Wait()
	return p.Stats(), err
}

// Wait blocks until every goroutine of the pipeline has returned, and
// returns nil if every record was drained, or else: an error wrapping
// ErrStopped (a step stopped it), ErrContract (an implementation broke its
// contract), the collector's error, an analyzer's or product sink's error,
// or the caller's context error.
func (p *Pipeline) Wait() error {
	<-p.done
	return p.err
}

// Close stops collection (the collector's context is cancelled and emit
// fails with ErrClosed), drains every record already emitted through the
// steps, the sink and the analyzers, and returns what Wait returns. A
// collector that returns a context error or the error of emit after Close
// is not a failure.
func (p *Pipeline) Close() error {
	p.closing.Store(true)
	p.collectCancel()
	return p.Wait()
}

// Done is closed when the pipeline has finished.
func (p *Pipeline) Done() <-chan struct{} { return p.done }

// Stats returns the pipeline's counters; safe to call while it runs.
func (p *Pipeline) Stats() Stats {
	s := Stats{
		Collected: p.collected.Load(), Delivered: p.delivered.Load(),
		Abandoned: p.abandoned.Load(), Products: p.products.Load(),
		Steps: make([]StepStats, len(p.steps)),
	}
	for i, c := range p.steps {
		s.Steps[i] = c.snapshot()
	}
	return s
}

// fail records the first failure and cancels everything.
func (p *Pipeline) fail(err error) {
	p.errMu.Lock()
	first := p.failErr == nil
	if first {
		p.failErr = err
	}
	p.errMu.Unlock()
	if first {
		p.log.Error("stage: pipeline stopping", "err", err)
	}
	p.cancel(err)
}

func (p *Pipeline) outcome(parent context.Context) error {
	p.errMu.Lock()
	defer p.errMu.Unlock()
	switch {
	case p.failErr != nil:
		return p.failErr
	case parent.Err() != nil:
		return fmt.Errorf("stage: pipeline cancelled: %w", context.Cause(parent))
	case p.collectErr != nil:
		return p.collectErr
	}
	return nil
}

// collect runs the collector and closes the first channel when it returns.
func (p *Pipeline) collect(ctx context.Context) {
	emit := func(env schema.Envelope) error {
		p.emitMu.Lock()
		defer p.emitMu.Unlock()
		if p.collectDone {
			p.fail(fmt.Errorf("%w: collector called emit after Collect returned", ErrContract))
			return ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %w", ErrClosed, err)
		}
		if !send(ctx, p.first, item{seq: p.seq, env: env}) {
			return fmt.Errorf("%w: %w", ErrClosed, ctx.Err())
		}
		p.seq++
		p.collected.Add(1)
		return nil
	}
	err := p.cfg.Collector.Collect(ctx, emit)
	p.emitMu.Lock()
	p.collectDone = true
	close(p.first)
	p.emitMu.Unlock()
	switch {
	case err == nil:
	case p.ctx.Err() != nil:
		// Cancelled or failed: that error is the outcome.
	case p.closing.Load() && (errors.Is(err, context.Canceled) || errors.Is(err, ErrClosed)):
		// Close asked the collector to stop.
	default:
		p.errMu.Lock()
		p.collectErr = fmt.Errorf("stage: collector: %w", err)
		p.errMu.Unlock()
		p.log.Error("stage: collector failed; draining what it emitted", "err", err)
	}
}

// analyze feeds one analyzer and flushes it when the sink is done.
func (p *Pipeline) analyze(a Analyzer, tap <-chan schema.Envelope) {
	publish := func(prod schema.Product) error {
		if err := p.cfg.Products.Publish(p.ctx, prod); err != nil {
			return err
		}
		p.products.Add(1)
		return nil
	}
	for env := range tap {
		if p.ctx.Err() != nil {
			continue // drain, so the sink never blocks on a dead analyzer
		}
		if err := a.Analyze(p.ctx, env, publish); err != nil && p.ctx.Err() == nil {
			p.fail(fmt.Errorf("%w: analyzer %T on record %s: %w", ErrStopped, a, env.ID, err))
		}
	}
	if p.ctx.Err() != nil {
		return
	}
	if err := a.Flush(p.ctx, publish); err != nil && p.ctx.Err() == nil {
		p.fail(fmt.Errorf("%w: analyzer %T flush: %w", ErrStopped, a, err))
	}
}

// runner runs one step (a processor, or the sink when sink is set).
type runner struct {
	p      *Pipeline
	c      *stepCounters
	proc   Processor
	sink   Sink
	conc   int
	policy Policy
	reason string
	in     <-chan item
	out    chan item              // nil for the sink
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
	for range r.conc {
		wg.Add(1)
		r.p.wg.Go(func() {
			defer wg.Done()
			r.work(ordered)
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

// work takes records from in until it closes.
func (r *runner) work(ordered bool) {
	ctx := r.p.ctx
	em := &emitter{p: r.p}
	for {
		if ordered {
			select {
			case r.tokens <- struct{}{}:
			case <-ctx.Done():
				r.drain()
				return
			}
		}
		it, ok, live := receive(ctx, r.in)
		if !live {
			r.drain()
			return
		}
		if !ok {
			return
		}
		r.c.in.Add(1)
		if ctx.Err() != nil {
			r.abandon(1)
			r.drain()
			return
		}
		r.handle(ctx, it.env, em)
		if ordered {
			var outs []schema.Envelope
			if len(em.outs) > 0 {
				outs = append(outs, em.outs...)
			}
			clear(em.outs)
			r.results <- result{seq: it.seq, outs: outs} // never blocks: tokens bound it
			continue
		}
		for i, o := range em.outs {
			if r.out == nil {
				break
			}
			if !send(ctx, r.out, item{env: o}) {
				r.p.abandoned.Add(uint64(len(em.outs) - i))
				clear(em.outs)
				r.drain()
				return
			}
			r.c.out.Add(1)
		}
		clear(em.outs)
	}
}

// reorder passes results on in input order, renumbering the records it
// passes on so the next step can order them in turn.
func (r *runner) reorder() {
	ctx := r.p.ctx
	pending := map[uint64]result{}
	var next, seq uint64
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
				if !send(ctx, r.out, item{seq: seq, env: o}) {
					r.p.abandoned.Add(uint64(len(res.outs) - i))
					break
				}
				seq++
				r.c.out.Add(1)
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
	for i, o := range outs {
		select {
		case r.out <- item{seq: r.outSeq, env: o}:
			r.outSeq++
			r.c.out.Add(1)
		case <-ctx.Done():
			r.p.abandoned.Add(uint64(len(outs) - i))
			return
		}
	}
}

// drain empties in after a cancellation, counting what it held.
func (r *runner) drain() {
	for range r.in {
		r.c.in.Add(1)
		r.abandon(1)
	}
}

func (r *runner) abandon(n uint64) {
	r.c.abandn.Add(n)
	r.p.abandoned.Add(n)
}

// handle runs one record through the processor or the sink and counts the
// outcome; em.outs holds what was emitted.
func (r *runner) handle(ctx context.Context, env schema.Envelope, em *emitter) {
	start := time.Now()
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
	r.c.observe(time.Since(start))
	if err == nil {
		r.c.passed.Add(1)
		if r.sink != nil {
			r.p.delivered.Add(1)
			for _, t := range r.taps {
				select {
				case t <- env:
				case <-ctx.Done():
				}
			}
		}
		return
	}
	if reason, ok := DropReason(err); ok {
		r.c.drop(reason)
		r.p.log.Debug("stage: record dropped", "step", r.c.name, "id", env.ID, "kind", env.Kind, "reason", reason, "err", err)
		return
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		r.abandon(1)
		return
	}
	r.c.errors.Add(1)
	switch r.policy {
	case PolicyDrop:
		r.c.drop(r.reason)
		r.p.log.Warn("stage: record failed; dropped", "step", r.c.name, "id", env.ID, "kind", env.Kind, "reason", r.reason, "err", err)
	case PolicyQuarantine:
		if qerr := r.p.cfg.DeadLetter.Submit(ctx, env); qerr != nil {
			r.c.failed.Add(1)
			r.p.fail(fmt.Errorf("%w: step %q: quarantine record %s: %w (it failed with: %v)", ErrStopped, r.c.name, env.ID, qerr, err))
			return
		}
		r.c.quarantined.Add(1)
		r.p.log.Warn("stage: record failed; quarantined", "step", r.c.name, "id", env.ID, "kind", env.Kind, "err", err)
	default:
		r.c.failed.Add(1)
		r.p.fail(fmt.Errorf("%w: step %q: record %s: %w", ErrStopped, r.c.name, env.ID, err))
	}
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
