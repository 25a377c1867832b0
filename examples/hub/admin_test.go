package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/translog"
)

// hubCmd runs the hub binary with args and returns its exit code, stdout
// and stderr.
func hubCmd(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return code, out.String(), errb.String()
}

// TestBinaryAdmin: against a running hub (log, TAXII catalog and
// journal), the operator's purge, compact and backup commands go through
// the admin socket in -data; the backup opens and holds what was
// acknowledged before it; restore refuses a running hub, then puts the
// backup in place of a stopped hub's files, which a hub then serves.
func TestBinaryAdmin(t *testing.T) {
	bin := buildHub(t)
	tmp := t.TempDir()
	data, keyFile, backup := filepath.Join(tmp, "data"), filepath.Join(tmp, "log.key"), filepath.Join(tmp, "backup")
	args := func(data string) []string {
		return []string{"-listen", "127.0.0.1:0", "-directory", scheme, "-data", data, "-org", "central-bank", "-log-key", keyFile, "-taxii"}
	}
	hub := startHub(t, bin, args(data)...)
	url := "http://" + hub.addr
	reqID := uuid.Must(uuid.NewV7()).String()
	rc := postNDJSON(t, url, "leading-group", envLine(t, schema.KindRequirement, "leading-group", reqID, corridorRequirement(reqID, time.Now().UTC().Truncate(time.Second))))
	require.Equal(t, 1, rc.Counts.Accepted, "%+v", rc.Results)

	// The partners' listener serves none of the operator's commands.
	for _, path := range []string{"/purge", "/compact", "/backup?dir=/tmp/x", "/v1/purge"} {
		r, err := http.NewRequest(http.MethodPost, url+path, nil)
		require.NoError(t, err)
		r.Header.Set("Authorization", "Bearer token-leading-group")
		resp, err := http.DefaultClient.Do(r)
		require.NoError(t, err)
		resp.Body.Close()
		assert.NotEqual(t, http.StatusOK, resp.StatusCode, path)
	}

	code, out, errs := hubCmd(t, bin, "purge", "-data", data, "-operator", "alice")
	require.Zero(t, code, errs)
	var rep submit.PurgeReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.Equal(t, "alice", rep.Operator)
	assert.Zero(t, rep.Total(), "nothing is past retention yet")

	code, out, errs = hubCmd(t, bin, "compact", "-data", data)
	require.Zero(t, code, errs)
	var compacted []FileResult
	require.NoError(t, json.Unmarshal([]byte(out), &compacted))
	var names []string
	for _, f := range compacted {
		names = append(names, f.File)
		assert.Positive(t, f.After, f.File)
	}
	assert.ElementsMatch(t, []string{"store.db", "ledger.db", "catalog.db", "journal.db", "log.db"}, names)

	code, out, errs = hubCmd(t, bin, "backup", "-data", data, "-to", backup)
	require.Zero(t, code, errs)
	assert.Contains(t, out, `"file":"store.db"`)
	code, _, errs = hubCmd(t, bin, "backup", "-data", data, "-to", backup)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "not empty")

	code, _, errs = hubCmd(t, bin, "restore", "-data", data, "-from", backup)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "a hub is running")
	hub.stop(t)
	assert.NoFileExists(t, filepath.Join(data, adminSocket), "the socket goes with the hub")

	// The backup opens: the record acknowledged before it, and a log
	// that checks against its own key.
	s, err := submit.OpenStore(filepath.Join(backup, "store.db"))
	require.NoError(t, err)
	_, err = s.Get(t.Context(), rc.Results[0].ID)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	skey, vkey, err := loadLogKey(keyFile, "central-bank.hub/log")
	require.NoError(t, err)
	lg, err := translog.Open(translog.Config{Path: filepath.Join(backup, "log.db"), SignerKey: skey, VerifierKey: vkey})
	require.NoError(t, err)
	require.NoError(t, lg.Verify(t.Context()))
	assert.GreaterOrEqual(t, lg.Checkpoint().Size, rc.Log.Size, "the backup's log covers the receipt given before it")
	require.NoError(t, lg.Close())

	restored := filepath.Join(tmp, "restored")
	require.NoError(t, os.MkdirAll(restored, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(restored, "store.db"), []byte("an old file"), 0o600))
	code, out, errs = hubCmd(t, bin, "restore", "-data", restored, "-from", backup)
	require.Zero(t, code, errs)
	assert.Equal(t, 5, strings.Count(out, "restored "))
	aside, err := filepath.Glob(filepath.Join(restored, "pre-restore-*", "store.db"))
	require.NoError(t, err)
	assert.Len(t, aside, 1, "the replaced file is kept aside")

	hub = startHub(t, bin, args(restored)...)
	defer hub.stop(t)
	resp := getJSON(t, "http://"+hub.addr+submit.PathSubmissions+"/"+rc.SubmissionID, "leading-group")
	assert.Equal(t, rc.SubmissionID, resp.SubmissionID, "the restored hub answers the receipt")
}

// getJSON GETs url as org and decodes the receipt it answers.
func getJSON(t *testing.T, url, org string) submit.Receipt {
	t.Helper()
	r, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	r.Header.Set("Authorization", "Bearer token-"+org)
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
