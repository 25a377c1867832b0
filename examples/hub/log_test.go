package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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
	if testing.Short() {
		t.Skip("builds a binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "hub")
	out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	data, keyFile := filepath.Join(tmp, "data"), filepath.Join(tmp, "log.key")

	start := func() (string, func()) {
		cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-directory", scheme, "-data", data, "-org", "central-bank", "-log-key", keyFile)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		stderr := &syncBuffer{}
		cmd.Stderr = stderr
		require.NoError(t, cmd.Start())
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		lines := bufio.NewScanner(stdout)
		require.True(t, lines.Scan(), "no address printed; stderr: %s", stderr.String())
		addr, ok := strings.CutPrefix(lines.Text(), "listening on ")
		require.True(t, ok, lines.Text())
		stop := func() {
			require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
			select {
			case err := <-done:
				require.NoError(t, err, "stderr: %s", stderr.String())
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("hub did not stop; stderr: %s", stderr.String())
			}
		}
		return "http://" + addr, stop
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
	req := schema.Requirement{
		ID: reqID, Type: schema.RequirementEarlyWarning, Title: "Corridor watch", Description: "Report corridor transactions.",
		Issuer: "leading-group", IssuedAt: now, Priority: schema.PriorityHigh, LegalBasis: "Synthetic Counter-Terrorism Act, art. 43",
		Status: schema.RequirementActive, Scope: schema.Scope{Kinds: []string{schema.KindFinanceTransaction},
			Sectors: []string{"finance"}, Regions: []string{"CN-BJ"}, Window: schema.Window{From: now.Add(-time.Hour), To: now.AddDate(0, 1, 0)}},
	}
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
