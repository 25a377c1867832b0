package submit_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/submittest"
	"github.com/sicollab/sicollab/submit/translog"
)

// A hub in one file: the Ledger's own Store and a transparency log in
// the same file, so each batch's records, their ids, the receipt and its
// log leaf are one transaction, one fsync.
func ExampleLedger_Store() {
	dir, _ := os.MkdirTemp("", "hub")
	defer os.RemoveAll(dir)
	directory, err := submittest.Directory()
	if err != nil {
		panic(err)
	}
	ledger, err := submit.OpenLedger(filepath.Join(dir, "ledger.db"))
	if err != nil {
		panic(err)
	}
	defer ledger.Close()
	skey, vkey, err := translog.GenerateKey("hub.example/log")
	if err != nil {
		panic(err)
	}
	lg, err := ledger.OpenLog(translog.Config{SignerKey: skey, VerifierKey: vkey})
	if err != nil {
		panic(err)
	}
	store := ledger.Store()
	h, err := submit.NewHandler(submit.HandlerConfig{
		Org: submittest.HubOrg, Directory: directory, Sink: store, Ledger: ledger, Log: lg,
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	requirement := schema.NewID()
	if err := h.Purposes().(submit.Learner).Learn(context.Background(), []schema.Envelope{requirementEnvelope(requirement)}); err != nil {
		panic(err)
	}
	c, err := submit.NewClient(submit.ClientConfig{
		Endpoint: srv.URL, Org: submittest.Partner, Token: submittest.Token(submittest.Partner),
		OutboxPath: filepath.Join(dir, "outbox.db"),
		OnReceipt: func(r submit.Receipt) {
			fmt.Println("receipt:", r.Counts.Accepted, "accepted, logged at leaf", r.Log.Index)
		},
	})
	if err != nil {
		panic(err)
	}
	env := exampleRecord(submittest.Partner, requirement, schema.HandlingAmber)
	ctx := context.Background()
	if err := c.Submit(ctx, env); err != nil {
		panic(err)
	}
	if err := c.Close(ctx); err != nil {
		panic(err)
	}
	got, err := store.Get(ctx, env.ID)
	if err != nil {
		panic(err)
	}
	fmt.Printf("stored from %s, log size %d\n", got.Source, lg.Checkpoint().Size)
	// Output:
	// receipt: 1 accepted, logged at leaf 0
	// stored from partner-01, log size 1
}
