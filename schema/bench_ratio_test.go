//go:build unix

package schema

import (
	"bytes"
	"encoding/json"
	"syscall"
	"testing"
	"time"
)

// BenchmarkValidateRatio measures, per kind, Validate and jsonschema v5
// used plainly against the bare decode to any, in alternating batches
// within one loop, in the CPU time of this process (getrusage): another
// process loading the machine then moves neither side, and a drift of
// the machine's speed moves both. The metrics are the ratios.
//
//	go test ./schema -run '^$' -bench ValidateRatio -benchtime 200x
func BenchmarkValidateRatio(b *testing.B) {
	v, err := NewValidator()
	if err != nil {
		b.Fatal(err)
	}
	plain, err := compileAll(false)
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range Kinds() {
		raw, ok := firstVector(b, k.Kind)
		if !ok {
			continue
		}
		s := plain.payloads[kindVersion{k.Kind, 1}]
		decode := func() any {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			var doc any
			if err := dec.Decode(&doc); err != nil {
				b.Fatal(err)
			}
			return doc
		}
		sides := []func(){
			func() { decode() },
			func() {
				if _, err := v.Validate(raw); err != nil {
					b.Fatal(err)
				}
			},
			func() {
				doc := decode()
				if plain.envelope.Validate(doc) != nil || s.Validate(doc.(map[string]any)["payload"]) != nil {
					b.Fatal("plain refused a valid vector")
				}
			},
		}
		b.Run(k.Kind, func(b *testing.B) {
			const batch = 20
			var cpu [3]time.Duration
			for b.Loop() {
				for i, side := range sides {
					start := cpuTime()
					for range batch {
						side()
					}
					cpu[i] += cpuTime() - start
				}
			}
			b.ReportMetric(float64(cpu[1])/float64(cpu[0]), "validate/decode")
			b.ReportMetric(float64(cpu[2])/float64(cpu[0]), "plain/decode")
			b.ReportMetric(float64(cpu[1])/float64(b.N*batch), "validate-cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
