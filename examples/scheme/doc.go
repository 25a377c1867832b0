// Command scheme runs the whole collaboration scheme in one process, on
// loopback, with embedded stores in a temporary folder: the leading group
// plans and assigns, social forces collect and submit through rate-limited
// clients, ministries process, list, escalate and relay, public security
// analyses, seconds an expert, applies, reads the ministries' lists over
// TAXII and sends its verdicts on their entries back; the feedback they
// make revises the plans, and a second round runs task-oriented under a
// task-specific requirement, with a case from the library and a hired
// expert. It ends with a summary of what changed and why, and the planted
// patterns found against the ground truth.
//
//	go run ./examples/scheme [-records N] [-seed S] [-out DIR] [-nats]
//
// With -nats the hubs run over an embedded 3-node JetStream cluster on
// loopback (nats.go): their ledgers and purposes live in its buckets and
// what they accept goes to its stream before their own stores.
package main
