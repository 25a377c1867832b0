package submit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/internal/boltdb"
	"github.com/sicollab/sicollab/schema"
)

// Errors of Store.
var (
	// ErrRecordNotFound: Store.Get found no record with the id.
	ErrRecordNotFound = errors.New("submit: record not found")
	// ErrStoreClosed: the Store was closed; returned by every method
	// after Close.
	ErrStoreClosed = errors.New("submit: store closed")
	// ErrBadCursor: a page query (Store.Scan, Ledger.Receipts,
	// Client.DeadLetters) was given a cursor it did not hand out, or one of
	// another query (a scan of another kind, receipts of another
	// organization). Start again without a cursor.
	ErrBadCursor = errors.New("submit: bad cursor")
)

// Buckets of a Store's file.
var (
	bucketRecords = []byte("records") // id -> envelope JSON
	bucketByKind  = []byte("by_kind") // kind \x00 collected_at \x00 id -> nil
)

// sortableTime is a fixed-width UTC layout: its strings sort as the times
// do (years 0000-9999).
const sortableTime = boltdb.TimeKeyLayout

// Default and largest page sizes of Store.Scan.
const (
	DefaultScanLimit = 100
	MaxScanLimit     = 10000
)

// Store is the embedded database of a hub: the Sink that keeps accepted
// records in a bbolt file, and what the department's analysis reads back
// by id or by kind and collection time.
//
// Records are kept as the hub accepted them; the first copy of an id wins
// (Put is idempotent by id). A Store has its own file: the Handler's
// Ledger lives in another (see OpenLedger), so a hub's data directory
// holds store.db and ledger.db. A file is opened by one process at a time.
//
// A Store is safe for concurrent use.
type Store struct {
	db *bolt.DB
}

// OpenStore opens, or creates, the store at path. It fails rather than
// wait when another process holds the file.
func OpenStore(path string) (*Store, error) {
	db, err := openBolt(path, bucketRecords, bucketByKind)
	if err != nil {
		return nil, fmt.Errorf("submit: open store: %w", err)
	}
	return &Store{db: db}, nil
}

// openBolt opens a bbolt file of the package and creates the buckets.
// The freelist stays out of each commit (one page less to write and sync
// per batch; it is rebuilt when the file is opened). A file another
// process holds fails after boltdb.DefaultLockTimeout with an error that
// says so.
func openBolt(path string, buckets ...[]byte) (*bolt.DB, error) {
	return boltdb.Open(path, boltdb.Options{NoFreelistSync: true}, buckets...)
}

// Close closes the file. Methods called afterwards return ErrStoreClosed.
func (s *Store) Close() error {
	return s.db.Close()
}

// storeErr maps bbolt's closed-database error to ErrStoreClosed.
func storeErr(err error) error { return boltdb.Closed(err, ErrStoreClosed) }

// Put stores envs in one transaction, durable when it returns. An
// envelope whose id is already stored is skipped (first write wins), so
// Put is idempotent by id, as the Sink contract requires.
func (s *Store) Put(ctx context.Context, envs []schema.Envelope) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	vals := make([][]byte, len(envs))
	for i := range envs {
		b, err := envs[i].AppendJSON(nil)
		if err != nil {
			return fmt.Errorf("submit: store: encode %s: %w", envs[i].ID, err)
		}
		vals[i] = b
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		recs, idx := tx.Bucket(bucketRecords), tx.Bucket(bucketByKind)
		for i := range envs {
			id := []byte(envs[i].ID)
			if recs.Get(id) != nil {
				continue
			}
			if err := recs.Put(id, vals[i]); err != nil {
				return err
			}
			if err := idx.Put(kindKey(envs[i].Kind, envs[i].CollectedAt, envs[i].ID), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("submit: store: put: %w", storeErr(err))
	}
	return nil
}

// kindKey is the secondary index key: kind \x00 collected_at \x00 id.
func kindKey(kind string, at time.Time, id string) []byte {
	k := make([]byte, 0, len(kind)+len(sortableTime)+len(id)+2)
	k = append(k, kind...)
	k = append(k, 0)
	k = boltdb.AppendTime(k, at)
	k = append(k, 0)
	return append(k, id...)
}

// Get returns the record with id, or an error wrapping ErrRecordNotFound.
func (s *Store) Get(ctx context.Context, id string) (schema.Envelope, error) {
	var env schema.Envelope
	if err := ctx.Err(); err != nil {
		return env, err
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketRecords).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("%w: %q", ErrRecordNotFound, id)
		}
		return json.Unmarshal(v, &env)
	})
	if err != nil {
		return schema.Envelope{}, fmt.Errorf("submit: store: get: %w", storeErr(err))
	}
	return env, nil
}

// Count returns how many records the store holds.
func (s *Store) Count() (int, error) {
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketRecords).Stats().KeyN
		return nil
	})
	return n, storeErr(err)
}

// ScanQuery selects records of one kind collected in a time window.
type ScanQuery struct {
	// Kind is required.
	Kind string
	// From (inclusive) and To (exclusive) bound collected_at; a zero time
	// leaves that side open.
	From, To time.Time
	// Limit is the page size: DefaultScanLimit when 0, at most
	// MaxScanLimit.
	Limit int
	// Cursor continues a scan: ScanPage.Next of the previous page, with
	// the same Kind. Empty starts at From.
	Cursor string
}

// ScanPage is one page of a scan, in collected_at order (then by id).
type ScanPage struct {
	// Records are the page's records, at most ScanQuery.Limit.
	Records []schema.Envelope
	// Next is the cursor of the following page; empty when the scan is
	// complete.
	Next string
}

// Scan returns one page of the records of q.Kind collected in
// [q.From, q.To), oldest first. Pages are consistent one by one, not
// across pages: records stored during a scan appear if they sort after
// the cursor. A cursor that Scan did not hand out for this kind yields an
// error wrapping ErrBadCursor.
func (s *Store) Scan(ctx context.Context, q ScanQuery) (ScanPage, error) {
	var page ScanPage
	if q.Kind == "" {
		return page, errors.New("submit: store: scan: Kind is required")
	}
	limit, err := boltdb.Limit("Limit", q.Limit, DefaultScanLimit, MaxScanLimit)
	if err != nil {
		return page, fmt.Errorf("submit: store: scan: %w", err)
	}
	prefix := append([]byte(q.Kind), 0)
	start := prefix
	if !q.From.IsZero() {
		start = boltdb.AppendTime(bytes.Clone(prefix), q.From)
	}
	after := []byte(nil)
	if q.Cursor != "" {
		c, err := boltdb.DecodeCursor(q.Cursor, ErrBadCursor)
		if err == nil && !bytes.HasPrefix(c, prefix) {
			err = boltdb.BadCursor(ErrBadCursor, "it belongs to a scan of another kind")
		}
		if err != nil {
			return page, fmt.Errorf("submit: store: scan: %w", err)
		}
		after = c
	}
	var end []byte
	if !q.To.IsZero() {
		end = boltdb.AppendTime(bytes.Clone(prefix), q.To)
	}
	var last []byte
	err = s.db.View(func(tx *bolt.Tx) error {
		recs := tx.Bucket(bucketRecords)
		c := tx.Bucket(bucketByKind).Cursor()
		var k []byte
		if after != nil && bytes.Compare(after, start) >= 0 {
			k, _ = c.Seek(after)
			if bytes.Equal(k, after) {
				k, _ = c.Next()
			}
		} else {
			k, _ = c.Seek(start)
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if end != nil && bytes.Compare(k, end) >= 0 {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if len(page.Records) == limit {
				page.Next = boltdb.EncodeCursor(last)
				return nil
			}
			id := k[bytes.LastIndexByte(k, 0)+1:]
			v := recs.Get(id)
			if v == nil {
				continue // cannot happen: both are written in one transaction
			}
			var env schema.Envelope
			if err := json.Unmarshal(v, &env); err != nil {
				return fmt.Errorf("decode %s: %w", id, err)
			}
			page.Records = append(page.Records, env)
			last = append(last[:0], k...)
		}
		return nil
	})
	if err != nil {
		return ScanPage{}, fmt.Errorf("submit: store: scan: %w", storeErr(err))
	}
	return page, nil
}
