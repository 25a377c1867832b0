package scaletest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	js "github.com/nats-io/nats.go/jetstream"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/natstest"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/jetstream"
	"github.com/sicollab/sicollab/submit/submittest"
)

// statelessHub is a hub with no file of its own: records in the stream,
// keys, receipts and accepted ids in the ledger bucket, purposes in the
// purposes bucket, all replicated on the cluster.
type statelessHub struct {
	url  string
	srv  *httptest.Server
	nc   *nats.Conn
	stop func()
}

// newStatelessHub starts one on c. The first learns reqEnv into the
// shared purposes (if given); later hubs load it from the bucket.
func newStatelessHub(t testing.TB, c *natstest.Cluster, dir *collab.Directory, reqEnv *schema.Envelope) *statelessHub {
	t.Helper()
	ctx := context.Background()
	nc, err := nats.Connect(c.URLs(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond),
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	r := min(3, c.Len())
	sink, err := jetstream.New(ctx, nc, jetstream.Config{Replicas: r, CreateStream: true, AckTimeout: 2 * time.Second, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ledger, err := jetstream.NewLedger(ctx, nc, jetstream.LedgerConfig{Replicas: r, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	purposes, err := jetstream.NewPurposes(ctx, nc, submit.NewMemoryPurposeRegistry(nil), jetstream.PurposesConfig{Replicas: r, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if reqEnv != nil {
		if err := purposes.Learn(ctx, []schema.Envelope{*reqEnv}); err != nil {
			t.Fatal(err)
		}
	}
	h, err := submit.NewHandler(submit.HandlerConfig{
		Org: submittest.HubOrg, Directory: dir, Sink: sink, Ledger: ledger, Purposes: purposes, MaxInFlight: 64,
		Limits: submit.Limits{RecordsPerSecond: 1e9, Burst: 1 << 30}, Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	var once sync.Once
	sh := &statelessHub{url: srv.URL, srv: srv, nc: nc}
	sh.stop = func() {
		once.Do(func() {
			srv.Close()
			purposes.Close()
			nc.Close()
		})
	}
	t.Cleanup(sh.stop)
	return sh
}

// postRaw sends one batch from submittest.Partner and returns the status
// and the body of the answer as sent.
func postRaw(t testing.TB, url, key string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/v1/submissions", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+submittest.Token(submittest.Partner))
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set(submit.HeaderIdempotencyKey, key)
	req.Header.Set(submit.HeaderContentDigest, submit.ContentDigest(body))
	return do(t, req)
}

// getReceipt asks url for submission id's receipt, as submittest.Partner.
func getReceipt(t testing.TB, url, id string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/v1/submissions/"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+submittest.Token(submittest.Partner))
	return do(t, req)
}

func do(t testing.TB, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// decodeReceipt decodes an answer that must be a receipt.
func decodeReceipt(t testing.TB, raw []byte) submit.Receipt {
	t.Helper()
	var r submit.Receipt
	if err := json.Unmarshal(raw, &r); err != nil || r.SubmissionID == "" {
		t.Fatalf("not a receipt (%v): %s", err, raw)
	}
	return r
}

// streamMsgs is how many records the records stream holds.
func streamMsgs(t testing.TB, nc *nats.Conn) uint64 {
	t.Helper()
	j, err := js.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := j.Stream(context.Background(), jetstream.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// TestStatelessHubsAnswerAlike: two hubs with no files of their own on a
// 3-node cluster, over HTTP. The same idempotency key sent to hub A then
// hub B returns the same receipt, byte for byte, and B serves A's
// receipt by id; a record id accepted through A is a duplicate through
// B; the key with another body is refused by B; and a hub started
// afresh in A's place answers all of it as before.
func TestStatelessHubsAnswerAlike(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	dir, err := submittest.Directory()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	req, reqEnv := requirement(t, dir, now)
	a := newStatelessHub(t, c, dir, &reqEnv)
	b := newStatelessHub(t, c, dir, nil)
	lines, ids := records(t, 21, req, now)
	body := ndjson(lines[:20])
	key := uuid.Must(uuid.NewV7()).String()

	status, first := postRaw(t, a.url, key, body)
	if status != http.StatusOK {
		t.Fatalf("hub A: %d %s", status, first)
	}
	ra := decodeReceipt(t, first)
	if ra.Counts.Accepted != 20 {
		t.Fatalf("hub A accepted %d of 20: %s", ra.Counts.Accepted, first)
	}
	status, again := postRaw(t, b.url, key, body)
	if status != http.StatusOK || !bytes.Equal(again, first) {
		t.Fatalf("hub B, same key and body: %d %s\nwant hub A's receipt %s", status, again, first)
	}
	if status, got := getReceipt(t, b.url, ra.SubmissionID); status != http.StatusOK || !bytes.Equal(got, first) {
		t.Fatalf("hub B, GET hub A's receipt: %d %s", status, got)
	}
	status, raw := postRaw(t, b.url, key, ndjson(lines[:19]))
	if status != http.StatusConflict {
		t.Fatalf("hub B, hub A's key with another body: %d %s; want 409", status, raw)
	}
	// One record accepted through A, one new, through B with a new key.
	status, raw = postRaw(t, b.url, uuid.Must(uuid.NewV7()).String(), ndjson([][]byte{lines[3], lines[20]}))
	if status != http.StatusOK {
		t.Fatalf("hub B: %d %s", status, raw)
	}
	rb := decodeReceipt(t, raw)
	if got := []submit.Status{rb.Results[0].Status, rb.Results[1].Status}; got[0] != submit.StatusDuplicate || got[1] != submit.StatusAccepted ||
		rb.Results[0].ID != ids[3] || rb.Results[1].ID != ids[20] {
		t.Fatalf("hub B results %+v; want %s duplicate, %s accepted", rb.Results, ids[3], ids[20])
	}

	// Hub A goes; a new hub, with nothing but the cluster, takes its place.
	a.stop()
	a2 := newStatelessHub(t, c, dir, nil)
	if status, got := postRaw(t, a2.url, key, body); status != http.StatusOK || !bytes.Equal(got, first) {
		t.Fatalf("restarted hub, same key and body: %d %s\nwant %s", status, got, first)
	}
	if status, got := getReceipt(t, a2.url, rb.SubmissionID); status != http.StatusOK || !bytes.Equal(got, raw) {
		t.Fatalf("restarted hub, GET hub B's receipt: %d %s", status, got)
	}
	status, raw = postRaw(t, a2.url, uuid.Must(uuid.NewV7()).String(), ndjson(lines[5:6]))
	if r := decodeReceipt(t, raw); status != http.StatusOK || r.Results[0].Status != submit.StatusDuplicate {
		t.Fatalf("restarted hub, a record accepted before: %d %s; want duplicate", status, raw)
	}
	if n := streamMsgs(t, b.nc); n != 21 {
		t.Fatalf("stream holds %d records; want 21, each once", n)
	}
}

// TestStatelessHubsRaceForOneKey: eight requests with one key and body,
// sent at once to two hubs, get one receipt; and two batches with
// different keys that share records, sent at once to the two hubs,
// accept each shared record once between them.
func TestStatelessHubsRaceForOneKey(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	dir, err := submittest.Directory()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	req, reqEnv := requirement(t, dir, now)
	hubs := []*statelessHub{newStatelessHub(t, c, dir, &reqEnv), nil}
	hubs[1] = newStatelessHub(t, c, dir, nil)
	lines, _ := records(t, 60, req, now)

	body, key := ndjson(lines[:20]), uuid.Must(uuid.NewV7()).String()
	answers := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() {
			status, raw := postRaw(t, hubs[i%2].url, key, body)
			if status != http.StatusOK {
				t.Errorf("request %d: %d %s", i, status, raw)
			}
			answers[i] = raw
		})
	}
	wg.Wait()
	for i := range answers {
		if !bytes.Equal(answers[i], answers[0]) {
			t.Fatalf("request %d got another receipt:\n%s\nrequest 0:\n%s", i, answers[i], answers[0])
		}
	}
	if r := decodeReceipt(t, answers[0]); r.Counts.Accepted != 20 {
		t.Fatalf("receipt %+v; want 20 accepted", r.Counts)
	}

	// Records 20..59 in two batches overlapping on 30..49.
	batches := [][]byte{ndjson(lines[20:50]), ndjson(lines[30:60])}
	receipts := make([]submit.Receipt, 2)
	for i := range batches {
		wg.Go(func() {
			status, raw := postRaw(t, hubs[i].url, uuid.Must(uuid.NewV7()).String(), batches[i])
			if status != http.StatusOK {
				t.Errorf("batch %d: %d %s", i, status, raw)
				return
			}
			receipts[i] = decodeReceipt(t, raw)
		})
	}
	wg.Wait()
	accepted := map[string]int{}
	for _, r := range receipts {
		for _, res := range r.Results {
			if res.Status == submit.StatusAccepted {
				accepted[res.ID]++
			} else if res.Status != submit.StatusDuplicate {
				t.Errorf("record %s: %s %v", res.ID, res.Status, res.Errors)
			}
		}
	}
	if len(accepted) != 40 {
		t.Errorf("%d records accepted; want 40", len(accepted))
	}
	for id, n := range accepted {
		if n != 1 {
			t.Errorf("record %s accepted %d times", id, n)
		}
	}
	if n := streamMsgs(t, hubs[0].nc); n != 60 {
		t.Fatalf("stream holds %d records; want 60, each once", n)
	}
}

// TestStatelessHubsLoseTheLedgerLeader: four senders post through two
// stateless hubs while the leader of the ledger bucket is killed (a
// third of the way) and restarted (two thirds). A batch without a
// receipt is sent again, with its key, to the other hub. Then every
// record was acknowledged and is in the stream once; every receipt is
// served, the same bytes, by both hubs; and every batch sent again with
// a new key to either hub is all duplicates.
func TestStatelessHubsLoseTheLedgerLeader(t *testing.T) {
	n, batch := 5_000, 250
	if raceEnabled || testing.Short() {
		n = 2_000
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := natstest.StartCluster(t, 3)
	dir, err := submittest.Directory()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	req, reqEnv := requirement(t, dir, now)
	hubs := []*statelessHub{newStatelessHub(t, c, dir, &reqEnv), nil}
	hubs[1] = newStatelessHub(t, c, dir, nil)
	lines, ids := records(t, n, req, now)
	nb := (n + batch - 1) / batch
	work := make(chan int, nb)
	for b := range nb {
		work <- b
	}
	close(work)
	receipts := make([][]byte, nb)
	var done atomic.Int64
	var retries atomic.Int64
	third, twoThirds := make(chan struct{}), make(chan struct{})
	client := &http.Client{Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for b := range work {
				body := ndjson(lines[b*batch : min((b+1)*batch, n)])
				key := uuid.Must(uuid.NewV7()).String()
				for h := b % 2; ; h = 1 - h {
					status, raw, err := postClient(ctx, client, hubs[h].url, key, body)
					if status == http.StatusOK {
						receipts[b] = raw
						break
					}
					if ctx.Err() != nil {
						t.Errorf("batch %d: no receipt before the deadline: %v", b, err)
						return
					}
					if status != 0 && status != http.StatusServiceUnavailable {
						t.Errorf("batch %d: hub %d answered %d: %s %v", b, h, status, raw, err)
						return
					}
					retries.Add(1)
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
	wg.Go(func() {
		select {
		case <-third:
		case <-ctx.Done():
			return
		}
		lctx, lcancel := context.WithTimeout(ctx, 30*time.Second)
		leader, err := c.StreamLeader(lctx, j, "KV_"+jetstream.DefaultLedgerBucket)
		lcancel()
		if err != nil {
			t.Errorf("find the ledger bucket's leader: %v", err)
			return
		}
		t.Logf("killing the ledger leader n%d after %d of %d batches", leader, done.Load(), nb)
		c.Kill(leader)
		select {
		case <-twoThirds:
		case <-ctx.Done():
			return
		}
		if err := c.Restart(leader); err != nil {
			t.Errorf("restart n%d: %v", leader, err)
		}
	})
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d batches, %d sent again after a 503 or a lost connection", nb, retries.Load())
	accepted := map[string]int{}
	for b, raw := range receipts {
		r := decodeReceipt(t, raw)
		for i, res := range r.Results {
			if want := ids[b*batch+i]; res.ID != want {
				t.Fatalf("batch %d line %d: result for %s, want %s", b, i+1, res.ID, want)
			}
			if res.Status != submit.StatusAccepted && res.Status != submit.StatusDuplicate {
				t.Fatalf("batch %d: record %s %s", b, res.ID, res.Status)
			}
			accepted[res.ID]++
		}
		for h := range hubs {
			if status, got := getReceipt(t, hubs[h].url, r.SubmissionID); status != http.StatusOK || !bytes.Equal(got, raw) {
				t.Fatalf("batch %d: hub %d serves receipt %s as %d %s", b, h, r.SubmissionID, status, got)
			}
		}
	}
	if len(accepted) != n {
		t.Fatalf("%d records acknowledged, want %d", len(accepted), n)
	}
	for _, b := range []int{0, nb / 2, nb - 1} {
		status, raw, err := postClient(ctx, client, hubs[(b+1)%2].url, uuid.Must(uuid.NewV7()).String(), ndjson(lines[b*batch:min((b+1)*batch, n)]))
		if status != http.StatusOK {
			t.Fatalf("batch %d again: %d %s %v", b, status, raw, err)
		}
		if r := decodeReceipt(t, raw); r.Counts.Duplicate != r.Counts.Records {
			t.Fatalf("batch %d again with a new key: %+v; want all duplicates", b, r.Counts)
		}
	}
	inStream := streamIDs(ctx, t, j)
	for i, id := range ids {
		if k := inStream[submittest.Partner+"/"+id]; k != 1 {
			t.Fatalf("record %d (%s) is in the stream %d times, want 1", i, id, k)
		}
	}
}

// postClient is postRaw through client, with a transport error as
// status 0.
func postClient(ctx context.Context, client *http.Client, url, key string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/submissions", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+submittest.Token(submittest.Partner))
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set(submit.HeaderIdempotencyKey, key)
	req.Header.Set(submit.HeaderContentDigest, submit.ContentDigest(body))
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}
