package stage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/sicollab/sicollab/schema"
)

// Pipeline runs a Config: the collector in one goroutine, each step in
// Concurrency goroutines, the sink in SinkConcurrency goroutines and each
// analyzer in one, joined by channels of Buffer records. A full channel
// blocks the step before it, and so on back to the collector's emit: a
// slow sink slows collection instead of filling memory. Steps hand records
// on in small chunks, sent when full or when the step would otherwise
// wait for input, so chunking never holds a record back while its step
// is idle.
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
	pending     *chunk // emitted, not yet sent
	first       chan *chunk
	chunkMax    int // records in a chunk between steps (see chunk)

	collected, abandoned, products atomic.Uint64
	steps                          []*stepCounters

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

	// Steps send chunks of up to chunkMax records, so a channel of
	// Buffer/chunkMax chunks holds at most Buffer records. The collector's
	// channel holds Buffer chunks: its chunks are often of one record,
	// since it sends at once whenever the first step has nothing queued.
	p.chunkMax = min(max(cfg.Buffer/8, 1), maxChunk)
	if cfg.Ordered {
		p.chunkMax = 1
	}
	p.first = make(chan *chunk, cfg.Buffer)
	in := p.first
	for _, st := range cfg.Steps {
		c := newStepCounters(st.Name, st.Concurrency+1) // +1: reorder and finish
		p.steps = append(p.steps, c)
		out := make(chan *chunk, max(cfg.Buffer/p.chunkMax, 1))
		r := &runner{p: p, c: c, proc: st.Processor, conc: st.Concurrency,
			policy: st.OnError, reason: st.DropReason, in: in, out: out}
		r.start()
		in = out
	}
	sc := newStepCounters(SinkStepName, cfg.SinkConcurrency+1)
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
// contract), the collector's error, an analyzer's or publisher's error,
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
		Collected: p.collected.Load(), Abandoned: p.abandoned.Load(), Products: p.products.Load(),
		Steps: make([]StepStats, len(p.steps)),
	}
	for i, c := range p.steps {
		s.Steps[i] = c.snapshot()
	}
	s.Delivered = s.Steps[len(s.Steps)-1].Passed // what the sink took
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
		// Records go in chunks while the first step has work queued, and
		// at once when it has none (see poke for a step that runs dry).
		if p.pending == nil {
			p.pending = getChunk()
		}
		b := p.pending
		b.items = append(b.items, item{seq: p.seq, env: env})
		if len(b.items) >= p.chunkMax || len(p.first) == 0 {
			if !send(ctx, p.first, b) {
				// Not taken; the records before it stay, for the drain.
				b.items[len(b.items)-1] = item{}
				b.items = b.items[:len(b.items)-1]
				return fmt.Errorf("%w: %w", ErrClosed, ctx.Err())
			}
			p.pending = nil
		}
		p.seq++
		p.collected.Add(1)
		return nil
	}
	err := p.cfg.Collector.Collect(ctx, emit)
	p.emitMu.Lock()
	p.collectDone = true
	if b := p.pending; b != nil {
		p.pending = nil
		if len(b.items) > 0 && !send(p.ctx, p.first, b) { // emitted: drained unless cancelled
			p.abandoned.Add(uint64(len(b.items)))
			putChunk(b)
		}
	}
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

// poke sends the records the collector has emitted but not sent, if it is
// not emitting right now: a worker of the first step calls it before it
// waits for input. If the collector is emitting, it sends them itself,
// since it finds the first channel empty.
func (p *Pipeline) poke() {
	if !p.emitMu.TryLock() {
		return
	}
	if b := p.pending; b != nil && len(b.items) > 0 {
		select {
		case p.first <- b:
			p.pending = nil
		default: // full: the workers have input
		}
	}
	p.emitMu.Unlock()
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
