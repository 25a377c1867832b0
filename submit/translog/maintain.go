package translog

import (
	"context"

	"github.com/sicollab/sicollab/collab"
)

// Compact rewrites the log's file with bbolt's compaction (a log only
// grows, so this gives back little but the pages of rewritten tiles);
// appends and proofs wait while it runs.
func (l *Log) Compact(ctx context.Context) (collab.CompactStats, error) {
	st, err := l.db.Compact(ctx)
	return collab.CompactStats(st), closedErr(err)
}

// Backup writes a consistent copy of the log's file to the new file path
// from one read transaction, while appends go on (bbolt's Tx.WriteTo).
// The copy opens with the same keys and holds every leaf whose append
// returned before Backup began, with the checkpoint that covers them.
func (l *Log) Backup(ctx context.Context, path string) (int64, error) {
	n, err := l.db.Backup(ctx, path)
	return n, closedErr(err)
}
