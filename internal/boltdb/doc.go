// Package boltdb is the one storage layer of the SDK's bbolt files: the
// collab journal and catalog, and the submit store, ledger and client
// outbox (with its dead letters) all open, close and page through their
// files with it.
//
// It provides:
//
//   - Open: a bbolt file with its buckets created, the file lock waited for
//     at most Options.LockTimeout, and a clear error (wrapping ErrLocked)
//     when another process holds it;
//   - Closed: bbolt's closed-database error mapped to the caller's own
//     sentinel (collab.ErrJournalClosed, submit.ErrStoreClosed, ...);
//   - time-ordered keys (AppendTime, TimeKey, TimeKeyLayout) and sequence
//     keys (SeqKey, Seq);
//   - the pagination convention: Limit applies a documented default and
//     cap and refuses a limit beyond the cap (never a silent truncation),
//     and EncodeCursor/DecodeCursor make the opaque cursor of a page, with
//     one shape of bad-cursor error wrapping the caller's ErrBadCursor;
//   - maintenance of an open DB: Compact (bbolt's own compaction into a
//     new file that takes the old one's place, so disk use falls after a
//     purge) and Backup or WriteTo (a consistent copy from one read
//     transaction, Tx.WriteTo, while writers go on); BackupTx for a
//     caller holding a raw bbolt handle.
//
// The package is internal: callers see only what collab and submit export.
package boltdb
