package submit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// Errors of Ledger.
var (
	// ErrReceiptNotFound: Ledger.Receipt has no receipt with the id for
	// the organization (whether another organization has one is not
	// said, so ids do not leak).
	ErrReceiptNotFound = errors.New("submit: receipt not found")
	// ErrLedgerClosed: the Ledger was closed; returned by every method
	// after Close.
	ErrLedgerClosed = errors.New("submit: ledger closed")
)

// Buckets of a ledger file.
var (
	bucketIdempotency  = []byte("idempotency")  // org \x00 key -> body digest \x00 submission id
	bucketReceipts     = []byte("receipts")     // submission id -> ledgerAnswer JSON
	bucketSeen         = []byte("seen")         // record id -> org \x00 submission id
	bucketRequirements = []byte("requirements") // requirement id -> learnt requirement JSON
	bucketTasks        = []byte("tasks")        // task id -> learnt task JSON
)

// Ledger is a hub's durable memory of the protocol: which idempotency keys
// each organization used, with the digest of the body and the answer
// given; every receipt by submission id; every record id accepted, and by
// whom; and the purposes learnt (see NewPurposeRegistry). It lives in a
// bbolt file of its own (OpenLedger).
//
// The Handler writes the accepted ids, the receipt and the idempotency
// record in one transaction, after the Sink's Put returned: a crash
// before that commit leaves no trace here, the sender retries, and the
// Sink (idempotent by id) is given the same records again.
//
// A Ledger is safe for concurrent use.
type Ledger struct {
	db *bolt.DB

	mu   sync.Mutex
	busy map[string]chan struct{} // org \x00 key -> closed when its holder is done
}

// OpenLedger opens, or creates, the ledger at path. It fails rather than
// wait when another process holds the file.
func OpenLedger(path string) (*Ledger, error) {
	db, err := openBolt(path, bucketIdempotency, bucketReceipts, bucketSeen, bucketRequirements, bucketTasks)
	if err != nil {
		return nil, fmt.Errorf("submit: open ledger: %w", err)
	}
	return &Ledger{db: db, busy: map[string]chan struct{}{}}, nil
}

// Close closes the file. Methods called afterwards return ErrLedgerClosed.
func (l *Ledger) Close() error { return l.db.Close() }

func ledgerErr(err error) error {
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return ErrLedgerClosed
	}
	return err
}

// ledgerAnswer is what the ledger keeps of one submission: the receipt as
// sent and, when the answer was not the receipt itself (422), the exact
// response body, so that a replay is byte-identical.
type ledgerAnswer struct {
	Org      string `json:"org"`
	Status   int    `json:"status"`
	Receipt  []byte `json:"receipt"`
	Response []byte `json:"response,omitempty"`
}

// body returns the bytes of the response to the submission.
func (a *ledgerAnswer) body() []byte {
	if a.Response != nil {
		return a.Response
	}
	return a.Receipt
}

// Receipt returns the receipt of submission id if org sent it, or an
// error wrapping ErrReceiptNotFound.
func (l *Ledger) Receipt(ctx context.Context, org, id string) (Receipt, error) {
	var r Receipt
	raw, err := l.receiptBytes(ctx, org, id)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return r, fmt.Errorf("submit: ledger: decode receipt %s: %w", id, err)
	}
	return r, nil
}

// receiptBytes returns the receipt of submission id as it was sent.
func (l *Ledger) receiptBytes(ctx context.Context, org, id string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []byte
	err := l.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketReceipts).Get([]byte(id))
		if v == nil {
			return ErrReceiptNotFound
		}
		var a ledgerAnswer
		if err := json.Unmarshal(v, &a); err != nil {
			return err
		}
		if a.Org != org {
			return ErrReceiptNotFound
		}
		out = a.Receipt
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("submit: ledger: receipt %q: %w", id, ledgerErr(err))
	}
	return out, nil
}

// Receipts returns every receipt org was given, in submission id order
// (UUID v7: the order they were made). Meant for tests and operators; a
// hub's ledger can hold many.
func (l *Ledger) Receipts(ctx context.Context, org string) ([]Receipt, error) {
	var out []Receipt
	err := l.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketReceipts).ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var a ledgerAnswer
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			if a.Org != org {
				return nil
			}
			var r Receipt
			if err := json.Unmarshal(a.Receipt, &r); err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("submit: ledger: receipts: %w", ledgerErr(err))
	}
	return out, nil
}

// SeenBy returns the organization and the submission that got record id
// accepted, and whether any did.
func (l *Ledger) SeenBy(ctx context.Context, id string) (org, submissionID string, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return "", "", false, err
	}
	err = l.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSeen).Get([]byte(id))
		if v == nil {
			return nil
		}
		o, s, _ := bytes.Cut(v, []byte{0})
		org, submissionID, ok = string(o), string(s), true
		return nil
	})
	if err != nil {
		return "", "", false, fmt.Errorf("submit: ledger: seen: %w", ledgerErr(err))
	}
	return org, submissionID, ok, nil
}

// lockKey serializes the requests of one organization with one
// idempotency key: the second waits until the first is done (then finds
// its answer) or ctx ends. Requests in flight are bounded by the
// Handler, and so is the number of keys held here.
func (l *Ledger) lockKey(ctx context.Context, org, key string) (unlock func(), err error) {
	k := org + "\x00" + key
	for {
		l.mu.Lock()
		ch, held := l.busy[k]
		if !held {
			ch = make(chan struct{})
			l.busy[k] = ch
			l.mu.Unlock()
			return func() {
				l.mu.Lock()
				delete(l.busy, k)
				l.mu.Unlock()
				close(ch)
			}, nil
		}
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// idempotent looks up org's key: found is false if it was never used;
// otherwise digest is the body digest it was used with and answer the
// answer given.
func (l *Ledger) idempotent(org, key string) (digest string, answer *ledgerAnswer, found bool, err error) {
	err = l.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketIdempotency).Get([]byte(org + "\x00" + key))
		if v == nil {
			return nil
		}
		d, sub, _ := bytes.Cut(v, []byte{0})
		raw := tx.Bucket(bucketReceipts).Get(sub)
		if raw == nil {
			return fmt.Errorf("idempotency key %s names submission %s, which has no receipt", key, sub)
		}
		answer = new(ledgerAnswer)
		if err := json.Unmarshal(raw, answer); err != nil {
			return fmt.Errorf("decode receipt %s: %w", sub, err)
		}
		digest, found = string(d), true
		return nil
	})
	if err != nil {
		return "", nil, false, fmt.Errorf("submit: ledger: %w", ledgerErr(err))
	}
	return digest, answer, found, nil
}

// seenBy is who got a record id accepted.
type seenBy struct{ org, submission string }

// seen looks up ids in one read transaction.
func (l *Ledger) seen(ids []string) (map[string]seenBy, error) {
	out := map[string]seenBy{}
	err := l.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSeen)
		for _, id := range ids {
			if v := b.Get([]byte(id)); v != nil {
				o, s, _ := bytes.Cut(v, []byte{0})
				out[id] = seenBy{string(o), string(s)}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("submit: ledger: %w", ledgerErr(err))
	}
	return out, nil
}

// commit records a submission in one transaction. finish is called inside
// the transaction with a lookup of the ids accepted meanwhile (by a
// concurrent request with another key), so that it can turn them into
// duplicates; it returns the receipt, the answer's status and the
// answer's body when that is not the receipt. commit then writes the
// accepted ids, the receipt and the idempotency record, and returns the
// stored answer.
func (l *Ledger) commit(org, key, digest, submissionID string,
	finish func(seen func(id string) (seenBy, bool)) (r *Receipt, status int, response []byte, err error),
) (*ledgerAnswer, error) {
	var a *ledgerAnswer
	err := l.db.Update(func(tx *bolt.Tx) error {
		seenB := tx.Bucket(bucketSeen)
		lookup := func(id string) (seenBy, bool) {
			v := seenB.Get([]byte(id))
			if v == nil {
				return seenBy{}, false
			}
			o, s, _ := bytes.Cut(v, []byte{0})
			return seenBy{string(o), string(s)}, true
		}
		r, status, response, err := finish(lookup)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(r)
		if err != nil {
			return err
		}
		a = &ledgerAnswer{Org: org, Status: status, Receipt: raw, Response: response}
		for _, res := range r.Results {
			if res.Status == StatusAccepted {
				if err := seenB.Put([]byte(res.ID), []byte(org+"\x00"+submissionID)); err != nil {
					return err
				}
			}
		}
		v, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketReceipts).Put([]byte(submissionID), v); err != nil {
			return err
		}
		return tx.Bucket(bucketIdempotency).Put([]byte(org+"\x00"+key), []byte(digest+"\x00"+submissionID))
	})
	if err != nil {
		return nil, fmt.Errorf("submit: ledger: commit: %w", ledgerErr(err))
	}
	return a, nil
}
