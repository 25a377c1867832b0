package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/submittest"
)

const scheme = "../../internal/demoscheme/scheme.json"

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "-directory is required"},
		{[]string{"-directory", scheme}, "-data is required"},
		{[]string{"-directory", scheme, "-data", t.TempDir()}, "-org is required"},
		{[]string{"-directory", scheme, "-data", t.TempDir(), "-org", "central-bank", "-upstream", "http://127.0.0.1:1"},
			"-upstream needs -token-file, or -upstream-ca or -signing-key"},
		{[]string{"-directory", scheme, "-data", t.TempDir(), "-org", "central-bank", "-upstream", "http://127.0.0.1:1", "-token-file", "/nonexistent/token"},
			"no such file"},
		{[]string{"-nope"}, "flag provided but not defined"},
	} {
		var out, errOut bytes.Buffer
		require.Equal(t, 2, run(tc.args, &out, &errOut), "%v", tc.args)
		require.Contains(t, errOut.String(), tc.want)
	}
	var out, errOut bytes.Buffer
	data := filepath.Join(t.TempDir(), "data")
	require.Equal(t, 1, run([]string{"-directory", scheme, "-data", data, "-org", "nobody", "-listen", "127.0.0.1:0"}, &out, &errOut))
	require.Contains(t, errOut.String(), `-org \"nobody\" is not in the directory`)
	require.NoDirExists(t, data, "a bad -org creates no file")

	for _, bad := range [][]string{{"-log-level", "loud"}, {"-log-format", "xml"}} {
		out.Reset()
		errOut.Reset()
		args := append([]string{"-directory", scheme, "-data", t.TempDir(), "-org", "central-bank"}, bad...)
		require.Equal(t, 2, run(args, &out, &errOut), "%v", bad)
		require.Contains(t, errOut.String(), bad[0]+" "+strconv.Quote(bad[1]))
	}
	out.Reset()
	require.Equal(t, 0, run([]string{"-version"}, &out, &errOut))
	require.Contains(t, out.String(), "sicollab hub ")
	require.Contains(t, out.String(), runtime.Version())
}

// envLine returns one NDJSON line of kind from source with payload.
func envLine(t *testing.T, kind, source, purpose string, payload any) []byte {
	now := time.Now().UTC().Truncate(time.Second)
	env := schema.Envelope{
		ID: uuid.Must(uuid.NewV7()).String(), Kind: kind, SchemaVersion: 1, Source: source,
		CollectedAt: now.Add(-time.Minute), Purpose: schema.Purpose{RequirementID: purpose},
		LegalBasis: "Synthetic Counter-Terrorism Act, art. 43", Handling: schema.HandlingAmber,
		RetainUntil: now.AddDate(1, 0, 0),
	}
	switch p := payload.(type) {
	case []byte:
		var buf bytes.Buffer
		require.NoError(t, json.Compact(&buf, p))
		env.Payload = buf.Bytes()
	default:
		require.NoError(t, env.SetPayload(p))
	}
	b, err := json.Marshal(env)
	require.NoError(t, err)
	return append(b, '\n')
}

func postNDJSON(t *testing.T, url, org string, body []byte) submit.Receipt {
	r, err := http.NewRequest(http.MethodPost, url+submit.PathSubmissions, bytes.NewReader(body))
	require.NoError(t, err)
	r.Header.Set("Authorization", "Bearer token-"+org)
	r.Header.Set("Content-Type", submit.MediaNDJSON)
	r.Header.Set(submit.HeaderIdempotencyKey, uuid.Must(uuid.NewV7()).String())
	r.Header.Set(submit.HeaderContentDigest, submit.ContentDigest(body))
	resp, err := http.DefaultClient.Do(r)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", raw)
	var rc submit.Receipt
	require.NoError(t, json.Unmarshal(raw, &rc))
	return rc
}

// TestBinary builds the program, runs it on a loopback port, submits a
// requirement and a record over HTTP, stops it with SIGTERM and finds
// the record in its store.
func TestBinary(t *testing.T) {
	tmp := t.TempDir()
	bin := buildHub(t)

	// The hub relays to public security, a hub of its own in this test.
	up := submittest.NewServer(t, submittest.WithDirectoryFile(scheme), submittest.WithOrg("public-security"))
	tokenFile := filepath.Join(tmp, "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(submittest.Token("central-bank")+"\n"), 0o600))

	data := filepath.Join(tmp, "data")
	hub := startHub(t, bin, "-listen", "127.0.0.1:0", "-directory", scheme, "-data", data, "-org", "central-bank",
		"-upstream", up.URL, "-token-file", tokenFile, "-taxii")
	stderr, addr := hub.stderr, hub.addr
	url := "http://" + addr

	reqID := uuid.Must(uuid.NewV7()).String()
	now := time.Now().UTC().Truncate(time.Second)
	req := corridorRequirement(reqID, now)
	rc := postNDJSON(t, url, "leading-group", envLine(t, schema.KindRequirement, "leading-group", reqID, req))
	require.Equal(t, 1, rc.Counts.Accepted, "%+v", rc.Results)
	rc = postNDJSON(t, up.URL, "leading-group", envLine(t, schema.KindRequirement, "leading-group", reqID, req))
	require.Equal(t, 1, rc.Counts.Accepted, "%+v", rc.Results)

	payload, err := os.ReadFile("../../schema/testdata/finance.transaction/v1/valid/card_payment_merchant.json")
	require.NoError(t, err)
	rec := envLine(t, schema.KindFinanceTransaction, "bank-north-01", reqID, payload)
	rc = postNDJSON(t, url, "bank-north-01", rec)
	require.Equal(t, 1, rc.Counts.Accepted, "%+v", rc.Results)
	recID := rc.Results[0].ID

	// The read API is mounted beside the protocol: public security reads
	// the (empty) list collections over TAXII 2.1; unauthenticated, 401.
	for _, tc := range []struct {
		token string
		want  int
	}{{submittest.Token("public-security"), http.StatusOK}, {"", http.StatusUnauthorized}} {
		get, err := http.NewRequest(http.MethodGet, url+"/taxii2/lists/collections/", nil)
		require.NoError(t, err)
		get.Header.Set("Accept", "application/taxii+json;version=2.1")
		if tc.token != "" {
			get.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(get)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, tc.want, resp.StatusCode)
		require.Equal(t, "application/taxii+json;version=2.1", resp.Header.Get("Content-Type"))
	}

	// The relay's client reports into the hub's registry: once its
	// outbox is empty, the fund flow went upstream (a requirement travels
	// down, never relayed), delivered, without a retry or a wait.
	const relay = `{org="central-bank"}`
	var m map[string]float64
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, metrics := get(t, url+pathMetrics, "")
		require.Equal(t, http.StatusOK, status)
		m = samples(t, metrics)
		if m["sicollab_client_outbox_records"+relay] == 0 && m["sicollab_client_delivered_total"+relay] > 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "relay never drained: %v", m)
		time.Sleep(20 * time.Millisecond)
	}
	for name, want := range map[string]float64{
		"sicollab_client_delivered_total": 1, "sicollab_client_dead_lettered_total": 0, "sicollab_client_dead_letters": 0,
		"sicollab_client_retries_total": 0, "sicollab_client_rate_limit_wait_seconds_total": 0,
		"sicollab_client_outbox_oldest_age_seconds": 0, "sicollab_client_outbox_in_flight_records": 0,
	} {
		assert.Contains(t, m, name+relay)
		assert.Equal(t, want, m[name+relay], name)
	}

	hub.stop(t)

	store, err := submit.OpenStore(filepath.Join(data, "store.db"))
	require.NoError(t, err)
	defer store.Close()
	got, err := store.Get(t.Context(), recID)
	require.NoError(t, err)
	require.Equal(t, "bank-north-01", got.Source)

	// Relayed on the way: kept upstream with the hub's hop as the newest.
	relayed, err := up.Store.Get(t.Context(), recID)
	require.NoError(t, err, "stderr: %s", stderr.String())
	require.Equal(t, "central-bank", relayed.Provenance[len(relayed.Provenance)-1].Org)
}

// syncBuffer is a bytes.Buffer safe for the command's writer and the
// test's reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
