package submit

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
)

// scrape gathers reg as a scraper would and returns every sample by
// name{label="value",...} (labels sorted, the constant ones included);
// a histogram gives its _count and _sum.
func scrape(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			slices.Sort(ls)
			key := mf.GetName() + "{" + strings.Join(ls, ",") + "}"
			switch mf.GetType().String() { // client_model's MetricType, not imported
			case "COUNTER":
				out[key] = m.GetCounter().GetValue()
			case "GAUGE":
				out[key] = m.GetGauge().GetValue()
			case "HISTOGRAM":
				out[strings.Replace(key, "{", "_count{", 1)] = float64(m.GetHistogram().GetSampleCount())
				out[strings.Replace(key, "{", "_sum{", 1)] = m.GetHistogram().GetSampleSum()
			}
		}
	}
	return out
}

// probeSink is the fixture's Store with a look inside each Put.
type probeSink struct {
	*Store
	put func()
}

func (p *probeSink) Put(ctx context.Context, envs []schema.Envelope) error {
	p.put()
	return p.Store.Put(ctx, envs)
}

// TestHubMetrics runs a scripted set of requests against a handler with
// a registry and scrapes it: each metric holds what the script implies.
func TestHubMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	var during []float64 // in flight for the sender, seen from inside each Put
	f := newFixture(t, func(f *fixture, c *HandlerConfig) {
		c.Metrics, c.AuthFailures = reg, 2
		c.Sink = &probeSink{Store: f.store, put: func() {
			got := scrape(t, reg)
			during = append(during, got[`sicollab_hub_in_flight{hub=`+testHub+`,org=`+testLeader+`}`]+
				got[`sicollab_hub_in_flight{hub=`+testHub+`,org=`+testBank+`}`])
		}}
	})
	// The seed (fixture): one request, 3 records accepted.
	ok1, _ := f.validLine(testBank)
	ok2, _ := f.validLine(testBank)
	unknown := f.envelope(testBank, schema.KindFinanceTransaction)
	unknown.Purpose.RequirementID = newID(t)
	key := newID(t)
	body := ndjson(ok1, ok2, line(t, unknown))
	rc := f.send(post{key: key, body: body}).receipt(t)
	require.Equal(t, Counts{Records: 3, Accepted: 2, Rejected: 1}, rc.Counts)
	require.Equal(t, rc, f.send(post{key: key, body: body}).receipt(t), "a replay")
	unknown.ID = newID(t)
	require.Equal(t, http.StatusUnprocessableEntity, f.send(post{body: ndjson(line(t, unknown))}).status)
	for range 3 { // AuthFailures is 2: the third is throttled
		f.send(post{auth: "Bearer nope", body: body})
	}
	require.Equal(t, http.StatusOK, f.send(post{method: http.MethodGet, path: PathSubmissions + "/" + rc.SubmissionID}).status)
	require.Equal(t, http.StatusOK, f.send(post{method: http.MethodGet, path: PathLimits}).status)

	got := scrape(t, reg)
	hub := "hub=" + testHub
	want := map[string]float64{
		`sicollab_hub_requests_total{` + hub + `,problem=,route=submit,status=200}`:                3, // seed, batch, replay
		`sicollab_hub_requests_total{` + hub + `,problem=nothing-valid,route=submit,status=422}`:   1,
		`sicollab_hub_requests_total{` + hub + `,problem=unauthenticated,route=submit,status=401}`: 2,
		`sicollab_hub_requests_total{` + hub + `,problem=rate-limited,route=submit,status=429}`:    1,
		`sicollab_hub_requests_total{` + hub + `,problem=,route=receipt,status=200}`:               1,
		`sicollab_hub_requests_total{` + hub + `,problem=,route=limits,status=200}`:                1,
		`sicollab_hub_records_total{` + hub + `,outcome=accepted,reason=}`:                         5, // 3 seeds, 2 of the batch; the replay is not counted again
		`sicollab_hub_records_total{` + hub + `,outcome=rejected,reason=purpose_unknown}`:          2,
		`sicollab_hub_auth_failures_total{` + hub + `}`:                                            3,
		`sicollab_hub_auth_throttled_total{` + hub + `}`:                                           1,
		`sicollab_hub_in_flight{` + hub + `,org=` + testLeader + `}`:                               0,
		`sicollab_hub_in_flight{` + hub + `,org=` + testBank + `}`:                                 0,
		`sicollab_hub_stage_seconds_count{` + hub + `,stage=admission}`:                            4, // seed, batch, replay, 422
		`sicollab_hub_stage_seconds_count{` + hub + `,stage=read}`:                                 4,
		`sicollab_hub_stage_seconds_count{` + hub + `,stage=validate}`:                             3, // the replay is answered from the ledger
		`sicollab_hub_stage_seconds_count{` + hub + `,stage=store}`:                                2, // the 422 stores nothing
		`sicollab_hub_stage_seconds_count{` + hub + `,stage=receipt}`:                              2,
		`sicollab_hub_db_entries{db=store,entries=records,` + hub + `}`:                            5,
		`sicollab_hub_db_entries{db=ledger,entries=receipts,` + hub + `}`:                          2, // nothing of the 422 is kept
		`sicollab_hub_db_entries{db=ledger,entries=record_ids,` + hub + `}`:                        5,
		`sicollab_hub_db_entries{db=ledger,entries=purposes,` + hub + `}`:                          3, // two requirements and a task
	}
	for k, v := range want {
		assert.Contains(t, got, k)
		assert.Equal(t, v, got[k], k)
	}
	for k := range got { // nothing beyond the script
		if strings.HasPrefix(k, "sicollab_hub_requests_total") || strings.HasPrefix(k, "sicollab_hub_records_total") {
			assert.Contains(t, want, k, "unexpected sample")
		}
	}
	assert.Equal(t, []float64{1, 1}, during, "one submission in flight while each Put runs (seed, batch)")
	for _, s := range []string{"store", "ledger"} {
		assert.Positive(t, got[`sicollab_hub_db_bytes{db=`+s+`,`+hub+`}`], s)
		// Each commit writes at least its meta page.
		commits := got[`sicollab_hub_db_commits_total{db=`+s+`,`+hub+`}`]
		assert.Positive(t, commits, s)
		assert.GreaterOrEqual(t, got[`sicollab_hub_db_written_bytes_total{db=`+s+`,`+hub+`}`], commits*4096, s)
	}
	// The fake clock stood still: every stage took no time on it.
	assert.Zero(t, got[`sicollab_hub_stage_seconds_sum{`+hub+`,stage=admission}`])

	// A second handler of the same organization on the registry is
	// refused with the reason; one of another organization is not.
	cfg := f.cfg
	_, err := NewHandler(cfg)
	require.ErrorContains(t, err, "HandlerConfig.Metrics")
	cfg.Org = "public-security"
	_, err = NewHandler(cfg)
	require.NoError(t, err)

	// A closed ledger leaves its sizes out of the scrape rather than fail it.
	require.NoError(t, f.ledger.Close())
	got = scrape(t, reg)
	assert.NotContains(t, got, `sicollab_hub_db_entries{db=ledger,entries=receipts,`+hub+`}`)
	assert.Contains(t, got, `sicollab_hub_db_entries{db=store,entries=records,`+hub+`}`)
}

// TestHandlerWithoutMetrics: no registry, nothing recorded, nothing fails.
func TestHandlerWithoutMetrics(t *testing.T) {
	f := newFixture(t, nil)
	l, _ := f.validLine(testBank)
	require.Equal(t, 1, f.send(post{body: ndjson(l)}).receipt(t).Counts.Accepted)
	require.Nil(t, f.h.met.requests)
}

// TestClientMetrics scrapes a client's registry after a scripted run:
// 300 records in batches of 100 at 1000 records/s, the first attempt
// answered 500 and retried, one record rejected.
func TestClientMetrics(t *testing.T) {
	hub := newClientHub(t)
	clock := newClientClock(true)
	hub.Clock = clock.Now
	reg := prometheus.NewPedanticRegistry()
	cfg := clientConfig(t, hub.srv.URL, t.TempDir())
	cfg.Clock, cfg.NewTimer, cfg.Metrics = clock.Now, clock.NewTimer, reg
	cfg.RecordsPerSecond, cfg.RecordsBurst, cfg.MaxBatchRecords, cfg.MaxInFlightBatches = 1000, 100, 100, 1
	envs := clientEnvs(t, 300)
	bad := envs[150].ID
	hub.Reject = func(id string) Reason {
		if id == bad {
			return ReasonPurposeUnknown
		}
		return ""
	}
	hub.setFault(func(n int, w http.ResponseWriter, _ *http.Request, _ int) bool {
		if n == 0 {
			w.WriteHeader(http.StatusInternalServerError)
			return true
		}
		return false
	})
	c := clientNew(t, cfg)
	require.NoError(t, c.SubmitMany(context.Background(), envs))
	clientFlushRefused(t, c, CauseRejected, 1)

	got := scrape(t, reg)
	org := "org=" + clientTestOrg
	for k, v := range map[string]float64{
		"sicollab_client_delivered_total{" + org + "}":           299,
		"sicollab_client_rejected_total{" + org + "}":            1,
		"sicollab_client_dead_lettered_total{" + org + "}":       1,
		"sicollab_client_dead_letters{" + org + "}":              1,
		"sicollab_client_retries_total{" + org + "}":             1,
		"sicollab_client_batches_sent_total{" + org + "}":        4,
		"sicollab_client_duplicate_total{" + org + "}":           0,
		"sicollab_client_outbox_records{" + org + "}":            0,
		"sicollab_client_outbox_in_flight_records{" + org + "}":  0,
		"sicollab_client_outbox_oldest_age_seconds{" + org + "}": 0,
		"sicollab_client_paused{" + org + "}":                    0,
	} {
		assert.Contains(t, got, k)
		assert.Equal(t, v, got[k], k)
	}
	// Every outbox transaction is counted, not only those that queued
	// records, and each wrote at least its meta page.
	outboxCommits := got["sicollab_client_outbox_commits_total{"+org+"}"]
	assert.Greater(t, outboxCommits, float64(c.Stats().Commits), "claims and completions are transactions too")
	assert.GreaterOrEqual(t, got["sicollab_client_outbox_written_bytes_total{"+org+"}"], outboxCommits*4096)

	// The burst paid for the first attempt; the retry and the two
	// batches after it waited 0.1 s each for 100 tokens, less the
	// little the fake clock moved in between (linger, backoff).
	assert.InDelta(t, 0.3, got["sicollab_client_rate_limit_wait_seconds_total{"+org+"}"], 0.01)

	// Close unregisters: a new client of the same organization registers.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))
	require.Empty(t, scrape(t, reg))
	clientNew(t, cfg)
	assert.Equal(t, 1.0, scrape(t, reg)["sicollab_client_dead_letters{"+org+"}"], "the dead letter is still in the outbox")
	assert.Zero(t, scrape(t, reg)["sicollab_client_delivered_total{"+org+"}"], "counters count since NewClient")
}

// TestClientMetricsBacklog: a hub that cannot be reached leaves the
// records queued, and the oldest one ages with the client's clock.
func TestClientMetricsBacklog(t *testing.T) {
	down := newClientHub(t)
	down.srv.Close()
	clock := newClientClock(false)
	reg := prometheus.NewPedanticRegistry()
	cfg := clientConfig(t, down.srv.URL, t.TempDir())
	cfg.Clock, cfg.NewTimer, cfg.Metrics = clock.Now, clock.NewTimer, reg
	c := clientNew(t, cfg)
	require.NoError(t, c.SubmitMany(context.Background(), clientEnvs(t, 3)))
	clock.Advance(90 * time.Second)
	got := scrape(t, reg)
	org := "org=" + clientTestOrg
	assert.Equal(t, 3.0, got["sicollab_client_outbox_records{"+org+"}"])
	assert.Equal(t, 0.0, got["sicollab_client_outbox_in_flight_records{"+org+"}"])
	assert.Equal(t, 90.0, got["sicollab_client_outbox_oldest_age_seconds{"+org+"}"])
	assert.Positive(t, got["sicollab_client_outbox_bytes{"+org+"}"])
	assert.Zero(t, got["sicollab_client_delivered_total{"+org+"}"])

	// A batch stuck in flight (the hub answers 503 to every attempt)
	// still ages: the oldest record counts whether in a batch or not.
	hub := newClientHub(t)
	hub.setFault(func(_ int, w http.ResponseWriter, _ *http.Request, _ int) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	auto := newClientClock(true)
	reg2 := prometheus.NewPedanticRegistry()
	cfg3 := clientConfig(t, hub.srv.URL, t.TempDir())
	cfg3.Clock, cfg3.NewTimer, cfg3.Metrics = auto.Now, auto.NewTimer, reg2
	stuck := clientNew(t, cfg3)
	require.NoError(t, stuck.SubmitMany(context.Background(), clientEnvs(t, 3)))
	deadline := time.Now().Add(30 * time.Second)
	for scrape(t, reg2)["sicollab_client_outbox_in_flight_records{"+org+"}"] != 3 || stuck.Stats().Retries == 0 {
		require.True(t, time.Now().Before(deadline), "the batch never went out: %+v", stuck.Stats())
		time.Sleep(time.Millisecond)
	}
	got = scrape(t, reg2)
	assert.Positive(t, got["sicollab_client_outbox_oldest_age_seconds{"+org+"}"], "a batch being retried ages")
	assert.Positive(t, got["sicollab_client_retries_total{"+org+"}"])

	// A second client of the same organization on the registry is refused.
	cfg2 := clientConfig(t, down.srv.URL, t.TempDir())
	cfg2.Metrics = reg
	_, err := NewClient(cfg2)
	require.ErrorContains(t, err, "ClientConfig.Metrics")
}

// TestRefusalsAndReadsLogged: a refused authentication, a refused
// authorization and a receipt read each leave a line naming who and why.
func TestRefusalsAndReadsLogged(t *testing.T) {
	var buf syncBuf
	f := newFixture(t, func(_ *fixture, c *HandlerConfig) {
		c.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	})
	l, _ := f.validLine(testBank)
	rc := f.send(post{body: ndjson(l)}).receipt(t)
	require.Equal(t, http.StatusUnauthorized, f.send(post{auth: "Bearer nope", body: ndjson(l)}).status)
	require.Equal(t, http.StatusForbidden, f.send(post{org: testObserver, body: ndjson(l)}).status)
	require.Equal(t, http.StatusOK, f.send(post{method: http.MethodGet, path: PathSubmissions + "/" + rc.SubmissionID}).status)
	require.Equal(t, http.StatusNotFound, f.send(post{method: http.MethodGet, path: PathSubmissions + "/" + newID(t)}).status)
	out := buf.String()
	assert.Contains(t, out, `msg="authentication failed" addr=127.0.0.1 reason="unknown token"`)
	assert.Contains(t, out, `msg="authorization refused" org=`+testObserver)
	assert.Contains(t, out, `msg="receipt read" org=`+testBank+` submission=`+rc.SubmissionID+` addr=127.0.0.1 found=true`)
	assert.Contains(t, out, `found=false`)
}

// syncBuf is a bytes.Buffer safe for the handler's goroutines.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
