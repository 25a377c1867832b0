package scaletest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/cputime"
	"github.com/sicollab/sicollab/internal/natstest"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/submittest"
)

// BenchmarkHub: a real Handler over HTTP on loopback, 500-record
// batches from 4 senders, with the embedded bbolt Store as its sink and
// with a 3-replica JetStream stream on a 3-node cluster. cpu-µs/record
// is the whole process: senders, hub and (for JetStream) the three
// servers; the difference between the two is what the cluster costs in
// place of the Store. One run, so the two are measured under the same
// load.
func BenchmarkHub(b *testing.B) {
	dir, err := submittest.Directory()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	req, reqEnv := requirement(b, dir, now)
	b.Run("sink=bbolt", func(b *testing.B) {
		store, err := submit.OpenStore(filepath.Join(b.TempDir(), "store.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer store.Close()
		benchHub(b, newHandlerServer(b, dir, store, reqEnv), req, now)
	})
	b.Run("sink=jetstream-R3", func(b *testing.B) {
		c := natstest.StartCluster(b, 3)
		h := newHub(b, c, dir, reqEnv)
		benchHub(b, h.url, req, now)
	})
}

// newHandlerServer serves a Handler over sink on loopback.
func newHandlerServer(b *testing.B, d *collab.Directory, sink submit.Sink, reqEnv schema.Envelope) string {
	ledger, err := submit.OpenLedger(filepath.Join(b.TempDir(), "ledger.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ledger.Close() })
	h, err := submit.NewHandler(submit.HandlerConfig{Org: submittest.HubOrg, Directory: d, Sink: sink, Ledger: ledger,
		MaxInFlight: 64, Limits: submit.Limits{RecordsPerSecond: 1e9, Burst: 1 << 30}})
	if err != nil {
		b.Fatal(err)
	}
	if err := h.Purposes().(submit.Learner).Learn(context.Background(), []schema.Envelope{reqEnv}); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	return srv.URL
}

// benchHub posts b.N records to url and reports records/s and CPU per
// record.
func benchHub(b *testing.B, url, req string, now time.Time) {
	const batch = 500
	lines, _ := records(b, max(b.N, 1), req, now)
	ctx := context.Background()
	client := &http.Client{Timeout: time.Minute}
	nb := (b.N + batch - 1) / batch
	work := make(chan int, nb)
	for i := range nb {
		work <- i
	}
	close(work)
	b.ResetTimer()
	cpu0, start := cputime.Process(), time.Now()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range work {
				body := ndjson(lines[i*batch : min((i+1)*batch, b.N)])
				status, _, err := post(ctx, client, url, uuid.Must(uuid.NewV7()).String(), body)
				if status != http.StatusOK {
					b.Errorf("batch %d: %d %v", i, status, err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	b.ReportMetric(float64((cputime.Process()-cpu0).Microseconds())/float64(b.N), "cpu-µs/record")
}
