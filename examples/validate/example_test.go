package main

import (
	"fmt"
	"strings"
)

// Three synthetic envelopes as NDJSON on standard input: one valid, one
// without its source, one whose payload lacks its amount. The findings go
// to standard output, the counts to standard error, and the exit status
// is 1 because some are invalid.
func Example() {
	const head = `{"id":"01936f4e-8b2a-7c3d-9e4f-0a1b2c3d4e5f","kind":"finance.transaction","schema_version":1,` +
		`"collected_at":"2026-03-01T08:00:00Z","purpose":{"requirement_id":"01936f4e-0000-7000-8000-000000000001"},` +
		`"legal_basis":"synthetic test basis","handling":"AMBER","retain_until":"2027-03-01T00:00:00Z",`
	payload := `"payload":{"reference":"SYN-0001","executed_at":"2026-03-01T07:59:00Z",` +
		`"amount":{"amount":"48200.00","currency":"CNY"},"type":"cash_deposit","channel":"branch",` +
		`"beneficiary":{"account":{"pseudonym":"` + strings.Repeat("ab", 32) + `","id_type":"account","key_id":"k-2026-01"},"institution":"bank-north-01"}}}`
	input := strings.Join([]string{
		head + `"source":"bank-north-01",` + payload,
		head + payload,
		head + `"source":"bank-north-01",` + strings.Replace(payload, `"amount":{"amount":"48200.00","currency":"CNY"},`, "", 1),
	}, "\n")
	var stdout, stderr strings.Builder
	code := run(nil, strings.NewReader(input), &stdout, &stderr)
	fmt.Print(stdout.String())
	fmt.Print(stderr.String())
	fmt.Println("exit", code)
	// Output:
	// <stdin>:2: /source: required property is missing
	// <stdin>:3: /payload/amount: required property is missing
	// 3 records, 1 valid, 2 invalid
	// exit 1
}
