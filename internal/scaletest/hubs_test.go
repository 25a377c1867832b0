package scaletest

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	js "github.com/nats-io/nats.go/jetstream"

	"github.com/sicollab/sicollab/internal/natstest"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
	stagejs "github.com/sicollab/sicollab/stage/jetstream"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/jetstream"
	"github.com/sicollab/sicollab/submit/submittest"
)

// scaleRecords overrides the record count of TestTwoHubsLoseTheStreamLeader.
var scaleRecords = flag.Int("scale.records", 0,
	"records TestTwoHubsLoseTheStreamLeader submits (0: 100000, or 5000 under -race or -short)")

// recordCount is the number of records the failover test submits.
func recordCount() int {
	switch {
	case *scaleRecords > 0:
		return *scaleRecords
	case raceEnabled || testing.Short():
		return 5_000
	}
	return 100_000
}

// TestTwoHubsLoseTheStreamLeader: records are submitted through two hubs
// (real Handlers over HTTP, a ledger each, one 3-replica stream) by four
// senders, and the stream's leader is killed a third of the way through
// and restarted at two thirds. A batch that gets no receipt (503, lost
// connection) is sent again, with its key, to the other hub, whose own
// ledger has never seen it: the stream's duplicate window is what keeps
// the second copy out; batch 0 is also sent again to the other hub at the
// end, as a sender whose receipt was lost would. Then every acknowledged
// record is in the stream
// exactly once, and the analysis side, a durable consumer read through a
// pipeline while all this happened, saw each exactly once.
func TestTwoHubsLoseTheStreamLeader(t *testing.T) {
	n := recordCount()
	const batch = 500
	t.Logf("%d records in batches of %d (set -scale.records to change)", n, batch)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	c := natstest.StartCluster(t, 3)
	dir, err := submittest.Directory()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	req, reqEnv := requirement(t, dir, now)
	hubs := []*hub{newHub(t, c, dir, reqEnv), newHub(t, c, dir, reqEnv)}
	lines, ids := records(t, n, req, now)
	start := time.Now()
	phase := func(what string) { t.Logf("%6.1fs %s", time.Since(start).Seconds(), what) }

	// The analysis side, reading while the hubs write.
	col, err := stagejs.New(ctx, c.Connect(t), stagejs.Config{CreateConsumer: true, AckWait: 3 * time.Second, FetchWait: 250 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var seenMu sync.Mutex
	seen := make(map[string]int, n)
	sink := stage.SubmitterFunc(func(ctx context.Context, env schema.Envelope) error {
		seenMu.Lock()
		seen[env.ID]++
		seenMu.Unlock()
		return nil
	})
	pctx, pcancel := context.WithCancel(ctx)
	defer pcancel()
	pdone := make(chan error, 1)
	go func() {
		_, err := stage.Run(pctx, col.Pipeline(stage.Config{Sink: sink, SinkConcurrency: 2}))
		pdone <- err
	}()

	// The senders, and the killer.
	nb := (n + batch - 1) / batch
	work := make(chan int, nb)
	for b := range nb {
		work <- b
	}
	close(work)
	var done, retries atomic.Int64
	third, twoThirds := make(chan struct{}), make(chan struct{})
	acked := make([]bool, n)
	receiptFrom := make([]int, nb) // the hub that answered each batch
	var wg sync.WaitGroup
	client := &http.Client{Timeout: time.Minute}
	for range 4 {
		wg.Go(func() {
			for b := range work {
				lo, hi := b*batch, min((b+1)*batch, n)
				body := ndjson(lines[lo:hi])
				key := uuid.Must(uuid.NewV7()).String()
				h := b % 2
				for {
					status, r, err := post(ctx, client, hubs[h].url, key, body)
					if status == http.StatusOK {
						if r.Counts.Accepted+r.Counts.Duplicate != hi-lo {
							t.Errorf("batch %d: receipt %+v; want every record accepted or duplicate", b, r.Counts)
						}
						receiptFrom[b] = h
						for i, res := range r.Results {
							if res.ID != ids[lo+i] {
								t.Errorf("batch %d line %d: result for %s, want %s", b, i+1, res.ID, ids[lo+i])
							}
							acked[lo+i] = res.Status == submit.StatusAccepted || res.Status == submit.StatusDuplicate
						}
						break
					}
					if ctx.Err() != nil {
						t.Errorf("batch %d: no receipt before the test's deadline: %v", b, err)
						return
					}
					if status != 0 && status != http.StatusServiceUnavailable {
						t.Errorf("batch %d: hub %d answered %d: %v", b, h, status, err)
						return
					}
					retries.Add(1)
					h = 1 - h // the other hub, which has never seen the key
					time.Sleep(100 * time.Millisecond)
				}
				switch done.Add(1) {
				case int64(nb / 3):
					close(third)
				case int64(2 * nb / 3):
					close(twoThirds)
				}
			}
		})
	}
	j, err := js.New(c.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	killed := -1
	wg.Go(func() {
		select {
		case <-third:
		case <-ctx.Done():
			return
		}
		lctx, lcancel := context.WithTimeout(ctx, 30*time.Second)
		leader, err := c.StreamLeader(lctx, j, jetstream.DefaultStream)
		lcancel()
		if err != nil {
			t.Errorf("find the stream's leader: %v", err)
			return
		}
		phase("kill")
		t.Logf("killing the stream leader n%d after %d of %d batches", leader, done.Load(), nb)
		c.Kill(leader)
		killed = leader
		select {
		case <-twoThirds:
		case <-ctx.Done():
			return
		}
		t.Logf("restarting n%d after %d of %d batches", leader, done.Load(), nb)
		if err := c.Restart(leader); err != nil {
			t.Errorf("restart n%d: %v", leader, err)
		}
	})
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if killed < 0 {
		t.Fatal("the leader was never killed")
	}
	phase(fmt.Sprintf("every batch acknowledged; %d sent again after a 503 or a lost connection", retries.Load()))
	for i, ok := range acked {
		if !ok {
			t.Fatalf("record %d (%s) never acknowledged", i, ids[i])
		}
	}

	// A sender whose receipt was lost sends batch 0 to the hub that did
	// not answer it, whose ledger has never seen it: that hub accepts it,
	// and the stream's duplicate window keeps the second copy out.
	{
		hi, other := min(batch, n), 1-receiptFrom[0]
		status, r, err := post(ctx, client, hubs[other].url, uuid.Must(uuid.NewV7()).String(), ndjson(lines[:hi]))
		if status != http.StatusOK {
			t.Fatalf("batch 0 again, to hub %d: %d %v", other, status, err)
		}
		if r.Counts.Accepted != hi {
			t.Fatalf("batch 0 again, to hub %d: %+v; want all %d accepted by a hub that never saw them", other, r.Counts, hi)
		}
	}

	// The stream: every acknowledged record exactly once.
	inStream := streamIDs(ctx, t, j)
	for i, id := range ids {
		if k := inStream[submittest.Partner+"/"+id]; k != 1 {
			t.Fatalf("record %d (%s) is in the stream %d times, want 1", i, id, k)
		}
	}
	if len(inStream) != n {
		t.Fatalf("the stream holds %d distinct records, want %d", len(inStream), n)
	}

	phase("the stream holds each record once")
	// The consumer's view: no loss, no duplicate, everything acknowledged.
	for {
		seenMu.Lock()
		got := len(seen)
		seenMu.Unlock()
		ictx, icancel := context.WithTimeout(ctx, 2*time.Second)
		var info *js.ConsumerInfo
		cons, err := j.Consumer(ictx, jetstream.DefaultStream, stagejs.DefaultConsumer)
		if err == nil {
			info, err = cons.Info(ictx)
		}
		icancel()
		if err == nil && got == n && info.NumPending == 0 && info.NumAckPending == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the consumer saw %d of %d records (consumer info %v, %v)", got, n, info, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	phase("the consumer saw and acknowledged every record")
	pcancel()
	<-pdone
	for i, id := range ids {
		if k := seen[id]; k != 1 {
			t.Fatalf("the consumer saw record %d (%s) %d times, want 1", i, id, k)
		}
	}
	st := col.Stats()
	t.Logf("consumer: %d delivered, %d emitted, %d acknowledged, %d redeliveries not emitted again", st.Delivered, st.Emitted, st.Acked, st.Redelivered)
}

// streamIDs reads the whole stream with an ordered consumer and counts
// its messages by Nats-Msg-Id.
func streamIDs(ctx context.Context, t *testing.T, j js.JetStream) map[string]int {
	t.Helper()
	var info *js.StreamInfo
	for {
		ictx, icancel := context.WithTimeout(ctx, 2*time.Second)
		s, err := j.Stream(ictx, jetstream.DefaultStream)
		if err == nil {
			info, err = s.Info(ictx)
		}
		icancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("stream info: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cons, err := j.OrderedConsumer(ctx, jetstream.DefaultStream, js.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]int, info.State.Msgs)
	it, err := cons.Messages(js.PullMaxMessages(4096))
	if err != nil {
		t.Fatal(err)
	}
	defer it.Stop()
	for read := uint64(0); read < info.State.Msgs; read++ {
		m, err := it.Next()
		if err != nil {
			t.Fatalf("read the stream after %d of %d messages: %v", read, info.State.Msgs, err)
		}
		id := m.Headers().Get(js.MsgIDHeader)
		if !strings.HasPrefix(id, submittest.Partner+"/") {
			t.Fatalf("message with Nats-Msg-Id %q", id)
		}
		out[id]++
	}
	return out
}
