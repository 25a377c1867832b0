package stagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// maxCallsAfterError is how many emit calls may follow a failed one: a
// collector emitting from several goroutines may have one in flight in
// each when the first fails.
const maxCallsAfterError = 8

// DefaultTimeout is how long a check waits for Collect or Process to
// return when the options leave Timeout 0.
const DefaultTimeout = 5 * time.Second

// CollectorOptions configures TestCollector and CheckCollector.
type CollectorOptions struct {
	// Want is the number of records a new collector emits before it
	// returns nil. 0 means unknown: at least one is then required, and runs
	// must agree with each other.
	Want int
	// Endless says the collector reads a live source and never returns on
	// its own; only the cancellation checks run, after 10 records.
	Endless bool
	// Validator, if set, validates every record emitted.
	Validator *schema.Validator
	// Timeout bounds a complete run, and the time Collect may take to
	// return once its context is cancelled (0 means DefaultTimeout).
	Timeout time.Duration
}

// TestCollector runs CheckCollector and reports each problem with t.Error.
func TestCollector(t *testing.T, newCollector func() stage.Collector, opts CollectorOptions) {
	t.Helper()
	for _, err := range checkCollector(newCollector, opts) {
		t.Error(err)
	}
}

// CheckCollector checks collectors made by newCollector (a new one per
// check) and returns every problem found, joined, or nil:
//   - a complete run returns nil, emits Want records (at least one), each
//     once, valid if a Validator is given, and none changed after emit
//     returned (the pipeline owns what it took);
//   - a run against a slow consumer (emit blocking now and then, as under
//     backpressure) emits the same records: none lost, none added;
//   - cancelled midway, Collect returns within Timeout with an error
//     wrapping context.Canceled, and stops calling emit once emit returned
//     an error (a few calls in flight on other goroutines are allowed);
//   - with a context cancelled before the start, likewise;
//   - no goroutine started by the collector outlives Collect.
func CheckCollector(newCollector func() stage.Collector, opts CollectorOptions) error {
	return errors.Join(checkCollector(newCollector, opts)...)
}

// emitted is one record as emit saw it.
type emitted struct {
	id  string
	raw []byte
	env schema.Envelope
}

// collectRun is the outcome of one Collect call.
type collectRun struct {
	records      []emitted
	err          error
	returned     bool
	afterErr     int // emit calls after emit returned an error
	afterReturn  int // emit calls after Collect returned
	emitErrCount int
}

// runCollect calls c.Collect with an emit that records and may block
// (slow) or fail after cancelAfter records (cancelAfter > 0). It waits at
// most timeout for Collect to return.
func runCollect(c stage.Collector, ctx context.Context, cancel context.CancelFunc, cancelAfter int, slow bool, timeout time.Duration) *collectRun {
	run := &collectRun{}
	var mu sync.Mutex
	done := false
	failed := false
	emit := func(env schema.Envelope) error {
		mu.Lock()
		defer mu.Unlock()
		if done {
			run.afterReturn++
			return stage.ErrClosed
		}
		if failed {
			run.afterErr++
		}
		if err := ctx.Err(); err != nil {
			failed = true
			run.emitErrCount++
			return fmt.Errorf("%w: %w", stage.ErrClosed, err)
		}
		raw, err := json.Marshal(env)
		if err != nil {
			raw = []byte(err.Error())
		}
		run.records = append(run.records, emitted{id: env.ID, raw: raw, env: env})
		if slow && len(run.records)%7 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
		if cancelAfter > 0 && len(run.records) == cancelAfter {
			cancel()
		}
		return nil
	}
	ret := make(chan error, 1)
	go func() { ret <- c.Collect(ctx, emit) }()
	select {
	case err := <-ret:
		run.err, run.returned = err, true
	case <-time.After(timeout):
	}
	mu.Lock()
	done = run.returned
	mu.Unlock()
	return run
}

func checkCollector(newCollector func() stage.Collector, opts CollectorOptions) []error {
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	var errs []error
	fail := func(check, format string, args ...any) {
		errs = append(errs, fmt.Errorf("stagetest: collector: %s: "+format, append([]any{check}, args...)...))
	}
	leak := func(check string, before int) {
		if n := settle(before); n > before {
			fail(check, "%d goroutines still running after Collect returned (%d before)", n-before, before)
		}
	}

	var first *collectRun
	if !opts.Endless {
		for _, slow := range []bool{false, true} {
			check := "complete run"
			if slow {
				check = "slow consumer"
			}
			before := runtime.NumGoroutine()
			ctx, cancel := context.WithCancel(context.Background())
			run := runCollect(newCollector(), ctx, cancel, 0, slow, opts.Timeout)
			cancel()
			switch {
			case !run.returned:
				fail(check, "Collect did not return within %v", opts.Timeout)
				continue
			case run.err != nil:
				fail(check, "Collect returned %v, want nil at the end of its source", run.err)
			}
			if run.afterReturn > 0 {
				fail(check, "emit called %d times after Collect returned", run.afterReturn)
			}
			seen := map[string]bool{}
			for i, r := range run.records {
				if seen[r.id] {
					fail(check, "record %d: id %q emitted twice", i, r.id)
				}
				seen[r.id] = true
				if raw, _ := json.Marshal(r.env); string(raw) != string(r.raw) {
					fail(check, "record %d (%s) changed after emit returned; the pipeline owns it", i, r.id)
				}
				if opts.Validator != nil && !slow {
					if _, err := opts.Validator.Validate(r.raw); err != nil {
						fail(check, "record %d (%s): %v", i, r.id, err)
					}
				}
			}
			switch {
			case opts.Want > 0 && len(run.records) != opts.Want:
				fail(check, "emitted %d records, want %d", len(run.records), opts.Want)
			case len(run.records) == 0:
				fail(check, "emitted no record")
			case first != nil && len(run.records) != len(first.records):
				fail(check, "emitted %d records, the complete run %d: records lost or added under backpressure",
					len(run.records), len(first.records))
			}
			if first == nil {
				first = run
			}
			leak(check, before)
		}
	}

	cancelAfter := 10
	if first != nil {
		cancelAfter = max(1, len(first.records)/2)
	}
	for _, pre := range []bool{false, true} {
		check := "cancelled midway"
		if pre {
			check = "cancelled before the start"
		}
		before := runtime.NumGoroutine()
		ctx, cancel := context.WithCancel(context.Background())
		after := cancelAfter
		if pre {
			cancel()
			after = 0
		}
		run := runCollect(newCollector(), ctx, cancel, after, false, opts.Timeout)
		cancel()
		if !run.returned {
			fail(check, "Collect did not return within %v of the cancellation", opts.Timeout)
			continue
		}
		complete := first != nil && len(run.records) == len(first.records)
		if !errors.Is(run.err, context.Canceled) && !(complete && run.err == nil) {
			fail(check, "Collect returned %v, want an error wrapping context.Canceled", run.err)
		}
		if run.afterErr > maxCallsAfterError {
			fail(check, "emit called %d times after it returned an error; a collector stops when emit fails", run.afterErr)
		}
		if pre && len(run.records) > 0 {
			fail(check, "emitted %d records with a cancelled context", len(run.records))
		}
		leak(check, before)
	}
	return errs
}

// settle waits up to a second for the number of goroutines to fall to
// want, and returns the last count.
func settle(want int) int {
	deadline := time.Now().Add(time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(5 * time.Millisecond)
	}
}
