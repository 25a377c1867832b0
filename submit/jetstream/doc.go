// Package jetstream is a hub's submit.Sink on NATS JetStream: the records
// a submit.Handler accepted are published to a replicated stream, and Put
// returns only once the stream acknowledged every one of them, so the hub
// answers only for what the cluster holds (durable before acknowledged,
// as with the embedded store).
//
// # Subjects and deduplication
//
// A record of kind finance.transaction from org bank-01 is published on
//
//	<SubjectPrefix>.finance.transaction.bank-01
//
// so consumers filter by kind (sicollab.records.finance.transaction.>)
// or by source (sicollab.records.*.*.bank-01). Bytes that may not stand
// in a subject token are escaped (see Subject). Each message carries
// Nats-Msg-Id "<source>/<id>": the stream drops a second copy within its
// duplicate window (Config.Duplicates), which is what makes Put
// idempotent by id when a hub, or another hub, is given the same records
// again after a crash or a lost answer.
//
// # Flow
//
// Put publishes asynchronously, with at most Config.MaxInFlight records
// of all its callers awaiting the stream's acknowledgement at once; a
// publish that finds the window full waits for an acknowledgement (or for
// ctx). Records the stream did not acknowledge (a leader election, a lost
// connection) are published again, with the same message id, up to
// Config.MaxAttempts times; then Put fails with ErrNotAcknowledged and the
// Handler answers 503, so the sender retries.
//
// # Shared purposes
//
// SharedPurposes keeps the requirement and task messages a hub accepts in
// a key-value bucket and learns every message of the bucket into the
// hub's local Purposes, so that hubs behind one address agree on which
// purposes are active, and a hub started with no files of its own knows
// them all.
//
// # Shared directory
//
// SharedDirectory is a submit.DirectorySource over one key of a
// key-value bucket holding the directory document and its detached
// signature as the files hold them. Every hub follows the key and takes
// a revision only if collab.AcceptDirectory passes it under the same
// rules as a directory file; Publish checks first and writes with
// compare-and-set, so two operators cannot overwrite each other
// unknowingly.
//
// # Stateless hubs
//
// Ledger is a submit.LedgerStore in a key-value bucket: idempotency keys
// with their answers, receipts, and the ids of accepted records, each
// with its own time to live. Given to submit.HandlerConfig.Ledger, with
// SharedPurposes over submit.NewMemoryPurposeRegistry as Purposes and a
// Sink, it makes a hub that keeps no file: any number of them behind one
// address give the same answers for the same requests, a receipt asked
// of one is the one another issued, and races between them are settled
// by the bucket's compare-and-set (see Ledger).
//
// The analysis side reads the stream through a durable consumer: see
// package stage/jetstream.
package jetstream
