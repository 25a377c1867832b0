package scaletest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/natstest"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/jetstream"
	"github.com/sicollab/sicollab/submit/submittest"
)

// sharedHub starts a hub whose sink is the stream and whose purposes are
// shared through the cluster's bucket, with a ledger of its own in a new
// directory.
func sharedHub(t *testing.T, c *natstest.Cluster, dir *collab.Directory) (string, *jetstream.SharedPurposes) {
	t.Helper()
	ctx := context.Background()
	nc := c.Connect(t)
	sink, err := jetstream.New(ctx, nc, jetstream.Config{Replicas: 3, CreateStream: true})
	if err != nil {
		t.Fatal(err)
	}
	ledger, err := submit.OpenLedger(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ledger.Close() })
	local, err := submit.NewPurposeRegistry(ledger, nil)
	if err != nil {
		t.Fatal(err)
	}
	shared, err := jetstream.NewPurposes(ctx, nc, local, jetstream.PurposesConfig{Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shared.Close() })
	h, err := submit.NewHandler(submit.HandlerConfig{Org: submittest.HubOrg, Directory: dir, Sink: sink, Ledger: ledger, Purposes: shared})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL, shared
}

// TestPurposesSharedAcrossHubs: a requirement accepted through hub A
// covers records sent to hub B, and a hub started afterwards with no
// files of its own accepts them at once.
func TestPurposesSharedAcrossHubs(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	dir, err := submittest.Directory()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client := &http.Client{Timeout: time.Minute}
	urlA, _ := sharedHub(t, c, dir)
	urlB, sharedB := sharedHub(t, c, dir)

	now := time.Now().UTC().Truncate(time.Second)
	req, reqEnv := requirement(t, dir, now)
	lines, _ := records(t, 3, req, now)
	send := func(url string, line []byte) *submit.Receipt {
		t.Helper()
		status, r, err := post(ctx, client, url, uuid.Must(uuid.NewV7()).String(), ndjson([][]byte{line}))
		if status != http.StatusOK {
			t.Fatalf("post to %s: %d %v", url, status, err)
		}
		return r
	}
	// Before the requirement, no hub knows the purpose.
	status, _, err := post(ctx, client, urlB, uuid.Must(uuid.NewV7()).String(), ndjson(lines[:1]))
	if status != http.StatusUnprocessableEntity || err == nil || !strings.Contains(err.Error(), string(submit.ReasonPurposeUnknown)) {
		t.Fatalf("before the requirement: %d %v; want 422 with purpose_unknown", status, err)
	}

	reqLine, err := reqEnv.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	var r *submit.Receipt
	status, r, err = postAs(ctx, client, submittest.LeadingGroup, urlA, uuid.Must(uuid.NewV7()).String(), ndjson([][]byte{reqLine}))
	if status != http.StatusOK || r.Counts.Accepted != 1 {
		t.Fatalf("requirement to hub A: %d %v %+v", status, err, r)
	}

	// Hub B learns it from the bucket (asynchronously).
	var probe schema.Envelope
	probe.Kind, probe.Purpose = schema.KindFinanceTransaction, schema.Purpose{RequirementID: req}
	partner, _ := dir.Org(submittest.Partner)
	for {
		if _, ok := sharedB.Check(probe, partner); ok {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("hub B never learnt the requirement accepted by hub A")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if r := send(urlB, lines[1]); r.Counts.Accepted != 1 {
		t.Fatalf("record to hub B after the requirement went to A: %+v", r.Results)
	}

	// A hub with no files of its own knows it once it has started.
	urlC, _ := sharedHub(t, c, dir)
	if r := send(urlC, lines[2]); r.Counts.Accepted != 1 {
		t.Fatalf("record to a new hub C: %+v", r.Results)
	}
}
