package submit_test

import (
	"context"
	"flag"
	"net"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/submittest"
)

// backlogRecords returns the records TestBacklogRealHub queues: the
// -submit.backlog flag (defined with TestBoundedMemory) when it is given,
// else 50,000 (10,000 under the race detector).
func backlogRecords() int {
	n := 50_000
	if submit.RaceEnabled {
		n = 10_000
	}
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "submit.backlog" {
			n = f.Value.(flag.Getter).Get().(int)
		}
	})
	return n
}

// TestBacklogRealHub: the hub is down (nothing listens at its address)
// while a client queues a backlog through SubmitMany, validation and all;
// then the real Handler comes up at that address and everything is
// delivered, each record once. The heap (runtime.MemStats.HeapInuse after
// a GC, client and hub in this one process) is sampled throughout: it
// must not grow with the backlog. TestBoundedMemory proves the same
// against the client tests' fake hub, filling the outbox directly.
//
// The full run, one million records:
//
//	go test ./submit -run 'TestBacklogRealHub$' -v -timeout 60m -args -submit.backlog=1000000
func TestBacklogRealHub(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	n := backlogRecords()
	// The hub's own rate limit would only slow the delivery down.
	hub, req := proofHub(t, submittest.WithLimits(submit.Limits{RecordsPerSecond: 1e9, Burst: 1 << 30}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // down: connections to addr are refused

	c, err := submit.NewClient(submit.ClientConfig{
		Endpoint: "http://" + addr, Org: submittest.Partner, Token: hub.Token(submittest.Partner),
		OutboxPath:      t.TempDir() + "/outbox.db",
		MaxBatchRecords: 5000, MaxBatchBytes: 8 << 20, Linger: 5 * time.Millisecond,
		Retry: submit.RetryPolicy{InitialInterval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })

	var mu sync.Mutex
	var peak uint64
	sample := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		mu.Lock()
		defer mu.Unlock()
		peak = max(peak, ms.HeapInuse)
		return ms.HeapInuse
	}
	base := sample()
	ctx := context.Background()
	start := time.Now()
	const chunk = 2000
	for i := 0; i < n; i += chunk {
		if err := c.SubmitMany(ctx, proofEnvs(i, min(chunk, n-i), submittest.Partner, req)); err != nil {
			t.Fatalf("SubmitMany at %d: %v", i, err)
		}
		if i%50_000 == 0 {
			sample()
		}
	}
	queued := time.Since(start)
	sample()
	queuedPeak := peak
	st := c.Stats()
	downErr := st.LastError
	if st.Queued+st.InFlight != int64(n) || st.Delivered != 0 {
		t.Fatalf("hub down: want %d records held, got %+v", n, st)
	}
	if st.LastError == nil {
		t.Fatalf("hub down but no send error: %+v", st)
	}

	// The hub comes up at the address the client was given.
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("bring the hub up at %s: %v", addr, err)
	}
	srv := &http.Server{Handler: hub.Handler}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	up := time.Now()
	done := make(chan error, 1)
	go func() {
		fctx, cancel := context.WithTimeout(ctx, 50*time.Minute)
		defer cancel()
		done <- c.Flush(fctx)
	}()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Flush: %v", err)
			}
		case <-time.After(200 * time.Millisecond):
			sample()
			continue
		}
		break
	}
	delivered := time.Since(up)
	sample()
	st = c.Stats()
	if st.Queued+st.InFlight != 0 || st.DeadLetters != 0 || st.Delivered != uint64(n) {
		t.Errorf("after delivery: %+v", st)
	}
	proofCheckStore(t, hub, submittest.Partner, n)
	t.Logf("backlog %d records: queued in %v with the hub down (last error: %v), delivered in %v (%.0f records/s); heap in use at start %.1f MiB, peak while queued %.1f MiB, peak overall %.1f MiB (client and real hub in one process)",
		n, queued.Round(time.Millisecond), downErr, delivered.Round(time.Millisecond),
		float64(n)/delivered.Seconds(), mib(base), mib(queuedPeak), mib(peak))
	if queuedPeak-base > 64<<20 {
		t.Errorf("heap grew %.1f MiB while the backlog was queued", mib(queuedPeak-base))
	}
	// Sending holds one 5000-record batch on each side, decoded and as
	// bytes; nothing grows with the backlog.
	if peak-base > 160<<20 {
		t.Errorf("heap grew %.1f MiB while the backlog was sent", mib(peak-base))
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
