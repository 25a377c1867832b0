package translog

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkAppendBatch appends one leaf of an accepted 500-record batch
// per operation: encode, hash, tiles, sign, fsync.
func BenchmarkAppendBatch(b *testing.B) {
	l := openTest(b, testConfig(b, "log.db"))
	leaves := make([]Leaf, b.N)
	for i := range leaves {
		leaves[i] = batchLeaf(i, 500)
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := l.Append(b.Context(), leaves[i]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProofAtScale proves and checks leaves of a tree of 2^17 leaves
// and reports the sizes a receipt pays: the signed checkpoint and the
// inclusion proof as JSON.
func BenchmarkProofAtScale(b *testing.B) {
	l := openTest(b, testConfig(b, "log.db"))
	const n = 1 << 17
	leaves := make([]Leaf, 0, 4096)
	for i := 0; i < n; i++ {
		leaves = append(leaves, mixedLeaf(i))
		if len(leaves) == cap(leaves) {
			_, err := l.Append(b.Context(), leaves...)
			require.NoError(b, err)
			leaves = leaves[:0]
		}
	}
	cp := l.Checkpoint()
	require.Equal(b, int64(n), cp.Size)
	v, err := NewVerifier(VerifierConfig{VerifierKey: testVerifierKey(), Prover: LogProver{l}})
	require.NoError(b, err)
	var proofBytes int
	b.ResetTimer()
	for i := range b.N {
		idx := int64(i*7919) % n
		p, err := l.ProveInclusion(b.Context(), idx, n)
		if err != nil {
			b.Fatal(err)
		}
		leaf, err := l.Leaf(b.Context(), idx)
		if err != nil {
			b.Fatal(err)
		}
		ip := InclusionProof{Index: idx, Size: n, Proof: p, Checkpoint: string(cp.Note)}
		if _, err := v.VerifyInclusion(b.Context(), leaf, ip); err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			raw, _ := json.Marshal(ip)
			proofBytes = len(raw)
		}
	}
	b.ReportMetric(float64(len(cp.Note)), "checkpoint_bytes")
	b.ReportMetric(float64(proofBytes), "proof_json_bytes")
}

// BenchmarkVerifyInclusion is a client's cost of checking one proof (the
// checkpoint's signature and the path) in a tree of 2^17 leaves, with the
// proof already in hand.
func BenchmarkVerifyInclusion(b *testing.B) {
	l := openTest(b, testConfig(b, "log.db"))
	leaves := make([]Leaf, 1<<12)
	for r := range 32 {
		for i := range leaves {
			leaves[i] = mixedLeaf(r<<12 + i)
		}
		_, err := l.Append(b.Context(), leaves...)
		require.NoError(b, err)
	}
	cp := l.Checkpoint()
	leaf, err := l.Leaf(b.Context(), 12345)
	require.NoError(b, err)
	p, err := l.ProveInclusion(b.Context(), 12345, cp.Size)
	require.NoError(b, err)
	ip := InclusionProof{Index: 12345, Size: cp.Size, Proof: p, Checkpoint: string(cp.Note)}
	v, err := NewVerifier(VerifierConfig{VerifierKey: testVerifierKey(), Prover: LogProver{l}})
	require.NoError(b, err)
	b.ResetTimer()
	for range b.N {
		if _, err := v.VerifyInclusion(b.Context(), leaf, ip); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(p)), "proof_hashes")
}

func testVerifierKey() string {
	_, v := testKeys()
	return v
}
