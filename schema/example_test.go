package schema_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/sicollab/sicollab/schema"
)

// A bank builds a record with the Go type of its kind, wraps it in an
// envelope, stamps provenance and validates it before it leaves.
func Example() {
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	tx := schema.FinanceTransaction{
		Reference:  "TX-000017",
		ExecutedAt: at,
		Amount:     schema.Money{Amount: "9500.00", Currency: "EUR"},
		Type:       schema.FinanceTxCashDeposit,
		Channel:    schema.FinanceChannelBranch,
		Beneficiary: &schema.FinanceAccount{Account: schema.Subject{
			Pseudonym: "5d1f5c0e4a0b7a3f8c2e1d9b6a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f",
			IDType:    schema.IDAccount, KeyID: "k-2026-01",
		}},
		Indicators: []schema.FinanceIndicator{"structuring"},
	}
	env := schema.Envelope{
		ID:            "01950a7e-3c00-7d2a-9b1e-4f6a8c0d2e47", // uuid.NewV7() in real code
		Kind:          schema.KindFinanceTransaction,
		SchemaVersion: 1,
		Source:        "bank-north-01",
		CollectedAt:   at,
		Purpose:       schema.Purpose{RequirementID: "01950a00-0000-7000-8000-000000000001"},
		LegalBasis:    "synthetic example basis",
		Handling:      schema.HandlingAmber,
		RetainUntil:   at.AddDate(1, 0, 0),
	}
	if err := env.SetPayload(tx); err != nil {
		panic(err)
	}
	if err := env.Stamp("bank-north-01", schema.StageCollection, at); err != nil {
		panic(err)
	}
	raw, _ := json.Marshal(env)

	v, err := schema.NewValidator()
	if err != nil {
		panic(err)
	}
	got, err := v.Validate(raw)
	if err != nil {
		panic(err)
	}
	digest, _ := got.Digest()
	fmt.Println(got.Kind, got.Source, got.Handling)
	fmt.Println("digest matches provenance:", digest == got.Provenance[0].Digest)
	// Output:
	// finance.transaction bank-north-01 AMBER
	// digest matches provenance: true
}

// Every violation carries a JSON pointer, the keyword that failed and a
// message.
func ExampleValidator_Validate() {
	v, _ := schema.NewValidator()
	_, err := v.Validate([]byte(`{
	  "id": "01950a7e-3c00-7d2a-9b1e-4f6a8c0d2e47", "kind": "finance.transaction", "schema_version": 1,
	  "source": "bank-north-01", "collected_at": "2026-03-02T09:30:00Z",
	  "purpose": {"requirement_id": "01950a00-0000-7000-8000-000000000001"},
	  "legal_basis": "synthetic example basis", "handling": "AMBER", "retain_until": "2027-03-02T09:30:00Z",
	  "payload": {"reference": "TX-1", "executed_at": "2026-03-02T09:30:00Z",
	              "amount": {"amount": "9500.00", "currency": "eur"},
	              "type": "cash_deposit", "channel": "branch", "religion": "x"}}`))
	var ve *schema.ValidationError
	if errors.As(err, &ve) {
		for _, x := range ve.Violations {
			fmt.Println(x.Pointer, x.Keyword)
		}
	}
	fmt.Println(errors.Is(err, schema.ErrInvalid))
	// Output:
	// /payload/amount/currency pattern
	// /payload/beneficiary required
	// /payload/religion additionalProperties
	// true
}

// Kinds lists what the embedded schemas cover.
func ExampleKinds() {
	for _, k := range schema.Kinds() {
		if strings.HasPrefix(k.Kind, "customs.") {
			fmt.Println(k.Kind, k.Versions)
		}
	}
	// Output:
	// customs.entry_exit [1]
	// customs.inspection [1]
}

// NewID gives the UUID v7 every record needs.
func ExampleNewID() {
	id := schema.NewID()
	u := uuid.MustParse(id)
	fmt.Println(u.Version(), u.Variant(), len(id))
	// Output: VERSION_7 RFC4122 36
}
