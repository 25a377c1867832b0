package submit

import (
	"testing"

	"github.com/stretchr/testify/require"
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
