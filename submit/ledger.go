package submit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/internal/boltdb"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit/translog"
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
	bucketReceipts     = []byte("receipts2")    // org \x00 submission id -> LedgerAnswer (encodeAnswer; JSON in files from before)
	bucketReceived     = []byte("received")     // received_at \x00 org \x00 submission id -> key: what retention prunes
	bucketSeen         = []byte("seen2")        // source \x00 record id -> SeenRecord (see encodeSeen)
	bucketRequirements = []byte("requirements") // requirement id -> learnt requirement JSON
	bucketTasks        = []byte("tasks")        // task id -> learnt task JSON
)

// Ledger is a hub's durable memory of the protocol: which idempotency keys
// each organization used, with the digest of the body and the answer
// given; every receipt by (organization, submission id); every record
// accepted, by (source, id), with its payload digest and handling; and
// the purposes learnt (see NewPurposeRegistry). It lives in a bbolt file
// of its own (OpenLedger), which may also hold the hub's Store
// (Ledger.Store) and transparency log (Ledger.OpenLog).
//
// What it keeps is bounded by what was accepted: a submission of which
// nothing was accepted leaves nothing here, and a receipt lists at most
// HandlerConfig.MaxRefusedDetails rejections one by one. Receipts and
// idempotency keys are pruned after the Handler's Retention, record ids
// after their retain_until (Prune).
//
// The Handler writes the accepted ids, the receipt and the idempotency
// record in one transaction, after the Sink's Put returned (or, for the
// Ledger's own Store, with the records in that transaction): a crash
// before that commit leaves no trace here, the sender retries, and the
// Sink (idempotent by id) is given the same records again.
//
// Ledger is the LedgerStore of one hub; hubs that share one address
// share a LedgerStore of another kind (package submit/jetstream).
//
// A Ledger is safe for concurrent use.
type Ledger struct {
	db *boltdb.DB

	keys KeyLocks      // org \x00 idempotency key
	mu   sync.Mutex    // guards log
	log  *translog.Log // the log in this file (OpenLog), if any

	// The group committer (ledger_gather.go).
	calls            chan *ledgerCall
	quit             chan struct{} // closed by Close
	closing          sync.Once
	committerDone    chan struct{}
	testBeforeCommit func(calls int) // tests: called as a group is about to commit
	testInWindow     func(calls int) // tests: called as a window starts and as each call joins it
	testQueued       func()          // tests: called as each call is queued for the committer
}

// OpenLedger opens, or creates, the ledger at path. It fails rather than
// wait when another process holds the file.
func OpenLedger(path string) (*Ledger, error) {
	db, err := openBolt(path, ErrLedgerClosed, bucketIdempotency, bucketReceipts, bucketReceived, bucketSeen, bucketRequirements, bucketTasks,
		bucketRecords, bucketBodies, bucketByKind, bucketSuper) // the buckets of the Ledger's Store
	if err == nil {
		err = openStoreFile(db)
	}
	if err != nil && db != nil {
		db.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("submit: open ledger: %w", err)
	}
	l := &Ledger{db: db}
	l.startCommitter()
	return l, nil
}

// Store returns the Store kept in the ledger's own file. A Handler whose
// Sink is this Store writes a submission's records, their ids, the
// receipt and the idempotency record in one transaction: one fsync per
// batch instead of two, and nothing stored that the ledger does not
// know. Closing the Ledger closes it; its own Close does nothing.
func (l *Ledger) Store() *Store { return &Store{db: l.db, shared: true} }

// Close closes the file. Methods called afterwards return ErrLedgerClosed;
// so do Commits still waiting for a group commit (one under way ends
// first).
func (l *Ledger) Close() error {
	l.stopCommitter()
	return l.db.Close()
}

func ledgerErr(err error) error { return boltdb.Closed(err, ErrLedgerClosed) }

// Receipt returns the receipt of submission id if org sent it, or an
// error wrapping ErrReceiptNotFound.
func (l *Ledger) Receipt(ctx context.Context, org, id string) (Receipt, error) {
	var r Receipt
	raw, err := l.ReceiptBytes(ctx, org, id)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return r, fmt.Errorf("submit: ledger: decode receipt %s: %w", id, err)
	}
	return r, nil
}

// ReceiptBytes returns the receipt of submission id as it was sent.
func (l *Ledger) ReceiptBytes(ctx context.Context, org, id string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []byte
	err := l.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketReceipts).Get(orgKey(org, id))
		if v == nil {
			return ErrReceiptNotFound
		}
		a, err := decodeAnswer(v)
		if err != nil {
			return err
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
// first. Meant for tests and operators. Receipts are keyed by
// (organization, submission id), so only q.Org's are read. A cursor
// Receipts did not hand out for q.Org yields an error wrapping
// ErrBadCursor.
func (l *Ledger) Receipts(ctx context.Context, q ReceiptQuery) (ReceiptPage, error) {
	var page ReceiptPage
	if q.Org == "" {
		return page, errors.New("submit: ledger: receipts: Org is required")
	}
	limit, err := boltdb.Limit("Limit", q.Limit, DefaultReceiptLimit, MaxReceiptLimit)
	if err != nil {
		return page, fmt.Errorf("submit: ledger: receipts: %w", err)
	}
	// A cursor is the last key handed out: org \x00 submission id.
	prefix := orgKey(q.Org, "")
	var after []byte
	if q.Cursor != "" {
		c, err := boltdb.DecodeCursor(q.Cursor, ErrBadCursor)
		if err == nil && (!bytes.HasPrefix(c, prefix) || len(c) == len(prefix)) {
			err = boltdb.BadCursor(ErrBadCursor, "it belongs to the receipts of another organization")
		}
		if err != nil {
			return page, fmt.Errorf("submit: ledger: receipts: %w", err)
		}
		after = c
	}
	var last []byte
	err = l.db.View(func(tx *bolt.Tx) error {
		cur := tx.Bucket(bucketReceipts).Cursor()
		k, v := cur.Seek(prefix)
		if after != nil {
			if k, v = cur.Seek(after); bytes.Equal(k, after) {
				k, v = cur.Next()
			}
		}
		for n := 0; k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
			if n++; n%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if len(page.Receipts) == limit {
				page.Next = boltdb.EncodeCursor(last)
				return nil
			}
			a, err := decodeAnswer(v)
			if err != nil {
				return err
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

// SeenBy returns the organization that sent, and the submission that
// got accepted, the record id from source, and whether one did.
func (l *Ledger) SeenBy(ctx context.Context, source, id string) (org, submissionID string, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return "", "", false, err
	}
	err = l.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSeen).Get(orgKey(source, id))
		if v == nil {
			return nil
		}
		s := decodeSeen(v)
		org, submissionID, ok = s.Org, s.Submission, true
		return nil
	})
	if err != nil {
		return "", "", false, fmt.Errorf("submit: ledger: seen: %w", ledgerErr(err))
	}
	return org, submissionID, ok, nil
}

// orgKey is a key of a bucket keyed by organization: org \x00 id.
func orgKey(org, id string) []byte {
	k := make([]byte, 0, len(org)+1+len(id))
	return append(append(append(k, org...), 0), id...)
}

// Lock serializes the requests of one organization with one
// idempotency key: the second waits until the first is done (then finds
// its answer) or ctx ends. Requests in flight are bounded by the
// Handler, and so is the number of keys held here.
func (l *Ledger) Lock(ctx context.Context, org, key string) (unlock func(), err error) {
	return l.keys.Lock(ctx, org+"\x00"+key)
}

// Idempotent looks up org's key: found is false if it was never used;
// otherwise digest is the body digest it was used with and answer the
// answer given.
func (l *Ledger) Idempotent(ctx context.Context, org, key string) (digest string, answer *LedgerAnswer, found bool, err error) {
	if err := ctx.Err(); err != nil {
		return "", nil, false, err
	}
	err = l.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketIdempotency).Get([]byte(org + "\x00" + key))
		if v == nil {
			return nil
		}
		d, sub, _ := bytes.Cut(v, []byte{0})
		raw := tx.Bucket(bucketReceipts).Get(orgKey(org, string(sub)))
		if raw == nil {
			return fmt.Errorf("idempotency key %s names submission %s, which has no receipt", key, sub)
		}
		var err error
		if answer, err = decodeAnswer(raw); err != nil {
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

// The handlings as one byte of a seen entry.
var handlingCodes = []schema.Handling{schema.HandlingClear, schema.HandlingGreen, schema.HandlingAmber, schema.HandlingAmberStrict, schema.HandlingRed}

// A seen entry is written once per accepted record, so it is compact:
// handling (1 byte), the payload digest (32), retain_until in Unix
// seconds rounded up (8, big-endian; seconds reach year 9999, nanoseconds
// would not), the submission id (16), the sender's org.
const seenFixed = 1 + sha256.Size + 8 + 16

func encodeSeen(s SeenRecord) []byte {
	v := make([]byte, seenFixed, seenFixed+len(s.Org))
	v[0] = byte(slices.Index(handlingCodes, s.Handling) + 1) // 0: unknown
	if d, ok := strings.CutPrefix(s.Digest, digestPrefix); !ok || len(d) != 2*sha256.Size {
		return nil
	} else if _, err := hex.Decode(v[1:1+sha256.Size], []byte(d)); err != nil {
		return nil
	}
	secs := s.RetainUntil.Unix()
	if s.RetainUntil.Nanosecond() > 0 {
		secs++
	}
	binary.BigEndian.PutUint64(v[1+sha256.Size:], uint64(secs))
	if u, err := uuid.Parse(s.Submission); err == nil {
		copy(v[1+sha256.Size+8:], u[:])
	}
	return append(v, s.Org...)
}

func decodeSeen(v []byte) SeenRecord {
	if len(v) < seenFixed {
		return SeenRecord{}
	}
	var s SeenRecord
	if i := int(v[0]) - 1; i >= 0 && i < len(handlingCodes) {
		s.Handling = handlingCodes[i]
	}
	s.Digest = digestPrefix + hex.EncodeToString(v[1:1+sha256.Size])
	s.RetainUntil = time.Unix(int64(binary.BigEndian.Uint64(v[1+sha256.Size:])), 0).UTC()
	s.Submission = uuid.UUID(v[1+sha256.Size+8 : seenFixed]).String()
	s.Org = string(v[seenFixed:])
	return s
}

// digestPrefix begins every payload digest (schema.PayloadDigest).
const digestPrefix = "sha-256:"

// Seen looks up records in one read transaction.
func (l *Ledger) Seen(ctx context.Context, keys []RecordKey) (map[RecordKey]SeenRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[RecordKey]SeenRecord{}
	err := l.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSeen)
		for _, k := range keys {
			if v := b.Get(orgKey(k.Source, k.ID)); v != nil {
				out[k] = decodeSeen(v)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("submit: ledger: %w", ledgerErr(err))
	}
	return out, nil
}

// Commit records a submission in one transaction. finish is called inside
// the transaction with a lookup of the records accepted meanwhile (by a
// concurrent request with another key), so that it can turn them into
// duplicates or conflicts; it returns the receipt, the answer's status,
// the answer's body when that is not the receipt, and the records it
// accepted. commit then writes those records, the
// receipt and the idempotency record, and returns the stored answer.
// Commit is atomic: the key, the records and the receipt are one write
// transaction, and a second request with the key waits in Lock.
//
// Concurrent Commits share one transaction (ledger_gather.go): finish
// may then run twice, and must compute what it returns from seen and its
// own arguments only. If ctx ends before the Commit is taken into a
// transaction, nothing of it is written and ctx's error is returned.
func (l *Ledger) Commit(ctx context.Context, c CommitRequest, finish FinishFunc) (*LedgerAnswer, error) {
	return l.commitWith(ctx, c, finish, nil, false, nil)
}

// commitWith is Commit; before, if not nil, runs first in the same
// transaction: the Handler writes the records of a Store in the ledger's
// file there (Ledger.Store), and keeps the transaction for a log in the
// ledger's file (Ledger.OpenLog) to append to in finish. alone keeps
// the call out of group commits (a transaction of its own; see
// ledgerCall).
// win, if not nil, is the gather window the call allows.
func (l *Ledger) commitWith(ctx context.Context, c CommitRequest, finish FinishFunc, before func(tx *bolt.Tx) error, alone bool, win *ledgerWindow) (*LedgerAnswer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return l.call(ctx, &ledgerCall{c: c, finish: finish, before: before, alone: alone, win: win})
}

// commitIn writes the submission c in tx: before, then finish's
// receipt, the records it accepts, the receipt and the idempotency
// record. It keeps no state across runs: a group commit that rolls back
// runs it again.
func commitIn(tx *bolt.Tx, c CommitRequest, finish FinishFunc, before func(tx *bolt.Tx) error) (*LedgerAnswer, error) {
	org, key, digest, submissionID, at := c.Org, c.Key, c.Digest, c.SubmissionID, c.At
	if before != nil {
		if err := before(tx); err != nil {
			return nil, err
		}
	}
	seenB := tx.Bucket(bucketSeen)
	// Keys grow (UUID v7 ids, times): fuller pages waste less disk.
	for _, b := range [][]byte{bucketSeen, bucketReceipts, bucketReceived, bucketIdempotency} {
		tx.Bucket(b).FillPercent = appendFill
	}
	lookup := func(k RecordKey) (SeenRecord, bool) {
		v := seenB.Get(orgKey(k.Source, k.ID))
		if v == nil {
			return SeenRecord{}, false
		}
		return decodeSeen(v), true
	}
	r, status, response, acc, err := finish(lookup)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	a := &LedgerAnswer{Org: org, Submission: submissionID, Status: status, At: at.UTC(), Receipt: raw, Response: response}
	for _, ar := range acc {
		v := encodeSeen(ar.Seen)
		if v == nil {
			return nil, fmt.Errorf("record %s from %s: digest %q is not sha-256", ar.Key.ID, ar.Key.Source, ar.Seen.Digest)
		}
		if err := seenB.Put(orgKey(ar.Key.Source, ar.Key.ID), v); err != nil {
			return nil, err
		}
	}
	v, err := encodeAnswer(a)
	if err != nil {
		return nil, err
	}
	if err := tx.Bucket(bucketReceipts).Put(orgKey(org, submissionID), v); err != nil {
		return nil, err
	}
	if err := tx.Bucket(bucketReceived).Put(timeKey(at, org, submissionID), []byte(key)); err != nil {
		return nil, err
	}
	if err := tx.Bucket(bucketIdempotency).Put(orgKey(org, key), []byte(digest+"\x00"+submissionID)); err != nil {
		return nil, err
	}
	return a, nil
}

// appendFill is the FillPercent of buckets whose keys mostly grow.
const appendFill = 0.9

// timeKey is t (sortable, UTC) \x00 a \x00 b.
func timeKey(t time.Time, a, b string) []byte {
	k := make([]byte, 0, len(sortableTime)+len(a)+len(b)+2)
	k = t.UTC().AppendFormat(k, sortableTime)
	k = append(append(k, 0), a...)
	return append(append(k, 0), b...)
}

// A *Ledger is a LedgerStore.
var _ LedgerStore = (*Ledger)(nil)
