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
// on one core; the target is 40%. Run:
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
	hub, req := proofHub(b, submittest.WithLimits(submit.Limits{RecordsPerSecond: 1e9, Burst: 1 << 30}))
	envs := proofEnvs(0, b.N, submittest.Partner, req)
	c, err := submit.NewClient(submit.ClientConfig{
		Endpoint: hub.URL, Org: submittest.Partner, Token: hub.Token(submittest.Partner),
		OutboxPath: b.TempDir() + "/outbox.db", MaxBatchRecords: e2eBatch, Linger: 5 * time.Millisecond,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(context.Background())
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += e2eBatch {
		if err := c.SubmitMany(ctx, envs[i:min(i+e2eBatch, b.N)]); err != nil {
			b.Fatal(err)
		}
	}
	fctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	if err := c.Flush(fctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if st := c.Stats(); st.Delivered != uint64(b.N) {
		b.Fatalf("delivered %d of %d: %+v", st.Delivered, b.N, st)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
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
	floorBench(b, func(body []byte) error {
		for len(body) > 0 {
			line, rest, _ := bytes.Cut(body, []byte("\n"))
			body = rest
			if _, err := v.Validate(line); err != nil {
				return err
			}
		}
		return nil
	})
}

// floorBench POSTs b.N records in batches of e2eBatch to a loopback server
// whose handler reads the body and calls handle on it.
func floorBench(b *testing.B, handle func(body []byte) error) {
	_, lines := e2eRecords(b, min(b.N, 20*e2eBatch), "01950a00-0000-7000-8000-000000000001")
	var bodies [][]byte // full batches, and one of the remainder
	for i := 0; i < len(lines); i += e2eBatch {
		var body bytes.Buffer
		for _, l := range lines[i:min(i+e2eBatch, len(lines))] {
			body.Write(l)
			body.WriteByte('\n')
		}
		bodies = append(bodies, body.Bytes())
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
	defer srv.Close()
	hc := srv.Client()
	post := func(body []byte) {
		resp, err := hc.Post(srv.URL+submit.PathSubmissions, submit.MediaNDJSON, bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%d: %s", resp.StatusCode, msg)
		}
	}
	full := len(lines) / e2eBatch
	b.ReportAllocs()
	b.ResetTimer()
	sent := 0
	for k := 0; sent < b.N; k++ {
		if left := b.N - sent; left < e2eBatch {
			// The last, partial request: the first left lines of a batch.
			post(bytes.Join(append(lines[:left:left], nil), []byte("\n")))
			sent += left
			break
		}
		post(bodies[k%max(full, 1)])
		sent += e2eBatch
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
