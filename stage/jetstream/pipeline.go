package jetstream

import (
	"context"
	"slices"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// Pipeline returns cfg with c as its Collector and its steps, sink and
// dead-letter sink wrapped so that each acknowledges the records it ends:
//
//   - the sink, a record it took (Submit returned nil), dropped on
//     purpose (an error wrapping stage.ErrDrop), or failed on under
//     SinkPolicy PolicyDrop;
//   - a step, a record it dropped on purpose or failed on under
//     PolicyDrop, unless it emitted a record of the same id;
//   - the dead-letter sink, a record it took.
//
// A record a step fails on under PolicyStop, or one the sink fails on
// under PolicyStop, is not acknowledged: it is delivered again when the
// pipeline runs next. A record a step holds (stage.NewIntegrate) is
// acknowledged when it reaches an end, like any other.
func (c *Collector) Pipeline(cfg stage.Config) stage.Config {
	cfg.Collector = c
	cfg.Steps = slices.Clone(cfg.Steps)
	for i, st := range cfg.Steps {
		if st.Processor != nil {
			cfg.Steps[i].Processor = &ackStep{c: c, next: st.Processor, dropOnError: st.OnError == stage.PolicyDrop}
		}
	}
	if cfg.Sink != nil {
		cfg.Sink = &ackSink{c: c, next: cfg.Sink, dropOnError: cfg.SinkPolicy == stage.PolicyDrop}
	}
	if cfg.DeadLetter != nil {
		cfg.DeadLetter = &ackSink{c: c, next: cfg.DeadLetter}
	}
	return cfg
}

// ackSink acknowledges the records its submitter ends.
type ackSink struct {
	c           *Collector
	next        stage.Submitter
	dropOnError bool
}

// Submit passes env on, then acknowledges it if it ended here.
func (s *ackSink) Submit(ctx context.Context, env schema.Envelope) error {
	id := env.ID
	err := s.next.Submit(ctx, env)
	if ends(ctx, err, s.dropOnError) {
		s.c.Ack(id)
	}
	return err
}

// ackStep acknowledges the records its processor drops.
type ackStep struct {
	c           *Collector
	next        stage.Processor
	dropOnError bool
}

// Process runs the processor, then acknowledges env if it was dropped and
// nothing of its id went on.
func (p *ackStep) Process(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error {
	id := env.ID
	passed := false
	err := p.next.Process(ctx, env, func(e schema.Envelope) {
		if e.ID == id {
			passed = true
		}
		emit(e)
	})
	if err != nil && !passed && ends(ctx, err, p.dropOnError) {
		p.c.Ack(id)
	}
	return err
}

// Flush passes a Flusher's Flush on.
func (p *ackStep) Flush(ctx context.Context, emit func(schema.Envelope)) error {
	if f, ok := p.next.(stage.Flusher); ok {
		return f.Flush(ctx, emit)
	}
	return nil
}

// Held passes a Holder's Held on.
func (p *ackStep) Held() int {
	if h, ok := p.next.(stage.Holder); ok {
		return h.Held()
	}
	return 0
}

// ends reports whether a record whose handling returned err has reached
// an end: taken, dropped on purpose, or failed under PolicyDrop while
// the pipeline runs (a failure because it was cancelled is no end).
func ends(ctx context.Context, err error, dropOnError bool) bool {
	if err == nil {
		return true
	}
	if dropOnError && ctx.Err() == nil {
		return true
	}
	_, dropped := stage.DropReason(err)
	return dropped
}
