package submit

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
)

// BenchmarkHandler posts batches of 500 valid records over loopback to a
// hub that validates, checks purposes, stores and commits receipts.
func BenchmarkHandler(b *testing.B) {
	f := newFixture(b, func(_ *fixture, c *HandlerConfig) {
		c.Limits = Limits{RecordsPerSecond: 1e9, Burst: 1 << 30}
	})
	const batch = 500
	bodies := make([][]byte, b.N)
	for i := range bodies {
		var ls [][]byte
		for range batch {
			l, _ := f.validLine(testBank)
			ls = append(ls, l)
		}
		bodies[i] = ndjson(ls...)
	}
	b.ResetTimer()
	for i := range b.N {
		r := f.send(post{body: bodies[i]})
		require.Equal(b, 200, r.status)
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkRecordChecks measures, in one run, what the per-record trust
// checks of issue 11 add to the schema validation every record pays:
// "schemas" is the validator alone, "checks" is checkRecord (schemas,
// source, kind, handling, skew, the payload digest recomputed, the
// provenance chain and a purpose's issuer), on a relayed record with
// one hop.
func BenchmarkRecordChecks(b *testing.B) {
	f := newFixture(b, nil)
	e := f.envelope(testBank, schema.KindFinanceTransaction)
	require.NoError(b, e.Stamp(testHub, schema.StageProcessing, testNow))
	l := line(b, e)
	sender, _ := f.dir.Org(testHub)
	b.Run("schemas", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.h.validate.Validate(l); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("checks", func(b *testing.B) {
		for b.Loop() {
			if res, _, _, _ := f.h.checkRecord(context.Background(), 1, l, false, sender, testNow); res.Status != StatusAccepted {
				b.Fatal(res)
			}
		}
	})
}

// BenchmarkHandlerMetrics measures what a registry costs a hub, as a
// ratio inside one run: two hubs, HandlerConfig.Metrics nil and set, are
// sent batches of 50 records in turn, so that both see the same load
// on the machine. on/off is the time per batch with metrics over the
// time without (1.00: no cost).
func BenchmarkHandlerMetrics(b *testing.B) {
	hubs := map[bool]*fixture{}
	for _, on := range []bool{false, true} {
		hubs[on] = newFixture(b, func(_ *fixture, c *HandlerConfig) {
			c.Limits = Limits{RecordsPerSecond: 1e9, Burst: 1 << 30}
			if on {
				c.Metrics = prometheus.NewRegistry()
			}
		})
	}
	const batch = 50
	bodies := map[bool][][]byte{}
	for on, f := range hubs {
		for range b.N {
			var ls [][]byte
			for range batch {
				l, _ := f.validLine(testBank)
				ls = append(ls, l)
			}
			bodies[on] = append(bodies[on], ndjson(ls...))
		}
	}
	spent := map[bool]time.Duration{}
	b.ResetTimer()
	for i := range b.N {
		for _, on := range []bool{i%2 == 0, i%2 != 0} { // alternate which goes first
			start := time.Now()
			if r := hubs[on].send(post{body: bodies[on][i]}); r.status != 200 {
				b.Fatal(r.status)
			}
			spent[on] += time.Since(start)
		}
	}
	b.ReportMetric(float64(b.N*batch)/spent[false].Seconds(), "off_records/s")
	b.ReportMetric(float64(b.N*batch)/spent[true].Seconds(), "on_records/s")
	b.ReportMetric(spent[true].Seconds()/spent[false].Seconds(), "on/off")
}
