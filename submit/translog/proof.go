package translog

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// view runs fn in a read transaction with the latest checkpoint.
func (l *Log) view(ctx context.Context, fn func(tx *bolt.Tx, cp Checkpoint) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cp := l.Checkpoint()
	return closedErr(l.db.View(func(tx *bolt.Tx) error { return fn(tx, cp) }))
}

// ProveInclusion returns the proof that leaf index is in the tree of the
// given size (tlog.CheckRecord checks it against that size's root). The
// size must be at least index+1 and at most the latest checkpoint's;
// otherwise the error wraps ErrRange.
func (l *Log) ProveInclusion(ctx context.Context, index, size int64) (tlog.RecordProof, error) {
	var p tlog.RecordProof
	err := l.view(ctx, func(tx *bolt.Tx, cp Checkpoint) error {
		if index < 0 || index >= size || size > cp.Size {
			return fmt.Errorf("%w: leaf %d in a tree of size %d: the log has %d leaves", ErrRange, index, size, cp.Size)
		}
		var err error
		p, err = tlog.ProveRecord(size, index, l.verifiedReader(tx, cp))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("translog: prove leaf %d at size %d: %w", index, size, err)
	}
	return p, nil
}

// ProveConsistency returns the proof that the tree of size old is a
// prefix of the tree of size new (tlog.CheckTree checks it). It needs
// 0 < old <= new <= the latest checkpoint's size, or the error wraps
// ErrRange.
func (l *Log) ProveConsistency(ctx context.Context, old, new int64) (tlog.TreeProof, error) {
	var p tlog.TreeProof
	err := l.view(ctx, func(tx *bolt.Tx, cp Checkpoint) error {
		if old < 1 || old > new || new > cp.Size {
			return fmt.Errorf("%w: sizes %d to %d: the log has %d leaves", ErrRange, old, new, cp.Size)
		}
		var err error
		p, err = tlog.ProveTree(new, old, l.verifiedReader(tx, cp))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("translog: prove sizes %d to %d: %w", old, new, err)
	}
	return p, nil
}

// TreeHash returns the root hash of the tree of the given size, from 0 to
// the latest checkpoint's size.
func (l *Log) TreeHash(ctx context.Context, size int64) (tlog.Hash, error) {
	var h tlog.Hash
	err := l.view(ctx, func(tx *bolt.Tx, cp Checkpoint) error {
		if size < 0 || size > cp.Size {
			return fmt.Errorf("%w: size %d: the log has %d leaves", ErrRange, size, cp.Size)
		}
		if size == 0 {
			return nil
		}
		var err error
		h, err = tlog.TreeHash(size, l.verifiedReader(tx, cp))
		return err
	})
	if err != nil {
		return h, fmt.Errorf("translog: tree hash at size %d: %w", size, err)
	}
	return h, nil
}

// Leaf returns the encoded leaf at index, after checking that its hash is
// the one the signed tree holds (ErrTampered if not).
func (l *Log) Leaf(ctx context.Context, index int64) ([]byte, error) {
	var out []byte
	err := l.view(ctx, func(tx *bolt.Tx, cp Checkpoint) error {
		if index < 0 || index >= cp.Size {
			return fmt.Errorf("%w: leaf %d: the log has %d leaves", ErrRange, index, cp.Size)
		}
		data := tx.Bucket(bucketLeaves).Get(indexKey(index))
		if data == nil {
			return fmt.Errorf("%w: leaf %d is missing", ErrTampered, index)
		}
		hs, err := l.verifiedReader(tx, cp).ReadHashes([]int64{tlog.StoredHashIndex(0, index)})
		if err != nil {
			return err
		}
		if tlog.RecordHash(data) != hs[0] {
			return fmt.Errorf("%w: leaf %d does not hash to the tree's record hash", ErrTampered, index)
		}
		out = bytes.Clone(data)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("translog: leaf %d: %w", index, err)
	}
	return out, nil
}

// Verify checks the whole file against the signed checkpoint: it rebuilds
// the tree from the leaves alone, compares its root with the checkpoint's
// and every stored tile with the one rebuilt, and decodes every leaf. Any
// difference is an error wrapping ErrTampered that names the leaf or tile.
// It reads every leaf once and holds two hashes per leaf in memory.
func (l *Log) Verify(ctx context.Context) error {
	err := l.view(ctx, func(tx *bolt.Tx, cp Checkpoint) error {
		hashes := make([]tlog.Hash, 0, 2*cp.Size)
		r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(idx))
			for i, x := range idx {
				if x < 0 || x >= int64(len(hashes)) {
					return nil, fmt.Errorf("stored hash %d not yet computed", x)
				}
				out[i] = hashes[x]
			}
			return out, nil
		})
		c := tx.Bucket(bucketLeaves).Cursor()
		var n int64
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if !bytes.Equal(k, indexKey(n)) {
				return fmt.Errorf("%w: leaf %d is missing (found key %x)", ErrTampered, n, k)
			}
			if _, err := DecodeLeaf(v); err != nil {
				return fmt.Errorf("%w: leaf %d: %w", ErrTampered, n, err)
			}
			hs, err := tlog.StoredHashes(n, v, r)
			if err != nil {
				return err
			}
			hashes = append(hashes, hs...)
			n++
		}
		if n != cp.Size {
			return fmt.Errorf("%w: %d leaves stored, checkpoint says %d", ErrTampered, n, cp.Size)
		}
		if n == 0 {
			return nil
		}
		th, err := tlog.TreeHash(n, r)
		if err != nil {
			return err
		}
		if th != cp.Hash {
			return fmt.Errorf("%w: the leaves hash to %s, the checkpoint says %s", ErrTampered, th, cp.Hash)
		}
		for _, t := range tlog.NewTiles(TileHeight, 0, n) {
			want, err := tlog.ReadTileData(t, r)
			if err != nil {
				return err
			}
			if got := tx.Bucket(bucketTiles).Get(tileKey(t)); !bytes.Equal(got, want) {
				return fmt.Errorf("%w: tile %s differs from the one the leaves make", ErrTampered, t.Path())
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("translog: verify: %w", err)
	}
	return nil
}
