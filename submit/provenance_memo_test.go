package submit

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"slices"
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
		memo := newInclusionMemo()
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
		require.LessOrEqual(t, len(memo.nodes), int(2*n), "n %d: at most one entry per node of the tree", n)
	}
}

// TestInclusionMemoSavesHashes checks what the memo's saving rests on:
// after the records of a 256-leaf manifest it holds every node of the
// tree, so a record's first hash meets a node it knows (one hash, not
// eight).
func TestInclusionMemoSavesHashes(t *testing.T) {
	const n = ManifestLeaves
	tree, leaves, root := testTree(t, n)
	memo := newInclusionMemo()
	for i := range int64(n) {
		proof, err := tlog.ProveRecord(n, i, tree)
		require.NoError(t, err)
		require.True(t, memo.check(proof, n, i, leaves[i], root))
	}
	require.Len(t, memo.nodes, 2*n-1)
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
