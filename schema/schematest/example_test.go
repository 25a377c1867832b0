package schematest_test

import (
	"fmt"
	"strings"

	"github.com/sicollab/sicollab/schema/schematest"
)

// CheckRecords reports every finding with the record's index and the JSON
// pointer at fault. In a test, call schematest.TestRecords(t, records) instead.
func ExampleCheckRecords() {
	records := [][]byte{[]byte(`{"id":"01950a7e-3c00-7d2a-9b1e-4f6a8c0d2e47","kind":"services.lodging","schema_version":1,` +
		`"source":"hotel-east-01","collected_at":"2026-03-02T09:30:00Z","purpose":{"task_id":"01950a00-0000-7000-8000-000000000001"},` +
		`"legal_basis":"synthetic","handling":"GREEN","retain_until":"2027-03-02T09:30:00Z","payload":{}}`)}
	err := schematest.CheckRecords(records)
	lines := strings.Split(err.Error(), "\n")
	fmt.Println(len(lines), "findings, the first:")
	fmt.Println(lines[0])
	// Output:
	// 9 findings, the first:
	// record 0: /payload/booking_channel: required property is missing (required)
}
