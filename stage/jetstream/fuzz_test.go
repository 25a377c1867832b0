package jetstream

import (
	"errors"
	"testing"
)

// FuzzDecodeEnvelope: whatever a message holds, decoding returns an
// envelope with an id, a kind and a source, or an error wrapping
// ErrMalformed; it never panics.
func FuzzDecodeEnvelope(f *testing.F) {
	f.Add([]byte(`{"id":"01950a7e-3c00-7d2a-9b1e-4f6a8c0d2e47","kind":"finance.transaction","schema_version":1,"source":"bank-north-01","collected_at":"2026-03-02T09:30:00Z","purpose":{"requirement_id":"01950a00-0000-7000-8000-000000000001"},"legal_basis":"b","handling":"AMBER","retain_until":"2027-03-02T09:30:00Z","payload":{}}`))
	f.Add([]byte(`{"id":"x"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := decodeEnvelope(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if env.ID == "" || env.Kind == "" || env.Source == "" {
			t.Fatalf("decoded %+v without an id, kind or source", env)
		}
	})
}
