package stage

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// LatencyBuckets is the number of buckets of a latency histogram.
const LatencyBuckets = 40

// Latency summarizes how long a step took per record.
type Latency struct {
	// Count is the number of calls measured.
	Count uint64
	// Sum is their total duration.
	Sum time.Duration
	// Max is the longest.
	Max time.Duration
	// Buckets is a histogram by powers of two: Buckets[0] counts calls
	// under 1ns, Buckets[i] calls of at least 2^(i-1) and under 2^i
	// nanoseconds; the last bucket takes everything longer.
	Buckets [LatencyBuckets]uint64
}

// Mean returns Sum / Count, or 0 when nothing was measured.
func (l Latency) Mean() time.Duration {
	if l.Count == 0 {
		return 0
	}
	return l.Sum / time.Duration(l.Count)
}

// StepStats are the counters of one step (or of the sink, named
// SinkStepName). Every record a step takes in ends counted exactly once:
//
//	In == Passed + sum(Dropped) + Quarantined + Failed + Abandoned
//
// Out counts the records the step passed on: equal to Passed for a
// one-to-one processor, fewer for one that holds records back, and 0 for
// the sink.
type StepStats struct {
	// Name is the step's name, or SinkStepName.
	Name string
	// In counts records taken in.
	In uint64
	// Out counts records passed on to the next step.
	Out uint64
	// Passed counts records the processor returned nil for (for the sink:
	// records it took).
	Passed uint64
	// Dropped counts records dropped, by reason: deliberate drops and
	// failures under PolicyDrop.
	Dropped map[string]uint64
	// Quarantined counts records handed to the dead-letter sink.
	Quarantined uint64
	// Errors counts failures (errors that are not drops), whatever the
	// policy did with them.
	Errors uint64
	// Failed counts records that stopped the pipeline.
	Failed uint64
	// Abandoned counts records taken in but not processed because the
	// pipeline was cancelled or stopped.
	Abandoned uint64
	// Latency is the time spent in Process (or Submit) per record.
	Latency Latency
}

// DroppedTotal returns the sum of Dropped.
func (s StepStats) DroppedTotal() uint64 {
	var n uint64
	for _, v := range s.Dropped {
		n += v
	}
	return n
}

// Stats are the counters of a pipeline, read while it runs or after.
// Counters are read one by one, not as one atomic snapshot: while the
// pipeline runs, they may be a few records apart.
type Stats struct {
	// Collected counts records the collector emitted.
	Collected uint64
	// Delivered counts records the sink took.
	Delivered uint64
	// Abandoned counts records inside the pipeline when it was cancelled
	// or stopped: queued, being processed, held by a processor
	// (see Holder) or waiting to be passed on. 0 after a drain.
	Abandoned uint64
	// Products counts products the analyzers published.
	Products uint64
	// Steps holds each step's counters in pipeline order, then the sink's.
	Steps []StepStats
}

// Step returns the counters of the step named name, and whether there is
// one.
func (s Stats) Step(name string) (StepStats, bool) {
	for _, st := range s.Steps {
		if st.Name == name {
			return st, true
		}
	}
	return StepStats{}, false
}

// Dropped returns the records dropped in every step, by reason.
func (s Stats) Dropped() map[string]uint64 {
	out := map[string]uint64{}
	for _, st := range s.Steps {
		for r, n := range st.Dropped {
			out[r] += n
		}
	}
	return out
}

// Unaccounted returns Collected minus every record that reached an end:
// delivered, dropped, quarantined, failed or abandoned. When every
// processor emits at most one record per record it passes (all the
// built-in ones do: Integrate counts the records it merges away as
// dropped under ReasonMerged), it is 0 once the pipeline has finished;
// that is the pipeline's promise that nothing is lost silently.
func (s Stats) Unaccounted() int64 {
	n := int64(s.Collected) - int64(s.Delivered) - int64(s.Abandoned)
	for _, st := range s.Steps {
		n -= int64(st.DroppedTotal() + st.Quarantined + st.Failed)
	}
	return n
}

// stepCounters are a step's live counters, in one shard per goroutine of
// the step: counters that two busy cores add to at every record cost more
// than the processors they count.
type stepCounters struct {
	name   string
	shards []counterShard
	drops  sync.Map // reason -> *atomic.Uint64
}

// counterShard is the part of a step's counters one goroutine adds to.
type counterShard struct {
	in, out, passed, quarantined, errors, failed, abandn atomic.Uint64
	latCount, latSum, latMax                             atomic.Uint64
	buckets                                              [LatencyBuckets]atomic.Uint64
	_                                                    [64]byte // off the next shard's cache lines
}

func newStepCounters(name string, shards int) *stepCounters {
	return &stepCounters{name: name, shards: make([]counterShard, shards)}
}

func (c *stepCounters) drop(reason string) {
	v, ok := c.drops.Load(reason)
	if !ok {
		v, _ = c.drops.LoadOrStore(reason, new(atomic.Uint64))
	}
	v.(*atomic.Uint64).Add(1)
}

func (c *counterShard) observe(d time.Duration) {
	ns := uint64(max(d, 0))
	c.latCount.Add(1)
	c.latSum.Add(ns)
	if ns > c.latMax.Load() { // one writer per shard
		c.latMax.Store(ns)
	}
	c.buckets[min(bits.Len64(ns), LatencyBuckets-1)].Add(1)
}

func (c *stepCounters) snapshot() StepStats {
	s := StepStats{Name: c.name, Dropped: map[string]uint64{}}
	for i := range c.shards {
		sh := &c.shards[i]
		s.In += sh.in.Load()
		s.Out += sh.out.Load()
		s.Passed += sh.passed.Load()
		s.Quarantined += sh.quarantined.Load()
		s.Errors += sh.errors.Load()
		s.Failed += sh.failed.Load()
		s.Abandoned += sh.abandn.Load()
		s.Latency.Count += sh.latCount.Load()
		s.Latency.Sum += time.Duration(sh.latSum.Load())
		s.Latency.Max = max(s.Latency.Max, time.Duration(sh.latMax.Load()))
		for b := range sh.buckets {
			s.Latency.Buckets[b] += sh.buckets[b].Load()
		}
	}
	c.drops.Range(func(k, v any) bool {
		s.Dropped[k.(string)] = v.(*atomic.Uint64).Load()
		return true
	})
	return s
}
