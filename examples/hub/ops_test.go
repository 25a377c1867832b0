package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
)

// get fetches url and returns the status and body.
func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// postStatus posts body as org (token "" for a wrong one) and returns
// the status and the body.
func postStatus(t *testing.T, url, token string, body []byte) (int, []byte) {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, url+submit.PathSubmissions, bytes.NewReader(body))
	require.NoError(t, err)
	r.Header.Set("Authorization", "Bearer "+token)
	r.Header.Set("Content-Type", submit.MediaNDJSON)
	r.Header.Set(submit.HeaderIdempotencyKey, uuid.Must(uuid.NewV7()).String())
	r.Header.Set(submit.HeaderContentDigest, submit.ContentDigest(body))
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(r)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, raw
}

// samples parses a Prometheus text exposition: each sample's
// name{labels} and value.
func samples(t *testing.T, text string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		require.Positive(t, i, l)
		v, err := strconv.ParseFloat(l[i+1:], 64)
		require.NoError(t, err, l)
		out[l[:i]] = v
	}
	return out
}

// TestOperations runs the hub binary through a start, a second hub on
// its data directory, a scripted run scraped at /metrics, and a
// shutdown with a drain, watching /healthz and /readyz throughout.
func TestOperations(t *testing.T) {
	bin := buildHub(t)
	data := filepath.Join(t.TempDir(), "data")
	hub := startHub(t, bin, "-listen", "127.0.0.1:0", "-directory", scheme, "-data", data, "-org", "central-bank", "-drain", "10m")
	url := "http://" + hub.addr

	// Started: alive and ready.
	status, body := get(t, url+pathHealthz, "")
	require.Equal(t, http.StatusOK, status, body)
	status, body = get(t, url+pathReadyz, "")
	require.Equal(t, http.StatusOK, status, body)
	require.Equal(t, "ready\n", body)

	// A second hub on the same data directory stops at once, saying
	// why; the first stays ready.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var second bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "-listen", "127.0.0.1:0", "-directory", scheme, "-data", data, "-org", "central-bank")
	cmd.Stderr = &second
	err := cmd.Run()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "stderr: %s", second.String())
	require.Equal(t, 1, exit.ExitCode())
	require.Contains(t, second.String(), "held by another process")
	status, _ = get(t, url+pathReadyz, "")
	require.Equal(t, http.StatusOK, status)

	// The scripted run: a requirement, a record under it, a record
	// under an unknown purpose (422), a wrong token (401), a receipt read.
	reqID := uuid.Must(uuid.NewV7()).String()
	now := time.Now().UTC().Truncate(time.Second)
	rc := postNDJSON(t, url, "leading-group", envLine(t, schema.KindRequirement, "leading-group", reqID, corridorRequirement(reqID, now)))
	require.Equal(t, 1, rc.Counts.Accepted, "%+v", rc.Results)
	payload, err := os.ReadFile("../../schema/testdata/finance.transaction/v1/valid/card_payment_merchant.json")
	require.NoError(t, err)
	rc = postNDJSON(t, url, "bank-north-01", envLine(t, schema.KindFinanceTransaction, "bank-north-01", reqID, payload))
	require.Equal(t, 1, rc.Counts.Accepted, "%+v", rc.Results)
	status, raw := postStatus(t, url, "token-bank-north-01", envLine(t, schema.KindFinanceTransaction, "bank-north-01", uuid.Must(uuid.NewV7()).String(), payload))
	require.Equal(t, http.StatusUnprocessableEntity, status, "%s", raw)
	status, raw = postStatus(t, url, "not-a-token", envLine(t, schema.KindFinanceTransaction, "bank-north-01", reqID, payload))
	require.Equal(t, http.StatusUnauthorized, status, "%s", raw)
	status, body = get(t, url+submit.PathSubmissions+"/"+rc.SubmissionID, "token-bank-north-01")
	require.Equal(t, http.StatusOK, status, body)

	status, body = get(t, url+pathMetrics, "")
	require.Equal(t, http.StatusOK, status, body)
	got := samples(t, body)
	const hl = `hub="central-bank"`
	for k, v := range map[string]float64{
		`sicollab_hub_requests_total{` + hl + `,problem="",route="submit",status="200"}`:                2,
		`sicollab_hub_requests_total{` + hl + `,problem="nothing-valid",route="submit",status="422"}`:   1,
		`sicollab_hub_requests_total{` + hl + `,problem="unauthenticated",route="submit",status="401"}`: 1,
		`sicollab_hub_requests_total{` + hl + `,problem="",route="receipt",status="200"}`:               1,
		`sicollab_hub_records_total{` + hl + `,outcome="accepted",reason=""}`:                           2,
		`sicollab_hub_records_total{` + hl + `,outcome="rejected",reason="purpose_unknown"}`:            1,
		`sicollab_hub_in_flight{` + hl + `,org="leading-group"}`:                                        0,
		`sicollab_hub_in_flight{` + hl + `,org="bank-north-01"}`:                                        0,
		`sicollab_hub_stage_seconds_count{` + hl + `,stage="admission"}`:                                3,
		`sicollab_hub_stage_seconds_count{` + hl + `,stage="read"}`:                                     3,
		`sicollab_hub_stage_seconds_count{` + hl + `,stage="validate"}`:                                 3,
		`sicollab_hub_stage_seconds_count{` + hl + `,stage="store"}`:                                    2,
		`sicollab_hub_stage_seconds_count{` + hl + `,stage="receipt"}`:                                  2,
		`sicollab_hub_db_entries{db="store",entries="records",` + hl + `}`:                              2,
		`sicollab_hub_db_entries{db="ledger",entries="receipts",` + hl + `}`:                            2,
		`sicollab_hub_db_entries{db="ledger",entries="record_ids",` + hl + `}`:                          2,
		`sicollab_hub_db_entries{db="ledger",entries="purposes",` + hl + `}`:                            1,
		`sicollab_hub_auth_failures_total{` + hl + `}`:                                                  1,
		`sicollab_hub_auth_throttled_total{` + hl + `}`:                                                 0,
	} {
		assert.Contains(t, got, k)
		assert.Equal(t, v, got[k], k)
	}
	assert.Positive(t, got[`sicollab_hub_db_bytes{db="store",`+hl+`}`])
	assert.Contains(t, got, "go_goroutines", "the Go runtime's metrics")
	assert.Positive(t, got["process_start_time_seconds"], "the process's metrics")

	// Every read and every 401 is logged.
	logged := hub.stderr.String()
	assert.Contains(t, logged, `msg=refused method=POST path=/v1/submissions status=401`)
	assert.Contains(t, logged, `msg="receipt read" org=bank-north-01 submission=`+rc.SubmissionID)
	assert.Contains(t, logged, `msg=read method=GET path=/v1/submissions/`+rc.SubmissionID+` status=200`)

	// Shutdown: on the first SIGTERM the hub is no longer ready but
	// still alive and serving; the second ends the drain.
	hub.signal(t, syscall.SIGTERM)
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, body = get(t, url+pathReadyz, "")
		if status == http.StatusServiceUnavailable {
			break
		}
		require.True(t, time.Now().Before(deadline), "still ready after SIGTERM: %d %s", status, body)
		time.Sleep(10 * time.Millisecond)
	}
	assert.Contains(t, body, "hub: not serving (starting or shutting down)")
	status, _ = get(t, url+pathHealthz, "")
	require.Equal(t, http.StatusOK, status, "alive while draining")
	hub.stop(t)
	require.Contains(t, hub.stderr.String(), "second signal: drain ended")
	_, err = (&http.Client{Timeout: 5 * time.Second}).Get(url + pathHealthz)
	require.Error(t, err, "nothing serves once stopped")
}

// TestReadyz: each check that fails is named in the 503.
func TestReadyz(t *testing.T) {
	store, err := submit.OpenStore(filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	h := &health{checks: []check{
		openCheck("store", func() error { _, err := store.Count(); return err }, submit.ErrStoreClosed),
		{name: "directory", fn: func() error { return nil }},
	}}
	ready := func() (int, string) {
		w := httptest.NewRecorder()
		h.readyz(w, httptest.NewRequest(http.MethodGet, pathReadyz, nil))
		return w.Code, w.Body.String()
	}
	code, body := ready()
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "not ready\nhub: not serving (starting or shutting down)\n", body)
	h.ready.Store(true)
	code, body = ready()
	assert.Equal(t, http.StatusOK, code, body)
	require.NoError(t, store.Close())
	code, body = ready()
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "not ready\nstore: closed\n", body)
}

// TestSettings: a config file and the environment beside the flags,
// every problem of them named at once.
func TestSettings(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"directory": "`+scheme+`", "nope": 1, "shutdown-timeout": 10,
		"taxii": "maybe", "org": ["central-bank"], "version": true, "config": "x.json"}`), 0o600))
	t.Setenv(envName("log-level"), "loud")
	t.Setenv(envName("replicas"), "three")
	var out, errOut bytes.Buffer
	require.Equal(t, 2, run([]string{"-config", bad}, &out, &errOut))
	for _, want := range []string{
		`"config" is not a setting`,
		`"nope" is not a setting`,
		`"version" is not a setting`,
		`"org" is ["central-bank"]; want a string, a number or a boolean`,
		`"shutdown-timeout" is "10": want a duration such as 30s or 5m`,
		`"taxii" is "maybe": want true or false`,
		`environment SICOLLAB_HUB_REPLICAS="three": want a whole number`,
		`-log-level "loud"`,
		`-data is required (or SICOLLAB_HUB_DATA, or "data" in the config file)`,
		`-org is required`,
	} {
		assert.Contains(t, errOut.String(), want)
	}
	assert.NotContains(t, errOut.String(), "-directory is required", "the file gave it")

	for _, tc := range []struct{ name, doc, want string }{
		{"not json", `{"listen":`, "want one JSON object of settings"},
		{"an array", `[]`, "want one JSON object of settings"},
		{"null", `null`, "want one JSON object of settings"},
		{"two objects", `{"org": "a"} {"org": "b"}`, "and nothing after it"},
	} {
		p := filepath.Join(dir, tc.name+".json")
		require.NoError(t, os.WriteFile(p, []byte(tc.doc), 0o600))
		errOut.Reset()
		require.Equal(t, 2, run([]string{"-config", p}, &out, &errOut), tc.name)
		assert.Contains(t, errOut.String(), tc.want, tc.name)
	}
	errOut.Reset()
	t.Setenv(envName("config"), filepath.Join(dir, "missing.json"))
	require.Equal(t, 2, run(nil, &out, &errOut))
	assert.Contains(t, errOut.String(), "missing.json: no such file")

	// A working start from a file (the directory, data and org), the
	// environment (the format over the file's), and a flag (the level
	// over the environment's).
	bin := buildHub(t)
	good := filepath.Join(dir, "hub.json")
	doc, err := json.Marshal(map[string]any{"listen": "127.0.0.1:0", "directory": scheme, "data": filepath.Join(dir, "data"),
		"org": "central-bank", "log-format": "text", "shutdown-timeout": "5s"})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(good, doc, 0o600))
	t.Setenv(envName("config"), good)
	t.Setenv(envName("log-format"), "json")
	t.Setenv(envName("log-level"), "error")
	t.Setenv(envName("replicas"), "")
	os.Unsetenv(envName("replicas"))
	hub := startHub(t, bin, "-log-level", "info")
	status, _ := get(t, "http://"+hub.addr+pathReadyz, "")
	require.Equal(t, http.StatusOK, status)
	hub.stop(t)
	assert.Contains(t, hub.stderr.String(), `"msg":"hub started"`)
	assert.DirExists(t, filepath.Join(dir, "data"))
}

// FuzzConfigFile: whatever a config file holds, reading it never
// panics, and what it returns without error names only settings.
func FuzzConfigFile(f *testing.F) {
	for _, s := range []string{
		`{"listen":"127.0.0.1:0","data":"d","org":"central-bank","taxii":true,"replicas":3}`,
		`{"nope":1}`, `{"org":["x"]}`, `[]`, `null`, `{"listen":`, `{"a":1,"a":2}`, `{"shutdown-timeout":1e400}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		fs := flag.NewFlagSet("hub", flag.ContinueOnError)
		fs.String("listen", "", "")
		fs.String("org", "", "")
		fs.Bool("taxii", false, "")
		fs.Bool("version", false, "")
		const path = "hub.json"
		vals, err := parseConfig(fs, path, doc)
		if err != nil {
			require.Contains(t, err.Error(), "config file "+path)
			return
		}
		for k := range vals {
			require.NotNil(t, fs.Lookup(k), k)
			require.NotEqual(t, "version", k)
		}
	})
}

// TestOpsListener: with -ops-listen the operator's endpoints move to a
// listener of their own, and the protocol's listener no longer has them.
func TestOpsListener(t *testing.T) {
	bin := buildHub(t)
	hub := startHub(t, bin, "-listen", "127.0.0.1:0", "-directory", scheme, "-data", filepath.Join(t.TempDir(), "data"),
		"-org", "central-bank", "-ops-listen", "127.0.0.1:0")
	m := regexp.MustCompile(`msg="ops endpoints" addr=(\S+)`).FindStringSubmatch(hub.stderr.String())
	require.NotNil(t, m, "stderr: %s", hub.stderr.String())
	ops, url := "http://"+m[1], "http://"+hub.addr
	for _, tc := range []struct {
		url  string
		want int
	}{
		{ops + pathReadyz, http.StatusOK}, {ops + pathHealthz, http.StatusOK}, {ops + pathMetrics, http.StatusOK},
		{ops + submit.PathLimits, http.StatusNotFound},
		{url + pathMetrics, http.StatusNotFound}, {url + pathReadyz, http.StatusNotFound},
		{url + submit.PathLimits, http.StatusOK},
	} {
		status, body := get(t, tc.url, "")
		assert.Equal(t, tc.want, status, "%s: %s", tc.url, body)
	}
	hub.stop(t)
}
