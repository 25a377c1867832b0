package submit

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/submit/translog"
)

// OpenLog opens, or creates, the hub's transparency log in the ledger's
// own file (translog.OpenIn; cfg.Path and cfg.LockTimeout are the
// ledger's). A Handler whose Log this is appends each receipt's leaf in
// the ledger's commit of that receipt: the leaf, the receipt and, with
// Ledger.Store as the Sink, the records become durable in one
// transaction, one fsync per batch (a log in a file of its own costs a
// second one). Closing the Ledger closes the file; the Log's Close
// leaves it open. Call OpenLog once per Ledger.
func (l *Ledger) OpenLog(cfg translog.Config) (*translog.Log, error) {
	lg, err := translog.OpenIn(l.db, cfg)
	if err != nil {
		return nil, fmt.Errorf("submit: ledger: %w", err)
	}
	l.mu.Lock()
	l.log = lg
	l.mu.Unlock()
	return lg, nil
}

// logInLedger reports whether the handler's Log lives in its Ledger's
// file (Ledger.OpenLog).
func (h *Handler) logInLedger() bool {
	l, ok := h.cfg.Ledger.(*Ledger)
	if h.cfg.Log == nil || !ok {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return h.cfg.Log == l.log
}

// inLedgerLog appends the leaf of rc, the receipt the ledger's commit is
// writing in tx, to a log in the ledger's file and sets rc.Log. digests
// are the payload digests of the batch, by record id. The returned done
// must be called once the commit has ended (see translog.AppendTx).
func (h *Handler) inLedgerLog(tx *bolt.Tx, rc *Receipt, digests map[string]string) (func(bool), error) {
	leaf, err := batchLeaf(*rc, func(i int) (string, bool) { d, ok := digests[rc.Results[i].ID]; return d, ok })
	if err != nil {
		return nil, err
	}
	a, proof, done, err := h.cfg.Log.AppendTx(tx, leaf)
	if err != nil {
		return nil, err
	}
	rc.Log = &translog.InclusionProof{Index: a.First, Size: a.Checkpoint.Size, Proof: proof, Checkpoint: string(a.Checkpoint.Note)}
	return done, nil
}
