package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
)

func TestProgressLine(t *testing.T) {
	for _, tc := range []struct {
		done, total int
		elapsed     time.Duration
		want        string
	}{
		{0, 20000, time.Second, "round 1: submitted: 0 of 20,000 records"},
		{5000, 20000, 0, "round 1: submitted: 5,000 of 20,000 records"},
		{5000, 20000, 2 * time.Second, "round 1: submitted: 5,000 of 20,000 records (2,500/s, about 6s left)"},
		{20031, 20000, 8 * time.Second, "round 1: submitted: 20,031 of 20,000 records (2,503/s)"},
	} {
		assert.Equal(t, tc.want, progressLine("round 1: submitted", tc.done, tc.total, tc.elapsed))
	}
	assert.Equal(t, "-1,234,567", thousands(-1234567))
	assert.Equal(t, "999", thousands(999))
}

// TestProgressSays runs the reporter on a fake clock and a fast ticker:
// it says how far the phase got, and stop waits for it to end.
func TestProgressSays(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	say := func(f string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, fmt.Sprintf(f, a...))
	}
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var clockMu sync.Mutex
	now := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); at = at.Add(time.Second); return at }
	done := 0
	stop := progress(say, "phase", 100, func() int { clockMu.Lock(); defer clockMu.Unlock(); done += 10; return done }, time.Millisecond, now)
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(lines) >= 2 }, 10*time.Second, time.Millisecond)
	stop()
	mu.Lock()
	defer mu.Unlock()
	assert.True(t, strings.HasPrefix(lines[0], "phase: 10 of 100 records ("), lines[0])
}

type nopSink struct{}

func (nopSink) Put(context.Context, []schema.Envelope) error { return nil }

func TestFlowsCountAndMeasure(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	f := newFlows(now)
	collected := at.Add(-300 * time.Millisecond)
	env := schema.Envelope{Provenance: []schema.Hop{{Org: "bank", At: collected}}}
	ministry, dept := f.sink("ministry", false, nopSink{}), f.sink("dept", true, nopSink{})
	require.NoError(t, ministry.Put(t.Context(), []schema.Envelope{env, env}))
	at = at.Add(1500 * time.Millisecond)
	require.NoError(t, dept.Put(t.Context(), []schema.Envelope{env}))
	r := f.report()
	assert.Equal(t, []int{2}, r.Arrivals["ministry"])
	assert.Equal(t, []int{0, 1}, r.Arrivals["dept"])
	total := 0
	for _, n := range r.LatencyMs {
		total += n
	}
	assert.Equal(t, 1, total, "latency measured at the specialized department only")
	assert.Equal(t, 1, r.LatencyMs[11], "1,800 ms falls in [1,024, 2,048)")
	assert.Equal(t, 2048.0, r.P50Ms)
	f.reset()
	assert.Empty(t, f.report().Arrivals)
}
