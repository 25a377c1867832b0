package submit

import (
	"testing"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// BenchmarkProvenanceSeal is what signed provenance costs per record at
// batches of 500: the client sealing its hops (leaves, tree, proofs, one
// signature), and a hub verifying a two-hop chain with the manifests'
// signatures remembered (as for every record of a batch but the first)
// and without (a signature check per hop, the worst case):
//
//	go test ./submit -run '^$' -bench ProvenanceSeal
func BenchmarkProvenanceSeal(b *testing.B) {
	f := newFixture(b, nil)
	bank, hub := hopSigner(b, testBank), hopSigner(b, testHub)
	fresh := func() []schema.Envelope {
		envs := make([]schema.Envelope, identityBatch)
		for i := range envs {
			envs[i] = f.envelope(testBank, schema.KindFinanceTransaction)
			if err := envs[i].Stamp(testBank, schema.StageCollection, testNow); err != nil {
				b.Fatal(err)
			}
		}
		return envs
	}
	b.Run("sign", func(b *testing.B) {
		var spent time.Duration
		for b.Loop() {
			b.StopTimer()
			envs := fresh()
			b.StartTimer()
			start := time.Now()
			if err := bank.SealHops(testBank, envs); err != nil {
				b.Fatal(err)
			}
			spent += time.Since(start)
		}
		b.ReportMetric(spent.Seconds()*1e9/float64(b.N*identityBatch), "ns/record")
	})
	envs := fresh()
	if err := bank.SealHops(testBank, envs); err != nil {
		b.Fatal(err)
	}
	for i := range envs {
		if err := envs[i].Stamp(testHub, schema.StageProcessing, testNow); err != nil {
			b.Fatal(err)
		}
	}
	if err := hub.SealHops(testHub, envs); err != nil {
		b.Fatal(err)
	}
	dir := testDirectory(b)
	for _, cached := range []bool{true, false} {
		name := "verify/cached"
		if !cached {
			name = "verify/uncached"
		}
		b.Run(name, func(b *testing.B) {
			v, err := NewSealVerifier(SealConfig{Require: true})
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				if !cached {
					v.cache = newManifestCache(1)
				}
				if _, err := v.VerifyHops(b.Context(), dir, &envs[i%len(envs)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
