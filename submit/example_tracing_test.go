package submit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/submittest"
)

// A collector that traces its work submits a record in its trace: the
// hop the client stamps keeps the trace id, and every hub that stores or
// relays the record keeps it too. A real program gets ctx from its own
// span (tracer.Start); ClientConfig.TracerProvider, if set, adds the
// client's spans to the same trace.
func ExampleClient_tracing() {
	hub, err := submittest.StartServer()
	if err != nil {
		panic(err)
	}
	defer hub.Close()
	requirement, err := hub.Requirement(schema.KindFinanceTransaction)
	if err != nil {
		panic(err)
	}
	dir, _ := os.MkdirTemp("", "outbox")
	defer os.RemoveAll(dir)
	c, err := submit.NewClient(submit.ClientConfig{
		Endpoint: hub.URL, Org: submittest.Partner, Token: hub.Token(submittest.Partner),
		OutboxPath: filepath.Join(dir, "outbox.db"),
	})
	if err != nil {
		panic(err)
	}

	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled,
	}))
	at := time.Now().UTC().Truncate(time.Second)
	env := schema.Envelope{
		ID: schema.NewID(), Kind: schema.KindFinanceTransaction, SchemaVersion: 1,
		Source: submittest.Partner, CollectedAt: at,
		Purpose:    schema.Purpose{RequirementID: requirement},
		LegalBasis: "synthetic example basis", Handling: schema.HandlingAmber,
		RetainUntil: at.AddDate(1, 0, 0),
	}
	env.SetPayload(schema.FinanceTransaction{
		Reference: "TX-000001", ExecutedAt: at,
		Amount: schema.Money{Amount: "9500.00", Currency: "EUR"},
		Type:   schema.FinanceTxCashDeposit, Channel: schema.FinanceChannelBranch,
		Beneficiary: &schema.FinanceAccount{Account: schema.Subject{
			Pseudonym: "5d1f5c0e4a0b7a3f8c2e1d9b6a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f",
			IDType:    schema.IDAccount, KeyID: "k-2026-01",
		}},
	})
	if err := c.Submit(ctx, env); err != nil {
		panic(err)
	}
	done, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Close(done); err != nil {
		panic(err)
	}
	stored, err := hub.Store.Get(done, env.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println("hop:", stored.Provenance[0].Org, "trace:", stored.Provenance[0].TraceID)
	// Output:
	// hop: partner-01 trace: 4bf92f3577b34da6a3ce929d0e0e4736
}
