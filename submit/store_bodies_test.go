package submit

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/internal/boltdb"
	"github.com/sicollab/sicollab/schema"
)

// TestStoreBodies checks the layout of a record: its bytes in a chunk
// of the bodies bucket, its key naming chunk, offset and length; records
// of files from before chunks (a body of its own) and from before bodies
// (the envelope as the key's value) are read, scanned and purged as
// before; compaction keeps the arrival sequence; a purge deletes the
// bytes too.
func TestStoreBodies(t *testing.T) {
	s, err := OpenStore(filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	defer s.Close()
	ctx := t.Context()
	kind := schema.KindFinanceTransaction
	newer, older, oldest := storeEnv(t, kind, testNow), storeEnv(t, kind, testNow.Add(-1)), storeEnv(t, kind, testNow.Add(-2))
	require.NoError(t, s.Put(ctx, []schema.Envelope{newer}))
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		require.Len(t, tx.Bucket(bucketRecords).Get(recordKey(newer.Source, newer.ID)), 9, "a commit of less than a page keeps a body per record")
		return nil
	}))
	pad := json.RawMessage(fmt.Sprintf(`{"pad":%q}`, bytes.Repeat([]byte("x"), 3000))) // two records more than a page: chunks
	older.Payload, oldest.Payload = pad, pad

	// A record as files from before chunks kept it, and one as files
	// from before bodies did.
	rawOlder, err := older.AppendJSON(nil)
	require.NoError(t, err)
	rawOldest, err := oldest.AppendJSON(nil)
	require.NoError(t, err)
	require.NoError(t, s.db.Update(func(tx *bolt.Tx) error {
		return putRecordsTx(tx, recordsOf([]schema.Envelope{older, oldest}), [][]byte{rawOlder, rawOldest})
	}))
	require.NoError(t, s.db.Update(func(tx *bolt.Tx) error {
		recs, bodies := tx.Bucket(bucketRecords), tx.Bucket(bucketBodies)
		var commit []byte
		eraser := newBodyEraser(tx)
		for _, e := range []schema.Envelope{older, oldest} {
			v := recs.Get(recordKey(e.Source, e.ID))
			require.Len(t, v, chunkRefLen, "a key names its bytes in a chunk")
			at, ok := parseChunkRef(v)
			require.True(t, ok)
			require.True(t, at.deflated, "chunks are deflated")
			commit = bytes.Clone(at.commit)
			require.NotNil(t, bodies.Bucket(commit))
			require.NoError(t, eraser.erase(v))
		}
		require.NotNil(t, bodies.Bucket(commit), "a deflated chunk is written back at flush")
		require.NoError(t, eraser.flush())
		require.Nil(t, bodies.Bucket(commit), "the commit's chunks are gone with the last record in them")
		require.NoError(t, bodies.Put(boltdb.SeqKey(100), rawOlder))
		require.NoError(t, recs.Put(recordKey(older.Source, older.ID), append([]byte{bodyRefMark}, boltdb.SeqKey(100)...)))
		return recs.Put(recordKey(oldest.Source, oldest.ID), rawOldest)
	}))

	for _, e := range []schema.Envelope{newer, older, oldest} {
		got, err := s.Get(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, e.ID, got.ID)
	}
	page, err := s.Scan(ctx, ScanQuery{Kind: kind})
	require.NoError(t, err)
	require.Len(t, page.Records, 3)
	require.Equal(t, []string{oldest.ID, older.ID, newer.ID}, []string{page.Records[0].ID, page.Records[1].ID, page.Records[2].ID}, "in collected_at order")

	// Compaction keeps the sequence: a record put after it does not
	// take the bytes of one put before.
	_, err = s.Compact(ctx)
	require.NoError(t, err)
	third := storeEnv(t, kind, testNow.Add(1))
	require.NoError(t, s.Put(ctx, []schema.Envelope{third}))
	for _, e := range []schema.Envelope{newer, older, oldest, third} {
		got, err := s.Get(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, e.ID, got.ID)
	}

	n, err := s.PurgeRecords(ctx, third.RetainUntil)
	require.NoError(t, err)
	require.Equal(t, 4, n)
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		require.Zero(t, tx.Bucket(bucketRecords).Stats().KeyN)
		require.Zero(t, tx.Bucket(bucketBodies).Stats().KeyN, "no bytes outlive their record")
		return nil
	}))
}

// TestStoreChunks checks that one commit's records share chunks of at
// most bodyChunkPages pages, in arrival order (one kind, one source), a
// record longer than a chunk in one of its own; and that purging some records of a chunk
// zeroes their bytes and keeps the others readable.
func TestStoreChunks(t *testing.T) {
	s, err := OpenStore(filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	defer s.Close()
	ctx := t.Context()
	kind := schema.KindFinanceTransaction
	var envs []schema.Envelope
	for i := range 60 {
		e := storeEnv(t, kind, testNow.Add(-time.Duration(i)*time.Second))
		pad := 1500
		if i == 30 {
			pad = bodyChunkPages*os.Getpagesize() + 1000 // longer than a chunk
		}
		e.Payload = json.RawMessage(fmt.Sprintf(`{"pad":%q}`, bytes.Repeat([]byte("x"), pad)))
		if i%2 == 0 {
			e.RetainUntil = testNow.AddDate(0, 1, 0) // purged below
		}
		envs = append(envs, e)
	}
	require.NoError(t, s.Put(ctx, envs))

	var chunks int
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		ps := tx.DB().Info().PageSize
		prev := -1
		var prevChunk, commit []byte
		for _, e := range envs {
			at, ok := parseChunkRef(tx.Bucket(bucketRecords).Get(recordKey(e.Source, e.ID)))
			require.True(t, ok)
			if commit == nil {
				commit = at.commit
			}
			require.Equal(t, commit, at.commit, "one commit, one bucket of chunks")
			if !bytes.Equal(at.chunk, prevChunk) {
				chunks++
				prevChunk, prev = bytes.Clone(at.chunk), -1
				require.Zero(t, at.off, "a chunk starts with its first record")
			}
			require.Greater(t, at.off, prev, "records in arrival order")
			prev = at.off
			z := tx.Bucket(bucketBodies).Bucket(at.commit).Get(at.chunk)
			c, err := inflateChunk(z)
			require.NoError(t, err)
			require.LessOrEqual(t, at.off+at.n, len(c))
			if at.n < bodyChunkPages*ps {
				require.LessOrEqual(t, len(c), bodyChunkPages*ps, "a chunk holds at most bodyChunkPages pages of records")
			}
			require.Less(t, len(z), len(c)/4, "the chunk is stored deflated")
		}
		return nil
	}))
	require.Greater(t, chunks, 2)
	require.Less(t, chunks, 10, "records share chunks")

	n, err := s.PurgeRecords(ctx, testNow.AddDate(0, 2, 0))
	require.NoError(t, err)
	require.Equal(t, 30, n)
	for i, e := range envs {
		got, err := s.Get(ctx, e.ID)
		if i%2 == 0 {
			require.ErrorIs(t, err, ErrRecordNotFound)
			continue
		}
		require.NoError(t, err)
		require.JSONEq(t, string(e.Payload), string(got.Payload))
	}
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBodies).ForEachBucket(func(k []byte) error {
			return tx.Bucket(bucketBodies).Bucket(k).ForEach(func(_, z []byte) error {
				c, err := inflateChunk(z)
				require.NoError(t, err)
				for i := 0; i < len(envs); i += 2 {
					require.False(t, bytes.Contains(c, []byte(envs[i].ID)), "a purged record's bytes are gone from its chunk")
				}
				return nil
			})
		})
	}))
}

// TestChunkWriterLimit crosses the limit of chunks in one commit (their
// keys are 16 bits): the chunk past it is refused with an error saying
// what to do, and the commit fails whole.
func TestChunkWriterLimit(t *testing.T) {
	s, err := OpenStore(filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	defer s.Close()
	err = s.db.Update(func(tx *bolt.Tx) error {
		w := newChunkWriter(tx, 1<<20)
		w.next = math.MaxUint16 - 1 // as after 65,534 full chunks
		val := bytes.Repeat([]byte("x"), w.max/2+1)
		for range 3 { // each value fills a chunk of its own
			if _, _, err := w.add(val); err != nil {
				return err
			}
		}
		return w.flush()
	})
	require.ErrorContains(t, err, "more than 65535 chunks in one commit; put fewer records at a time")
	n, err := s.Count()
	require.NoError(t, err)
	require.Zero(t, n)
}

// putChunked stores n records of about 1.5 KB each in one commit, so
// that they share deflated chunks, and returns them.
func putChunked(t *testing.T, s *Store, n int) []schema.Envelope {
	t.Helper()
	var envs []schema.Envelope
	for i := range n {
		e := storeEnv(t, schema.KindFinanceTransaction, testNow.Add(time.Duration(i)*time.Second))
		e.Payload = json.RawMessage(fmt.Sprintf(`{"pad":%q,"i":%d}`, bytes.Repeat([]byte("y"), 1400), i))
		envs = append(envs, e)
	}
	require.NoError(t, s.Put(t.Context(), envs))
	return envs
}

// TestStoreStoredChunksFromBefore: chunks of files from before deflated
// chunks (stored as they are, marked bodyChunkMark) are read, scanned
// and purged as before, beside deflated ones.
func TestStoreStoredChunksFromBefore(t *testing.T) {
	s, err := OpenStore(filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	defer s.Close()
	ctx := t.Context()
	old := putChunked(t, s, 40)
	// Inflate every chunk of that commit in place and mark its records'
	// references as a file from before would have them.
	inflated := 0
	require.NoError(t, s.db.Update(func(tx *bolt.Tx) error {
		recs := tx.Bucket(bucketRecords)
		for _, e := range old {
			k := recordKey(e.Source, e.ID)
			v := bytes.Clone(recs.Get(k))
			at, ok := parseChunkRef(v)
			require.True(t, ok)
			if at.deflated {
				commit, z := chunkOf(tx.Bucket(bucketBodies), at)
				raw, err := inflateChunk(z)
				require.NoError(t, err)
				chunk := bytes.Clone(at.chunk)
				require.NoError(t, commit.Put(chunk, raw))
				inflated++
				for _, f := range old { // every record of this chunk
					fk := recordKey(f.Source, f.ID)
					fv := bytes.Clone(recs.Get(fk))
					if fat, _ := parseChunkRef(fv); bytes.Equal(fat.commit, at.commit) && bytes.Equal(fat.chunk, chunk) {
						fv[0] = bodyChunkMark
						require.NoError(t, recs.Put(fk, fv))
					}
				}
			}
		}
		return nil
	}))
	require.Greater(t, inflated, 1, "the commit has chunks")
	fresh := putChunked(t, s, 40)
	for _, e := range slices.Concat(old, fresh) {
		got, err := s.Get(ctx, e.ID)
		require.NoError(t, err)
		require.JSONEq(t, string(e.Payload), string(got.Payload))
	}
	page, err := s.Scan(ctx, ScanQuery{Kind: schema.KindFinanceTransaction, Limit: 100})
	require.NoError(t, err)
	require.Len(t, page.Records, 80)

	// Purge every other record of both commits: the rest still read.
	require.NoError(t, s.db.Update(func(tx *bolt.Tx) error {
		eraser := newBodyEraser(tx)
		recs := tx.Bucket(bucketRecords)
		for i, e := range slices.Concat(old, fresh) {
			if i%2 == 0 {
				k := recordKey(e.Source, e.ID)
				require.NoError(t, eraser.erase(recs.Get(k)))
				require.NoError(t, recs.Delete(k))
			}
		}
		return eraser.flush()
	}))
	for i, e := range slices.Concat(old, fresh) {
		if i%2 == 0 {
			continue
		}
		got, err := s.GetFrom(ctx, e.Source, e.ID)
		require.NoError(t, err)
		require.JSONEq(t, string(e.Payload), string(got.Payload))
	}
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		r := newBodyReader(tx)
		return tx.Bucket(bucketBodies).ForEachBucket(func(k []byte) error {
			return tx.Bucket(bucketBodies).Bucket(k).ForEach(func(ck, z []byte) error {
				c := z
				if len(z) > 0 && z[0] != '{' && z[0] != 0 { // deflated: begins with its length
					var err error
					c, err = r.chunk(chunkAt{commit: k, chunk: ck, deflated: true})
					require.NoError(t, err)
				}
				for i, e := range slices.Concat(old, fresh) {
					if i%2 == 0 {
						require.False(t, bytes.Contains(c, []byte(e.ID)), "a purged record's bytes are gone from its chunk")
					}
				}
				return nil
			})
		})
	}))
}

// TestStoreDamagedChunk: a deflated chunk that does not inflate (cut
// short, its length wrong, bytes after its end, its length beyond the
// limit) makes Get and Scan fail with an error saying the file is
// damaged; nothing panics.
func TestStoreDamagedChunk(t *testing.T) {
	for name, damage := range map[string]func(z []byte) []byte{
		"cut short":        func(z []byte) []byte { return z[:len(z)/2] },
		"length too large": func(z []byte) []byte { return slices.Concat(binary.AppendUvarint(nil, 1<<20), z[uvarintLen(z):]) },
		"length too small": func(z []byte) []byte { return slices.Concat(binary.AppendUvarint(nil, 10), z[uvarintLen(z):]) },
		"over the limit": func(z []byte) []byte {
			return slices.Concat(binary.AppendUvarint(nil, maxChunkBytes+1), z[uvarintLen(z):])
		},
		"no length":   func(z []byte) []byte { return []byte{0x80} },
		"not deflate": func(z []byte) []byte { return slices.Concat(z[:uvarintLen(z)], bytes.Repeat([]byte{0xff}, 64)) },
	} {
		t.Run(name, func(t *testing.T) {
			s, err := OpenStore(filepath.Join(t.TempDir(), "store.db"))
			require.NoError(t, err)
			defer s.Close()
			envs := putChunked(t, s, 10)
			require.NoError(t, s.db.Update(func(tx *bolt.Tx) error {
				at, ok := parseChunkRef(tx.Bucket(bucketRecords).Get(recordKey(envs[0].Source, envs[0].ID)))
				require.True(t, ok)
				commit, z := chunkOf(tx.Bucket(bucketBodies), at)
				return commit.Put(bytes.Clone(at.chunk), damage(bytes.Clone(z)))
			}))
			_, err = s.Get(t.Context(), envs[0].ID)
			require.ErrorContains(t, err, "the file is damaged")
			_, err = s.Scan(t.Context(), ScanQuery{Kind: envs[0].Kind})
			require.ErrorContains(t, err, "the file is damaged")
		})
	}
}

func uvarintLen(b []byte) int {
	_, n := binary.Uvarint(b)
	return n
}

// TestStoreChunksByKind: a commit's records are packed by kind, then
// source, so a kind's records of one commit lie side by side in few
// chunks; the first copy of a (source, id) wins though its copies differ
// in kind.
func TestStoreChunksByKind(t *testing.T) {
	s, err := OpenStore(filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	defer s.Close()
	kinds := []string{schema.KindFinanceTransaction, schema.KindServicesLodging, schema.KindTransportFreight}
	var envs []schema.Envelope
	for i := range 90 {
		e := storeEnv(t, kinds[i%len(kinds)], testNow.Add(time.Duration(i)*time.Second))
		e.Payload = json.RawMessage(fmt.Sprintf(`{"pad":%q}`, bytes.Repeat([]byte("z"), 1400)))
		envs = append(envs, e)
	}
	dup := envs[0]
	dup.Kind = kinds[2]
	require.NoError(t, s.Put(t.Context(), append(envs, dup)))
	got, err := s.Get(t.Context(), envs[0].ID)
	require.NoError(t, err)
	require.Equal(t, kinds[0], got.Kind, "the first copy wins")

	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		chunksOf := map[string]map[string]bool{} // kind -> chunks holding it
		for _, e := range envs {
			at, ok := parseChunkRef(tx.Bucket(bucketRecords).Get(recordKey(e.Source, e.ID)))
			require.True(t, ok)
			if chunksOf[e.Kind] == nil {
				chunksOf[e.Kind] = map[string]bool{}
			}
			chunksOf[e.Kind][string(at.chunk)] = true
		}
		for k, cs := range chunksOf {
			require.LessOrEqual(t, len(cs), 2, "the 30 records of %s (45 KB) lie in at most two chunks", k)
		}
		return nil
	}))
	page, err := s.Scan(t.Context(), ScanQuery{Kind: kinds[1]})
	require.NoError(t, err)
	require.Len(t, page.Records, 30)
	for i := 1; i < len(page.Records); i++ {
		require.True(t, page.Records[i-1].CollectedAt.Before(page.Records[i].CollectedAt), "in collected_at order")
	}
}
