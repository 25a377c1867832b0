package translog

import (
	"errors"
	"fmt"
	"log/slog"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sicollab/sicollab/internal/boltdb"
)

// A log in another store's file.
//
// A hub commits each receipt in its ledger's transaction; a log in a
// file of its own costs that batch a second fsync, after the first. A
// log opened in the ledger's file (OpenIn) appends the receipt's leaf in
// the ledger's own transaction (AppendTx): the leaf, the records, their
// ids and the receipt become durable together, in one fsync, and the
// leaf is never without its receipt nor the receipt without its leaf.

// OpenIn opens, or creates, the log in db, an open file that another
// store of this module owns (submit.Ledger.OpenLog is the way in from
// outside it), with cfg as Open takes it but for Path and LockTimeout,
// which are the owner's. The owner closes, compacts and backs up the
// file: the log's Close, Compact and Backup leave it to the owner (Close
// does nothing, the others return an error saying so).
func OpenIn(db *boltdb.DB, cfg Config) (*Log, error) {
	if db == nil {
		return nil, errors.New("translog: OpenIn: db is nil")
	}
	if cfg.Path == "" {
		cfg.Path = "(shared)"
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketLeaves, bucketTiles, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("translog: open in a shared file: %w", err)
	}
	l, err := newLog(db, cfg)
	if err != nil {
		return nil, fmt.Errorf("translog: open in a shared file: %w", err)
	}
	l.shared = true
	return l, nil
}

// AppendTx appends leaves in tx, a write transaction of the file the log
// was opened in (OpenIn), and returns what Append returns with the
// inclusion proof of the first leaf in the new tree. The leaves are
// durable when tx commits, and the log's checkpoint moves only then:
// the caller must call done exactly once, done(true) after tx committed,
// done(false) if it did not. Until done, other appends and Checkpoint
// wait, so tx should commit soon.
func (l *Log) AppendTx(tx *bolt.Tx, leaves ...Leaf) (a Appended, proof tlog.RecordProof, done func(committed bool), err error) {
	if !l.db.Owns(tx.DB()) {
		return Appended{}, nil, nil, errors.New("translog: AppendTx: the transaction is not of the log's file; open the log with OpenIn")
	}
	if len(leaves) == 0 {
		return Appended{}, nil, nil, errors.New("translog: AppendTx: no leaves")
	}
	data := make([][]byte, len(leaves))
	for i := range leaves {
		b, err := leaves[i].Encode()
		if err != nil {
			return Appended{}, nil, nil, fmt.Errorf("translog: append leaf %d: %w", i, err)
		}
		data[i] = b
	}
	l.mu.Lock()
	old := l.cp
	next, r, err := l.appendIn(tx, old, data)
	if err == nil {
		proof, err = tlog.ProveRecord(next.Size, old.Size, r)
	}
	if err != nil {
		l.mu.Unlock()
		return Appended{}, nil, nil, fmt.Errorf("translog: append %d leaves at %d: %w", len(data), old.Size, err)
	}
	once := false
	done = func(committed bool) {
		if once {
			return
		}
		once = true
		if committed {
			l.cp = next
		}
		l.mu.Unlock()
	}
	return Appended{First: old.Size, Checkpoint: next}, proof, done, nil
}
