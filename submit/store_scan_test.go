package submit

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/internal/boltdb"
	"github.com/sicollab/sicollab/schema"
)

// mergeEnvs makes n records of kind from sources whose collected_at
// values interleave, with ties across sources (same time, same id).
func mergeEnvs(n int, kind string, seed uint64) []schema.Envelope {
	rng := rand.New(rand.NewPCG(seed, 1))
	sources := []string{"org-a", "org-b", "org-b.x", "org-c", "org-d"}
	var envs []schema.Envelope
	seen := map[string]bool{}
	for i := range n {
		e := bulkEnv(i, testNow.AddDate(1, 0, 0))
		e.Kind = kind
		e.Source = sources[rng.IntN(len(sources))]
		e.CollectedAt = testNow.Add(time.Duration(rng.IntN(n/3+1)) * time.Minute)
		if i%7 == 0 && i > 0 { // the same id and time as an earlier record of another source
			prev := envs[rng.IntN(len(envs))]
			if !seen[e.Source+"/"+prev.ID] {
				e.ID, e.CollectedAt = prev.ID, prev.CollectedAt
			}
		}
		seen[e.Source+"/"+e.ID] = true
		envs = append(envs, e)
	}
	return envs
}

// scanOrder sorts envs as Scan returns them: collected_at, id, source.
func scanOrder(envs []schema.Envelope) []string {
	envs = slices.Clone(envs)
	slices.SortFunc(envs, func(a, b schema.Envelope) int {
		return cmp.Or(a.CollectedAt.Compare(b.CollectedAt), cmp.Compare(a.ID, b.ID), cmp.Compare(a.Source, b.Source))
	})
	out := make([]string, len(envs))
	for i, e := range envs {
		out[i] = e.Source + "/" + e.ID
	}
	return out
}

func scanAllOf(t *testing.T, s *Store, q ScanQuery) []string {
	t.Helper()
	var got []string
	for {
		page, err := s.Scan(t.Context(), q)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Records), max(q.Limit, 1))
		for _, e := range page.Records {
			got = append(got, e.Source+"/"+e.ID)
		}
		if page.Next == "" {
			return got
		}
		q.Cursor = page.Next
	}
}

// TestStoreScanMergesSources: a scan merges the sources' records in
// collected_at, id, source order, whatever the page size and window,
// with ties across sources, other kinds left out.
func TestStoreScanMergesSources(t *testing.T) {
	s, err := OpenStore(filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	defer s.Close()
	kind := schema.KindFinanceTransaction
	envs := mergeEnvs(300, kind, 7)
	others := mergeEnvs(40, kind+"x", 8) // a kind whose name extends kind's
	for i := range others {
		others[i].ID = fmt.Sprintf("other-%03d", i)
	}
	for i := 0; i < len(envs); i += 37 { // batches, as hubs store them
		require.NoError(t, s.Put(t.Context(), envs[i:min(i+37, len(envs))]))
	}
	require.NoError(t, s.Put(t.Context(), others))
	from, to := testNow.Add(20*time.Minute), testNow.Add(70*time.Minute)
	var window []schema.Envelope
	for _, e := range envs {
		if !e.CollectedAt.Before(from) && e.CollectedAt.Before(to) {
			window = append(window, e)
		}
	}
	require.NotEmpty(t, window)
	for _, tc := range []struct {
		name string
		q    ScanQuery
		want []string
	}{
		{"all, pages of 1", ScanQuery{Kind: kind, Limit: 1}, scanOrder(envs)},
		{"all, pages of 13", ScanQuery{Kind: kind, Limit: 13}, scanOrder(envs)},
		{"all, one page", ScanQuery{Kind: kind, Limit: 1000}, scanOrder(envs)},
		{"window, pages of 4", ScanQuery{Kind: kind, From: from, To: to, Limit: 4}, scanOrder(window)},
		{"the other kind", ScanQuery{Kind: kind + "x", Limit: 9}, scanOrder(others)},
		{"empty window", ScanQuery{Kind: kind, From: to, To: from, Limit: 5}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, scanAllOf(t, s, tc.q))
		})
	}
}

// TestStoreKindIndexFromBefore: a store whose index by kind is the one
// of before by_kind3 (by_kind2: time first) scans the same after it is
// moved at open, and a cursor handed out before the move continues
// where it stopped.
func TestStoreKindIndexFromBefore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := OpenStore(path)
	require.NoError(t, err)
	kind := schema.KindFinanceTransaction
	envs := mergeEnvs(120, kind, 9)
	require.NoError(t, s.Put(t.Context(), envs))
	first, err := s.Scan(t.Context(), ScanQuery{Kind: kind, Limit: 50})
	require.NoError(t, err)
	require.NotEmpty(t, first.Next)
	require.NoError(t, s.db.Update(func(tx *bolt.Tx) error {
		old, err := tx.CreateBucket(bucketByKindTimeFirst)
		require.NoError(t, err)
		require.NoError(t, tx.Bucket(bucketByKind).ForEach(func(k, _ []byte) error {
			return old.Put(timeFirstKindKey(t, k), nil)
		}))
		return tx.DeleteBucket(bucketByKind)
	}))
	require.NoError(t, s.Close())

	s, err = OpenStore(path)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		require.Nil(t, tx.Bucket(bucketByKindTimeFirst), "by_kind2 is dropped once moved")
		require.Equal(t, len(envs), tx.Bucket(bucketByKind).Stats().KeyN)
		return nil
	}))
	want := scanOrder(envs)
	require.Equal(t, want, scanAllOf(t, s, ScanQuery{Kind: kind, Limit: 17}))
	require.Equal(t, want[50:], scanAllOf(t, s, ScanQuery{Kind: kind, Limit: 17, Cursor: first.Next}), "a cursor from before the move")
}

// timeFirstKindKey is the key of by_kind2 for a key of by_kind3.
func timeFirstKindKey(t *testing.T, k []byte) []byte {
	t.Helper()
	kind, rest, ok := bytes.Cut(k, []byte{0})
	require.True(t, ok)
	source, rest, ok := bytes.Cut(rest, []byte{0})
	require.True(t, ok)
	at, id := rest[:len(sortableTime)], rest[len(sortableTime)+1:]
	_, err := time.Parse(boltdb.TimeKeyLayout, string(at))
	require.NoError(t, err)
	return scanPos(nil, append(bytes.Clone(kind), 0), source, at, id)
}
