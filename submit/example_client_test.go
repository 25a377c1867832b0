package submit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/submittest"
)

// A bank submits records through a Client: each Submit returns once the
// record is durable in the outbox; Close sends what is queued and waits
// for the receipts. The hub is submittest's, in process on loopback: a
// department runs submit.Handler the same way (see NewHandler).
func ExampleClient() {
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
		Endpoint:   hub.URL,
		Org:        submittest.Partner,
		Token:      hub.Token(submittest.Partner),
		OutboxPath: filepath.Join(dir, "outbox.db"),
		OnReceipt: func(r submit.Receipt) {
			fmt.Println("receipt:", r.Counts.Accepted, "accepted")
		},
	})
	if err != nil {
		panic(err)
	}
	// An invalid record is refused at once and never queued.
	bad := schema.Envelope{ID: "not-a-uuid", Source: submittest.Partner}
	fmt.Println("invalid:", c.Submit(context.Background(), bad) != nil)

	at := time.Now().UTC().Truncate(time.Second) // inside the requirement's window
	for i := range 2 {
		env := schema.Envelope{
			ID: schema.NewID(), Kind: schema.KindFinanceTransaction, SchemaVersion: 1,
			Source: submittest.Partner, CollectedAt: at,
			Purpose:    schema.Purpose{RequirementID: requirement},
			LegalBasis: "synthetic example basis", Handling: schema.HandlingAmber,
			RetainUntil: at.AddDate(1, 0, 0),
		}
		env.SetPayload(schema.FinanceTransaction{
			Reference: fmt.Sprintf("TX-%06d", i), ExecutedAt: at,
			Amount: schema.Money{Amount: "9500.00", Currency: "EUR"},
			Type:   schema.FinanceTxCashDeposit, Channel: schema.FinanceChannelBranch,
			Beneficiary: &schema.FinanceAccount{Account: schema.Subject{
				Pseudonym: "5d1f5c0e4a0b7a3f8c2e1d9b6a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f",
				IDType:    schema.IDAccount, KeyID: "k-2026-01",
			}},
		})
		if err := c.Submit(context.Background(), env); err != nil {
			panic(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		panic(err)
	}
	st := c.Stats()
	fmt.Println("delivered:", st.Delivered, "left:", st.Queued+st.InFlight)
	// Output:
	// invalid: true
	// receipt: 2 accepted
	// delivered: 2 left: 0
}
