// Command partner is a new partner's first program, the one
// docs/integrating.md builds step by step: it wraps one record in an
// envelope under the purpose the scheme gave it, submits it through a
// submit.Client with a durable outbox, and waits for the hub's receipt.
//
//	partner -hub http://127.0.0.1:8480 -org bank-north-01 -token-file token \
//	    -kind finance.transaction -payload record.json -requirement <id>
//
// It prints the receipt on stdout and exits 0 when the record is accepted;
// a record the hub refuses comes back from Flush as an error, printed on
// stderr with the reason, and the exit code is 1 (2 on bad usage).
package main
