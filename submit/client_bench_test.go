package submit

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
)

// -submit.ratesecs sets how long TestRateAccuracy runs (the issue's
// figure is over 10 s: go test ./submit -run RateAccuracy -v
// -args -submit.ratesecs=10).
var clientRateSecs = flag.Float64("submit.ratesecs", 2, "seconds TestRateAccuracy sends for")

// TestRateAccuracy sends at a configured 5,000 records/s on real time and
// compares the achieved rate after the initial burst.
func TestRateAccuracy(t *testing.T) {
	if testing.Short() || clientRace {
		t.Skip("real-time measurement")
	}
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "submit.ratesecs" })
	if !explicit && os.Getenv("SICOLLAB_REALTIME") == "" {
		// It measures the machine as much as the client: on a loaded one
		// it fails without a fault. TestRateLimits proves the limit on
		// the injected clock.
		t.Skip("real-time measurement: set SICOLLAB_REALTIME=1 or -submit.ratesecs")
	}
	const rate = 5000
	secs := *clientRateSecs
	n := int(rate*secs) + 500
	hub := newClientHub(t)
	hub.DropBodies = true
	cfg := clientConfig(t, hub.srv.URL, t.TempDir())
	cfg.RecordsPerSecond, cfg.RecordsBurst, cfg.MaxBatchRecords = rate, 500, 500
	c := clientNew(t, cfg)
	require.NoError(t, c.SubmitMany(context.Background(), clientEnvs(t, n)))
	clientFlush(t, c)
	posts := hub.Posts()
	first, last := posts[0], posts[len(posts)-1]
	sent := 0
	for _, p := range posts[1:] {
		sent += p.Records
	}
	got := float64(sent) / last.At.Sub(first.At).Seconds()
	t.Logf("configured %d records/s, achieved %.1f records/s over %.2f s after the initial burst (%+.3f%%)",
		rate, got, last.At.Sub(first.At).Seconds(), 100*(got-rate)/rate)
	require.InDelta(t, rate, got, rate*0.01)
}

// benchClient returns a client whose hub is down (the sender waits an
// hour between attempts), so only the Submit path is measured.
func benchClient(b *testing.B) *Client {
	hub := newClientHub(b)
	hub.srv.Close()
	cfg := clientConfig(b, hub.srv.URL, b.TempDir())
	cfg.Retry = RetryPolicy{InitialInterval: time.Hour, MaxInterval: time.Hour}
	cfg.MaxOutboxRecords = 1 << 40
	cfg.MaxOutboxBytes = 1 << 50
	return clientNew(b, cfg)
}

// BenchmarkSubmit: local validation, stamping and a durable outbox.
// single pays one transaction (fsync) per call; parallel shares them
// (group commit); many queues 500 per call in one transaction.
func BenchmarkSubmit(b *testing.B) {
	envs := clientEnvs(b, 4096)
	b.Run("single", func(b *testing.B) {
		c := benchClient(b)
		b.ReportAllocs()
		for i := range b.N {
			env := envs[i%len(envs)]
			if err := c.Submit(context.Background(), env); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(c.Stats().Commits)/float64(b.N), "tx/record")
	})
	b.Run("parallel", func(b *testing.B) {
		c := benchClient(b)
		b.ReportAllocs()
		b.SetParallelism(32)
		var i atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := c.Submit(context.Background(), envs[int(i.Add(1))%len(envs)]); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(c.Stats().Commits)/float64(b.N), "tx/record")
	})
	b.Run("many", func(b *testing.B) {
		c := benchClient(b)
		b.ReportAllocs()
		for i := 0; i < b.N; i += 500 {
			k := min(500, b.N-i)
			if err := c.SubmitMany(context.Background(), envs[:k]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(c.Stats().Commits)/float64(b.N), "tx/record")
	})
}

// BenchmarkOutbox is the outbox's cost per record through its whole life
// (queued in a group of 500, claimed into a batch, deleted by a receipt)
// on top of a standing backlog of N and of 10N records: the cost should
// not grow with the backlog.
func BenchmarkOutbox(b *testing.B) {
	recs := clientRecords(b, 500)
	for _, backlog := range []int{20_000, 200_000} {
		b.Run(fmt.Sprintf("backlog=%d", backlog), func(b *testing.B) {
			ob, err := openOutbox(b.TempDir()+"/outbox.db", 1<<40, 1<<50, func() {})
			require.NoError(b, err)
			defer ob.close()
			for i := 0; i < backlog; i += len(recs) {
				require.NoError(b, ob.enqueue(context.Background(), recs, clientT0))
			}
			// The backlog stands in front: claim and settle it as a batch
			// ahead each round would, by consuming from the front while
			// adding at the back, so the backlog size stays constant.
			lim := claimLimits{records: 500, bytes: 1 << 30}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += len(recs) {
				require.NoError(b, ob.enqueue(context.Background(), recs, clientT0))
				bt, _, err := ob.claim(lim, clientT0, false)
				require.NoError(b, err)
				require.NoError(b, ob.complete(bt, nil, nil))
			}
			b.StopTimer()
			require.EqualValues(b, backlog, ob.count().records)
		})
	}
}

// BenchmarkGzipLevel compresses a 500-record batch at the default level
// and at BestSpeed; ns/record and the ratio decide the level.
func BenchmarkGzipLevel(b *testing.B) {
	// Records that differ as real ones do: pseudonyms are random hex,
	// references, amounts and times vary.
	var body bytes.Buffer
	rnd := mrand.New(mrand.NewPCG(1, 2))
	for range 500 {
		env := clientEnv(b, clientTestOrg, 0)
		var tx schema.FinanceTransaction
		require.NoError(b, json.Unmarshal(env.Payload, &tx))
		tx.Reference = fmt.Sprintf("TX-%09d", rnd.IntN(1e9))
		tx.ExecutedAt = clientT0.Add(time.Duration(rnd.IntN(86400)) * time.Second)
		tx.Amount.Amount = fmt.Sprintf("%d.%02d", rnd.IntN(100000), rnd.IntN(100))
		tx.Beneficiary.Account.Pseudonym = fmt.Sprintf("%016x%016x%016x%016x", rnd.Uint64(), rnd.Uint64(), rnd.Uint64(), rnd.Uint64())
		require.NoError(b, env.SetPayload(tx))
		require.NoError(b, env.Stamp(clientTestOrg, schema.StageCollection, tx.ExecutedAt))
		r, err := json.Marshal(env)
		require.NoError(b, err)
		body.Write(r)
		body.WriteByte('\n')
	}
	for _, lv := range []struct {
		name  string
		level int
	}{{"default", gzip.DefaultCompression}, {"best_speed", gzip.BestSpeed}} {
		b.Run(lv.name, func(b *testing.B) {
			zw, _ := gzip.NewWriterLevel(io.Discard, lv.level)
			var out bytes.Buffer
			b.SetBytes(int64(body.Len()))
			for b.Loop() {
				out.Reset()
				zw.Reset(&out)
				zw.Write(body.Bytes())
				zw.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/500, "ns/record")
			b.ReportMetric(float64(body.Len())/float64(out.Len()), "ratio")
		})
	}
}

// BenchmarkClientEndToEnd: Submit (validation, outbox) to a fake hub that
// decodes each line (no validation), on loopback; records/s end to end.
func BenchmarkClientEndToEnd(b *testing.B) {
	envs := clientEnvs(b, 4096)
	hub := newClientHub(b)
	hub.DropBodies = true
	cfg := clientConfig(b, hub.srv.URL, b.TempDir())
	cfg.Linger = 5 * time.Millisecond
	c := clientNew(b, cfg)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i += 500 {
		k := min(500, b.N-i)
		if err := c.SubmitMany(context.Background(), envs[:k]); err != nil {
			b.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	require.NoError(b, c.Flush(ctx))
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
}
