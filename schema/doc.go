// Package schema is the shared data storage structure of sicollab: the
// envelope every record and collaboration message travels in, one JSON
// Schema (draft 2020-12) per kind and version, a Go type per kind that
// round-trips with its schema, keyed pseudonyms for people, and the
// Validator that checks all of it.
//
// Package schema imports nothing else of sicollab; every other package
// builds on it.
//
// # The envelope
//
// An Envelope carries id (UUID v7), kind, schema_version, source (the
// organization id; tier and sector come from the directory, never from the
// sender), collected_at, purpose (the requirement and/or task the record is
// collected under), legal_basis, handling (TLP 2.0), retain_until, the
// provenance chain of hops (org, stage, time, payload digest) and the
// payload. The digest is sha-256 over the RFC 8785 canonical JSON of the
// payload (see PayloadDigest), so any hop can recompute it whatever its
// JSON encoder does.
//
// # Kinds and schemas
//
// Kinds lists every kind with its versions; FS exposes the schema files,
// laid out as <kind>/v<N>.schema.json, embedded in the binary. A kind's
// versions only grow: an old version stays valid and is never edited.
// Record kinds (finance.transaction, transport.passenger, ...) are what
// social forces collect; collaboration kinds (collab.requirement,
// collab.task, collab.product, ...) are what the scheme's actors say to
// each other. NewPayload returns the Go type of a kind, ready for
// Envelope.DecodePayload.
//
// # Validation
//
// NewValidator compiles the embedded schemas once per process; nothing is
// ever loaded from disk or network at run time. Validator.Validate checks
// one envelope and its payload and returns the decoded Envelope, or a
// *ValidationError listing every violation with its JSON pointer, the
// keyword that failed and a message. Before any schema runs, the input is
// refused if it is larger than the size limit (DefaultMaxBytes), nested
// deeper than the depth limit (DefaultMaxDepth), not UTF-8 JSON, followed
// by trailing data, or repeats an object key: parsers disagree on which
// copy of a duplicate key wins, and a validator and a consumer that
// disagree are a way to smuggle a value past the schema.
//
// # Privacy
//
// People appear only as a Subject: a keyed pseudonym (HMAC-SHA-256 over a
// normalized identifier, see Pseudonymizer) with its identifier type and
// key id. A clear Identity is accepted only when the envelope's handling is
// AMBER+STRICT or RED. No schema has a field for ethnicity, religion,
// political opinion, the health of a named person or any other special
// category, and "additionalProperties": false keeps such fields out.
//
// # Conformance
//
// The vectors under testdata/<kind>/v<N>/ and the package schematest let
// partners prove in their own CI that what they produce conforms.
package schema
