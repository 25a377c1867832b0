package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit/submittest"
)

// A partner's first record, from the schema's synthetic test vectors,
// reaches an in-process hub on loopback that knows the requirement it is
// collected under. The record's and the submission's ids are new on every
// run, so the example prints the receipt's counts and what the hub holds.
func Example() {
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
	tmp, err := os.MkdirTemp("", "partner-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(tmp)
	token := filepath.Join(tmp, "token")
	if err := os.WriteFile(token, []byte(hub.Token(submittest.Partner)+"\n"), 0o600); err != nil {
		fmt.Println(err)
		return
	}

	var out, errOut strings.Builder
	code := run([]string{"-hub", hub.URL, "-org", submittest.Partner, "-token-file", token,
		"-payload", "../../schema/testdata/finance.transaction/v1/valid/card_payment_merchant.json",
		"-requirement", req, "-legal-basis", "Synthetic Anti-Money Laundering Act, art. 12",
		"-outbox", filepath.Join(tmp, "outbox.db"), "-timeout", "30s"}, &out, &errOut)
	if code != 0 {
		fmt.Println("exit", code, errOut.String())
		return
	}
	receipt := strings.TrimSpace(out.String())
	fmt.Println("accepted:", strings.HasPrefix(receipt, "accepted record "), receipt[strings.LastIndex(receipt, "("):])
	stored, err := hub.Store.Count()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("the hub holds", stored)
	// Output:
	// accepted: true (1 accepted, 0 duplicate)
	// the hub holds 1
}
