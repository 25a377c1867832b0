package submit_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
)

// A bank submits records through a Client: each Submit returns once the
// record is durable in the outbox; Close sends what is queued and waits
// for the receipts. The hub here is a stand-in that accepts every line;
// a department runs submit.Handler.
func ExampleClient() {
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == submit.PathLimits {
			json.NewEncoder(w).Encode(submit.DefaultLimits())
			return
		}
		rc := submit.Receipt{SubmissionID: "s-1", IdempotencyKey: r.Header.Get(submit.HeaderIdempotencyKey)}
		for sc := bufio.NewScanner(r.Body); sc.Scan(); {
			rc.Counts.Records++
			rc.Counts.Accepted++
			rc.Results = append(rc.Results, submit.RecordResult{Line: rc.Counts.Records, Status: submit.StatusAccepted})
		}
		json.NewEncoder(w).Encode(rc)
	}))
	defer hub.Close()
	dir, _ := os.MkdirTemp("", "outbox")
	defer os.RemoveAll(dir)

	c, err := submit.NewClient(submit.ClientConfig{
		Endpoint:   hub.URL,
		Org:        "bank-north-01",
		Token:      "the bank's token",
		OutboxPath: filepath.Join(dir, "outbox.db"),
		OnReceipt: func(r submit.Receipt) {
			fmt.Println("receipt:", r.Counts.Accepted, "accepted")
		},
	})
	if err != nil {
		panic(err)
	}
	// An invalid record is refused at once and never queued.
	bad := schema.Envelope{ID: "not-a-uuid", Source: "bank-north-01"}
	fmt.Println("invalid:", c.Submit(context.Background(), bad) != nil)

	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	for i, id := range []string{"01950a7e-3c00-7d2a-9b1e-4f6a8c0d2e47", "01950a7e-3c00-7d2a-9b1e-4f6a8c0d2e48"} {
		env := schema.Envelope{
			ID: id, Kind: schema.KindFinanceTransaction, SchemaVersion: 1,
			Source: "bank-north-01", CollectedAt: at,
			Purpose:    schema.Purpose{RequirementID: "01950a00-0000-7000-8000-000000000001"},
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
