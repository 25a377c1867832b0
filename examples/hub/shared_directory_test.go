package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/internal/natstest"
	"github.com/sicollab/sicollab/schema"
)

// TestBinarySharedDirectory: hub A publishes its -directory file into
// the cluster's empty directory bucket; hub B, started with -nats and no
// directory file at all, takes the bucket's; a new revision of the file,
// published by SIGHUP at A, lets an organization added there submit
// through B, with neither hub restarted.
func TestBinarySharedDirectory(t *testing.T) {
	bin := buildHub(t)
	c := natstest.StartServer(t)
	raw, err := os.ReadFile(scheme)
	require.NoError(t, err)
	dirFile := filepath.Join(t.TempDir(), "directory.json")
	require.NoError(t, os.WriteFile(dirFile, raw, 0o644))
	common := []string{"-listen", "127.0.0.1:0", "-org", "central-bank", "-nats", c.URL(0), "-replicas", "1", "-shared-directory"}
	// Over the empty bucket, a hub with no file of its own has no directory.
	var out, errOut bytes.Buffer
	require.Equal(t, 1, run(append(common, "-data", t.TempDir()), &out, &errOut))
	require.Contains(t, errOut.String(), "holds no directory this hub takes; give -directory")
	a := startHub(t, bin, append(common, "-directory", dirFile, "-data", t.TempDir())...)
	b := startHub(t, bin, append(common, "-data", t.TempDir())...)
	urlA, urlB := "http://"+a.addr, "http://"+b.addr

	reqID := uuid.Must(uuid.NewV7()).String()
	rc := postNDJSON(t, urlA, "leading-group", envLine(t, schema.KindRequirement, "leading-group", reqID, corridorRequirement(reqID, time.Now().UTC().Truncate(time.Second))))
	require.Equal(t, 1, rc.Counts.Accepted, "%+v", rc.Results)
	payload, err := os.ReadFile("../../schema/testdata/finance.transaction/v1/valid/card_payment_merchant.json")
	require.NoError(t, err)
	post := func(url, org string) (int, []byte) {
		return postKey(t, url, org, uuid.Must(uuid.NewV7()).String(), envLine(t, schema.KindFinanceTransaction, org, reqID, payload))
	}
	status, body := post(urlB, "bank-north-01")
	require.Equal(t, http.StatusOK, status, "hub B, with the bucket's directory: %s", body)
	status, _ = post(urlB, "bank-added-01")
	require.Equal(t, http.StatusUnauthorized, status, "an org not yet in the directory")

	// Version 2 adds bank-added-01; A publishes it on SIGHUP.
	var doc schema.Directory
	require.NoError(t, json.Unmarshal(raw, &doc))
	for _, o := range doc.Orgs {
		if o.ID == "bank-north-01" {
			o.ID, o.Name, o.Keys = "bank-added-01", "Bank added", nil
			sum := sha256.Sum256([]byte("token-bank-added-01"))
			o.TokenSHA256 = hex.EncodeToString(sum[:])
			doc.Orgs = append(doc.Orgs, o)
			break
		}
	}
	doc.Version++
	raw2, err := json.Marshal(doc)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dirFile, raw2, 0o644))
	a.signal(t, syscall.SIGHUP)
	deadline := time.Now().Add(30 * time.Second) // a bound for a loaded machine, not a timing assertion
	for {
		status, body = post(urlB, "bank-added-01")
		if status == http.StatusOK {
			break
		}
		require.Equal(t, http.StatusUnauthorized, status, "%s", body)
		if time.Now().After(deadline) {
			t.Fatalf("hub B never took version 2; A: %s\nB: %s", a.stderr.String(), b.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.stop(t)
	b.stop(t)
}
