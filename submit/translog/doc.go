// Package translog is a hub's tamper-evident record: an append-only
// Merkle tree log in the shape of RFC 6962 (Certificate Transparency),
// with signed checkpoints, inclusion and consistency proofs, the HTTP
// endpoints that serve them, and the client side that checks them.
//
// The hashing, the tree, the proofs and the tiles are those of
// golang.org/x/mod/sumdb/tlog; checkpoints are signed notes
// (golang.org/x/mod/sumdb/note, Ed25519) in the C2SP checkpoint form.
//
// Package translog imports collab (for journal entries) and
// internal/boltdb (the storage layer) and no other package of ours;
// package submit imports it, so a hub's receipts can
// carry inclusion proofs, and collab.LoggedJournal takes a *Log as its
// collab.EntryLogger without importing it.
//
// # Leaves
//
// A [Leaf] records one thing that happened at the hub: an accepted batch
// ([BatchLeaf]: submitter, idempotency key, record ids and payload
// digests, receipt digest), a journal entry ([JournalLeaf]), a directory
// change ([DirectoryLeaf]), a retention purge ([PurgeLeaf]) or a read of
// stored records or products ([ReadLeaf]). Leaves hold ids and digests,
// never payloads: a purge removes the records a leaf cites and leaves
// the leaf, and every proof over it, intact. A leaf's bytes are the RFC
// 8785 canonical JSON of the struct, the only encoding [DecodeLeaf]
// accepts, so each leaf has one hash.
//
// # Storage
//
// [Open] keeps a log in a bbolt file of its own: the leaves by index, the
// tree's hashes in tiles of height [TileHeight] (as tlog lays them out),
// and the latest signed checkpoint. [Log.Append] writes the leaves, the
// tiles they change and a new signed checkpoint in one transaction, synced
// before it returns. [OpenIn] keeps the same buckets in another store's
// open file, and [Log.AppendTx] appends in that store's own transaction
// (a hub's ledger commits a receipt and its leaf together). Reads check what they read against the signed
// checkpoint, and [Log.Verify] rebuilds the whole tree from the leaves:
// a leaf or tile edited in the file is reported as [ErrTampered], never
// served.
//
// # Proofs over HTTP
//
// [Log.Handler] serves the latest checkpoint ([PathCheckpoint]), an
// inclusion proof of a leaf at a tree size ([PathInclusion]), a
// consistency proof between two sizes ([PathConsistency]) and the leaves
// themselves ([PathLeaves]). [Client] reads them.
//
// # Verifying
//
// A [Verifier] holds the log's public key and the largest checkpoint it
// has seen, persisted in a file of its own. [Verifier.Observe] takes each
// new checkpoint and proves it consistent with the last;
// [Verifier.VerifyInclusion] checks a leaf's proof (a receipt's) and its
// checkpoint likewise. A log that rolled back is reported as a
// [*RollbackError], one that forked (two roots for one size, or a failed
// consistency proof) as a [*ForkError]; both carry the two signed
// checkpoints as evidence. The auditor in examples/auditor runs a
// Verifier per hub.
package translog
