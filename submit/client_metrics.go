package submit

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"
)

// The client's metrics (ClientConfig.Metrics). Every name starts with
// sicollab_client_ and carries the constant label org (ClientConfig.Org).
// Most are read from Stats at each scrape, so the send path pays nothing
// for them; the time waited on the rate limiters is counted where it is
// waited (rateSender.admit). docs/operations.md lists them.

// clientMetrics are a Client's registered collectors; a nil
// *clientMetrics records nothing.
type clientMetrics struct {
	reg        prometheus.Registerer
	collectors []prometheus.Collector
	rateWait   atomic.Int64 // nanoseconds waited on the rate limiters
}

// registerClientMetrics registers c's metrics with reg (nil: none, and
// a nil *clientMetrics).
func registerClientMetrics(reg prometheus.Registerer, c *Client) (*clientMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &clientMetrics{reg: reg}
	cl := prometheus.Labels{"org": c.cfg.Org}
	gauge := func(name, help string, f func(ClientStats) float64) {
		m.collectors = append(m.collectors, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: cl},
			func() float64 { return f(c.Stats()) }))
	}
	counter := func(name, help string, f func(ClientStats) float64) {
		m.collectors = append(m.collectors, prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: cl},
			func() float64 { return f(c.Stats()) }))
	}
	gauge("sicollab_client_outbox_records", "Records in the outbox, not yet in a batch or in a batch awaiting its receipt.",
		func(s ClientStats) float64 { return float64(s.Queued + s.InFlight) })
	gauge("sicollab_client_outbox_in_flight_records", "Records in batches sent or about to be, awaiting a receipt.",
		func(s ClientStats) float64 { return float64(s.InFlight) })
	gauge("sicollab_client_outbox_bytes", "Bytes of the records in the outbox.",
		func(s ClientStats) float64 { return float64(s.OutboxBytes) })
	gauge("sicollab_client_dead_letters", "Records in the dead-letter store now.",
		func(s ClientStats) float64 { return float64(s.DeadLetters) })
	gauge("sicollab_client_paused", "1 while sending is stopped on ErrCredentials (the hub refused the credentials), else 0.",
		func(s ClientStats) float64 { return b2f(s.Paused) })
	counter("sicollab_client_delivered_total", "Records the hub accepted.", func(s ClientStats) float64 { return float64(s.Delivered) })
	counter("sicollab_client_duplicate_total", "Records the hub already had (a success).", func(s ClientStats) float64 { return float64(s.Duplicate) })
	counter("sicollab_client_rejected_total", "Records the hub rejected (moved to the dead letters).", func(s ClientStats) float64 { return float64(s.Rejected) })
	counter("sicollab_client_dead_lettered_total", "Records moved to the dead letters, rejected ones included.",
		func(s ClientStats) float64 { return float64(s.DeadLettered) })
	counter("sicollab_client_retries_total", "Attempts to send a batch after a failed one.", func(s ClientStats) float64 { return float64(s.Retries) })
	counter("sicollab_client_batches_sent_total", "HTTP attempts to send a batch.", func(s ClientStats) float64 { return float64(s.BatchesSent) })
	counter("sicollab_client_outbox_written_bytes_total", "Bytes the outbox's write transactions wrote to its file (pages allocated and a meta page each).",
		func(s ClientStats) float64 { return float64(s.OutboxWritten.Bytes) })
	counter("sicollab_client_outbox_commits_total", "Write transactions committed in the outbox's file, of every kind.",
		func(s ClientStats) float64 { return float64(s.OutboxWritten.Commits) })
	m.collectors = append(m.collectors,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sicollab_client_outbox_oldest_age_seconds", ConstLabels: cl,
			Help: "Age, on the client's clock, of the oldest record in the outbox, in a batch or not; 0 when the outbox is empty."},
			func() float64 {
				oldest, err := c.ob.oldestQueuedAt()
				if err != nil || oldest.IsZero() {
					return 0
				}
				return max(c.cfg.Clock().Sub(oldest), 0).Seconds()
			}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sicollab_client_rate_limit_wait_seconds_total", ConstLabels: cl,
			Help: "Time batches waited on the client's own rate limits (RecordsPerSecond, BytesPerSecond) before being sent."},
			func() float64 { return time.Duration(m.rateWait.Load()).Seconds() }),
	)
	for i, col := range m.collectors {
		if err := reg.Register(col); err != nil {
			for _, done := range m.collectors[:i] {
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("submit: ClientConfig.Metrics: %w; give each client on one registry its own Org, or a registry of its own", err)
		}
	}
	return m, nil
}

// oldestQueuedAt returns when the oldest record in the outbox, in a
// batch or not, was queued (the lowest seq still counted, low; records
// leave in any order but are keyed by seq); zero when the outbox is
// empty. One read transaction, at scrape time.
func (o *outbox) oldestQueuedAt() (time.Time, error) {
	o.mu.Lock()
	low := o.low
	o.mu.Unlock()
	var at time.Time
	if low == 0 {
		return at, nil
	}
	err := o.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketItems).Get(seqKey(low)); len(v) >= 8 {
			at = time.Unix(0, int64(binary.BigEndian.Uint64(v[:8])))
		}
		return nil
	})
	return at, err
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// waited counts d spent waiting on the rate limiters.
func (m *clientMetrics) waited(d time.Duration) {
	if m != nil && d > 0 {
		m.rateWait.Add(int64(d))
	}
}

// unregister removes the client's metrics from the registry (Close), so
// that a new Client of the same Org can register its own.
func (m *clientMetrics) unregister() {
	if m == nil {
		return
	}
	for _, col := range m.collectors {
		m.reg.Unregister(col)
	}
}
