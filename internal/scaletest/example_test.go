package scaletest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/sicollab/sicollab/internal/natstest"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
	stagejs "github.com/sicollab/sicollab/stage/jetstream"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/jetstream"
	"github.com/sicollab/sicollab/submit/submittest"
)

// The chain the tests of this package run at scale, at its smallest: one
// JetStream server on loopback (natstest.Run), a hub whose sink is the
// stream (package submit/jetstream) taking a batch of 5 synthetic records
// and, sent again under another key, answering that all 5 are duplicates;
// then the analysis side reading the stream through a durable consumer
// (package stage/jetstream) finds each record once.
func Example() {
	tmp, err := os.MkdirTemp("", "scaletest-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(tmp)
	c, err := natstest.Run(filepath.Join(tmp, "nats"), 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Shutdown()
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	dir, err := submittest.Directory()
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Now().UTC().Truncate(time.Second)
	req, reqEnv, err := newRequirement(dir, now)
	if err != nil {
		fmt.Println(err)
		return
	}
	sink, err := jetstream.New(ctx, nc, jetstream.Config{Replicas: 1, CreateStream: true, AckTimeout: 2 * time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	ledger, err := submit.OpenLedger(filepath.Join(tmp, "ledger.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ledger.Close()
	h, err := submit.NewHandler(submit.HandlerConfig{Org: submittest.HubOrg, Directory: dir, Sink: sink, Ledger: ledger})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := h.Purposes().(submit.Learner).Learn(ctx, []schema.Envelope{reqEnv}); err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	lines, _, err := newRecords(5, req, now)
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 2 {
		status, r, err := post(ctx, srv.Client(), srv.URL, uuid.Must(uuid.NewV7()).String(), ndjson(lines))
		if status != http.StatusOK {
			fmt.Println(status, err)
			return
		}
		fmt.Println("accepted", r.Counts.Accepted, "duplicate", r.Counts.Duplicate)
	}

	col, err := stagejs.New(ctx, nc, stagejs.Config{CreateConsumer: true, StopWhenIdle: true, FetchWait: 100 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	seen := map[string]int{}
	analysis := stage.SubmitterFunc(func(_ context.Context, env schema.Envelope) error {
		seen[env.ID]++
		return nil
	})
	if _, err := stage.Run(ctx, col.Pipeline(stage.Config{Sink: analysis})); err != nil {
		fmt.Println(err)
		return
	}
	more := 0
	for _, n := range seen {
		if n > 1 {
			more++
		}
	}
	fmt.Println("read from the stream:", len(seen), "records,", more, "more than once; acknowledged:", col.Stats().Acked)
	// Output:
	// accepted 5 duplicate 0
	// accepted 0 duplicate 5
	// read from the stream: 5 records, 0 more than once; acknowledged: 5
}
