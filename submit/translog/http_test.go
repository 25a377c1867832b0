package translog

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"
)

// The endpoints over real HTTP on loopback: what the client reads checks
// out, and bad or out-of-range requests get problem documents.
func TestHandlerOverHTTP(t *testing.T) {
	cfg := testConfig(t, "log.db")
	l := openTest(t, cfg)
	appendN(t, l, 0, 20)
	_, c := serve(t, l.Handler())
	ctx := t.Context()

	msg, err := c.Checkpoint(ctx)
	require.NoError(t, err)
	cp, err := ParseCheckpoint(msg, cfg.VerifierKey)
	require.NoError(t, err)
	require.Equal(t, int64(20), cp.Size)

	leaf, err := c.Leaf(ctx, 7)
	require.NoError(t, err)
	p, err := c.Inclusion(ctx, 7, 20)
	require.NoError(t, err)
	require.NoError(t, tlog.CheckRecord(p, cp.Size, cp.Hash, 7, tlog.RecordHash(leaf)))

	old, err := l.TreeHash(ctx, 9)
	require.NoError(t, err)
	tp, err := c.Consistency(ctx, 9, 20)
	require.NoError(t, err)
	require.NoError(t, tlog.CheckTree(tp, 20, cp.Hash, 9, old))

	for _, tc := range []struct {
		path   string
		status int
	}{
		{PathInclusion + "?index=x&size=3", 400},
		{PathInclusion + "?index=1", 400},
		{PathInclusion + "?index=20&size=20", 404},
		{PathInclusion + "?index=0&size=21", 404},
		{PathConsistency + "?old=0&new=3", 404},
		{PathConsistency + "?old=3", 400},
		{PathLeaves + "/abc", 400},
		{PathLeaves + "/20", 404},
	} {
		resp, err := http.Get(c.URL() + tc.path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, tc.status, resp.StatusCode, "%s: %s", tc.path, body)
		require.Equal(t, MediaProblem, resp.Header.Get("Content-Type"))
		require.Contains(t, string(body), `"detail"`)
	}
	_, err = c.Inclusion(ctx, 20, 20)
	require.ErrorIs(t, err, ErrHTTP)

	_, err = NewClient("ftp://x", nil)
	require.Error(t, err)
}

// A leaf edited in the file is answered 500 log-tampered, never served.
func TestHandlerRefusesTamperedLeaf(t *testing.T) {
	cfg := testConfig(t, "log.db")
	l := openTest(t, cfg)
	appendN(t, l, 0, 5)
	require.NoError(t, l.Close())
	flip(t, cfg.Path, bucketLeaves, indexKey(3), 9)
	l = openTest(t, cfg)
	_, c := serve(t, l.Handler())
	resp, err := http.Get(c.URL() + PathLeaves + "/3")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	require.Contains(t, string(body), ProblemTampered)
	_, err = c.Leaf(t.Context(), 2)
	require.NoError(t, err, "the other leaves are still served")
}
