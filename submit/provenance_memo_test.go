package submit

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"
)

// TestInclusionMemoAgrees checks that an inclusionMemo answers as
// tlog.CheckRecord does, for trees of every shape up to 70 leaves and
// the manifests a HopSealer signs, records taken in random order, one in
// three altered (its leaf, a hash of its path, its index, its path cut
// short or lengthened), the memo kept across them all as a SealVerifier
// keeps it for one manifest.
func TestInclusionMemoAgrees(t *testing.T) {
	sizes := []int64{ManifestLeaves, ManifestLeaves - 12, 513}
	for n := int64(1); n <= 70; n++ {
		sizes = append(sizes, n)
	}
	for _, n := range sizes {
		rng := rand.New(rand.NewPCG(uint64(n), 7))
		tree, leaves, root := testTree(t, n)
		memo := newInclusionMemo(n)
		passed := 0
		for range 3 * n {
			i := rng.Int64N(n)
			proof, err := tlog.ProveRecord(n, i, tree)
			require.NoError(t, err)
			proof = slices.Clone(proof)
			leaf, idx := leaves[i], i
			switch rng.IntN(9) {
			case 0:
				leaf[rng.IntN(32)] ^= 1
			case 1:
				if len(proof) > 0 {
					proof[rng.IntN(len(proof))][rng.IntN(32)] ^= 0x80
				}
			case 2:
				idx = rng.Int64N(n + 1)
			case 3:
				if len(proof) > 0 {
					proof = proof[:len(proof)-1]
				} else {
					proof = append(proof, leaf)
				}
			}
			want := tlog.CheckRecord(proof, n, root, idx, leaf) == nil
			require.Equal(t, want, memo.check(proof, n, idx, leaf, root), "n %d, leaf %d as %d", n, i, idx)
			if want {
				passed++
			}
		}
		require.Positive(t, passed, "n %d: some records verified", n)
		require.LessOrEqual(t, memo.known(), int(2*n-1), "n %d: at most one entry per node of the tree", n)
	}
}

// TestInclusionMemoConcurrent checks the memo under the handler's use:
// the records of one manifest checked on several goroutines at once, one
// in four altered, each answer as tlog.CheckRecord gives it (run with
// -race, it also shows the slots are written and read safely).
func TestInclusionMemoConcurrent(t *testing.T) {
	for _, n := range []int64{ManifestLeaves, 500, 7} {
		tree, leaves, root := testTree(t, n)
		memo := newInclusionMemo(n)
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(n), uint64(w)))
				for range 2 * n {
					i := rng.Int64N(n)
					proof, err := tlog.ProveRecord(n, i, tree)
					if err != nil {
						t.Error(err)
						return
					}
					proof = slices.Clone(proof)
					leaf := leaves[i]
					if rng.IntN(4) == 0 {
						if len(proof) > 0 && rng.IntN(2) == 0 {
							proof[rng.IntN(len(proof))][rng.IntN(32)] ^= 1
						} else {
							leaf[rng.IntN(32)] ^= 1
						}
					}
					want := tlog.CheckRecord(proof, n, root, i, leaf) == nil
					if got := memo.check(proof, n, i, leaf, root); got != want {
						t.Errorf("n %d, leaf %d: memo says %v, tlog %v", n, i, got, want)
					}
				}
			})
		}
		wg.Wait()
		require.LessOrEqual(t, memo.known(), int(2*n-1))
	}
}

// TestInclusionMemoSavesHashes checks what the memo's saving rests on:
// after the records of a 256-leaf manifest it holds every node of the
// tree, so a record's first hash meets a node it knows (one hash, not
// eight).
func TestInclusionMemoSavesHashes(t *testing.T) {
	const n = ManifestLeaves
	tree, leaves, root := testTree(t, n)
	memo := newInclusionMemo(n)
	for i := range int64(n) {
		proof, err := tlog.ProveRecord(n, i, tree)
		require.NoError(t, err)
		require.True(t, memo.check(proof, n, i, leaves[i], root))
	}
	require.Equal(t, 2*n-1, memo.known())
}

// testTree is a manifest's tree of n made-up leaves: its stored hashes,
// its leaves and its head.
func testTree(t *testing.T, n int64) (hashStore, []tlog.Hash, tlog.Hash) {
	var tree hashStore
	leaves := make([]tlog.Hash, n)
	for i := range leaves {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(i)+uint64(n)<<32)
		leaves[i] = sha256.Sum256(b[:])
		hs, err := tlog.StoredHashesForRecordHash(int64(i), leaves[i], tree)
		require.NoError(t, err)
		tree = append(tree, hs...)
	}
	root, err := tlog.TreeHash(n, tree)
	require.NoError(t, err)
	return tree, leaves, root
}

// known counts the nodes m holds.
func (m *inclusionMemo) known() int {
	n := 0
	for i := range m.slots {
		if m.slots[i].state.Load() == 2 {
			n++
		}
	}
	return n
}

// TestInclusionMemoSlots: every node of a tree of n leaves has a slot of
// its own, for every n up to 600 and the sizes a HopSealer makes.
func TestInclusionMemoSlots(t *testing.T) {
	for n := int64(1); n <= 600; n++ {
		m := newInclusionMemo(n)
		owner := map[*memoSlot]span{}
		for i := range n {
			for _, lv := range pathOf(nil, n, i) {
				for _, s := range []span{lv.parent, lv.node, lv.sib} {
					sl := m.slot(s)
					if o, ok := owner[sl]; ok && o != s {
						t.Fatalf("n %d: nodes %v and %v share a slot", n, o, s)
					}
					owner[sl] = s
				}
			}
		}
		if n > 1 {
			require.Len(t, owner, int(2*n-1), "n %d: every node seen", n)
		}
	}
}
