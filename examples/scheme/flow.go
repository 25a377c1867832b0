package main

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
)

// flows measures a round as it runs: records arriving at each hub per
// second of wall-clock time, and at the specialized departments the
// latency from collection (the collector's own hop) to arrival. Memory
// is bounded: a count per hub per second, and a fixed histogram.
type flows struct {
	mu       sync.Mutex
	now      func() time.Time
	start    time.Time
	arrivals map[string][]int // hub -> records per second since start
	latency  [latencyBuckets]int
}

// latencyBuckets are powers of two of milliseconds: bucket i holds
// latencies in [2^(i-1), 2^i) ms, bucket 0 under 1 ms.
const latencyBuckets = 20

// flowReport is what flows measured over one round, for the report.
type flowReport struct {
	// Arrivals are records per second arriving at each hub.
	Arrivals map[string][]int `json:"arrivals_per_second"`
	// LatencyMs counts records reaching a specialized department by
	// latency from collection: LatencyMs[i] in [2^(i-1), 2^i) ms.
	LatencyMs []int `json:"latency_ms_log2_histogram"`
	// P50Ms and P95Ms are read off the histogram (upper bucket bounds).
	P50Ms, P95Ms float64 `json:"-"`
}

func newFlows(now func() time.Time) *flows {
	return &flows{now: now, start: now(), arrivals: map[string][]int{}}
}

// reset starts a new round's measurement.
func (f *flows) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.start, f.arrivals, f.latency = f.now(), map[string][]int{}, [latencyBuckets]int{}
}

// sink counts what inner accepts at hub; at a specialized department it
// also measures each record's latency.
func (f *flows) sink(hub string, specialized bool, inner submit.Sink) submit.Sink {
	return flowSink{f: f, hub: hub, specialized: specialized, inner: inner}
}

type flowSink struct {
	f           *flows
	hub         string
	specialized bool
	inner       submit.Sink
}

func (s flowSink) Put(ctx context.Context, envs []schema.Envelope) error {
	if err := s.inner.Put(ctx, envs); err != nil {
		return err
	}
	s.f.arrived(s.hub, s.specialized, envs)
	return nil
}

func (f *flows) arrived(hub string, specialized bool, envs []schema.Envelope) {
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	sec := int(now.Sub(f.start) / time.Second)
	if sec < 0 {
		return
	}
	a := f.arrivals[hub]
	for len(a) <= sec {
		a = append(a, 0)
	}
	a[sec] += len(envs)
	f.arrivals[hub] = a
	if !specialized {
		return
	}
	for i := range envs {
		if len(envs[i].Provenance) == 0 {
			continue
		}
		ms := float64(now.Sub(envs[i].Provenance[0].At)) / float64(time.Millisecond)
		b := 0
		if ms >= 1 {
			b = min(int(math.Log2(ms))+1, latencyBuckets-1)
		}
		f.latency[b]++
	}
}

// report returns the round's measurements.
func (f *flows) report() *flowReport {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := &flowReport{Arrivals: map[string][]int{}, LatencyMs: append([]int(nil), f.latency[:]...)}
	for hub, a := range f.arrivals {
		r.Arrivals[hub] = append([]int(nil), a...)
	}
	r.P50Ms, r.P95Ms = quantileMs(r.LatencyMs, 0.5), quantileMs(r.LatencyMs, 0.95)
	return r
}

// quantileMs is the upper bound of the bucket that holds quantile q.
func quantileMs(h []int, q float64) float64 {
	total := 0
	for _, n := range h {
		total += n
	}
	if total == 0 {
		return 0
	}
	seen := 0
	for i, n := range h {
		seen += n
		if float64(seen) >= q*float64(total) {
			return math.Exp2(float64(i))
		}
	}
	return math.Exp2(float64(len(h) - 1))
}

// progress says how a long phase goes, every interval until stop is
// called: how many of total are done, how fast, how long is left.
func progress(say func(string, ...any), label string, total int, done func() int, every time.Duration, now func() time.Time) (stop func()) {
	began := now()
	return ticking(every, func() { say("%s", progressLine(label, done(), total, now().Sub(began))) })
}

// ticking calls fn every interval until stop is called; stop waits for
// a call in progress to end.
func ticking(every time.Duration, fn func()) (stop func()) {
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				fn()
			}
		}
	}()
	return sync.OnceFunc(func() { close(quit); <-finished })
}

// progressLine is one line of progress: "label: 1,234 of 20,000 records
// (5,600/s, about 3s left)".
func progressLine(label string, done, total int, elapsed time.Duration) string {
	line := fmt.Sprintf("%s: %s of %s records", label, thousands(done), thousands(total))
	if elapsed <= 0 || done <= 0 {
		return line
	}
	rate := float64(done) / elapsed.Seconds()
	line += fmt.Sprintf(" (%s/s", thousands(int(rate)))
	if left := total - done; left > 0 {
		line += fmt.Sprintf(", about %s left", (time.Duration(float64(left) / rate * float64(time.Second))).Round(time.Second))
	}
	return line + ")"
}

// thousands writes n with commas: 20000 -> "20,000".
func thousands(n int) string {
	s := fmt.Sprint(n)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}
