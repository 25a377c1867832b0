package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/translog"
)

// TestBinaryLog runs the hub with -log-key: it makes the key, logs the
// directory it starts with, its receipts carry inclusion proofs that
// verify against the checkpoint it serves on /v1/log/, and after a
// restart over the same files the log has kept its history.
func TestBinaryLog(t *testing.T) {
	bin := buildHub(t)
	tmp := t.TempDir()
	data, keyFile := filepath.Join(tmp, "data"), filepath.Join(tmp, "log.key")

	start := func() (string, func()) {
		hub := startHub(t, bin, "-listen", "127.0.0.1:0", "-directory", scheme, "-data", data, "-org", "central-bank", "-log-key", keyFile)
		return "http://" + hub.addr, func() { hub.stop(t) }
	}

	url, stop := start()
	pub, err := os.ReadFile(keyFile + ".pub")
	require.NoError(t, err)
	vkey := strings.TrimSpace(string(pub))
	lc, err := translog.NewClient(url, nil)
	require.NoError(t, err)
	v, err := translog.NewVerifier(translog.VerifierConfig{VerifierKey: vkey, Prover: lc, StatePath: filepath.Join(tmp, "seen")})
	require.NoError(t, err)

	reqID := uuid.Must(uuid.NewV7()).String()
	now := time.Now().UTC().Truncate(time.Second)
	req := corridorRequirement(reqID, now)
	line := envLine(t, schema.KindRequirement, "leading-group", reqID, req)
	rc := postNDJSON(t, url, "leading-group", line)
	require.Equal(t, 1, rc.Counts.Accepted, "%+v", rc.Results)
	require.NotNil(t, rc.Log)
	var env schema.Envelope
	require.NoError(t, json.Unmarshal(line, &env))
	d, err := schema.PayloadDigest(env.Payload)
	require.NoError(t, err)
	require.NoError(t, submit.VerifyReceipt(t.Context(), rc, v, map[string]string{env.ID: d}))
	stop()

	url, stop = start()
	defer stop()
	lc2, err := translog.NewClient(url, nil)
	require.NoError(t, err)
	v2, err := translog.NewVerifier(translog.VerifierConfig{VerifierKey: vkey, Prover: lc2, StatePath: filepath.Join(tmp, "seen")})
	require.NoError(t, err)
	msg, err := lc2.Checkpoint(t.Context())
	require.NoError(t, err)
	cp, err := v2.Observe(t.Context(), msg)
	require.NoError(t, err, "same key, same history after a restart")
	require.Equal(t, int64(3), cp.Size, "the directory at each start, and the batch")
	for _, i := range []int64{0, 2} {
		b, err := lc2.Leaf(t.Context(), i)
		require.NoError(t, err)
		leaf, err := translog.DecodeLeaf(b)
		require.NoError(t, err)
		require.Equal(t, translog.LeafDirectory, leaf.Type, "leaf %d", i)
		require.Equal(t, "leading-group", leaf.Directory.Signer)
	}
}
