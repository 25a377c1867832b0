package stage

import (
	"errors"
	"fmt"
	"log/slog"
)

// Policy says what a step does with a record its processor fails on (an
// error that is not a drop, see Processor).
type Policy int

// The error policies. The zero Policy is PolicyStop, so that nothing is
// ever dropped by accident.
const (
	// PolicyStop fails the pipeline: the record is counted as failed, the
	// pipeline is cancelled, and Wait returns an error wrapping ErrStopped
	// and the cause.
	PolicyStop Policy = iota
	// PolicyDrop drops the record under the step's DropReason (ReasonError
	// by default), logs the error at warning level and goes on.
	PolicyDrop
	// PolicyQuarantine hands the record, as it entered the step, to the
	// pipeline's DeadLetter sink and goes on. If the dead-letter sink
	// fails, the pipeline stops.
	PolicyQuarantine
)

// String returns "stop", "drop" or "quarantine".
func (p Policy) String() string {
	switch p {
	case PolicyStop:
		return "stop"
	case PolicyDrop:
		return "drop"
	case PolicyQuarantine:
		return "quarantine"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// Defaults of a Config.
const (
	// DefaultBuffer is the capacity of the channel after each step, in
	// records. Each step holds at most Buffer records queued after it and,
	// in each of its goroutines, a chunk being processed and one being
	// filled, each of at most Buffer/8 records (at most 32; one record when
	// Buffer is under 16, and in Ordered mode, where a step holds
	// 2×Concurrency+1 records being processed or waiting to be put in
	// order). The channel after the collector holds at most Buffer
	// chunks, and the collector one being filled. Memory stays bounded
	// however fast the collector is.
	DefaultBuffer = 64
	// DefaultConcurrency is the number of goroutines of a step, and of the
	// sink, when the Config leaves it 0.
	DefaultConcurrency = 1
)

// SinkStepName is the name the sink's counters carry in Stats.Steps.
const SinkStepName = "sink"

// Step is one processor of a pipeline and how it runs.
type Step struct {
	// Name identifies the step in counters and logs; required, unique
	// within the pipeline, and not SinkStepName.
	Name string
	// Processor does the work; required.
	Processor Processor
	// Concurrency is the number of goroutines calling Process (0 means
	// DefaultConcurrency). Above 1 the processor must be safe for
	// concurrent use.
	Concurrency int
	// OnError is the policy for records the processor fails on.
	OnError Policy
	// DropReason is the reason PolicyDrop counts failures under; empty
	// means ReasonError.
	DropReason string
}

// Config describes a pipeline: a collector, a chain of processors, a sink
// and, optionally, analyzers fed with what the sink took. The zero value of
// every optional field is a working default; Validate says what is wrong
// with the rest.
type Config struct {
	// Collector produces the records; required.
	Collector Collector
	// Steps are the processors, in order; there may be none.
	Steps []Step
	// Sink is the pipeline's last step, the Submitter that takes every
	// record that passes all steps; required.
	Sink Submitter
	// SinkConcurrency is the number of goroutines calling Sink.Submit (0
	// means DefaultConcurrency). With more than one, the sink sees records
	// out of order even in Ordered mode.
	SinkConcurrency int
	// SinkPolicy is the policy for records the sink fails on.
	SinkPolicy Policy
	// SinkDropReason is the reason PolicyDrop counts sink failures under;
	// empty means ReasonError.
	SinkDropReason string
	// DeadLetter takes quarantined records; required when a step or the
	// sink uses PolicyQuarantine.
	DeadLetter Submitter
	// Analyzers are fed every record the sink took; optional.
	Analyzers []Analyzer
	// Products takes what the analyzers emit; required with Analyzers.
	Products Publisher
	// Ordered keeps records in collection order through every step, so
	// each processor and the sink see them in the order the collector
	// emitted them (the sink only with SinkConcurrency 1). Unordered mode
	// lets a fast record overtake a slow one.
	Ordered bool
	// Buffer is the capacity of the channel after the collector and after
	// each step, in records (0 means DefaultBuffer). Steps hand records on
	// in chunks of up to Buffer/8 (see DefaultBuffer): one channel
	// operation per chunk instead of one per record.
	Buffer int
	// Logger receives drops (debug), failures handled by a policy (warn)
	// and the error that stops a pipeline (error). Nil means silent.
	Logger *slog.Logger
}

// Validate reports every problem of c at once, each naming the field and
// the value found, joined with errors.Join. Zero values that have a default
// are valid.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("stage: config: "+format, args...))
	}
	if c.Collector == nil {
		bad("Collector: required, got nil")
	}
	if c.Sink == nil {
		bad("Sink: required, got nil (use a SubmitterFunc that discards if nothing is to be kept)")
	}
	if c.Buffer < 0 {
		bad("Buffer: must be at least 0 (0 means %d), got %d", DefaultBuffer, c.Buffer)
	}
	if c.SinkConcurrency < 0 {
		bad("SinkConcurrency: must be at least 0 (0 means %d), got %d", DefaultConcurrency, c.SinkConcurrency)
	}
	quarantine := false
	checkPolicy := func(field string, p Policy) {
		switch p {
		case PolicyStop, PolicyDrop:
		case PolicyQuarantine:
			quarantine = true
		default:
			bad("%s: unknown policy %d (use PolicyStop, PolicyDrop or PolicyQuarantine)", field, int(p))
		}
	}
	checkPolicy("SinkPolicy", c.SinkPolicy)
	seen := map[string]int{}
	for i, s := range c.Steps {
		f := fmt.Sprintf("Steps[%d]", i)
		switch prev, dup := seen[s.Name]; {
		case s.Name == "":
			bad("%s.Name: required, got \"\"", f)
		case s.Name == SinkStepName:
			bad("%s.Name: %q is reserved for the sink's counters", f, s.Name)
		case dup:
			bad("%s.Name: %q is also the name of Steps[%d]; names must be unique", f, s.Name, prev)
		default:
			seen[s.Name] = i
		}
		if s.Processor == nil {
			bad("%s.Processor: required, got nil", f)
		}
		if s.Concurrency < 0 {
			bad("%s.Concurrency: must be at least 0 (0 means %d), got %d", f, DefaultConcurrency, s.Concurrency)
		}
		checkPolicy(f+".OnError", s.OnError)
	}
	if quarantine && c.DeadLetter == nil {
		bad("DeadLetter: required when a step or the sink uses PolicyQuarantine, got nil")
	}
	for i, a := range c.Analyzers {
		if a == nil {
			bad("Analyzers[%d]: got nil", i)
		}
	}
	if len(c.Analyzers) > 0 && c.Products == nil {
		bad("Products: required with %d analyzers, got nil", len(c.Analyzers))
	}
	return errors.Join(errs...)
}

// withDefaults returns c with every zero field that has a default set.
func (c Config) withDefaults() Config {
	if c.Buffer == 0 {
		c.Buffer = DefaultBuffer
	}
	if c.SinkConcurrency == 0 {
		c.SinkConcurrency = DefaultConcurrency
	}
	if c.SinkDropReason == "" {
		c.SinkDropReason = ReasonError
	}
	c.Steps = append([]Step(nil), c.Steps...)
	for i := range c.Steps {
		if c.Steps[i].Concurrency == 0 {
			c.Steps[i].Concurrency = DefaultConcurrency
		}
		if c.Steps[i].DropReason == "" {
			c.Steps[i].DropReason = ReasonError
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
