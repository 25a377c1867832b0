package stagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// ProcessorOptions configures TestProcessor and CheckProcessor.
type ProcessorOptions struct {
	// Concurrent says the processor is safe for concurrent use (it will
	// run with Concurrency above 1): the inputs are then also processed
	// from several goroutines, to be run under the race detector, and the
	// outcomes must add up as in a serial run.
	Concurrent bool
	// Timeout bounds each call (0 means DefaultTimeout).
	Timeout time.Duration
}

// TestProcessor runs CheckProcessor and reports each problem with t.Error.
func TestProcessor(t *testing.T, newProcessor func() stage.Processor, inputs []schema.Envelope, opts ProcessorOptions) {
	t.Helper()
	for _, err := range checkProcessor(newProcessor, inputs, opts) {
		t.Error(err)
	}
}

// CheckProcessor checks processors made by newProcessor (a new one per
// check) over inputs and returns every problem found, joined, or nil:
//   - no record is lost: each Process call that returns nil is matched by
//     an emitted record, at the latest from Flush (a processor that holds
//     records back implements stage.Flusher, and reports none held after
//     Flush if it is a stage.Holder);
//   - drops carry a reason (stage.Drop);
//   - emit is never called after Process (or Flush) returns;
//   - a new processor given the same inputs reaches the same outcomes;
//   - with Concurrent, the outcomes of a concurrent run add up to the
//     same counts;
//   - with a cancelled context, Process returns within Timeout;
//   - no goroutine outlives the calls.
func CheckProcessor(newProcessor func() stage.Processor, inputs []schema.Envelope, opts ProcessorOptions) error {
	return errors.Join(checkProcessor(newProcessor, inputs, opts)...)
}

// outcome classifies a Process result: "passed", "drop:<reason>" or
// "error".
func outcome(err error) string {
	if err == nil {
		return "passed"
	}
	if r, ok := stage.DropReason(err); ok {
		return "drop:" + r
	}
	return "error"
}

// clone deep-copies env, so each run gets inputs of its own.
func clone(env schema.Envelope) schema.Envelope {
	env.Payload = append(json.RawMessage(nil), env.Payload...)
	env.Provenance = append([]schema.Hop(nil), env.Provenance...)
	return env
}

type procRun struct {
	outcomes []string
	emitted  atomic.Int64
	late     atomic.Int64 // emit calls after the call returned
	timedOut int
}

// call runs one Process (or Flush, with env nil) with an emit of its own
// that counts calls made after it returned.
func (r *procRun) call(ctx context.Context, p stage.Processor, env *schema.Envelope, timeout time.Duration) (ok bool, err error) {
	var open atomic.Bool
	open.Store(true)
	emit := func(schema.Envelope) {
		if !open.Load() {
			r.late.Add(1)
			return
		}
		r.emitted.Add(1)
	}
	ret := make(chan error, 1)
	go func() {
		if env == nil {
			ret <- p.(stage.Flusher).Flush(ctx, emit)
			return
		}
		ret <- p.Process(ctx, clone(*env), emit)
	}()
	select {
	case err = <-ret:
		open.Store(false)
		return true, err
	case <-time.After(timeout):
		open.Store(false)
		return false, nil
	}
}

func checkProcessor(newProcessor func() stage.Processor, inputs []schema.Envelope, opts ProcessorOptions) []error {
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	var errs []error
	fail := func(check, format string, args ...any) {
		errs = append(errs, fmt.Errorf("stagetest: processor: %s: "+format, append([]any{check}, args...)...))
	}
	if len(inputs) == 0 {
		fail("inputs", "no inputs to process")
		return errs
	}
	ctx := context.Background()

	// serial runs a fresh processor over every input, then flushes it.
	serial := func(check string) *procRun {
		before := runtime.NumGoroutine()
		p := newProcessor()
		run := &procRun{}
		for i := range inputs {
			ok, err := run.call(ctx, p, &inputs[i], opts.Timeout)
			if !ok {
				fail(check, "Process of input %d (%s) did not return within %v", i, inputs[i].ID, opts.Timeout)
				return nil
			}
			if r, isDrop := stage.DropReason(err); isDrop && r == "" {
				fail(check, "input %d (%s) dropped without a reason", i, inputs[i].ID)
			}
			run.outcomes = append(run.outcomes, outcome(err))
		}
		if _, ok := p.(stage.Flusher); ok {
			if ok, err := run.call(ctx, p, nil, opts.Timeout); !ok || err != nil {
				fail(check, "Flush: returned %v (returned in time: %v)", err, ok)
			}
		}
		if h, ok := p.(stage.Holder); ok && h.Held() != 0 {
			fail(check, "%d records still held after Flush", h.Held())
		}
		passed := 0
		for _, o := range run.outcomes {
			if o == "passed" {
				passed++
			}
		}
		if n := run.emitted.Load(); n < int64(passed) {
			fail(check, "%d inputs passed but only %d records were emitted: records lost", passed, n)
		}
		if n := settle(before); n > before {
			fail(check, "%d goroutines still running after the calls returned", n-before)
		}
		if n := run.late.Load(); n > 0 {
			fail(check, "emit called %d times after Process returned", n)
		}
		return run
	}

	first := serial("serial run")
	if first == nil {
		return errs
	}
	if again := serial("second run"); again != nil {
		for i := range inputs {
			if first.outcomes[i] != again.outcomes[i] {
				fail("second run", "input %d (%s): %s, the first run %s", i, inputs[i].ID, again.outcomes[i], first.outcomes[i])
			}
		}
	}

	if opts.Concurrent {
		before := runtime.NumGoroutine()
		p := newProcessor()
		var mu sync.Mutex
		counts := map[string]int{}
		var wg sync.WaitGroup
		var emitted, late atomic.Int64
		for w := range 4 {
			wg.Go(func() {
				for i := w; i < len(inputs); i += 4 {
					run := &procRun{}
					ok, err := run.call(ctx, p, &inputs[i], opts.Timeout)
					emitted.Add(run.emitted.Load())
					late.Add(run.late.Load())
					mu.Lock()
					if ok {
						counts[outcome(err)]++
					} else {
						counts["timeout"]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		want := map[string]int{}
		for _, o := range first.outcomes {
			want[o]++
		}
		for k, n := range want {
			if counts[k] != n {
				fail("concurrent run", "%d inputs %s, the serial run %d", counts[k], k, n)
			}
		}
		if counts["timeout"] > 0 {
			fail("concurrent run", "%d calls did not return within %v", counts["timeout"], opts.Timeout)
		}
		if n := settle(before); n > before {
			fail("concurrent run", "%d goroutines still running after the calls returned", n-before)
		}
	}

	before := runtime.NumGoroutine()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	run := &procRun{}
	if ok, _ := run.call(cctx, newProcessor(), &inputs[0], opts.Timeout); !ok {
		fail("cancelled", "Process did not return within %v with a cancelled context", opts.Timeout)
	}
	if n := settle(before); n > before {
		fail("cancelled", "%d goroutines still running after Process returned", n-before)
	}
	return errs
}
