package jetstream_test

import (
	"context"
	"testing"
	"time"

	js "github.com/nats-io/nats.go/jetstream"

	"github.com/sicollab/sicollab/internal/cputime"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
	"github.com/sicollab/sicollab/stage/jetstream"
)

// BenchmarkCollect: a pipeline reads b.N records from a one-replica
// stream through the Collector (fetch, decode, emit, acknowledge after
// the sink). cpu-µs/record is the whole process, the server included.
func BenchmarkCollect(b *testing.B) {
	w := newWorldB(b)
	env := testEnv(b)
	for range b.N {
		env.ID = testEnv(b).ID
		data, _ := env.AppendJSON(nil)
		if _, err := w.js.PublishAsync("sicollab.records.finance.transaction.bank-north-01", data, js.WithMsgID(env.ID)); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-w.js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatal("publish did not complete")
	}
	c, err := jetstream.New(context.Background(), w.nc, jetstream.Config{CreateConsumer: true, StopWhenIdle: true, FetchWait: 100 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	sink := stage.SubmitterFunc(func(context.Context, schema.Envelope) error { n++; return nil })
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Process()
	start := time.Now()
	if _, err := stage.Run(context.Background(), c.Pipeline(stage.Config{Sink: sink})); err != nil {
		b.Fatal(err)
	}
	el := time.Since(start)
	b.StopTimer()
	cpu := cputime.Process() - cpu0
	if n != b.N {
		b.Fatalf("collected %d of %d", n, b.N)
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "records/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/record")
}
