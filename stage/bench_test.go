package stage_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

const benchRecords = 100_000

var benchStream = sync.OnceValue(func() []schema.Envelope {
	envs, _, _ := newSynth(100).stream(benchRecords)
	return envs
})

// loop runs Validate, Normalize and Dedupe over envs in a plain loop and
// returns how many passed.
func loop(v *schema.Validator, envs []schema.Envelope) int {
	dd, err := stage.NewDedupe(stage.DedupeConfig{Window: 10_000})
	if err != nil {
		panic(err)
	}
	procs := []stage.Processor{stage.Validate(v), stage.Normalize(), dd}
	ctx := context.Background()
	passed := 0
	var cur, next []schema.Envelope
	for _, env := range envs {
		cur = append(cur[:0], env)
		for _, p := range procs {
			next = next[:0]
			for _, e := range cur {
				_ = p.Process(ctx, e, func(o schema.Envelope) { next = append(next, o) })
			}
			cur, next = next, cur
		}
		passed += len(cur)
	}
	return passed
}

// pipeline runs the same processors in a pipeline, each step on as many
// goroutines as GOMAXPROCS, and returns how many passed.
func pipeline(v *schema.Validator, envs []schema.Envelope) int {
	dd, err := stage.NewDedupe(stage.DedupeConfig{Window: 10_000})
	if err != nil {
		panic(err)
	}
	conc := runtime.GOMAXPROCS(0)
	var n atomic.Int64
	_, err = stage.Run(context.Background(), stage.Config{
		Collector: sliceCollector(envs),
		Steps: []stage.Step{
			{Name: "validate", Processor: stage.Validate(v), Concurrency: conc, OnError: stage.PolicyDrop},
			{Name: "normalize", Processor: stage.Normalize(), Concurrency: conc, OnError: stage.PolicyDrop},
			{Name: "dedupe", Processor: dd, Concurrency: conc},
		},
		Sink:   stage.SinkFunc(func(ctx context.Context, env schema.Envelope) error { n.Add(1); return nil }),
		Buffer: 256,
	})
	if err != nil {
		panic(err)
	}
	return int(n.Load())
}

// BenchmarkValidateNormalizeDedupe compares, in the same run, a pipeline
// of Validate, Normalize and Dedupe over 100k synthetic records with the
// same processors called in a plain loop. The speedup sub-benchmark runs
// them in turn and reports the ratio; on a machine whose speed drifts,
// more pairs give a steadier figure:
//
//	go test -run '^$' -bench 'ValidateNormalizeDedupe/speedup' -benchtime 8x ./stage/
func BenchmarkValidateNormalizeDedupe(b *testing.B) {
	v, err := schema.NewValidator()
	if err != nil {
		b.Fatal(err)
	}
	envs := benchStream()
	want := loop(v, envs)
	for _, c := range []struct {
		name string
		run  func(*schema.Validator, []schema.Envelope) int
	}{{"loop", loop}, {"pipeline", pipeline}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if got := c.run(v, envs); got != want {
					b.Fatalf("%s passed %d records, the loop %d", c.name, got, want)
				}
			}
			b.ReportMetric(float64(len(envs)*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
	b.Run("speedup", func(b *testing.B) {
		var tl, tp time.Duration
		for b.Loop() {
			start := time.Now()
			loop(v, envs)
			tl += time.Since(start)
			start = time.Now()
			pipeline(v, envs)
			tp += time.Since(start)
		}
		b.ReportMetric(float64(len(envs)*b.N)/tl.Seconds(), "loop-records/s")
		b.ReportMetric(float64(len(envs)*b.N)/tp.Seconds(), "pipeline-records/s")
		b.ReportMetric(tl.Seconds()/tp.Seconds(), "pipeline/loop")
	})
}

// cheapTrip is a synthetic passenger record made without a digest, fast
// enough to feed Dedupe a million of them.
func cheapTrip(i int) schema.Envelope {
	return schema.Envelope{
		ID: fmt.Sprintf("01950a00-0000-7000-8000-%012d", i), Kind: schema.KindTransportPassenger, SchemaVersion: 1,
		Source: "rail-north-01", CollectedAt: t0,
		Payload: fmt.Appendf(nil, `{"mode":"rail","carrier":{"code":"RN"},"service_number":"RN%d",`+
			`"route":{"origin":{"country":"DE","locode":"DEBER"},"destination":{"country":"DE","locode":"DEMUC"}},`+
			`"scheduled_departure":"2026-03-02T09:00:00Z","traveller":{"pseudonym":"%064x","id_type":"passport","key_id":"k-test"}}`, i, i%5000),
	}
}

// BenchmarkDedupeMemory feeds Dedupe (window 10k) N and 10N distinct
// records and reports the live heap it holds afterwards: flat, since it
// only remembers the window.
//
//	go test -run '^$' -bench DedupeMemory -benchtime 1x ./stage/
func BenchmarkDedupeMemory(b *testing.B) {
	const window = 10_000
	for _, n := range []int{10 * window, 100 * window} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			var heap uint64
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				dd, err := stage.NewDedupe(stage.DedupeConfig{Window: window})
				if err != nil {
					b.Fatal(err)
				}
				emit := func(schema.Envelope) {}
				for i := range n {
					if err := dd.Process(context.Background(), cheapTrip(i), emit); err != nil {
						b.Fatal(err)
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				if dd.Len() != window {
					b.Fatalf("remembers %d records, want %d", dd.Len(), window)
				}
				runtime.KeepAlive(dd)
				heap = after.HeapAlloc - min(before.HeapAlloc, after.HeapAlloc)
			}
			b.ReportMetric(float64(heap), "heap-B")
			b.ReportMetric(float64(heap)/window, "heap-B/window-record")
		})
	}
}
