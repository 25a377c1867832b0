package submit_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/submittest"
)

// exampleAt is the collection time of the examples' records.
var exampleAt = time.Now().UTC().Truncate(time.Second)

// exampleRecord is a synthetic fund flow from org under requirement.
func exampleRecord(org, requirement string, h schema.Handling) schema.Envelope {
	env := schema.Envelope{
		ID: schema.NewID(), Kind: schema.KindFinanceTransaction, SchemaVersion: 1,
		Source: org, CollectedAt: exampleAt, Purpose: schema.Purpose{RequirementID: requirement},
		LegalBasis: "synthetic example basis", Handling: h, RetainUntil: exampleAt.AddDate(1, 0, 0),
	}
	if err := env.SetPayload(schema.FinanceTransaction{
		Reference: "TX-000001", ExecutedAt: exampleAt,
		Amount: schema.Money{Amount: "9500.00", Currency: "EUR"},
		Type:   schema.FinanceTxCashDeposit, Channel: schema.FinanceChannelBranch,
		Beneficiary: &schema.FinanceAccount{Account: schema.Subject{
			Pseudonym: "5d1f5c0e4a0b7a3f8c2e1d9b6a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f",
			IDType:    schema.IDAccount, KeyID: "k-2026-01",
		}},
	}); err != nil {
		panic(err)
	}
	return env
}

// A department embeds the receiving side: a Handler over a Store and a
// Ledger, authorizing by its directory. Here a partner's client submits
// one record to it over loopback HTTP.
func ExampleNewHandler() {
	dir, _ := os.MkdirTemp("", "hub")
	defer os.RemoveAll(dir)
	directory, err := submittest.Directory() // the scheme's signed-off directory in production
	if err != nil {
		panic(err)
	}
	store, err := submit.OpenStore(filepath.Join(dir, "store.db"))
	if err != nil {
		panic(err)
	}
	defer store.Close()
	ledger, err := submit.OpenLedger(filepath.Join(dir, "ledger.db"))
	if err != nil {
		panic(err)
	}
	defer ledger.Close()
	h, err := submit.NewHandler(submit.HandlerConfig{
		Org: submittest.HubOrg, Directory: directory, Sink: store, Ledger: ledger,
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	// The hub learns the requirement from its issuer (submitted like any
	// message, or from an operator's file); the partner collects under it.
	requirement := schema.NewID()
	learner := h.Purposes().(submit.Learner) // the default PurposeRegistry learns
	if err := learner.Learn(context.Background(), []schema.Envelope{requirementEnvelope(requirement)}); err != nil {
		panic(err)
	}
	c, err := submit.NewClient(submit.ClientConfig{
		Endpoint: srv.URL, Org: submittest.Partner, Token: submittest.Token(submittest.Partner),
		OutboxPath: filepath.Join(dir, "outbox.db"),
		OnReceipt:  func(r submit.Receipt) { fmt.Println("receipt:", r.Counts.Accepted, "accepted") },
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

	// What the hub accepted is in its store, durable before the receipt.
	got, err := store.Get(ctx, env.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println("stored from", got.Source, "with", len(got.Provenance), "hop")
	// Output:
	// receipt: 1 accepted
	// stored from partner-01 with 1 hop
}

// Relay is the Sink of a hub that passes records on: it keeps each record
// in its own store, stamps its own hop and forwards it upward; RED
// records stay where they arrived.
func ExampleNewRelay() {
	dir, _ := os.MkdirTemp("", "relay")
	defer os.RemoveAll(dir)
	store, err := submit.OpenStore(filepath.Join(dir, "store.db"))
	if err != nil {
		panic(err)
	}
	defer store.Close()
	// Upward, a ministry relays through a submit.Client (Relay: true);
	// here a function shows what leaves.
	upward := submitFunc(func(_ context.Context, env schema.Envelope) error {
		last := env.Provenance[len(env.Provenance)-1]
		fmt.Println("relayed", env.Handling, "record, newest hop by", last.Org, "at stage", last.Stage)
		return nil
	})
	relay, err := submit.NewRelay(store, upward, "central-bank", nil)
	if err != nil {
		panic(err)
	}
	var envs []schema.Envelope
	for _, h := range []schema.Handling{schema.HandlingAmber, schema.HandlingRed} {
		env := exampleRecord("bank-north-01", schema.NewID(), h)
		if err := env.Stamp("bank-north-01", schema.StageCollection, exampleAt); err != nil {
			panic(err)
		}
		envs = append(envs, env)
	}
	if err := relay.Put(context.Background(), envs); err != nil {
		panic(err)
	}
	n, _ := store.Count()
	fmt.Println("kept here:", n)
	// Output:
	// relayed AMBER record, newest hop by central-bank at stage processing
	// kept here: 2
}

// submitFunc adapts a function to the Relay's upward destination.
type submitFunc func(context.Context, schema.Envelope) error

func (f submitFunc) Submit(ctx context.Context, env schema.Envelope) error { return f(ctx, env) }

// A record the hub refuses is not lost: Flush says so, the record waits
// in the dead letters, and once the cause is fixed (here the hub learns
// the requirement it was collected under) Resubmit sends it again.
func ExampleClient_Resubmit() {
	hub, err := submittest.StartServer()
	if err != nil {
		panic(err)
	}
	defer hub.Close()
	dir, _ := os.MkdirTemp("", "outbox")
	defer os.RemoveAll(dir)
	c, err := submit.NewClient(submit.ClientConfig{
		Endpoint: hub.URL, Org: submittest.Partner, Token: hub.Token(submittest.Partner),
		OutboxPath: filepath.Join(dir, "outbox.db"),
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	defer c.Close(ctx)

	// Collected under a requirement the hub has not heard of yet.
	requirement := schema.NewID()
	if err := c.Submit(ctx, exampleRecord(submittest.Partner, requirement, schema.HandlingAmber)); err != nil {
		panic(err)
	}
	err = c.Flush(ctx)
	var refused *submit.RefusedError
	if errors.As(err, &refused) {
		fmt.Println("refused:", refused.Refused, "record, reasons", refused.ByReason)
	}
	page, err := c.DeadLetters(ctx, submit.DeadLetterQuery{Limit: 10})
	if err != nil {
		panic(err)
	}
	dead := page.DeadLetters
	fmt.Println("dead letters:", len(dead), dead[0].Cause, dead[0].Reason)

	// The requirement reaches the hub; the record goes again.
	if err := hub.Learn(requirementEnvelope(requirement)); err != nil {
		panic(err)
	}
	if err := c.Resubmit(ctx, dead[0].ID); err != nil {
		panic(err)
	}
	fmt.Println("flush after resubmit:", c.Flush(ctx))
	st := c.Stats()
	fmt.Println("delivered:", st.Delivered, "dead letters left:", st.DeadLetters)
	// Output:
	// refused: 1 record, reasons map[purpose_unknown:1]
	// dead letters: 1 rejected purpose_unknown
	// flush after resubmit: <nil>
	// delivered: 1 dead letters left: 0
}

// requirementEnvelope is the leading group's requirement id, covering
// fund flows of submittest's partner.
func requirementEnvelope(id string) schema.Envelope {
	req := schema.Requirement{
		ID: id, Type: schema.RequirementEarlyWarning, Title: "Corridor watch",
		Description: "Report corridor transactions.", Issuer: submittest.LeadingGroup, IssuedAt: exampleAt,
		Scope: schema.Scope{Kinds: []string{schema.KindFinanceTransaction}, Sectors: []string{"finance"},
			Regions: []string{submittest.Region},
			Window:  schema.Window{From: exampleAt.Add(-time.Hour), To: exampleAt.AddDate(0, 1, 0)}},
		Priority: schema.PriorityMedium, LegalBasis: "synthetic example basis", Status: schema.RequirementActive,
	}
	env := schema.Envelope{ID: schema.NewID(), Kind: schema.KindRequirement, SchemaVersion: 1,
		Source: submittest.LeadingGroup, CollectedAt: exampleAt, Purpose: schema.Purpose{RequirementID: id},
		LegalBasis: "synthetic example basis", Handling: schema.HandlingGreen, RetainUntil: exampleAt.AddDate(1, 0, 0)}
	if err := env.SetPayload(req); err != nil {
		panic(err)
	}
	return env
}
