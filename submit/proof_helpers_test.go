package submit_test

// Helpers of the proofs (proof_crash_test.go, proof_faults_test.go,
// e2e_bench_test.go). They live in the external test package because
// they run submittest's hub, which imports package submit.

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/submittest"
)

// proofT0 is the collection time of the proofs' records.
var proofT0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// proofID returns the id of record i: a UUID v7 whose millisecond time is
// proofT0 plus i and whose random bits hold i, so the same index gives the
// same id in every process (the crash proof's restarts).
func proofID(i int) string {
	var u uuid.UUID
	ms := uint64(proofT0.UnixMilli()) + uint64(i)
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	u[6] = 0x70 // version 7, rand_a 0
	binary.BigEndian.PutUint64(u[8:], uint64(i))
	u[8] = 0x80 | u[8]&0x3f // variant 10
	return u.String()
}

// proofEnv returns record i: a valid finance.transaction from org under
// the requirement req, the same in every process.
func proofEnv(i int, org, req string) schema.Envelope {
	tx := schema.FinanceTransaction{
		Reference:  fmt.Sprintf("TX-%09d", i),
		ExecutedAt: proofT0.Add(time.Duration(i) * time.Second),
		Amount:     schema.Money{Amount: fmt.Sprintf("%d.%02d", 100+i%90000, i%100), Currency: "EUR"},
		Type:       schema.FinanceTxCashDeposit,
		Channel:    schema.FinanceChannelBranch,
		Beneficiary: &schema.FinanceAccount{Account: schema.Subject{
			Pseudonym: "5d1f5c0e4a0b7a3f8c2e1d9b6a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f",
			IDType:    schema.IDAccount, KeyID: "k-2026-01",
		}},
		Indicators: []schema.FinanceIndicator{"structuring"},
	}
	env := schema.Envelope{
		ID:            proofID(i),
		Kind:          schema.KindFinanceTransaction,
		SchemaVersion: 1,
		Source:        org,
		CollectedAt:   proofT0.Add(time.Duration(i) * time.Second),
		Purpose:       schema.Purpose{RequirementID: req},
		LegalBasis:    "synthetic test basis",
		Handling:      schema.HandlingAmber,
		RetainUntil:   proofT0.AddDate(10, 0, 0),
	}
	if err := env.SetPayload(tx); err != nil {
		panic(err) // a FinanceTransaction always marshals
	}
	return env
}

// proofEnvs returns records [from, from+n).
func proofEnvs(from, n int, org, req string) []schema.Envelope {
	out := make([]schema.Envelope, n)
	for k := range out {
		out[k] = proofEnv(from+k, org, req)
	}
	return out
}

// proofHub starts submittest's hub with a requirement covering
// finance.transaction and returns it with the requirement's id.
func proofHub(tb testing.TB, opts ...submittest.Option) (*submittest.Server, string) {
	tb.Helper()
	hub := submittest.NewServer(tb, opts...)
	req, err := hub.Requirement(schema.KindFinanceTransaction)
	if err != nil {
		tb.Fatal(err)
	}
	return hub, req
}

// proofCheckStore fails unless the hub's store holds exactly records
// [0, n) and the ledger's receipts for org accepted each id once. It
// returns the receipts' totals.
func proofCheckStore(tb testing.TB, hub *submittest.Server, org string, n int) submit.Counts {
	tb.Helper()
	ctx := context.Background()
	count, err := hub.Store.Count()
	if err != nil {
		tb.Fatal(err)
	}
	if count != n {
		tb.Errorf("store holds %d records, want %d", count, n)
	}
	missing := 0
	for i := range n {
		env, err := hub.Store.Get(ctx, proofID(i))
		if err != nil || env.ID != proofID(i) {
			if missing++; missing <= 5 {
				tb.Errorf("record %d (%s): %v", i, proofID(i), err)
			}
		}
	}
	if missing > 0 {
		tb.Errorf("%d of %d records missing from the store", missing, n)
	}
	receipts, err := hub.Receipts(org)
	if err != nil {
		tb.Fatal(err)
	}
	var total submit.Counts
	accepted := make(map[string]int, n)
	for _, rc := range receipts {
		total.Records += rc.Counts.Records
		total.Accepted += rc.Counts.Accepted
		total.Duplicate += rc.Counts.Duplicate
		total.Rejected += rc.Counts.Rejected
		for _, r := range rc.Results {
			if r.Status == submit.StatusAccepted {
				accepted[r.ID]++
			}
		}
	}
	if total.Accepted != n || len(accepted) != n {
		tb.Errorf("receipts accepted %d records (%d distinct ids), want %d", total.Accepted, len(accepted), n)
	}
	for id, k := range accepted {
		if k > 1 {
			tb.Errorf("record %s accepted %d times", id, k)
		}
	}
	if total.Rejected != 0 {
		tb.Errorf("receipts rejected %d records", total.Rejected)
	}
	return total
}

// proofJSON marshals v or panics (test values always marshal).
func proofJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
