package synth_test

import (
	"encoding/json"
	"runtime"
	"testing"

	"github.com/sicollab/sicollab/examples/internal/synth"
)

func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkRecords measures generation of the default mix (payloads
// encoded, envelopes built), one record per op.
func BenchmarkRecords(b *testing.B) {
	for _, tc := range []struct {
		name string
		cfg  synth.Config
	}{
		{"default", synth.Config{Seed: 1}},
		{"provenance", synth.Config{Seed: 1, Provenance: true}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			g := newGen(b, tc.cfg)
			// Warm the pseudonym cache, as a long run has it warm.
			for range g.Records(200000) {
			}
			b.ReportAllocs()
			b.ResetTimer()
			n := 0
			for range g.Records(b.N) {
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkRecordsJSON adds encoding each envelope, as a client sending
// NDJSON does, and reports the mean size of a record.
func BenchmarkRecordsJSON(b *testing.B) {
	g := newGen(b, synth.Config{Seed: 1})
	for range g.Records(200000) {
	}
	b.ReportAllocs()
	b.ResetTimer()
	size := 0
	for e := range g.Records(b.N) {
		raw, err := json.Marshal(e)
		if err != nil {
			b.Fatal(err)
		}
		size += len(raw) + 1
	}
	b.ReportMetric(float64(size)/float64(b.N), "bytes/record")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkGenerate measures each kind on its own.
func BenchmarkGenerate(b *testing.B) {
	g := newGen(b, synth.Config{Seed: 1})
	for _, kind := range synth.Kinds() {
		b.Run(kind, func(b *testing.B) {
			b.ReportAllocs()
			size := 0
			for range b.N {
				e, err := g.Generate(kind)
				if err != nil {
					b.Fatal(err)
				}
				size += len(e.Payload)
			}
			b.ReportMetric(float64(size)/float64(b.N), "payload-bytes")
		})
	}
}
