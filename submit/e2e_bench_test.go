package submit_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/submittest"
)

// The performance figures, in one file, on the same records in
// batches of 500: end to end (BenchmarkEndToEnd) beside a transport floor
// (BenchmarkFloorTransport: NDJSON POSTed to a handler that counts lines)
// and a validation floor (BenchmarkFloorValidation: the same POSTs to a
// handler that validates each line). Client and hub each validate every
// record once, so end to end can reach at most half the validation floor
// on one core; issue 15 sets the target at 47% (issue 5 had 40%). Run:
//
//	go test ./submit -run '^$' -bench 'EndToEnd$|Floor' -benchtime 20000x
//
// and divide EndToEnd's records/s by FloorValidation's.

const e2eBatch = 500

// e2eRecords returns records [0, n): the envelopes the client is given
// (proofEnv), and the same records as the client sends them (stamped with
// its hop, marshalled), which the floors post.
func e2eRecords(tb testing.TB, n int, req string) ([]schema.Envelope, [][]byte) {
	tb.Helper()
	envs := proofEnvs(0, n, submittest.Partner, req)
	lines := make([][]byte, n)
	for i, env := range envs {
		if err := env.Stamp(submittest.Partner, schema.StageCollection, proofT0); err != nil {
			tb.Fatal(err)
		}
		lines[i] = proofJSON(env)
	}
	return envs, lines
}

// BenchmarkEndToEnd: a Client (local validation, durable outbox, group
// commit, batching, HTTP) to submittest's hub (a real Handler: validation,
// directory, purpose, dedupe, durable Store and Ledger) on loopback.
// b.N records, queued with SubmitMany in calls of 500, timed until Flush
// returns with every receipt.
func BenchmarkEndToEnd(b *testing.B) {
	b.ReportAllocs()
	d := endToEnd(b, b.N, true)
	b.ReportMetric(float64(b.N)/d.Seconds(), "records/s")
}

// endToEnd runs the end-to-end path over n records on a hub and client of
// its own and returns how long SubmitMany and Flush took. With bench set
// it resets b's timer at the start and stops it at the end.
func endToEnd(tb testing.TB, n int, bench bool) time.Duration {
	hub, req := proofHub(tb, submittest.WithLimits(submit.Limits{RecordsPerSecond: 1e9, Burst: 1 << 30}))
	envs := proofEnvs(0, n, submittest.Partner, req)
	c, err := submit.NewClient(submit.ClientConfig{
		Endpoint: hub.URL, Org: submittest.Partner, Token: hub.Token(submittest.Partner),
		OutboxPath: tb.TempDir() + "/outbox.db", MaxBatchRecords: e2eBatch, Linger: 5 * time.Millisecond,
	})
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close(context.Background())
	ctx := context.Background()
	b, _ := tb.(*testing.B)
	if bench {
		b.ResetTimer()
	}
	start := time.Now()
	for i := 0; i < n; i += e2eBatch {
		if err := c.SubmitMany(ctx, envs[i:min(i+e2eBatch, n)]); err != nil {
			tb.Fatal(err)
		}
	}
	fctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	if err := c.Flush(fctx); err != nil {
		tb.Fatal(err)
	}
	d := time.Since(start)
	if bench {
		b.StopTimer()
	}
	if st := c.Stats(); st.Delivered != uint64(n) {
		tb.Fatalf("delivered %d of %d: %+v", st.Delivered, n, st)
	}
	return d
}

// BenchmarkEndToEndRatio runs the end-to-end path and the validation
// floor in turn, 20,000 records each per iteration, and reports their
// records/s and the ratio, which issue 15 sets at 0.47 or more (issue 5 had 0.40).
// Interleaving keeps a machine whose speed drifts (other tenants, disk
// latency) from favouring either side:
//
//	go test ./submit -run '^$' -bench EndToEndRatio -benchtime 5x
func BenchmarkEndToEndRatio(b *testing.B) {
	const n = 20_000
	v, err := schema.NewValidator()
	if err != nil {
		b.Fatal(err)
	}
	floor := newFloor(b, n, validatingHandler(v))
	var e2e, fl time.Duration
	for b.Loop() {
		e2e += endToEnd(b, n, false)
		fl += floor.run(b, n)
	}
	b.ReportMetric(float64(n*b.N)/e2e.Seconds(), "e2e-records/s")
	b.ReportMetric(float64(n*b.N)/fl.Seconds(), "floor-records/s")
	b.ReportMetric(fl.Seconds()/e2e.Seconds(), "e2e/floor")
}

// BenchmarkFloorTransport: the records POSTed as NDJSON, 500 a request,
// one request at a time, to a handler that only counts the lines.
func BenchmarkFloorTransport(b *testing.B) {
	floorBench(b, func(body []byte) error {
		if n := bytes.Count(body, []byte("\n")); n == 0 {
			return fmt.Errorf("no lines")
		}
		return nil
	})
}

// BenchmarkFloorValidation: the same loop to a handler that validates each
// line with a schema.Validator, as the hub does, and nothing else.
func BenchmarkFloorValidation(b *testing.B) {
	v, err := schema.NewValidator()
	if err != nil {
		b.Fatal(err)
	}
	floorBench(b, validatingHandler(v))
}

// validatingHandler validates each line of a body.
func validatingHandler(v *schema.Validator) func(body []byte) error {
	return func(body []byte) error {
		for len(body) > 0 {
			line, rest, _ := bytes.Cut(body, []byte("\n"))
			body = rest
			if _, err := v.Validate(line); err != nil {
				return err
			}
		}
		return nil
	}
}

// floorBench POSTs b.N records in batches of e2eBatch to a loopback server
// whose handler reads the body and calls handle on it.
func floorBench(b *testing.B, handle func(body []byte) error) {
	f := newFloor(b, min(b.N, 20*e2eBatch), handle)
	b.ReportAllocs()
	b.ResetTimer()
	d := f.run(b, b.N)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/d.Seconds(), "records/s")
}

// floor is a loopback server whose handler reads a body and calls handle
// on it, and the bodies to post: records [0, n) as the client sends them.
type floor struct {
	lines  [][]byte
	bodies [][]byte // full batches
	url    string
	hc     *http.Client
}

func newFloor(tb testing.TB, n int, handle func(body []byte) error) *floor {
	_, lines := e2eRecords(tb, n, "01950a00-0000-7000-8000-000000000001")
	f := &floor{lines: lines}
	for i := 0; i+e2eBatch <= len(lines); i += e2eBatch {
		var body bytes.Buffer
		for _, l := range lines[i : i+e2eBatch] {
			body.Write(l)
			body.WriteByte('\n')
		}
		f.bodies = append(f.bodies, body.Bytes())
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err == nil {
			err = handle(body)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", submit.MediaJSON)
		io.WriteString(w, `{"ok":true}`)
	}))
	tb.Cleanup(srv.Close)
	f.url, f.hc = srv.URL+submit.PathSubmissions, srv.Client()
	return f
}

// run posts n records, one request at a time, and returns how long it
// took.
func (f *floor) run(tb testing.TB, n int) time.Duration {
	post := func(body []byte) {
		resp, err := f.hc.Post(f.url, submit.MediaNDJSON, bytes.NewReader(body))
		if err != nil {
			tb.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			tb.Fatalf("%d: %s", resp.StatusCode, msg)
		}
	}
	start := time.Now()
	sent := 0
	for k := 0; sent < n; k++ {
		if left := n - sent; left < e2eBatch || len(f.bodies) == 0 {
			// The last, partial request: the first left lines of a batch.
			left = min(left, e2eBatch)
			post(bytes.Join(append(f.lines[:left:left], nil), []byte("\n")))
			sent += left
			continue
		}
		post(f.bodies[k%len(f.bodies)])
		sent += e2eBatch
	}
	return time.Since(start)
}
