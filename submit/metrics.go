package submit

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/internal/boltdb"
)

// The hub's metrics (HandlerConfig.Metrics). Every name starts with
// sicollab_hub_ and carries the constant label hub (HandlerConfig.Org),
// so that several handlers can share one registry. docs/operations.md
// lists them with their meaning.

// Stages of a submission, the values of the stage label of
// sicollab_hub_stage_seconds.
const (
	stageAdmission = "admission" // headers, authentication, authorization, rate limit, a slot
	stageRead      = "read"      // the body read and its digest checked
	stageValidate  = "validate"  // decoding, each record's checks, duplicates, purposes
	stageStore     = "store"     // the Sink's Put and the purposes learnt
	stageReceipt   = "receipt"   // the transparency log and the ledger's commit
)

// Routes, the values of the route label of sicollab_hub_requests_total.
const (
	routeSubmit  = "submit"
	routeReceipt = "receipt"
	routeLimits  = "limits"
	routeOther   = "other"
)

// hubMetrics are a Handler's metrics; the zero value (no registry)
// records nothing, so the handler calls it unconditionally.
type hubMetrics struct {
	requests  *prometheus.CounterVec   // route, status, problem
	records   *prometheus.CounterVec   // outcome, reason
	inFlight  *prometheus.GaugeVec     // org
	stages    *prometheus.HistogramVec // stage
	throttled prometheus.Counter
	authFails prometheus.Counter
}

// newHubMetrics registers the handler's metrics with reg (nil: none).
// sizes reports the store's and the ledger's sizes at each scrape.
func newHubMetrics(reg prometheus.Registerer, hub string, sizes ...sizer) (hubMetrics, error) {
	if reg == nil {
		return hubMetrics{}, nil
	}
	cl := prometheus.Labels{"hub": hub}
	m := hubMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sicollab_hub_requests_total", ConstLabels: cl,
			Help: "Requests answered, by route, HTTP status and problem type (the last segment of the type URI; empty on success).",
		}, []string{"route", "status", "problem"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sicollab_hub_records_total", ConstLabels: cl,
			Help: "Records judged in submissions (replays not counted again), by outcome (accepted, duplicate, rejected) and reason (empty unless rejected).",
		}, []string{"outcome", "reason"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sicollab_hub_in_flight", ConstLabels: cl,
			Help: "Submissions holding a slot now, by organization.",
		}, []string{"org"}),
		stages: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sicollab_hub_stage_seconds", ConstLabels: cl,
			Help:    "Time a submission spent in each stage it reached: admission, read, validate, store, receipt.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"stage"}),
		throttled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sicollab_hub_auth_throttled_total", ConstLabels: cl,
			Help: "Unauthenticated requests answered 429 because their address failed too many authentications.",
		}),
		authFails: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sicollab_hub_auth_failures_total", ConstLabels: cl,
			Help: "Requests that failed authentication (401 or 403 from the Authenticator), throttled ones included.",
		}),
	}
	cs := []prometheus.Collector{m.requests, m.records, m.inFlight, m.stages, m.throttled, m.authFails, &sizeCollector{hub: cl, sizes: sizes}}
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			for _, done := range cs[:i] { // not c: unregistering by its descriptors would remove the one already there
				reg.Unregister(done)
			}
			return hubMetrics{}, fmt.Errorf("submit: HandlerConfig.Metrics: %w; give each handler on one registry its own Org, or a registry of its own", err)
		}
	}
	return m, nil
}

// problemLabel is the last segment of a problem type URI.
func problemLabel(typ string) string {
	return typ[strings.LastIndexByte(typ, '/')+1:]
}

// request counts one answer.
func (m *hubMetrics) request(route string, status int, problem string) {
	if m.requests != nil {
		m.requests.WithLabelValues(route, strconv.Itoa(status), problemLabel(problem)).Inc()
	}
}

// recordResults counts the records of one judged submission.
func (m *hubMetrics) recordResults(results []RecordResult) {
	if m.records == nil {
		return
	}
	for _, r := range results {
		m.records.WithLabelValues(string(r.Status), string(r.Reason)).Inc()
	}
}

// stage observes that a submission spent from start to end in stage.
func (m *hubMetrics) stage(stage string, start, end time.Time) {
	if m.stages != nil {
		m.stages.WithLabelValues(stage).Observe(max(end.Sub(start), 0).Seconds())
	}
}

// slot follows org's slots in flight: +1 or -1.
func (m *hubMetrics) slot(org string, delta float64) {
	if m.inFlight != nil {
		m.inFlight.WithLabelValues(org).Add(delta)
	}
}

// authFailed counts a failed authentication, throttled or not.
func (m *hubMetrics) authFailed(throttled bool) {
	if m.authFails == nil {
		return
	}
	m.authFails.Inc()
	if throttled {
		m.throttled.Inc()
	}
}

// routeOf names the route of r for the requests metric.
func routeOf(r *http.Request) string {
	switch p := r.URL.Path; {
	case p == PathSubmissions && r.Method == http.MethodPost:
		return routeSubmit
	case p == PathLimits:
		return routeLimits
	case strings.HasPrefix(p, PathSubmissions+"/"):
		return routeReceipt
	}
	return routeOther
}

// sizer is a part of the hub whose size is a metric: what it holds, in
// named units, and its file's bytes.
type sizer interface {
	sizes() (name string, counts map[string]int, fileBytes int64, err error)
	written() WriteStats // since the file was opened
}

// sizeCollector reads the sizes at each scrape, so they cost nothing
// between scrapes.
type sizeCollector struct {
	hub   prometheus.Labels
	sizes []sizer
}

var (
	descEntries = func(hub prometheus.Labels) *prometheus.Desc {
		return prometheus.NewDesc("sicollab_hub_db_entries", "Entries the hub's files hold, by file (store, ledger) and what is counted (records, receipts, record_ids, purposes).",
			[]string{"db", "entries"}, hub)
	}
	descBytes = func(hub prometheus.Labels) *prometheus.Desc {
		return prometheus.NewDesc("sicollab_hub_db_bytes", "Bytes of data in the hub's files (bbolt's size, free pages excluded), by file.", []string{"db"}, hub)
	}
	descWritten = func(hub prometheus.Labels) *prometheus.Desc {
		return prometheus.NewDesc("sicollab_hub_db_written_bytes_total", "Bytes the write transactions of the hub's files wrote since they were opened (pages allocated and a meta page each), by file.", []string{"db"}, hub)
	}
	descCommits = func(hub prometheus.Labels) *prometheus.Desc {
		return prometheus.NewDesc("sicollab_hub_db_commits_total", "Write transactions committed in the hub's files since they were opened, by file.", []string{"db"}, hub)
	}
)

// Describe sends the four descriptors.
func (c *sizeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descEntries(c.hub)
	ch <- descBytes(c.hub)
	ch <- descWritten(c.hub)
	ch <- descCommits(c.hub)
}

// Collect reads every sizer; one that fails (closed) is left out.
func (c *sizeCollector) Collect(ch chan<- prometheus.Metric) {
	de, db := descEntries(c.hub), descBytes(c.hub)
	for _, s := range c.sizes {
		name, counts, bytes, err := s.sizes()
		if err != nil {
			continue
		}
		for what, n := range counts {
			ch <- prometheus.MustNewConstMetric(de, prometheus.GaugeValue, float64(n), name, what)
		}
		ch <- prometheus.MustNewConstMetric(db, prometheus.GaugeValue, float64(bytes), name)
		w := s.written()
		ch <- prometheus.MustNewConstMetric(descWritten(c.hub), prometheus.CounterValue, float64(w.Bytes), name)
		ch <- prometheus.MustNewConstMetric(descCommits(c.hub), prometheus.CounterValue, float64(w.Commits), name)
	}
}

// unit is what one bucket of a bbolt file counts.
type unit struct {
	name   string
	bucket []byte
}

// boltSizes counts the keys of the buckets of units (summed by name) in
// one read transaction, and the data size. Counting reads every page of
// the buckets through bbolt's map; they are released from the resident
// set afterwards, so a scrape of a big hub's metrics does not leave
// hundreds of MB mapped.
func boltSizes(db *boltdb.DB, units ...unit) (map[string]int, int64, error) {
	defer db.Release() //nolint:errcheck // only memory is at stake; the counts stand
	counts := map[string]int{}
	var size int64
	err := db.View(func(tx *bolt.Tx) error {
		for _, u := range units {
			if bk := tx.Bucket(u.bucket); bk != nil {
				counts[u.name] += bk.Stats().KeyN
			}
		}
		size = tx.Size()
		return nil
	})
	return counts, size, err
}

func (s *Store) written() WriteStats { return s.Written() }

func (l *Ledger) written() WriteStats { return l.Written() }

// written of a Relay is that of the Sink it keeps records in.
func (r *Relay) written() WriteStats {
	if s, ok := r.inner.(sizer); ok {
		return s.written()
	}
	return WriteStats{}
}

func (s *Store) sizes() (string, map[string]int, int64, error) {
	c, n, err := boltSizes(s.db, unit{"records", bucketRecords})
	return "store", c, n, storeErr(err)
}

func (l *Ledger) sizes() (string, map[string]int, int64, error) {
	c, n, err := boltSizes(l.db, unit{"receipts", bucketReceipts}, unit{"record_ids", bucketSeen},
		unit{"purposes", bucketRequirements}, unit{"purposes", bucketTasks})
	return "ledger", c, n, ledgerErr(err)
}

// sizes of a Relay are those of the Sink it keeps records in.
func (r *Relay) sizes() (string, map[string]int, int64, error) {
	if s, ok := r.inner.(sizer); ok {
		return s.sizes()
	}
	return "", nil, 0, errNoSizes
}

// errNoSizes: the Sink does not report its size.
var errNoSizes = errors.New("submit: no sizes")
