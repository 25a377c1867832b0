// Package schematest is a conformance kit for partners: call it from your
// own tests (go test) to prove that the envelopes your code produces are
// what every hub in the scheme will accept, in the manner of
// testing/slogtest.
//
// # What it checks
//
// For every record: the envelope and its payload pass the embedded schemas
// (every violation is reported with its JSON pointer); the payload
// round-trips through the SDK's Go type of its kind; retain_until is after
// collected_at; provenance hops are in time order, none before
// collected_at, and the newest hop's digest matches the payload. Across
// records: ids are unique, and every kind you say you produce appears.
//
// # Use
//
// Produce records as your integration does (through your collector and
// processors, with synthetic input), marshal each envelope, and call
// TestRecords:
//
//	func TestConformance(t *testing.T) {
//		records := produceSyntheticBatch(t) // [][]byte, one envelope each
//		schematest.TestRecords(t, records, schematest.WithKinds(schema.KindFinanceTransaction))
//	}
//
// CheckRecords returns the same findings as one error, for use outside
// tests. The kits of the SDK are named alike: schematest.CheckRecords,
// stagetest.CheckCollector and stagetest.CheckProcessor return an error;
// TestRecords, TestCollector and TestProcessor report to a *testing.T;
// submittest.NewServer starts a hub for a test.
package schematest
