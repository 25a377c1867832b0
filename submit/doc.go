// Package submit is the path every record travels: social force ->
// general business department -> specialized department. It holds the wire
// protocol, the Client that submits through a durable outbox, the Handler a
// department embeds to receive, its sinks (Store, Relay), and the ledger
// that makes redelivery exactly-once at the hub. docs/protocol.md is the
// protocol's reference; docs/operations.md says how to run it.
//
// # The protocol
//
// POST /v1/submissions takes a batch of envelopes as NDJSON (optionally
// gzip), with an Idempotency-Key (a UUID per batch) and a Content-Digest
// (RFC 9530, sha-256 of the body as sent), from an organization
// authenticated by its Authenticator (see Identity). The answer is a Receipt: counts and a
// RecordResult per line, each accepted, duplicate (a success that changed
// nothing) or rejected with a stable Reason and JSON-pointer errors. The
// same key and body always get the same receipt; the same key with another
// body is refused (409). Whole-request errors are RFC 9457 problem
// documents whose Type is one of the Problem* constants. GET
// /v1/submissions/{id} returns a receipt to its sender; GET /v1/limits
// declares the hub's Limits.
//
// # Sending
//
// A Client validates each envelope locally (an invalid one is refused at
// once and never queued), stamps its provenance hop and returns only once
// the record is durable in its bbolt outbox; concurrent Submits share one
// disk commit, and SubmitMany validates a slice on every core and queues
// it in one. Sender goroutines (MaxInFlightBatches, four by default, so
// neither side waits for the other's disk) batch by records, bytes and
// linger time within the hub's declared limits, rate-limit in records and
// bytes per second together, retry with exponential backoff and full
// jitter (no sender sooner than a Retry-After the hub sent any of them),
// split a batch the hub finds too large, and delete records only once a
// receipt covers them. Rejected records and batches given up on go to the
// dead letters, which can be listed, resubmitted or discarded. A crash
// loses nothing: the next Client over the same outbox resends the batches
// in flight, each under its own key. Each attempt passes a chain of small
// senders, retry -> rate -> sign -> transport; Close stops them in that
// order (retry first), drains what it can until its context ends, and
// leaves the rest durable.
//
// # Receiving
//
// A Handler authenticates, rate-limits per organization, bounds the body
// and its decompressed size, verifies the digest, decodes NDJSON with line,
// depth and duplicate-key limits, and for each record validates it, checks
// its source against the authenticated organization (or the relay route),
// authorizes its kind by the directory (a batch's records on every core),
// deduplicates it by id, and checks
// its purpose is active and covers it (PurposeRegistry learns purposes from
// the requirements and tasks the hub receives). Accepted records go to a
// Sink, durable before the receipt, which is stored in the Ledger before
// it is returned. Store is the embedded database a department's analysis
// scans; Relay keeps records and forwards them upward through a Client
// (RED records never leave). submittest starts a hub in-process for tests.
//
// # History
//
// A hub given a transparency log (HandlerConfig.Log, a *translog.Log of
// package submit/translog) appends a leaf per accepted batch, durable
// before the receipt is committed, and the receipt carries the leaf's
// index, its inclusion proof and the signed checkpoint (Receipt.Log). The
// sender checks it with VerifyReceipt, which rebuilds the leaf from the
// receipt and the payload digests of what was sent (ReceiptLeaf).
//
// # Retention
//
// A Purger deletes what retention no longer allows a hub to keep, on a
// schedule (Run) and on its operator's demand (Purge): records past
// their retain_until (Store), receipts and keys past Retention and record
// ids past retain_until (Ledger), dead letters past
// ClientConfig.DeadLetterRetention (a Client's outbox), journal payloads
// and expired products (collab.BoltJournal, collab.BoltCatalog). Each
// write transaction of a purge is a purge leaf of the log before it
// deletes, and proofs issued before a purge verify after it. Compact
// gives the freed pages back to the file system and Backup copies a file
// while the hub runs, on every store (docs/operations.md).
//
// # Identity
//
// HandlerConfig.Authenticator says who sent a request. BearerTokens, the
// default, is for loopback and tests. Across a network a hub uses
// AllOf(TLSIdentity, RefuseTokens, SignatureVerifier): mutual TLS 1.3
// (ServerTLSConfig) with the organization taken from the client
// certificate's one URI SAN spiffe://<trust-domain>/org/<id>, and RFC 9421
// signed requests (Ed25519, keys from the directory, short expiry, nonces
// never accepted twice). A Client presents a certificate through
// ClientConfig.TLS (ClientTLSConfig) and signs every attempt through
// ClientConfig.Signer (HTTPSigner). Refusals are AuthErrors, answered as
// problem documents whose Check names the check that failed. With
// HandlerConfig.DirectorySource (a collab.DirectoryFile) the directory,
// and so the keys, change without a restart. docs/security.md says what
// each mechanism proves and what it does not.
//
// # Signed provenance
//
// A Client whose Signer is a HopSealer (an HTTPSigner is) seals the
// provenance hops of its organization: one RFC 6962 manifest per Submit
// or SubmitMany call, signed once, each hop carrying its inclusion path
// (schema.HopSeal). Each hop's leaf covers the hop, the envelope's header
// and the hop before (HopLeaf), so the hops form a chain. A hub checks
// them with a SealVerifier as its HopVerifier (SealConfig.Require: every
// hop sealed, the first the source's); a reader checks a stored record
// with VerifyChain and the directory alone.
//
// # Tracing
//
// Each hop a client or a Relay stamps keeps the trace id the record was
// collected in (schema.Hop.TraceID), and each attempt carries W3C trace
// context (traceparent), which the hub continues, so one record can be
// followed from collector to department through relays. Spans
// (SpanSubmit, SpanSendBatch, SpanHubSubmission, SpanHubSink) go to the
// TracerProvider of ClientConfig and HandlerConfig, by default the global
// one, a no-op until a program installs one; this package exports nothing
// itself.
//
// # Metrics
//
// HandlerConfig.Metrics and ClientConfig.Metrics take a
// prometheus.Registerer; nil (the default) records nothing, and nothing is
// ever registered globally. A hub's metrics (sicollab_hub_*, labelled
// hub=<Org>) count requests by route, status and problem type, records by
// outcome and reason, slots in flight per organization, time per stage of
// a submission, the store's and ledger's sizes and failed or throttled
// authentications; a client's (sicollab_client_*, labelled org=<Org>)
// follow its outbox, deliveries, retries, dead letters and rate-limit
// waits. docs/operations.md lists them with their meaning.
package submit
