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
