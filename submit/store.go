package submit

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
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
	// bucketRecords: source \x00 id (recordKey) -> chunkRef
	// (store_bodies.go), bodyRef, or envelope JSON (files from before
	// bodies). Source first: a batch comes from one source, whose ids
	// (UUID v7) grow, so a commit's keys are adjacent and rewrite a leaf
	// or two; keyed id first, the ids of all sources together landed in a
	// leaf per record.
	bucketRecords = []byte("records3")
	// bucketRecordsIDFirst: id \x00 source -> as bucketRecords, the index
	// of records of files from before records3, moved at open
	// (openStoreFile).
	bucketRecordsIDFirst = []byte("records2")
	// bucketBodies: arrival sequence (8 bytes, big-endian) -> a bucket of
	// one commit's chunks of records, deflated (store_bodies.go), or one
	// record (small commits, and files from before chunks). Keys only grow, so a commit writes the records'
	// bytes into fresh, full pages whatever order their ids arrive in.
	bucketBodies = []byte("bodies")
	// bucketByKind: kind \x00 source \x00 collected_at \x00 id -> nil
	// (kindKey), what Scan reads (store_scan.go). Source before time, as
	// in bucketRecords: one source's records mostly arrive in the order
	// they were collected, so a batch's keys are adjacent.
	bucketByKind = []byte("by_kind3")
	// bucketByKindTimeFirst: kind \x00 collected_at \x00 id \x00 source ->
	// nil, the index of files from before by_kind3, moved at open.
	bucketByKindTimeFirst = []byte("by_kind2")
	bucketSuper           = []byte("superseded") // source \x00 old id -> id of the record that supersedes it
	// bucketByRetain: the UTC week of retain_until, then the arrival
	// sequence of the record's body -> retain_until \x00 id \x00 source
	// (retainKey), what Purge walks (purge_store.go; built at open for a
	// file from before it). A batch's keys of one week are adjacent, so a
	// commit touches about one leaf per week rather than one per record.
	bucketByRetain = []byte("by_retain2")
	// bucketByRetainOld: retain_until \x00 id \x00 source -> nil, the
	// retention index of files from before by_retain2, replaced at open.
	bucketByRetainOld = []byte("by_retain")
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
// Records are kept as the hub accepted them, keyed by (source, id): one
// organization's ids never collide with another's. The first copy of a
// (source, id) wins (Put is idempotent by it). A Store opened with OpenStore has its own
// file, and the Handler's Ledger another (store.db and ledger.db); the
// Store of Ledger.Store lives in the ledger's file, and a Handler writes
// it in the ledger's commit (one transaction per batch). A file is
// opened by one process at a time.
//
// A record the Handler accepted is stored as the line it validated;
// Put encodes the envelopes it is given.
//
// A Store is safe for concurrent use.
type Store struct {
	db     *boltdb.DB
	shared bool // the file is a Ledger's (Ledger.Store), which closes it
}

// OpenStore opens, or creates, the store at path. It fails rather than
// wait when another process holds the file.
func OpenStore(path string) (*Store, error) {
	db, err := openBolt(path, ErrStoreClosed, bucketRecords, bucketBodies, bucketByKind, bucketSuper)
	if err == nil {
		err = openStoreFile(db)
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		return nil, fmt.Errorf("submit: open store: %w", err)
	}
	return &Store{db: db}, nil
}

// openBolt opens a bbolt file of the package and creates the buckets;
// after Close its methods return closed. The freelist stays out of each
// commit (one page less to write and sync per batch; it is rebuilt when
// the file is opened). A file another process holds fails after
// boltdb.DefaultLockTimeout with an error that says so.
func openBolt(path string, closed error, buckets ...[]byte) (*boltdb.DB, error) {
	return boltdb.OpenDB(path, boltdb.Options{NoFreelistSync: true}, closed, buckets...)
}

// Close closes the file. Methods called afterwards return ErrStoreClosed.
// The Store of a Ledger (Ledger.Store) is closed with the Ledger: its
// Close does nothing.
func (s *Store) Close() error {
	if s.shared {
		return nil
	}
	return s.db.Close()
}

// storeErr maps bbolt's closed-database error to ErrStoreClosed, and
// so, for a Ledger's Store (Ledger.Store), the Ledger's closing.
func storeErr(err error) error {
	if errors.Is(err, ErrLedgerClosed) {
		return fmt.Errorf("%w: %w", ErrStoreClosed, err)
	}
	return boltdb.Closed(err, ErrStoreClosed)
}

// Put stores envs in one transaction, durable when it returns. An
// envelope whose (source, id) is already stored is skipped (first write
// wins), so Put is idempotent by id, as the Sink contract requires.
func (s *Store) Put(ctx context.Context, envs []schema.Envelope) error {
	return s.putRecords(ctx, recordsOf(envs))
}

// putRecords is Put of records: a record's bytes as validated are kept
// as they are, and only an envelope without them is encoded.
func (s *Store) putRecords(ctx context.Context, recs []record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	vals, err := encodeRecords(recs)
	if err != nil {
		return err
	}
	err = s.db.Update(func(tx *bolt.Tx) error { return putRecordsTx(tx, recs, vals) })
	if err != nil {
		return fmt.Errorf("submit: store: put: %w", storeErr(err))
	}
	return nil
}

// encodeRecords returns the bytes to store of each record: its line as
// validated, else its envelope encoded.
func encodeRecords(recs []record) ([][]byte, error) {
	vals := make([][]byte, len(recs))
	for i, r := range recs {
		if r.raw != nil {
			vals[i] = r.raw
			continue
		}
		b, err := r.env.AppendJSON(nil)
		if err != nil {
			return nil, fmt.Errorf("submit: store: encode %s: %w", r.env.ID, err)
		}
		vals[i] = b
	}
	return vals, nil
}

// putRecordsTx writes recs, whose stored bytes are vals, into the store's
// buckets in tx, skipping a (source, id) already stored.
func putRecordsTx(tx *bolt.Tx, recs []record, vals [][]byte) error {
	rb, idx, sup, retain := tx.Bucket(bucketRecords), tx.Bucket(bucketByKind), tx.Bucket(bucketSuper), tx.Bucket(bucketByRetain)
	rb.FillPercent, idx.FillPercent = appendFill, appendFill // keys mostly grow (UUID v7, times)
	retain.FillPercent = appendFill                          // keys grow within each week
	total := 0
	for _, v := range vals {
		total += len(v)
	}
	// The records to store: the first copy of each (source, id) not
	// stored yet, then in the order of kind and source, so that a scan
	// of a kind finds its records of one commit side by side in few
	// chunks (a chunk is inflated whole to read one record of it).
	order := make([]int, 0, len(recs))
	taken := make(map[string]bool, len(recs))
	for i, r := range recs {
		if err := checkKeyParts(r.env); err != nil {
			return err
		}
		k := recordKey(r.env.Source, r.env.ID)
		if taken[string(k)] || rb.Get(k) != nil {
			continue
		}
		taken[string(k)] = true
		order = append(order, i)
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ea, eb := recs[a].env, recs[b].env
		return cmp.Or(strings.Compare(ea.Kind, eb.Kind), strings.Compare(ea.Source, eb.Source))
	})
	chunks := newChunkWriter(tx, total)
	for _, i := range order {
		e := recs[i].env
		k := recordKey(e.Source, e.ID)
		ref := indexRef(e.ID, e.Source)
		at, seq, err := chunks.add(vals[i])
		if err != nil {
			return err
		}
		if err := rb.Put(k, at); err != nil {
			return err
		}
		if err := idx.Put(kindKey(e.Kind, e.Source, e.CollectedAt, e.ID), nil); err != nil {
			return err
		}
		if err := retain.Put(retainIndexKey(e.RetainUntil, seq), retainKey(e.RetainUntil, ref)); err != nil {
			return err
		}
		if e.Supersedes != "" {
			if err := sup.Put(orgKey(e.Source, e.Supersedes), []byte(e.ID)); err != nil {
				return err
			}
		}
	}
	return chunks.flush()
}

// kindKey is the key of the index by kind: kind \x00 source \x00
// collected_at \x00 id.
func kindKey(kind, source string, at time.Time, id string) []byte {
	k := make([]byte, 0, len(kind)+len(source)+len(sortableTime)+len(id)+3)
	k = append(append(k, kind...), 0)
	k = append(append(k, source...), 0)
	k = append(boltdb.AppendTime(k, at), 0)
	return append(k, id...)
}

// Get returns the record with id, or an error wrapping ErrRecordNotFound.
// Ids are unique per source: if several sources used id, Get returns
// the one of the source first in byte order. Records are keyed by source
// first, so Get seeks once per source the store holds; GetFrom, which
// names the source, seeks once.
func (s *Store) Get(ctx context.Context, id string) (schema.Envelope, error) {
	return s.get(ctx, "", id)
}

// GetFrom returns the record with id from source, or an error wrapping
// ErrRecordNotFound.
func (s *Store) GetFrom(ctx context.Context, source, id string) (schema.Envelope, error) {
	if source == "" {
		return schema.Envelope{}, fmt.Errorf("submit: store: get: %w: empty source", ErrRecordNotFound)
	}
	return s.get(ctx, source, id)
}

func (s *Store) get(ctx context.Context, source, id string) (schema.Envelope, error) {
	var env schema.Envelope
	if err := ctx.Err(); err != nil {
		return env, err
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		if source == "" {
			v := firstSourceOf(tx.Bucket(bucketRecords), id)
			if v == nil {
				return fmt.Errorf("%w: %q", ErrRecordNotFound, id)
			}
			return decodeRecord(tx, v, &env)
		}
		v := tx.Bucket(bucketRecords).Get(recordKey(source, id))
		if v == nil {
			return fmt.Errorf("%w: %q from %q", ErrRecordNotFound, id, source)
		}
		return decodeRecord(tx, v, &env)
	})
	if err != nil {
		return schema.Envelope{}, fmt.Errorf("submit: store: get: %w", storeErr(err))
	}
	return env, nil
}

// SupersededBy returns the id of the record from source that names id
// in its supersedes (the newest stored, if several did), and whether
// one does. The superseded record stays stored: it is what the
// correction corrects.
func (s *Store) SupersededBy(ctx context.Context, source, id string) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	var by string
	err := s.db.View(func(tx *bolt.Tx) error {
		by = string(tx.Bucket(bucketSuper).Get(orgKey(source, id)))
		return nil
	})
	if err != nil {
		return "", false, fmt.Errorf("submit: store: superseded by: %w", storeErr(err))
	}
	return by, by != "", nil
}

// ReleaseMemory drops the pages of the store's file that this process
// has read from its resident set (on Linux; elsewhere it does nothing):
// bbolt maps the file, and every page a read touched otherwise stays
// counted in the process's RSS until the file is closed. The pages stay
// in the OS page cache, so reading them again costs no disk read. A
// reader that walks a large store, such as a long Scan, calls it between
// pages to keep its resident memory bounded. For the Store of a Ledger
// (Ledger.Store) it releases the ledger's file.
func (s *Store) ReleaseMemory() error {
	if err := s.db.Release(); err != nil {
		return fmt.Errorf("submit: store: release memory: %w", storeErr(err))
	}
	return nil
}

// Count returns how many records the store holds. It reads every page
// of the store's index of records (about 300 bytes per record), which
// it then releases from the process's resident set (ReleaseMemory).
func (s *Store) Count() (int, error) {
	defer s.db.Release() //nolint:errcheck // only memory is at stake; the count stands
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketRecords).Stats().KeyN
		return nil
	})
	return n, storeErr(err)
}

// decodeRecord decodes into env the record whose value in the records
// bucket is v.
func decodeRecord(tx *bolt.Tx, v []byte, env *schema.Envelope) error {
	b, err := recordBytes(tx, v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, env)
}
