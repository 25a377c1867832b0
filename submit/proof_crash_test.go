package submit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/submittest"
)

var (
	crashRecords = flag.Int("submit.crash.records", 3000, "records the child process submits in TestCrashProof")
	crashKills   = flag.Int("submit.crash.kills", 5, "times TestCrashProof kills the child with SIGKILL")
	crashSeed    = flag.Uint64("submit.crash.seed", 1, "seed of TestCrashProof's kill points")
)

// crashEnv names the environment variable that makes TestCrashChild run:
// its value is a crashJob in JSON.
const crashEnv = "SICOLLAB_SUBMIT_CRASH_CHILD"

// crashChunk is the records of one SubmitMany call in the child.
const crashChunk = 200

// crashJob is what the parent tells the child.
type crashJob struct {
	Role        string // "submitter"
	Outbox      string // the client's outbox file
	Progress    string // file holding the first index not yet queued
	Stats       string // file the child writes its final ClientStats to
	Hub         string // the hub's URL
	Org, Token  string
	Requirement string // purpose.requirement_id of the records
	Start       int    // first index not yet queued
	Total       int    // records 0..Total-1
}

// crashStats is what the child reports after its last run.
type crashStats struct {
	Queued, InFlight, DeadLetters int64
	Delivered, Duplicate          uint64
	Rejected, DeadLettered        uint64
	Retries, BatchesSent, Commits uint64
}

// TestCrashProof: a child process submitting records 0..N-1 is killed with
// SIGKILL at random points K times and restarted each time; at the end the
// hub's store holds exactly the N ids, each accepted once.
//
// The child (TestCrashChild, the test binary run again) queues the records
// with SubmitMany in chunks of crashChunk and after each call writes, with
// fsync and rename, the first index not yet queued; a restart resumes there
// (the records of a chunk queued just before a kill are queued again: the
// hub answers them as duplicates). It then flushes and exits 0. The parent
// draws each kill point as a number of records queued (uniform over the
// first 85%) plus a random delay of up to 30 ms, so kills land while the
// client opens, queues, sends, and waits for receipts.
//
// CI runs N=3000, K=5. The full run:
//
//	go test ./submit -run 'TestCrashProof$' -v -timeout 30m -args -submit.crash.records=100000 -submit.crash.kills=20
func TestCrashProof(t *testing.T) {
	if testing.Short() {
		t.Skip("short: runs a child process")
	}
	n, kills := *crashRecords, *crashKills
	hub, req := proofHub(t)
	// Count the POSTs: beyond one per receipt are batches resent under
	// their key after a kill, and requests a kill abandoned.
	var posts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts.Add(1)
		}
		hub.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	job := crashJob{
		Role: "submitter", Outbox: filepath.Join(dir, "outbox.db"), Progress: filepath.Join(dir, "progress"),
		Stats: filepath.Join(dir, "stats.json"), Hub: srv.URL, Org: submittest.Partner,
		Token: hub.Token(submittest.Partner), Requirement: req, Total: n,
	}
	rng := mrand.New(mrand.NewPCG(*crashSeed, 0xc4a54))
	targets := make([]int, kills)
	for i := range targets {
		targets[i] = rng.IntN(n*85/100 + 1)
	}
	slices.Sort(targets)

	start := time.Now()
	killed, runs := 0, 0
	var atKill []string
	for {
		runs++
		job.Start = crashProgress(t, job.Progress)
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1", "-test.timeout=20m")
		cmd.Env = append(os.Environ(), crashEnv+"="+string(proofJSON(job)))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		if killed < kills {
			target, delay := targets[killed], time.Duration(rng.Int64N(int64(30*time.Millisecond)))
			exited, err := crashWaitKill(t, job.Progress, target, delay, done, cmd)
			if exited {
				t.Fatalf("the child finished (%v) before kill %d of %d, aimed at %d records queued + %v; output:\n%s",
					err, killed+1, kills, target, delay, out.String())
			}
			killed++
			atKill = append(atKill, fmt.Sprintf("%d+%v", crashProgress(t, job.Progress), delay.Round(time.Millisecond)))
			continue
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("child run %d: %v; output:\n%s", runs, err, out.String())
			}
		case <-time.After(15 * time.Minute):
			cmd.Process.Kill()
			t.Fatalf("child run %d did not finish; output:\n%s", runs, out.String())
		}
		break
	}
	elapsed := time.Since(start)

	total := proofCheckStore(t, hub, submittest.Partner, n)
	receipts, err := hub.Receipts(submittest.Partner)
	if err != nil {
		t.Fatal(err)
	}
	// A kill can at most cost one chunk queued twice (queued, progress not
	// yet written): those come back as duplicates, never as second copies.
	if total.Duplicate > kills*crashChunk {
		t.Errorf("%d duplicates, more than %d kills x %d records re-queued", total.Duplicate, kills, crashChunk)
	}
	if total.Records != total.Accepted+total.Duplicate {
		t.Errorf("receipts: %+v do not add up", total)
	}
	var st crashStats
	var raw []byte
	raw, err = os.ReadFile(job.Stats)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	if st.Queued+st.InFlight != 0 || st.DeadLetters != 0 || st.Rejected != 0 {
		t.Errorf("last child's outbox not empty or has dead letters: %+v", st)
	}
	t.Logf("%d records, %d kills (records queued + delay at each: %s), %d runs, %v; hub: %d POSTs, %d receipts, %d accepted, %d duplicates; last run's client: %d delivered, %d duplicates, %d retries",
		n, killed, strings.Join(atKill, " "), runs, elapsed.Round(time.Millisecond), posts.Load(), len(receipts), total.Accepted, total.Duplicate,
		st.Delivered, st.Duplicate, st.Retries)
}

// crashWaitKill waits until the child has queued target records, then
// delay more, and kills it with SIGKILL. It reports whether the child
// exited by itself first.
func crashWaitKill(t *testing.T, progress string, target int, delay time.Duration, done chan error, cmd *exec.Cmd) (bool, error) {
	t.Helper()
	deadline := time.After(10 * time.Minute)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for crashProgress(t, progress) < target {
		select {
		case err := <-done:
			return true, err
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("the child did not reach %d records queued", target)
		case <-tick.C:
		}
	}
	select {
	case err := <-done:
		return true, err
	case <-time.After(delay):
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		return true, <-done
	}
	err := <-done
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != -1 {
		// Exited on its own between the timer and the signal.
		return true, err
	}
	return false, nil
}

// crashProgress reads the first index not yet queued (0 if none yet).
func crashProgress(t testing.TB, path string) int {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatalf("progress file %q: %v", raw, err)
	}
	return n
}

// crashWriteFile replaces path with data durably: a temporary file,
// fsync'd, renamed over path, and the directory fsync'd; a kill at any
// point leaves the old content or the new.
func crashWriteFile(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// TestCrashChild is the child of TestCrashProof; it skips unless run by
// it. It queues records Start..Total-1 in chunks, recording progress after
// each, then flushes, writes its stats and exits.
func TestCrashChild(t *testing.T) {
	raw := os.Getenv(crashEnv)
	if raw == "" {
		t.Skip("the child of TestCrashProof")
	}
	var job crashJob
	if err := json.Unmarshal([]byte(raw), &job); err != nil || job.Role != "submitter" {
		t.Fatalf("%s=%s: %v", crashEnv, raw, err)
	}
	c, err := submit.NewClient(submit.ClientConfig{
		Endpoint: job.Hub, Org: job.Org, Token: job.Token, OutboxPath: job.Outbox,
		Linger: 5 * time.Millisecond, RequestTimeout: 30 * time.Second, MaxBatchRecords: 100,
		Retry: submit.RetryPolicy{InitialInterval: 10 * time.Millisecond, MaxInterval: 200 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := job.Start; i < job.Total; i += crashChunk {
		k := min(crashChunk, job.Total-i)
		if err := c.SubmitMany(ctx, proofEnvs(i, k, job.Org, job.Requirement)); err != nil {
			t.Fatalf("SubmitMany %d..%d: %v", i, i+k, err)
		}
		if err := crashWriteFile(job.Progress, []byte(strconv.Itoa(i+k))); err != nil {
			t.Fatal(err)
		}
	}
	fctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	if err := c.Flush(fctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	st := c.Stats()
	if err := c.Close(fctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	out := crashStats{
		Queued: st.Queued, InFlight: st.InFlight, DeadLetters: st.DeadLetters,
		Delivered: st.Delivered, Duplicate: st.Duplicate, Rejected: st.Rejected, DeadLettered: st.DeadLettered,
		Retries: st.Retries, BatchesSent: st.BatchesSent, Commits: st.Commits,
	}
	if err := crashWriteFile(job.Stats, proofJSON(out)); err != nil {
		t.Fatal(err)
	}
}
