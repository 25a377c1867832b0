package scaletest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/natstest"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/jetstream"
	"github.com/sicollab/sicollab/submit/submittest"
)

// hub is one hub process's worth: a Handler over httptest whose sink is
// the JetStream stream, with a ledger of its own.
type hub struct {
	url  string
	sink *jetstream.Sink
	srv  *httptest.Server
	nc   *nats.Conn
}

// newHub starts a hub on cluster c; the first hub creates the stream,
// with 3 replicas.
func newHub(t testing.TB, c *natstest.Cluster, dir *collab.Directory, reqEnv schema.Envelope) *hub {
	t.Helper()
	nc := c.Connect(t)
	sink, err := jetstream.New(context.Background(), nc, jetstream.Config{
		Replicas: min(3, c.Len()), CreateStream: true, AckTimeout: 2 * time.Second, MaxAttempts: 3, Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ledger, err := submit.OpenLedger(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ledger.Close() })
	h, err := submit.NewHandler(submit.HandlerConfig{
		Org: submittest.HubOrg, Directory: dir, Sink: sink, Ledger: ledger, MaxInFlight: 64,
		Limits: submit.Limits{RecordsPerSecond: 1e9, Burst: 1 << 30},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Purposes().(submit.Learner).Learn(context.Background(), []schema.Envelope{reqEnv}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &hub{url: srv.URL, sink: sink, srv: srv, nc: nc}
}

// requirement returns an active requirement covering finance.transaction
// for every organization of dir, and its envelope, from the leading
// group.
func requirement(t testing.TB, dir *collab.Directory, now time.Time) (string, schema.Envelope) {
	t.Helper()
	id, env, err := newRequirement(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	return id, env
}

// newRequirement is requirement for a caller without a testing.TB.
func newRequirement(dir *collab.Directory, now time.Time) (string, schema.Envelope, error) {
	var sectors, regions []string
	for _, o := range dir.Orgs() {
		for _, s := range o.Sectors {
			if !slices.Contains(sectors, string(s)) {
				sectors = append(sectors, string(s))
			}
		}
		if !slices.Contains(regions, o.Region) {
			regions = append(regions, o.Region)
		}
	}
	req := schema.Requirement{
		ID: uuid.Must(uuid.NewV7()).String(), Type: schema.RequirementEarlyWarning, Title: "scale test",
		Description: "A requirement for the cluster tests.", Issuer: submittest.LeadingGroup, IssuedAt: now,
		Scope: schema.Scope{Kinds: []string{schema.KindFinanceTransaction}, Sectors: sectors, Regions: regions,
			Window: schema.Window{From: now.Add(-24 * time.Hour), To: now.AddDate(1, 0, 0)}},
		Priority: schema.PriorityMedium, LegalBasis: "test", Status: schema.RequirementActive,
	}
	env := schema.Envelope{ID: uuid.Must(uuid.NewV7()).String(), Kind: schema.KindRequirement, SchemaVersion: 1,
		Source: submittest.LeadingGroup, CollectedAt: now, Purpose: schema.Purpose{RequirementID: req.ID},
		LegalBasis: "test", Handling: schema.HandlingGreen, RetainUntil: now.AddDate(2, 0, 0)}
	if err := env.SetPayload(req); err != nil {
		return "", env, fmt.Errorf("requirement: %w", err)
	}
	return req.ID, env, nil
}

// records returns the NDJSON lines and ids of n synthetic
// finance.transaction records from submittest.Partner, stamped with its
// collection hop.
func records(t testing.TB, n int, req string, now time.Time) (lines [][]byte, ids []string) {
	t.Helper()
	lines, ids, err := newRecords(n, req, now)
	if err != nil {
		t.Fatal(err)
	}
	return lines, ids
}

// newRecords is records for a caller without a testing.TB.
func newRecords(n int, req string, now time.Time) (lines [][]byte, ids []string, err error) {
	for i := range n {
		at := now.Add(-time.Duration(i%3600) * time.Second)
		env := schema.Envelope{
			ID: uuid.Must(uuid.NewV7()).String(), Kind: schema.KindFinanceTransaction, SchemaVersion: 1,
			Source: submittest.Partner, CollectedAt: at, Purpose: schema.Purpose{RequirementID: req},
			LegalBasis: "synthetic test basis", Handling: schema.HandlingAmber, RetainUntil: now.AddDate(1, 0, 0),
		}
		err := env.SetPayload(schema.FinanceTransaction{
			Reference: fmt.Sprintf("TX-%09d", i), ExecutedAt: at,
			Amount: schema.Money{Amount: fmt.Sprintf("%d.%02d", 100+i%90000, i%100), Currency: "EUR"},
			Type:   schema.FinanceTxCashDeposit, Channel: schema.FinanceChannelBranch,
			Beneficiary: &schema.FinanceAccount{Account: schema.Subject{
				Pseudonym: fmt.Sprintf("%064x", i%5000), IDType: schema.IDAccount, KeyID: "k-2026-01",
			}},
		})
		if err == nil {
			err = env.Stamp(submittest.Partner, schema.StageCollection, at)
		}
		var line []byte
		if err == nil {
			line, err = env.AppendJSON(nil)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("record %d: %w", i, err)
		}
		lines = append(lines, line)
		ids = append(ids, env.ID)
	}
	return lines, ids, nil
}

// post sends one batch from submittest.Partner with key to url and
// returns the status and, on 200, the receipt. A transport error is
// status 0.
func post(ctx context.Context, client *http.Client, url, key string, body []byte) (int, *submit.Receipt, error) {
	return postAs(ctx, client, submittest.Partner, url, key, body)
}

// postAs is post from org.
func postAs(ctx context.Context, client *http.Client, org, url, key string, body []byte) (int, *submit.Receipt, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/submissions", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+submittest.Token(org))
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set(submit.HeaderIdempotencyKey, key)
	req.Header.Set(submit.HeaderContentDigest, submit.ContentDigest(body))
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(raw)))
	}
	var r submit.Receipt
	if err := json.Unmarshal(raw, &r); err != nil {
		return resp.StatusCode, nil, err
	}
	return resp.StatusCode, &r, nil
}

// ndjson joins lines into a body.
func ndjson(lines [][]byte) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		b.Write(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// testWriter writes a logger's lines to the test's log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
