package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sicollab/sicollab/internal/cputime"
	"github.com/sicollab/sicollab/internal/natstest"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
)

// BenchmarkStatelessHubs: one hub process against two, each limited to
// one core (GOMAXPROCS=1 in its own process), on the same 3-node cluster
// (in the benchmark's process), 500-record batches from eight senders
// of three banks spread over the hubs. records/s is the throughput;
// hub-cpu-µs/record is the CPU of the hub processes together (from
// /proc), rest-cpu-µs/record that of this process: the three servers and
// the senders. The ratio of the two runs' records/s is the scaling; when
// the machine's cores are all busy, rest-cpu shows where they went.
//
//	go test ./examples/hub -run '^$' -bench StatelessHubs -benchtime 20000x
func BenchmarkStatelessHubs(b *testing.B) {
	bin := buildHub(b)
	c := natstest.StartCluster(b, 3)
	now := time.Now().UTC().Truncate(time.Second)
	reqID := uuid.Must(uuid.NewV7()).String()
	req := corridorRequirement(reqID, now)
	req.Scope.Regions = []string{"CN-BJ", "CN-GD", "CN-SH"}
	reqLine := benchLine(b, schema.KindRequirement, "leading-group", reqID, req, now)
	payload, err := os.ReadFile("../../schema/testdata/finance.transaction/v1/valid/card_payment_merchant.json")
	if err != nil {
		b.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, payload); err != nil {
		b.Fatal(err)
	}
	banks := []string{"bank-north-01", "bank-south-02", "payment-east-01"}
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("hubs=%d", n), func(b *testing.B) {
			var hubs []*hubProc
			for i := range n {
				h := startHubEnv(b, bin, []string{"GOMAXPROCS=1"}, "-listen", "127.0.0.1:0", "-directory", scheme,
					"-data", b.TempDir(), "-org", "central-bank", "-nats", c.URLs(), "-replicas", "3", "-log-level", "warn")
				if i == 0 {
					if status, raw := benchPost(b, "http://"+h.addr, "leading-group", reqLine); status != http.StatusOK {
						b.Fatalf("requirement: %d %s", status, raw)
					}
				}
				hubs = append(hubs, h) // a later hub loads the requirement from the bucket at start
			}
			const batch = 500
			nb := (b.N + batch - 1) / batch
			bodies := make([][]byte, nb)
			orgs := make([]string, nb)
			for i := range nb {
				orgs[i] = banks[i%len(banks)]
				var body []byte
				for range min(batch, b.N-i*batch) {
					body = append(body, benchLine(b, schema.KindFinanceTransaction, orgs[i], reqID, json.RawMessage(compact.Bytes()), now)...)
				}
				bodies[i] = body
			}
			work := make(chan int, nb)
			for i := range nb {
				work <- i
			}
			close(work)
			hub0 := hubCPU(b, hubs)
			self0 := cputime.Process()
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for s := range 8 {
				wg.Go(func() {
					for i := range work {
						url := "http://" + hubs[(s+i)%n].addr
						for {
							status, raw := benchPost(b, url, orgs[i], bodies[i])
							if status == http.StatusOK {
								break
							}
							if status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable {
								b.Errorf("batch %d: %d %s", i, status, raw)
								return
							}
							time.Sleep(50 * time.Millisecond)
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			hubUsed, selfUsed := hubCPU(b, hubs)-hub0, cputime.Process()-self0
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
			b.ReportMetric(float64(hubUsed.Microseconds())/float64(b.N), "hub-cpu-µs/record")
			b.ReportMetric(float64(selfUsed.Microseconds())/float64(b.N), "rest-cpu-µs/record")
			b.ReportMetric(hubUsed.Seconds()/elapsed.Seconds()/float64(n), "cores/hub")
			b.ReportMetric(selfUsed.Seconds()/elapsed.Seconds(), "cores/rest")
			for _, h := range hubs { // at -log-level warn the hub says nothing of its shutdown
				h.signal(b, syscall.SIGTERM)
				if err := <-h.done; err != nil {
					b.Errorf("hub: %v; stderr: %s", err, h.stderr.String())
				}
				h.exited = true
			}
		})
	}
}

// benchLine is one envelope of kind from source under purpose, as NDJSON.
func benchLine(b *testing.B, kind, source, purpose string, payload any, now time.Time) []byte {
	env := schema.Envelope{
		ID: uuid.Must(uuid.NewV7()).String(), Kind: kind, SchemaVersion: 1, Source: source,
		CollectedAt: now.Add(-time.Minute), Purpose: schema.Purpose{RequirementID: purpose},
		LegalBasis: "Synthetic Counter-Terrorism Act, art. 43", Handling: schema.HandlingAmber, RetainUntil: now.AddDate(1, 0, 0),
	}
	if err := env.SetPayload(payload); err != nil {
		b.Fatal(err)
	}
	line, err := env.AppendJSON(nil)
	if err != nil {
		b.Fatal(err)
	}
	return append(line, '\n')
}

var benchClient = &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}

// benchPost sends body from org to url with a new key.
func benchPost(b *testing.B, url, org string, body []byte) (int, []byte) {
	r, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url+submit.PathSubmissions, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer token-"+org)
	r.Header.Set("Content-Type", submit.MediaNDJSON)
	r.Header.Set(submit.HeaderIdempotencyKey, uuid.Must(uuid.NewV7()).String())
	r.Header.Set(submit.HeaderContentDigest, submit.ContentDigest(body))
	resp, err := benchClient.Do(r)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// hubCPU is the user and system CPU the hub processes used so far.
func hubCPU(b *testing.B, hubs []*hubProc) time.Duration {
	var sum time.Duration
	for _, h := range hubs {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", h.cmd.Process.Pid))
		if err != nil {
			b.Skipf("no /proc: %v", err)
		}
		// Fields after the command's closing parenthesis: utime is the
		// 14th field of the line, stime the 15th, in clock ticks.
		f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:]))
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		sum += time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
	}
	return sum
}
