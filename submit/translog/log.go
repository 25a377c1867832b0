package translog

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sicollab/sicollab/internal/boltdb"
)

// TileHeight is the height of the tiles the log stores its hashes in: a
// tile holds up to 2^8 = 256 hashes of one level of the tree.
const TileHeight = 8

// DefaultLockTimeout is how long Open waits for the file lock another
// process holds when Config.LockTimeout is 0.
const DefaultLockTimeout = boltdb.DefaultLockTimeout

// Buckets of a log file.
var (
	bucketLeaves  = []byte("leaves") // index, 8 bytes big-endian -> canonical leaf
	bucketTiles   = []byte("tiles")  // level byte, number 8 bytes big-endian -> tile data (widest so far)
	bucketMeta    = []byte("meta")   // keyCheckpoint -> the latest signed checkpoint note
	keyCheckpoint = []byte("checkpoint")
)

// Config configures a Log. Validate says what is wrong.
type Config struct {
	// Path of the log's bbolt file; created if missing. Required.
	Path string
	// SignerKey is the log's private key in note's format (GenerateKey);
	// its name is the log's origin. Required; keep it secret.
	SignerKey string
	// VerifierKey is the matching public key (GenerateKey). Required: Open
	// checks the stored checkpoint with it and that it matches SignerKey.
	VerifierKey string
	// LockTimeout bounds the wait for the file lock; 0:
	// DefaultLockTimeout.
	LockTimeout time.Duration
	// Logger gets internal errors. Nil: silent.
	Logger *slog.Logger
}

// Validate reports every problem of c, each naming the field, joined.
func (c Config) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New("translog: Config.Path: missing"))
	}
	s, serr := note.NewSigner(c.SignerKey)
	if serr != nil {
		errs = append(errs, fmt.Errorf("translog: Config.SignerKey: %w (make one with GenerateKey)", serr))
	}
	v, verr := note.NewVerifier(c.VerifierKey)
	if verr != nil {
		errs = append(errs, fmt.Errorf("translog: Config.VerifierKey %q: %w", c.VerifierKey, verr))
	}
	if serr == nil && verr == nil && (s.Name() != v.Name() || s.KeyHash() != v.KeyHash()) {
		errs = append(errs, fmt.Errorf("translog: Config.VerifierKey %q: does not match Config.SignerKey (name %q)", c.VerifierKey, s.Name()))
	}
	if c.LockTimeout < 0 {
		errs = append(errs, fmt.Errorf("translog: Config.LockTimeout %v: must not be negative", c.LockTimeout))
	}
	return errors.Join(errs...)
}

// Log is an append-only Merkle tree log (RFC 6962 hashing, through
// golang.org/x/mod/sumdb/tlog) kept in a bbolt file of its own (Open),
// or in another store's (OpenIn): the leaves, the tree's hashes in
// tiles, and the latest signed checkpoint.
//
// Every Append is durable (fsynced) and signed before it returns: the
// checkpoint it returns covers the leaves appended. Reads (proofs, leaves)
// check what they read against the signed checkpoint, so an edit of the
// file is reported as ErrTampered instead of being served.
//
// A Log is safe for concurrent use; appends are serialized.
type Log struct {
	db       *boltdb.DB
	signer   note.Signer
	verifier note.Verifier
	log      *slog.Logger

	mu sync.RWMutex // guards cp; held for writing across an append's commit
	cp Checkpoint   // latest signed checkpoint

	shared bool // the file is another store's (OpenIn), which closes it
}

// Open opens, or creates, the log at cfg.Path. It checks the stored
// checkpoint's signature and that the top of the tree matches it (a full
// check of every leaf is Verify).
func Open(cfg Config) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.LockTimeout == 0 {
		cfg.LockTimeout = DefaultLockTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	db, err := boltdb.OpenDB(cfg.Path, boltdb.Options{LockTimeout: cfg.LockTimeout}, ErrClosed, bucketLeaves, bucketTiles, bucketMeta)
	if err != nil {
		return nil, fmt.Errorf("translog: open %s: %w", cfg.Path, err)
	}
	l, err := newLog(db, cfg)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("translog: open %s: %w", cfg.Path, err)
	}
	return l, nil
}

// newLog returns the log in db, its stored checkpoint loaded and checked.
func newLog(db *boltdb.DB, cfg Config) (*Log, error) {
	s, _ := note.NewSigner(cfg.SignerKey)
	v, _ := note.NewVerifier(cfg.VerifierKey)
	l := &Log{db: db, signer: s, verifier: v, log: cfg.Logger}
	if err := l.load(); err != nil {
		return nil, err
	}
	return l, nil
}

// load signs the empty tree's checkpoint in a new file, or reads and
// checks the stored checkpoint.
func (l *Log) load() error {
	fresh := false
	err := l.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketLeaves).Cursor().First()
		fresh = tx.Bucket(bucketMeta).Get(keyCheckpoint) == nil && k == nil
		if fresh {
			return nil
		}
		return l.check(tx)
	})
	if err != nil || !fresh {
		return err
	}
	return l.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta).Get(keyCheckpoint) != nil {
			return l.check(tx)
		}
		if k, _ := tx.Bucket(bucketLeaves).Cursor().First(); k != nil {
			return fmt.Errorf("%w: leaves without a checkpoint", ErrTampered)
		}
		cp, err := signCheckpoint(Checkpoint{Origin: l.signer.Name()}, l.signer)
		if err != nil {
			return err
		}
		l.cp = cp
		return tx.Bucket(bucketMeta).Put(keyCheckpoint, cp.Note)
	})
}

// check reads the stored checkpoint into l.cp and checks its signature,
// the count of leaves and the tree's root as the tiles give it.
func (l *Log) check(tx *bolt.Tx) error {
	for _, b := range [][]byte{bucketLeaves, bucketTiles, bucketMeta} {
		if tx.Bucket(b) == nil {
			return fmt.Errorf("%w: bucket %q is missing", ErrTampered, b)
		}
	}
	raw := tx.Bucket(bucketMeta).Get(keyCheckpoint)
	if raw == nil {
		return fmt.Errorf("%w: the checkpoint is missing", ErrTampered)
	}
	cp, err := parseCheckpoint(raw, l.verifier)
	if err != nil {
		return fmt.Errorf("%w: stored checkpoint: %w", ErrTampered, err)
	}
	if n := storedLeaves(tx); n != cp.Size {
		return fmt.Errorf("%w: %d leaves stored, checkpoint says %d", ErrTampered, n, cp.Size)
	}
	if cp.Size > 0 {
		th, err := tlog.TreeHash(cp.Size, l.verifiedReader(tx, cp))
		if err != nil {
			return err
		}
		if th != cp.Hash {
			return fmt.Errorf("%w: tree hash %s, checkpoint says %s", ErrTampered, th, cp.Hash)
		}
	}
	l.cp = cp
	return nil
}

// Close closes the file; methods called afterwards return ErrClosed.
func (l *Log) Close() error {
	if l.shared {
		return nil
	}
	return l.db.Close()
}

// Origin returns the log's name, the first line of its checkpoints.
func (l *Log) Origin() string { return l.signer.Name() }

// Checkpoint returns the latest signed checkpoint.
func (l *Log) Checkpoint() Checkpoint {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.cp
}

// Appended is what Append returns: the index of the first leaf appended
// (the others follow in order) and the signed checkpoint that covers them.
type Appended struct {
	First      int64
	Checkpoint Checkpoint
}

// Append validates, encodes and appends leaves in one transaction, signs
// a checkpoint over the new tree and makes both durable before it
// returns. A leaf that does not validate fails the call (ErrBadLeaf) and
// nothing is appended.
func (l *Log) Append(ctx context.Context, leaves ...Leaf) (Appended, error) {
	data := make([][]byte, len(leaves))
	for i := range leaves {
		b, err := leaves[i].Encode()
		if err != nil {
			return Appended{}, fmt.Errorf("translog: append leaf %d: %w", i, err)
		}
		data[i] = b
	}
	return l.appendEncoded(ctx, data)
}

func (l *Log) appendEncoded(ctx context.Context, data [][]byte) (Appended, error) {
	if err := ctx.Err(); err != nil {
		return Appended{}, err
	}
	if len(data) == 0 {
		cp := l.Checkpoint()
		return Appended{First: cp.Size, Checkpoint: cp}, nil
	}
	// The file's writer lock first, then l.mu, as AppendTx takes them
	// (its caller holds the writer lock): one order, no deadlock.
	var old, next Checkpoint
	locked := false
	err := l.db.Update(func(tx *bolt.Tx) error {
		l.mu.Lock()
		locked = true
		old = l.cp
		var err error
		next, _, err = l.appendIn(tx, old, data)
		return err
	})
	if locked {
		if err == nil {
			l.cp = next
		}
		l.mu.Unlock()
	}
	if err != nil {
		return Appended{}, fmt.Errorf("translog: append %d leaves at %d: %w", len(data), old.Size, closedErr(err))
	}
	return Appended{First: old.Size, Checkpoint: next}, nil
}

// appendIn writes data as the leaves after old in tx, with their tiles
// and the signed checkpoint of the new tree, and returns that checkpoint
// and a reader of the tree's hashes as tx holds them.
func (l *Log) appendIn(tx *bolt.Tx, old Checkpoint, data [][]byte) (Checkpoint, tlog.HashReader, error) {
	var next Checkpoint
	r := &writeHashes{tiles: tx.Bucket(bucketTiles), pending: map[int64]tlog.Hash{}}
	err := func() error {
		tiles, leavesB := r.tiles, tx.Bucket(bucketLeaves)
		n := old.Size
		for _, d := range data {
			hs, err := tlog.StoredHashes(n, d, r)
			if err != nil {
				return fmt.Errorf("%w: hashing leaf %d: %v", ErrTampered, n, err)
			}
			for i, h := range hs {
				r.pending[tlog.StoredHashIndex(0, n)+int64(i)] = h
			}
			if err := leavesB.Put(indexKey(n), d); err != nil {
				return err
			}
			n++
		}
		for _, t := range tlog.NewTiles(TileHeight, old.Size, n) {
			td, err := tlog.ReadTileData(t, r)
			if err != nil {
				return fmt.Errorf("%w: tile %s: %v", ErrTampered, t.Path(), err)
			}
			if err := tiles.Put(tileKey(t), td); err != nil {
				return err
			}
		}
		th, err := tlog.TreeHash(n, r)
		if err != nil {
			return fmt.Errorf("%w: tree hash: %v", ErrTampered, err)
		}
		next, err = signCheckpoint(Checkpoint{Origin: old.Origin, Size: n, Hash: th}, l.signer)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyCheckpoint, next.Note)
	}()
	return next, r, err
}

func closedErr(err error) error {
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

func indexKey(n int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(n)) }

func tileKey(t tlog.Tile) []byte {
	return binary.BigEndian.AppendUint64([]byte{byte(t.L)}, uint64(t.N))
}

// writeHashes reads stored hashes while an append is under way: those of
// this append from pending, the others from the tiles as stored. They are
// not checked against the checkpoint here: Open did, and Verify does.
type writeHashes struct {
	tiles   *bolt.Bucket
	pending map[int64]tlog.Hash
}

func (r *writeHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if h, ok := r.pending[x]; ok {
			out[i] = h
			continue
		}
		t := tlog.TileForIndex(TileHeight, x)
		data := r.tiles.Get(tileKey(t))
		if len(data) < t.W*tlog.HashSize {
			return nil, fmt.Errorf("tile %s holds %d bytes, want at least %d", t.Path(), len(data), t.W*tlog.HashSize)
		}
		h, err := tlog.HashFromTile(t, data, x)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

// tileReader serves stored tiles to tlog.TileHashReader, which checks
// them against a signed tree.
type tileReader struct{ tiles *bolt.Bucket }

func (tileReader) Height() int { return TileHeight }

func (r tileReader) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, t := range ts {
		data := r.tiles.Get(tileKey(t))
		if len(data) < t.W*tlog.HashSize {
			return nil, fmt.Errorf("%w: tile %s holds %d bytes, want at least %d", ErrTampered, t.Path(), len(data), t.W*tlog.HashSize)
		}
		out[i] = data[:t.W*tlog.HashSize]
	}
	return out, nil
}

func (tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

// verifiedReader returns a hash reader over tx whose every hash is proven
// to be in cp's tree; a mismatch is an error wrapping ErrTampered.
func (l *Log) verifiedReader(tx *bolt.Tx, cp Checkpoint) tlog.HashReader {
	r := tlog.TileHashReader(cp.Tree(), tileReader{tiles: tx.Bucket(bucketTiles)})
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		hs, err := r.ReadHashes(idx)
		if err != nil && !errors.Is(err, ErrTampered) {
			err = fmt.Errorf("%w: %v", ErrTampered, err)
		}
		return hs, err
	})
}

// storedLeaves returns the index of the last stored leaf plus one.
func storedLeaves(tx *bolt.Tx) int64 {
	k, _ := tx.Bucket(bucketLeaves).Cursor().Last()
	if len(k) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(k)) + 1
}
