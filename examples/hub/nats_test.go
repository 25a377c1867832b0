package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	js "github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/internal/natstest"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/jetstream"
)

func TestNATSUsage(t *testing.T) {
	base := []string{"-directory", scheme, "-data", t.TempDir(), "-org", "central-bank"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-nats-creds", "x.creds"}, "-nats-creds needs -nats"},
		{[]string{"-shared-directory"}, "-shared-directory needs -nats"},
		{[]string{"-nats", "nats://127.0.0.1:1", "-replicas", "6"}, "Replicas is 6"},
		{[]string{"-nats", "nats://127.0.0.1:1", "-stream", "a.b"}, `Stream is "a.b"`},
		{[]string{"-nats", "nats://127.0.0.1:1", "-dup-window", "1h", "-max-age", "1m"}, "Duplicates is 1h0m0s, longer than MaxAge 1m0s"},
	} {
		var out, errOut bytes.Buffer
		require.Equal(t, 2, run(append(base, tc.args...), &out, &errOut), "%v", tc.args)
		require.Contains(t, errOut.String(), tc.want)
	}
	var out, errOut bytes.Buffer
	require.Equal(t, 1, run(append(base, "-listen", "127.0.0.1:0", "-nats", "nats://127.0.0.1:1", "-nats-creds", "/nonexistent/x.creds"), &out, &errOut))
	require.Contains(t, errOut.String(), "connect to nats")
}

// TestBinaryNATS: the hub with -nats keeps what it accepts in the stream
// (on a server this test starts), shares the requirement it learnt
// through the purposes bucket, and never makes store.db.
func TestBinaryNATS(t *testing.T) {
	bin := buildHub(t)
	srv := natstest.StartServer(t)
	tmp := t.TempDir()

	data := filepath.Join(tmp, "data")
	hub := startHub(t, bin, "-listen", "127.0.0.1:0", "-directory", scheme, "-data", data, "-org", "central-bank",
		"-nats", srv.URLs(), "-replicas", "1", "-stream", "HUB_TEST", "-dup-window", "5m")
	url := "http://" + hub.addr

	reqID := uuid.Must(uuid.NewV7()).String()
	now := time.Now().UTC().Truncate(time.Second)
	req := corridorRequirement(reqID, now)
	rc := postNDJSON(t, url, "leading-group", envLine(t, schema.KindRequirement, "leading-group", reqID, req))
	require.Equal(t, 1, rc.Counts.Accepted, "%+v", rc.Results)
	payload, err := os.ReadFile("../../schema/testdata/finance.transaction/v1/valid/card_payment_merchant.json")
	require.NoError(t, err)
	rc = postNDJSON(t, url, "bank-north-01", envLine(t, schema.KindFinanceTransaction, "bank-north-01", reqID, payload))
	require.Equal(t, 1, rc.Counts.Accepted, "%+v", rc.Results)
	recID := rc.Results[0].ID

	// Ready while the server is up, not while it is gone, ready again
	// once the hub has reconnected.
	waitReady := func(want int, says string) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			status, body := get(t, url+pathReadyz, "")
			if status == want && strings.Contains(body, says) {
				return
			}
			require.True(t, time.Now().Before(deadline), "readyz %d %q, want %d %q", status, body, want, says)
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitReady(http.StatusOK, "ready")
	srv.Kill(0)
	waitReady(http.StatusServiceUnavailable, "nats: not connected")
	require.NoError(t, srv.Restart(0))
	waitReady(http.StatusOK, "ready")

	hub.stop(t)
	for _, f := range []string{"store.db", "ledger.db"} {
		_, err = os.Stat(filepath.Join(data, f))
		require.True(t, os.IsNotExist(err), "%s made with -nats: %v", f, err)
	}

	j, err := js.New(srv.Connect(t))
	require.NoError(t, err)
	st, err := j.Stream(t.Context(), "HUB_TEST")
	require.NoError(t, err)
	require.Equal(t, 5*time.Minute, st.CachedInfo().Config.Duplicates)
	m, err := st.GetLastMsgForSubject(t.Context(), jetstream.Subject(jetstream.DefaultSubjectPrefix, schema.KindFinanceTransaction, "bank-north-01"))
	require.NoError(t, err)
	require.Equal(t, "bank-north-01/"+recID, m.Header.Get(js.MsgIDHeader))
	// The requirement is shared with other hubs through the bucket.
	kv, err := j.KeyValue(t.Context(), jetstream.DefaultPurposesBucket)
	require.NoError(t, err)
	keys, err := kv.Keys(t.Context())
	require.NoError(t, err)
	require.Len(t, keys, 1)
	// The receipts are in the ledger bucket, for every hub to answer with.
	ledger, err := j.KeyValue(t.Context(), jetstream.DefaultLedgerBucket)
	require.NoError(t, err)
	_, err = ledger.Get(t.Context(), "r.bank-north-01."+rc.SubmissionID)
	require.NoError(t, err)
	// The requirement is accepted like a record: it went to the stream too.
	_, err = st.GetLastMsgForSubject(t.Context(), jetstream.Subject(jetstream.DefaultSubjectPrefix, schema.KindRequirement, "leading-group"))
	require.NoError(t, err)
}

// postKey posts body from org to url with key and returns the status and
// the answer's bytes.
func postKey(t *testing.T, url, org, key string, body []byte) (int, []byte) {
	r, err := http.NewRequest(http.MethodPost, url+submit.PathSubmissions, bytes.NewReader(body))
	require.NoError(t, err)
	r.Header.Set("Authorization", "Bearer token-"+org)
	r.Header.Set("Content-Type", submit.MediaNDJSON)
	r.Header.Set(submit.HeaderIdempotencyKey, key)
	r.Header.Set(submit.HeaderContentDigest, submit.ContentDigest(body))
	resp, err := http.DefaultClient.Do(r)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, raw
}

// TestBinaryStatelessHubs: two hub processes with -nats on a 3-node
// cluster, each with an empty -data of its own. The key sent to hub A
// and then to hub B gets A's receipt from B, byte for byte; a record A
// accepted is a duplicate at B; and a hub started in A's place on a new,
// empty -data answers the key and the receipt's id as A did.
func TestBinaryStatelessHubs(t *testing.T) {
	bin := buildHub(t)
	c := natstest.StartCluster(t, 3)
	start := func() (*hubProc, string) {
		h := startHub(t, bin, "-listen", "127.0.0.1:0", "-directory", scheme, "-data", t.TempDir(), "-org", "central-bank",
			"-nats", c.URLs(), "-replicas", "3")
		return h, "http://" + h.addr
	}
	a, urlA := start()
	reqID := uuid.Must(uuid.NewV7()).String()
	rc := postNDJSON(t, urlA, "leading-group", envLine(t, schema.KindRequirement, "leading-group", reqID, corridorRequirement(reqID, time.Now().UTC().Truncate(time.Second))))
	require.Equal(t, 1, rc.Counts.Accepted, "%+v", rc.Results)
	_, urlB := start()

	payload, err := os.ReadFile("../../schema/testdata/finance.transaction/v1/valid/card_payment_merchant.json")
	require.NoError(t, err)
	rec := envLine(t, schema.KindFinanceTransaction, "bank-north-01", reqID, payload)
	body := append(append([]byte{}, rec...), envLine(t, schema.KindFinanceTransaction, "bank-north-01", reqID, payload)...)
	key := uuid.Must(uuid.NewV7()).String()
	status, first := postKey(t, urlA, "bank-north-01", key, body)
	require.Equal(t, http.StatusOK, status, "%s", first)
	var ra submit.Receipt
	require.NoError(t, json.Unmarshal(first, &ra))
	require.Equal(t, 2, ra.Counts.Accepted, "%s", first)
	status, again := postKey(t, urlB, "bank-north-01", key, body)
	require.Equal(t, http.StatusOK, status, "%s", again)
	require.Equal(t, string(first), string(again), "hub B answers hub A's key with hub A's receipt")
	status, raw := postKey(t, urlB, "bank-north-01", uuid.Must(uuid.NewV7()).String(), rec)
	require.Equal(t, http.StatusOK, status, "%s", raw)
	var rb submit.Receipt
	require.NoError(t, json.Unmarshal(raw, &rb))
	require.Equal(t, submit.StatusDuplicate, rb.Results[0].Status, "%s", raw)

	a.stop(t)
	_, urlA2 := start()
	status, replay := postKey(t, urlA2, "bank-north-01", key, body)
	require.Equal(t, http.StatusOK, status, "%s", replay)
	require.Equal(t, string(first), string(replay), "a hub with no files answers the key as before")
	// It knows the purpose learnt through hub A: a new record under it is accepted.
	rc = postNDJSON(t, urlA2, "bank-north-01", envLine(t, schema.KindFinanceTransaction, "bank-north-01", reqID, payload))
	require.Equal(t, 1, rc.Counts.Accepted, "%+v", rc.Results)
	r, err := http.NewRequest(http.MethodGet, urlA2+submit.PathSubmissions+"/"+ra.SubmissionID, nil)
	require.NoError(t, err)
	r.Header.Set("Authorization", "Bearer token-bank-north-01")
	resp, err := http.DefaultClient.Do(r)
	require.NoError(t, err)
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", got)
	require.Equal(t, string(first), string(got))
}
