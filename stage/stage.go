package stage

import (
	"context"
	"iter"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// Planner turns a requirement, and the feedback that came back since the
// last revision, into a plan and the tasks that carry it out (planning
// stage; feedback re-enters here).
//
// Plan may be called concurrently for different requirements; an
// implementation that keeps state guards it. It does not keep in after the
// call returns. An error means no plan was made; the caller keeps the
// current one.
type Planner interface {
	Plan(ctx context.Context, in PlanInput) (PlanOutput, error)
}

// PlanInput is what a Planner plans from.
type PlanInput struct {
	// Requirement is the need to plan for.
	Requirement schema.Requirement
	// Parent is the plan the new one derives from (nil for a macro plan);
	// the new plan must not widen its scope.
	Parent *schema.Plan
	// Current is the plan in force, if this is a revision.
	Current *schema.Plan
	// Feedback holds the reports received since Current was made.
	Feedback []schema.FeedbackReport
}

// PlanOutput is a Planner's answer: the plan (a new revision when
// PlanInput.Current was set) and the tasks to assign (interaction 1).
type PlanOutput struct {
	// Plan is the plan, or its new revision.
	Plan schema.Plan
	// Tasks are the tasks to assign under it.
	Tasks []schema.Task
}

// Collector reads records from an organization's own systems (collection
// stage) and hands each to emit as an envelope.
//
// Collect is called once per pipeline run, and returns when its source is
// exhausted (nil), when ctx is cancelled (ctx.Err(), possibly wrapped) or
// when emit fails (the error emit returned, possibly wrapped). It must not
// call emit after Collect returns, and stops calling it once emit has
// returned an error (a collector emitting from several goroutines may
// have one call in flight in each).
//
// emit blocks while the pipeline is full: that is the backpressure, and a
// collector reading from a queue should simply not read ahead. emit is
// safe for concurrent use, so a collector may read several sources from
// several goroutines (it waits for them before returning). emit returns
// nil once the pipeline has taken the record; from then on the pipeline
// owns the envelope, its Payload and its Provenance, and the collector
// must not modify them. emit returns an error wrapping ErrClosed or
// ctx.Err() when the pipeline stops taking records.
//
// Any other error from Collect fails the pipeline: records already emitted
// are drained and Wait returns the error.
type Collector interface {
	Collect(ctx context.Context, emit func(schema.Envelope) error) error
}

// CollectorFunc adapts a function to Collector.
type CollectorFunc func(ctx context.Context, emit func(schema.Envelope) error) error

// Collect calls f.
func (f CollectorFunc) Collect(ctx context.Context, emit func(schema.Envelope) error) error {
	return f(ctx, emit)
}

// Processor handles one record (processing stage): verify, validate,
// normalize, pseudonymize, deduplicate, assess, integrate, or anything an
// organization adds.
//
// Process owns env for the duration of the call and after: the pipeline
// never reads or changes it again, so a processor may modify it or keep
// it. It passes each record it lets through to emit, synchronously,
// before it returns: usually env itself, possibly changed; none when it
// holds env back (Integrate) or drops it; several when it splits one. A
// processor that holds records emits them from a later Process call or
// from Flush (see Flusher). emit must not be called after Process returns
// or from another goroutine.
//
// The error classifies env, not what was emitted (emitted records always
// go on):
//   - nil: env passed.
//   - an error wrapping ErrDrop (see Drop): env is dropped on purpose and
//     counted under its reason.
//   - any other error: env failed; the step's Policy decides (drop,
//     quarantine, or stop the pipeline).
//
// Process may be called concurrently from as many goroutines as the step's
// Concurrency; a processor that keeps state must be safe for that, or run
// with Concurrency 1. It should return promptly when ctx is cancelled.
type Processor interface {
	Process(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error
}

// ProcessorFunc adapts a function to Processor.
type ProcessorFunc func(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error

// Process calls f.
func (f ProcessorFunc) Process(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error {
	return f(ctx, env, emit)
}

// Map adapts a one-to-one function to Processor: the returned envelope is
// emitted when the error is nil.
func Map(f func(ctx context.Context, env schema.Envelope) (schema.Envelope, error)) Processor {
	return ProcessorFunc(func(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error {
		out, err := f(ctx, env)
		if err != nil {
			return err
		}
		emit(out)
		return nil
	})
}

// Flusher is implemented by processors that hold records back (Integrate).
// The pipeline calls Flush once, after the step's last Process call has
// returned and before the step's output closes, when the pipeline drains
// (its input ended or Close was called) but not when it is cancelled.
// Flush emits every record still held.
type Flusher interface {
	Flush(ctx context.Context, emit func(schema.Envelope)) error
}

// Holder is implemented by processors that hold records back. Held
// reports how many records are held now; when a pipeline is cancelled,
// they are counted as abandoned. Held is safe for concurrent use.
type Holder interface {
	Held() int
}

// Submitter takes a processed record at the end of a pipeline: the submit
// client satisfies it, and so does a dead-letter store.
//
// Submit may be called concurrently up to the pipeline's SinkConcurrency.
// When it returns nil the sink has taken the record (durably, for a durable
// sink); the envelope is the sink's from the call on. An error wrapping
// ErrDrop drops the record under its reason; any other error is handled by
// the pipeline's SinkPolicy.
type Submitter interface {
	Submit(ctx context.Context, env schema.Envelope) error
}

// SubmitterFunc adapts a function to Submitter.
type SubmitterFunc func(ctx context.Context, env schema.Envelope) error

// Submit calls f.
func (f SubmitterFunc) Submit(ctx context.Context, env schema.Envelope) error { return f(ctx, env) }

// Analyzer turns records into intelligence products (analysis stage): the
// domain lists of the scheme.
//
// The pipeline gives each analyzer every record its sink took, in the
// order the sink took them, from one goroutine: Analyze is never called
// concurrently by the pipeline. Analyze must not modify env (it is shared
// with the sink and other analyzers); it may keep it. emit publishes a
// product; it blocks while the publisher is busy and returns its error.
// Flush is called once when the pipeline drains, to emit what is still
// pending (open windows). An error from either fails the pipeline.
type Analyzer interface {
	Analyze(ctx context.Context, env schema.Envelope, emit func(schema.Product) error) error
	Flush(ctx context.Context, emit func(schema.Product) error) error
}

// Publisher takes the products analyzers emit, e.g. to wrap each in a
// collab.product envelope and submit it.
//
// Publish is called from one goroutine per analyzer, so possibly
// concurrently when there are several. The product is the publisher's from the
// call on. An error fails the pipeline.
type Publisher interface {
	Publish(ctx context.Context, p schema.Product) error
}

// PublisherFunc adapts a function to Publisher.
type PublisherFunc func(ctx context.Context, p schema.Product) error

// Publish calls f.
func (f PublisherFunc) Publish(ctx context.Context, p schema.Product) error { return f(ctx, p) }

// Applier uses a product to support a decision (application stage): a
// general business department decides to escalate or handle an incident
// itself (D = schema.Escalation), a bank recommends freezing funds, a
// carrier adds a name to a blacklist. D is whatever the organization
// decides.
//
// Apply may be called concurrently for different products. It returns the
// decisions taken, possibly none; the caller owns them. An error means no
// decision was taken and the product should be applied again.
type Applier[D any] interface {
	Apply(ctx context.Context, p schema.Product) ([]D, error)
}

// ApplierFunc adapts a function to Applier.
type ApplierFunc[D any] func(ctx context.Context, p schema.Product) ([]D, error)

// Apply calls f.
func (f ApplierFunc[D]) Apply(ctx context.Context, p schema.Product) ([]D, error) { return f(ctx, p) }

// Feedbacker summarizes what an organization did in a period into a work
// report (feedback stage): monthly and annual reports, or the report that
// closes a task. Reports re-enter planning (PlanInput.Feedback).
//
// entries yields the journal's entries in sequence order (at least those
// of the period); Feedback stops at the first error it yields and returns
// it. Feedback may be called concurrently; the report is the caller's.
type Feedbacker interface {
	Feedback(ctx context.Context, period schema.Window, entries iter.Seq2[collab.Entry, error]) (schema.FeedbackReport, error)
}

// Rule scores one aspect of a record's value for the scheme's purpose.
//
// Assess returns a score from 0 (no value) to 1 (certainly of value);
// scores outside are clamped. reason names what the rule saw, as a short
// stable phrase (it becomes a counter label and a product reason); it is
// ignored when the score is 0. An error fails the record. Assess is
// called concurrently when the processor is.
type Rule interface {
	Assess(ctx context.Context, env schema.Envelope) (score float64, reason string, err error)
}

// RuleFunc adapts a function to Rule.
type RuleFunc func(ctx context.Context, env schema.Envelope) (float64, string, error)

// Assess calls f.
func (f RuleFunc) Assess(ctx context.Context, env schema.Envelope) (float64, string, error) {
	return f(ctx, env)
}

// Authorizer says whether an organization may submit a kind; a
// *collab.Directory is one. To follow a directory that is replaced at run
// time, pass a type whose Authorize reads the current one.
type Authorizer interface {
	// Authorize returns nil if org may submit kind, or an error wrapping
	// collab.ErrUnknownOrg or collab.ErrKindNotAllowed.
	Authorize(org, kind string) error
}
