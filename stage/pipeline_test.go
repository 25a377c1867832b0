package stage_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// jitter is a processor that sleeps a random few microseconds, so that
// concurrent workers finish out of order.
func jitter(seed uint64) stage.Processor {
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(seed, seed))
	return stage.Map(func(ctx context.Context, env schema.Envelope) (schema.Envelope, error) {
		mu.Lock()
		d := time.Duration(r.IntN(200)) * time.Microsecond
		mu.Unlock()
		time.Sleep(d)
		return env, nil
	})
}

// endless emits synthetic records until its context ends.
func endless(s *synth) stage.Collector {
	return stage.CollectorFunc(func(ctx context.Context, emit func(schema.Envelope) error) error {
		for i := 0; ; i++ {
			if err := emit(s.passenger("rail-north-01", i%100, i, t0.Add(time.Duration(i)*time.Second))); err != nil {
				return err
			}
		}
	})
}

func TestPipelineOrderedKeepsCollectionOrder(t *testing.T) {
	noLeak(t)
	envs, _, _ := newSynth(1).stream(2000)
	var sink recorder
	stats, err := stage.Run(context.Background(), stage.Config{
		Collector: sliceCollector(envs),
		Steps: []stage.Step{
			{Name: "a", Processor: jitter(1), Concurrency: 4},
			{Name: "b", Processor: jitter(2), Concurrency: 3},
		},
		Sink: &sink, Ordered: true, Buffer: 8,
	})
	require.NoError(t, err)
	assert.Equal(t, ids(envs), sink.ids(), "ordered mode delivers in collection order")
	assert.EqualValues(t, len(envs), stats.Collected)
	assert.EqualValues(t, len(envs), stats.Delivered)
	assert.Zero(t, stats.Unaccounted())
}

func TestPipelineUnorderedDeliversEverything(t *testing.T) {
	noLeak(t)
	envs, _, _ := newSynth(2).stream(2000)
	var sink recorder
	stats, err := stage.Run(context.Background(), stage.Config{
		Collector: sliceCollector(envs),
		Steps:     []stage.Step{{Name: "a", Processor: jitter(3), Concurrency: 4}},
		Sink:      &sink, SinkConcurrency: 2, Buffer: 4,
	})
	require.NoError(t, err)
	assert.ElementsMatch(t, ids(envs), sink.ids())
	a, _ := stats.Step("a")
	assert.EqualValues(t, len(envs), a.In)
	assert.EqualValues(t, len(envs), a.Out)
	assert.EqualValues(t, len(envs), a.Latency.Count)
	assert.Positive(t, a.Latency.Max)
}

// A slow sink stalls the collector: the records inside the pipeline never
// exceed what its channels and workers can hold.
func TestPipelineBackpressure(t *testing.T) {
	for _, ordered := range []bool{false, true} {
		t.Run(fmt.Sprintf("ordered=%v", ordered), func(t *testing.T) {
			noLeak(t)
			gate := make(chan struct{})
			var sink recorder
			slow := stage.SubmitterFunc(func(ctx context.Context, env schema.Envelope) error {
				select {
				case <-gate:
				case <-ctx.Done():
					return ctx.Err()
				}
				return sink.Submit(ctx, env)
			})
			const buffer, conc, total = 4, 3, 500
			envs := make([]schema.Envelope, total)
			s := newSynth(3)
			for i := range envs {
				envs[i] = s.passenger("rail-north-01", i, i, t0)
			}
			p, err := stage.Start(context.Background(), stage.Config{
				Collector: sliceCollector(envs),
				Steps: []stage.Step{
					{Name: "a", Processor: jitter(4), Concurrency: conc},
					{Name: "b", Processor: jitter(5), Concurrency: conc},
				},
				Sink: slow, Buffer: buffer, Ordered: ordered,
			})
			require.NoError(t, err)

			// Wait until collection stops moving.
			var last uint64
			for stable := 0; stable < 20; {
				time.Sleep(5 * time.Millisecond)
				if n := p.Stats().Collected; n == last {
					stable++
				} else {
					last, stable = n, 0
				}
			}
			// Channels: after the collector and after each step; each step
			// holds conc records in its workers or, ordered, 2×conc in its
			// reorder window and one being passed on; the sink holds one.
			bound := uint64(3*buffer + 2*conc + 1)
			if ordered {
				bound = uint64(3*buffer + 2*(2*conc+1) + 1)
			}
			st := p.Stats()
			t.Logf("collected %d of %d while the sink is stalled (bound %d)", st.Collected, total, bound)
			assert.LessOrEqual(t, st.Collected, bound, "in-flight records are bounded")
			assert.Less(t, st.Collected, uint64(total), "the collector is stalled")
			assert.Zero(t, st.Delivered)

			close(gate)
			require.NoError(t, p.Wait())
			assert.Len(t, sink.ids(), total)
			if ordered {
				assert.Equal(t, ids(envs), sink.ids())
			}
		})
	}
}

// TestPipelineChunkingHoldsNothingBack: records move between steps in
// chunks, but a record never waits in a chunk for more to come. The
// collector emits bursts while the steps are busy, then waits, before its
// next burst, for everything it emitted to reach the sink: a record held
// back would stall it.
func TestPipelineChunkingHoldsNothingBack(t *testing.T) {
	for _, conc := range []int{1, 3} {
		t.Run(fmt.Sprintf("concurrency=%d", conc), func(t *testing.T) {
			noLeak(t)
			var delivered atomic.Int64
			sink := stage.SubmitterFunc(func(ctx context.Context, env schema.Envelope) error {
				delivered.Add(1)
				return nil
			})
			s := newSynth(11)
			collector := stage.CollectorFunc(func(ctx context.Context, emit func(schema.Envelope) error) error {
				n := 0
				for burst := range 5 {
					for range 3 + 7*burst { // odd sizes, not multiples of a chunk
						if err := emit(s.passenger("rail-north-01", n, n, t0)); err != nil {
							return err
						}
						n++
					}
					deadline := time.Now().Add(5 * time.Second)
					for delivered.Load() < int64(n) {
						if time.Now().After(deadline) {
							return fmt.Errorf("burst %d: %d of %d records delivered: some wait in a chunk", burst, delivered.Load(), n)
						}
						time.Sleep(time.Millisecond)
					}
				}
				return nil
			})
			st, err := stage.Run(context.Background(), stage.Config{
				Collector: collector,
				Steps: []stage.Step{
					{Name: "a", Processor: jitter(1), Concurrency: conc},
					{Name: "b", Processor: jitter(2), Concurrency: conc},
				},
				Sink: sink, Buffer: 256, // chunks of up to 32
			})
			require.NoError(t, err)
			assert.EqualValues(t, 3+10+17+24+31, st.Delivered)
			assert.Zero(t, st.Unaccounted())
		})
	}
}

func TestPipelineCancelMidStreamLeavesNoGoroutine(t *testing.T) {
	for _, ordered := range []bool{false, true} {
		t.Run(fmt.Sprintf("ordered=%v", ordered), func(t *testing.T) {
			noLeak(t)
			ctx, cancel := context.WithCancel(context.Background())
			var delivered atomic.Int64
			sink := stage.SubmitterFunc(func(ctx context.Context, env schema.Envelope) error {
				if delivered.Add(1) == 300 {
					cancel()
				}
				return nil
			})
			integ, err := stage.NewIntegrate(stage.IntegrateConfig{Org: "transport-ministry"})
			require.NoError(t, err)
			p, err := stage.Start(ctx, stage.Config{
				Collector: endless(newSynth(4)),
				Steps: []stage.Step{
					{Name: "jitter", Processor: jitter(6), Concurrency: 4},
					{Name: "integrate", Processor: integ},
				},
				Sink: sink, Buffer: 16, Ordered: ordered, SinkConcurrency: 2,
			})
			require.NoError(t, err)
			err = p.Wait()
			require.ErrorIs(t, err, context.Canceled)
			st := p.Stats()
			t.Logf("collected %d delivered %d abandoned %d", st.Collected, st.Delivered, st.Abandoned)
			assert.Zero(t, st.Unaccounted(), "every record is delivered, dropped or abandoned: %+v", st)
		})
	}
}

func TestPipelineCloseDrainsEverything(t *testing.T) {
	for _, ordered := range []bool{false, true} {
		t.Run(fmt.Sprintf("ordered=%v", ordered), func(t *testing.T) {
			noLeak(t)
			var sink recorder
			p, err := stage.Start(context.Background(), stage.Config{
				Collector: endless(newSynth(5)),
				Steps:     []stage.Step{{Name: "jitter", Processor: jitter(7), Concurrency: 4}},
				Sink:      &sink, Buffer: 32, Ordered: ordered,
			})
			require.NoError(t, err)
			for p.Stats().Delivered < 200 {
				time.Sleep(time.Millisecond)
			}
			require.NoError(t, p.Close())
			st := p.Stats()
			assert.Equal(t, st.Collected, st.Delivered, "every record emitted before Close is delivered")
			assert.Zero(t, st.Abandoned)
			assert.Len(t, sink.ids(), int(st.Delivered))
		})
	}
}

// Every record ends counted: passed, dropped with its reason, quarantined.
func TestPipelineCountsEveryDropWithItsReason(t *testing.T) {
	noLeak(t)
	envs := make([]schema.Envelope, 1000)
	s := newSynth(6)
	for i := range envs {
		envs[i] = s.passenger("rail-north-01", i, i, t0)
	}
	nth := func(env schema.Envelope) int {
		for i := range envs {
			if envs[i].ID == env.ID {
				return i
			}
		}
		return -1
	}
	first := stage.ProcessorFunc(func(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error {
		switch i := nth(env); {
		case i%10 == 0:
			return stage.Drop("tenth")
		case i%7 == 0:
			return stage.DropWith("seventh", errors.New("synthetic cause"))
		case i%11 == 0:
			return errors.New("synthetic failure") // PolicyDrop: reason "bad"
		}
		emit(env)
		return nil
	})
	second := stage.ProcessorFunc(func(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error {
		if nth(env)%13 == 0 {
			return errors.New("synthetic failure") // PolicyQuarantine
		}
		emit(env)
		return nil
	})
	var sink, dead recorder
	stats, err := stage.Run(context.Background(), stage.Config{
		Collector: sliceCollector(envs),
		Steps: []stage.Step{
			{Name: "first", Processor: first, Concurrency: 3, OnError: stage.PolicyDrop, DropReason: "bad"},
			{Name: "second", Processor: second, Concurrency: 2, OnError: stage.PolicyQuarantine},
		},
		Sink: &sink, DeadLetter: &dead,
	})
	require.NoError(t, err)

	want := map[string]uint64{}
	var quarantined, passed uint64
	for i := range envs {
		switch {
		case i%10 == 0:
			want["tenth"]++
		case i%7 == 0:
			want["seventh"]++
		case i%11 == 0:
			want["bad"]++
		case i%13 == 0:
			quarantined++
		default:
			passed++
		}
	}
	f, _ := stats.Step("first")
	sec, _ := stats.Step("second")
	assert.Equal(t, want, f.Dropped)
	assert.Equal(t, want["bad"], f.Errors)
	assert.Equal(t, quarantined, sec.Quarantined)
	assert.Equal(t, quarantined, sec.Errors)
	assert.Len(t, dead.ids(), int(quarantined))
	assert.Equal(t, passed, stats.Delivered)
	assert.Equal(t, want, stats.Dropped())
	assert.Zero(t, stats.Unaccounted())
	for _, st := range stats.Steps {
		assert.Equal(t, st.In, st.Passed+st.DroppedTotal()+st.Quarantined+st.Failed+st.Abandoned, "step %s balances", st.Name)
	}
}

func TestPipelineStopPolicyFailsWithTheCause(t *testing.T) {
	noLeak(t)
	envs, _, _ := newSynth(7).stream(500)
	cause := errors.New("synthetic failure")
	bad := envs[250].ID
	proc := stage.Map(func(ctx context.Context, env schema.Envelope) (schema.Envelope, error) {
		if env.ID == bad {
			return env, cause
		}
		return env, nil
	})
	stats, err := stage.Run(context.Background(), stage.Config{
		Collector: sliceCollector(envs),
		Steps:     []stage.Step{{Name: "check", Processor: proc, Concurrency: 2}},
		Sink:      &recorder{},
	})
	require.ErrorIs(t, err, stage.ErrStopped)
	require.ErrorIs(t, err, cause)
	assert.Contains(t, err.Error(), `step "check"`)
	assert.Contains(t, err.Error(), bad)
	c, _ := stats.Step("check")
	assert.EqualValues(t, 1, c.Failed)
	assert.Zero(t, stats.Unaccounted(), "%+v", stats)
}

func TestPipelineQuarantineFailureStops(t *testing.T) {
	noLeak(t)
	envs, _, _ := newSynth(8).stream(50)
	failing := stage.Map(func(ctx context.Context, env schema.Envelope) (schema.Envelope, error) {
		return env, errors.New("synthetic failure")
	})
	deadErr := errors.New("dead letter store full")
	_, err := stage.Run(context.Background(), stage.Config{
		Collector: sliceCollector(envs),
		Steps:     []stage.Step{{Name: "f", Processor: failing, OnError: stage.PolicyQuarantine}},
		Sink:      &recorder{},
		DeadLetter: stage.SubmitterFunc(func(ctx context.Context, env schema.Envelope) error {
			return deadErr
		}),
	})
	require.ErrorIs(t, err, stage.ErrStopped)
	require.ErrorIs(t, err, deadErr)
}

func TestPipelineSinkPolicy(t *testing.T) {
	noLeak(t)
	envs, _, _ := newSynth(9).stream(100)
	n := 0
	sink := stage.SubmitterFunc(func(ctx context.Context, env schema.Envelope) error {
		n++
		if n%4 == 0 {
			return errors.New("synthetic refusal")
		}
		return nil
	})
	stats, err := stage.Run(context.Background(), stage.Config{
		Collector: sliceCollector(envs), Sink: sink, SinkPolicy: stage.PolicyDrop, SinkDropReason: "refused",
	})
	require.NoError(t, err)
	s, _ := stats.Step(stage.SinkStepName)
	assert.EqualValues(t, 25, s.Dropped["refused"])
	assert.EqualValues(t, 75, stats.Delivered)
	assert.Zero(t, stats.Unaccounted())
}

func TestPipelineCollectorErrorDrainsThenFails(t *testing.T) {
	noLeak(t)
	envs, _, _ := newSynth(10).stream(100)
	cause := errors.New("source unreachable")
	var sink recorder
	stats, err := stage.Run(context.Background(), stage.Config{
		Collector: stage.CollectorFunc(func(ctx context.Context, emit func(schema.Envelope) error) error {
			for _, e := range envs[:60] {
				if err := emit(e); err != nil {
					return err
				}
			}
			return cause
		}),
		Sink: &sink,
	})
	require.ErrorIs(t, err, cause)
	assert.True(t, strings.HasPrefix(err.Error(), "stage: collector: "), err.Error())
	assert.EqualValues(t, 60, stats.Delivered, "what was emitted is drained")
}

func TestPipelineEmitAfterProcessReturnsIsAContractViolation(t *testing.T) {
	noLeak(t)
	envs, _, _ := newSynth(11).stream(10)
	var kept func(schema.Envelope)
	leaky := stage.ProcessorFunc(func(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error {
		if kept != nil {
			kept(env)
		}
		kept = emit
		emit(env)
		return nil
	})
	_, err := stage.Run(context.Background(), stage.Config{
		Collector: sliceCollector(envs),
		Steps:     []stage.Step{{Name: "leaky", Processor: leaky}},
		Sink:      &recorder{},
	})
	require.ErrorIs(t, err, stage.ErrContract)
}

func TestPipelineStatsReadableWhileRunning(t *testing.T) {
	noLeak(t)
	envs, _, _ := newSynth(12).stream(3000)
	p, err := stage.Start(context.Background(), stage.Config{
		Collector: sliceCollector(envs),
		Steps:     []stage.Step{{Name: "j", Processor: jitter(8), Concurrency: 4}},
		Sink:      &recorder{},
	})
	require.NoError(t, err)
	var reads int
	for {
		st := p.Stats()
		reads++
		j, _ := st.Step("j")
		require.LessOrEqual(t, j.Out, j.In)
		select {
		case <-p.Done():
			require.NoError(t, p.Wait())
			assert.EqualValues(t, 3000, p.Stats().Delivered)
			assert.Greater(t, reads, 1)
			return
		default:
			time.Sleep(time.Millisecond)
		}
	}
}

func TestConfigValidateNamesFieldAndValue(t *testing.T) {
	proc := stage.Map(func(ctx context.Context, env schema.Envelope) (schema.Envelope, error) { return env, nil })
	cases := []struct {
		name string
		cfg  stage.Config
		want []string
	}{
		{"empty", stage.Config{}, []string{"Collector: required", "Sink: required"}},
		{"negative", stage.Config{Collector: sliceCollector(nil), Sink: &recorder{}, Buffer: -1, SinkConcurrency: -2},
			[]string{"Buffer: must be at least 0 (0 means 64), got -1", "SinkConcurrency: must be at least 0 (0 means 1), got -2"}},
		{"steps", stage.Config{Collector: sliceCollector(nil), Sink: &recorder{}, Steps: []stage.Step{
			{Name: "", Processor: proc},
			{Name: "a", Concurrency: -3},
			{Name: "a", Processor: proc, OnError: stage.Policy(9)},
			{Name: "sink", Processor: proc, OnError: stage.PolicyQuarantine},
		}}, []string{
			`Steps[0].Name: required, got ""`,
			"Steps[1].Processor: required, got nil",
			"Steps[1].Concurrency: must be at least 0 (0 means 1), got -3",
			`Steps[2].Name: "a" is also the name of Steps[1]`,
			"Steps[2].OnError: unknown policy 9",
			`Steps[3].Name: "sink" is reserved`,
			"DeadLetter: required when a step or the sink uses PolicyQuarantine",
		}},
		{"analyzers", stage.Config{Collector: sliceCollector(nil), Sink: &recorder{}, Analyzers: []stage.Analyzer{nil}},
			[]string{"Analyzers[0]: got nil", "Products: required with 1 analyzers"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			require.Error(t, err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Len(t, strings.Split(err.Error(), "\n"), len(c.want), err.Error())
			_, err = stage.Start(context.Background(), c.cfg)
			require.Error(t, err)
		})
	}
	ok := stage.Config{Collector: sliceCollector(nil), Sink: &recorder{}}
	require.NoError(t, ok.Validate())
}

func TestPipelineFeedsAnalyzers(t *testing.T) {
	noLeak(t)
	s := newSynth(13)
	envs := []schema.Envelope{s.hazmat(1, t0), s.account(1, t0.Add(2*time.Hour)), s.account(2, t0.Add(3*time.Hour))}
	linker, err := stage.NewLinker(stage.LinkConfig{
		Rules:   []stage.LinkRule{{Name: "hazmat purchase and flagged account", Kinds: []string{schema.KindCommerceHazmat, schema.KindTelecomAccountReport}, Within: 24 * time.Hour, Score: 0.8}},
		Product: stage.ProductConfig{Producer: "miit", RequirementID: testReqID},
	})
	require.NoError(t, err)
	var mu sync.Mutex
	var products []schema.Product
	stats, err := stage.Run(context.Background(), stage.Config{
		Collector: sliceCollector(envs), Sink: &recorder{}, Analyzers: []stage.Analyzer{linker},
		Products: stage.PublisherFunc(func(ctx context.Context, p schema.Product) error {
			mu.Lock()
			defer mu.Unlock()
			products = append(products, p)
			return nil
		}),
	})
	require.NoError(t, err)
	require.Len(t, products, 1)
	assert.EqualValues(t, 1, stats.Products)
	assert.Equal(t, []string{envs[1].ID, envs[0].ID}, products[0].Entries[0].EvidenceIDs)
	assert.True(t, slices.Equal([]string{"hazmat purchase and flagged account"}, products[0].Entries[0].Reasons))
}
