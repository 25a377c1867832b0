package submit

import (
	"bytes"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/internal/boltdb"
	"github.com/sicollab/sicollab/schema"
)

// A record has two names in a store's file. Its key in bucketRecords is
// source \x00 id (recordKey): a batch's keys are adjacent there. The
// retention index (by_retain2) names it id \x00 source (indexRef), as it
// did before records3, so a file from before keeps that index. Neither
// part holds a NUL byte (checkKeyParts), so the one converts to the
// other by swapping the parts around the first NUL.

// recordKey is the key of a record in bucketRecords: source \x00 id.
func recordKey(source, id string) []byte { return orgKey(source, id) }

// indexRef is how the retention index names a record: id \x00 source.
func indexRef(id, source string) []byte { return orgKey(id, source) }

// recordKeyOf converts an indexRef to the record's key, and (the
// swap being its own inverse) a record's key to its indexRef. A value
// without a NUL byte is returned as it is, which names no record.
func recordKeyOf(ref []byte) []byte {
	i := bytes.IndexByte(ref, 0)
	if i < 0 {
		return ref
	}
	k := make([]byte, 0, len(ref))
	k = append(k, ref[i+1:]...)
	k = append(k, 0)
	return append(k, ref[:i]...)
}

// checkKeyParts refuses a record whose id, source or kind holds a NUL
// byte, which would make its keys ambiguous. A record the Handler
// validated never does (a UUID v7 id, a source of the directory's
// pattern, a kind of the schemas); an envelope given to Store.Put might.
func checkKeyParts(e *schema.Envelope) error {
	for _, f := range [...]struct{ name, v string }{{"id", e.ID}, {"source", e.Source}, {"kind", e.Kind}} {
		if i := strings.IndexByte(f.v, 0); i >= 0 {
			return fmt.Errorf("record %q: /%s holds a NUL byte at %d, which a store key cannot hold: fix the record's %s", e.ID, f.name, i, f.name)
		}
	}
	return nil
}

// firstSourceOf returns the value of the record with id of the source
// first in byte order that has one, or nil: one seek per source the
// store holds, each skipping the rest of that source's keys.
func firstSourceOf(recs *bolt.Bucket, id string) []byte {
	c := recs.Cursor()
	for k, _ := c.First(); k != nil; {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			return nil // not a record's key: the file is not one of ours
		}
		src := k[:i]
		want := recordKey(string(src), id)
		got, v := c.Seek(want)
		if bytes.Equal(got, want) {
			return v
		}
		next := append(bytes.Clone(src), 1) // past every key of src
		k, _ = c.Seek(next)
	}
	return nil
}

// openStoreFile brings the store buckets of an opened file up to date:
// it moves the index of records of a file from before records3 and the
// index by kind of one from before by_kind3, then builds the retention
// index of a file from before by_retain2.
func openStoreFile(db *boltdb.DB) error {
	for _, mv := range []struct {
		from, to []byte
		key      func([]byte) []byte
	}{
		{bucketRecordsIDFirst, bucketRecords, recordKeyOf},
		{bucketByKindTimeFirst, bucketByKind, kindKeyOf},
	} {
		for {
			done, err := moveBucket(db, mv.from, mv.to, mv.key, migrateStep)
			if err != nil {
				return fmt.Errorf("move %s to %s: %w", mv.from, mv.to, err)
			}
			if done {
				break
			}
		}
	}
	return db.Update(buildRetainIndex)
}

// migrateStep is how many keys one transaction of moveBucket moves: a
// large file moves in commits of bounded memory, and a crash between
// them leaves the rest in the old bucket, moved at the next open.
const migrateStep = 50000

// moveBucket moves up to step keys of bucket from to bucket to, each
// under the key key gives (none: dropped), in one transaction, and
// drops from once it is empty. It reports whether nothing is left to
// move. A key already in to is kept as it is (first write wins).
func moveBucket(db *boltdb.DB, from, to []byte, key func([]byte) []byte, step int) (done bool, err error) {
	err = db.Update(func(tx *bolt.Tx) error {
		old := tx.Bucket(from)
		if old == nil {
			done = true
			return nil
		}
		dst, err := tx.CreateBucketIfNotExists(to)
		if err != nil {
			return err
		}
		var keys [][]byte
		c := old.Cursor()
		for k, v := c.First(); k != nil && len(keys) < step; k, v = c.Next() {
			if nk := key(k); nk != nil && dst.Get(nk) == nil {
				if err := dst.Put(nk, bytes.Clone(v)); err != nil {
					return err
				}
			}
			keys = append(keys, bytes.Clone(k))
		}
		if len(keys) == 0 {
			done = true
			return tx.DeleteBucket(from)
		}
		for _, k := range keys {
			if err := old.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	return done, err
}

// kindKeyOf converts a key of by_kind2 (kind \x00 collected_at \x00 id
// \x00 source) to the key of by_kind3 (kindKey); nil for a key not of
// that form.
func kindKeyOf(k []byte) []byte {
	kind, rest, ok := bytes.Cut(k, []byte{0})
	if !ok || len(rest) < len(sortableTime)+1 || rest[len(sortableTime)] != 0 {
		return nil
	}
	at := rest[:len(sortableTime)]
	id, source, ok := bytes.Cut(rest[len(sortableTime)+1:], []byte{0})
	if !ok {
		return nil
	}
	nk := make([]byte, 0, len(k))
	nk = append(append(nk, kind...), 0)
	nk = append(append(nk, source...), 0)
	nk = append(append(nk, at...), 0)
	return append(nk, id...)
}
