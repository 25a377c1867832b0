package translog

import (
	"context"
	"errors"

	"github.com/sicollab/sicollab/collab"
)

// Compact rewrites the log's file with bbolt's compaction (a log only
// grows, so this gives back little but the pages of rewritten tiles);
// appends and proofs wait while it runs.
func (l *Log) Compact(ctx context.Context) (collab.CompactStats, error) {
	if l.shared {
		return collab.CompactStats{}, errShared
	}
	st, err := l.db.Compact(ctx)
	return collab.CompactStats(st), closedErr(err)
}

// Backup writes a consistent copy of the log's file to the new file path
// from one read transaction, while appends go on (bbolt's Tx.WriteTo).
// The copy opens with the same keys and holds every leaf whose append
// returned before Backup began, with the checkpoint that covers them.
func (l *Log) Backup(ctx context.Context, path string) (int64, error) {
	if l.shared {
		return 0, errShared
	}
	n, err := l.db.Backup(ctx, path)
	return n, closedErr(err)
}

// errShared: the file of a log opened with OpenIn is its owner's to
// compact and back up.
var errShared = errors.New("translog: the log is in another store's file (OpenIn); compact or back up that store")
