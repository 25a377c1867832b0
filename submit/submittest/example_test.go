package submittest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/submittest"
)

// A partner's record reaches an in-process hub over plain HTTP.
func ExampleStartServer() {
	hub, err := submittest.StartServer()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer hub.Close()
	req, err := hub.Requirement(schema.KindFinanceTransaction)
	if err != nil {
		fmt.Println(err)
		return
	}

	payload, _ := os.ReadFile("../../schema/testdata/finance.transaction/v1/valid/card_payment_merchant.json")
	var compact bytes.Buffer
	json.Compact(&compact, payload)
	now := time.Now().UTC().Truncate(time.Second)
	env := schema.Envelope{
		ID: uuid.Must(uuid.NewV7()).String(), Kind: schema.KindFinanceTransaction, SchemaVersion: 1,
		Source: submittest.Partner, CollectedAt: now, Purpose: schema.Purpose{RequirementID: req},
		LegalBasis: "Synthetic AML Act, s. 9", Handling: schema.HandlingAmber,
		RetainUntil: now.AddDate(1, 0, 0), Payload: compact.Bytes(),
	}
	line, _ := json.Marshal(env)
	body := append(line, '\n')

	r, _ := http.NewRequest(http.MethodPost, hub.URL+submit.PathSubmissions, bytes.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+hub.Token(submittest.Partner))
	r.Header.Set("Content-Type", submit.MediaNDJSON)
	r.Header.Set(submit.HeaderIdempotencyKey, uuid.Must(uuid.NewV7()).String())
	r.Header.Set(submit.HeaderContentDigest, submit.ContentDigest(body))
	resp, err := hub.HTTP.Client().Do(r)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var rc submit.Receipt
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &rc)
	fmt.Println(resp.StatusCode, rc.Counts.Accepted, rc.Results[0].Status)

	stored, _ := hub.Store.Count()
	fmt.Println("stored:", stored)
	// Output:
	// 200 1 accepted
	// stored: 1
}
