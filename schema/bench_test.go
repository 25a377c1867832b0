package schema

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkValidate measures Validate on the first valid vector of every
// kind, wrapped in an envelope, beside two references on the same bytes in
// the same run: "decode" is a bare json.Decoder (UseNumber) into any, the
// floor; "plain" is jsonschema v5 used plainly (decode, then validate the
// envelope and the payload). Read the ratios validate/decode with
// benchstat or by eye; allocations come from -benchmem.
func BenchmarkValidate(b *testing.B) {
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
		if _, err := v.Validate(raw); err != nil {
			b.Fatalf("%s: %v", k.Kind, err)
		}
		b.Run(k.Kind+"/decode", func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				dec := json.NewDecoder(bytes.NewReader(raw))
				dec.UseNumber()
				var doc any
				if err := dec.Decode(&doc); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(k.Kind+"/plain", func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			s := plain.payloads[kindVersion{k.Kind, 1}]
			for b.Loop() {
				dec := json.NewDecoder(bytes.NewReader(raw))
				dec.UseNumber()
				var doc any
				if err := dec.Decode(&doc); err != nil {
					b.Fatal(err)
				}
				if err := plain.envelope.Validate(doc); err != nil {
					b.Fatal(err)
				}
				if err := s.Validate(doc.(map[string]any)["payload"]); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(k.Kind+"/validate", func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Validate(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
		// The envelope as a Go value, as a pipeline holds it: where the
		// kind's schema is simple, the payload is scanned, not parsed.
		env, err := v.Validate(raw)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(k.Kind+"/envelope", func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if err := v.ValidateEnvelope(env); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAppendJSON compares AppendJSON with json.Marshal on an
// envelope with a hop.
//
//	go test ./schema -run '^$' -bench AppendJSON -benchmem
func BenchmarkAppendJSON(b *testing.B) {
	raw, _ := firstVector(b, KindFinanceTransaction)
	var env Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		b.Fatal(err)
	}
	if err := env.Stamp("bank-north-01", StageCollection, time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)); err != nil {
		b.Fatal(err)
	}
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&env); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			var err error
			if buf, err = env.AppendJSON(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// firstVector returns the first valid vector of kind, compacted and
// wrapped in an envelope, and false if kind has none.
func firstVector(tb testing.TB, kind string) ([]byte, bool) {
	files, _ := filepath.Glob(filepath.Join("testdata", kind, "v1", "valid", "*.json"))
	if len(files) == 0 {
		return nil, false
	}
	payload, err := os.ReadFile(files[0])
	if err != nil {
		tb.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, payload); err != nil {
		tb.Fatal(err)
	}
	return wrapForFuzz(kind, compact.Bytes()), true
}
