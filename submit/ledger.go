package submit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/internal/boltdb"
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

func ledgerErr(err error) error { return boltdb.Closed(err, ErrLedgerClosed) }

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

// Default and largest page sizes of Ledger.Receipts.
const (
	DefaultReceiptLimit = 100
	MaxReceiptLimit     = 10_000
)

// ReceiptQuery selects a page of the receipts an organization was given.
type ReceiptQuery struct {
	// Org is the organization; required.
	Org string
	// Limit is the page size: DefaultReceiptLimit when 0; a negative value
	// or one above MaxReceiptLimit is an error.
	Limit int
	// Cursor continues a listing: ReceiptPage.Next of the previous page of
	// the same Org. Empty starts at the oldest.
	Cursor string
}

// ReceiptPage is one page of receipts, in submission id order (UUID v7:
// the order they were made).
type ReceiptPage struct {
	// Receipts are the page's, at most ReceiptQuery.Limit.
	Receipts []Receipt
	// Next is the cursor of the following page; empty when the listing is
	// complete.
	Next string
}

// Receipts returns one page of the receipts q.Org was given, oldest
// first. Meant for tests and operators: the ledger is read in key order
// and the other organizations' receipts are skipped. A cursor Receipts
// did not hand out for q.Org yields an error wrapping ErrBadCursor.
func (l *Ledger) Receipts(ctx context.Context, q ReceiptQuery) (ReceiptPage, error) {
	var page ReceiptPage
	if q.Org == "" {
		return page, errors.New("submit: ledger: receipts: Org is required")
	}
	limit, err := boltdb.Limit("Limit", q.Limit, DefaultReceiptLimit, MaxReceiptLimit)
	if err != nil {
		return page, fmt.Errorf("submit: ledger: receipts: %w", err)
	}
	// A cursor is org \x00 the last key handed out.
	prefix := append([]byte(q.Org), 0)
	var after []byte
	if q.Cursor != "" {
		c, err := boltdb.DecodeCursor(q.Cursor, ErrBadCursor)
		if err == nil && (!bytes.HasPrefix(c, prefix) || len(c) == len(prefix)) {
			err = boltdb.BadCursor(ErrBadCursor, "it belongs to the receipts of another organization")
		}
		if err != nil {
			return page, fmt.Errorf("submit: ledger: receipts: %w", err)
		}
		after = c[len(prefix):]
	}
	var last []byte
	err = l.db.View(func(tx *bolt.Tx) error {
		cur := tx.Bucket(bucketReceipts).Cursor()
		k, v := cur.First()
		if after != nil {
			if k, v = cur.Seek(after); bytes.Equal(k, after) {
				k, v = cur.Next()
			}
		}
		for n := 0; k != nil; k, v = cur.Next() {
			if n++; n%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			var a ledgerAnswer
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			if a.Org != q.Org {
				continue
			}
			if len(page.Receipts) == limit {
				page.Next = boltdb.EncodeCursor(append(prefix, last...))
				return nil
			}
			var r Receipt
			if err := json.Unmarshal(a.Receipt, &r); err != nil {
				return err
			}
			page.Receipts = append(page.Receipts, r)
			last = append(last[:0], k...)
		}
		return nil
	})
	if err != nil {
		return ReceiptPage{}, fmt.Errorf("submit: ledger: receipts: %w", ledgerErr(err))
	}
	return page, nil
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
