package jetstream

import (
	"strings"
	"testing"

	"github.com/sicollab/sicollab/schema"
)

// FuzzDecodePurpose: whatever another hub (or anyone with write access)
// put in the purposes bucket, decoding returns a purpose envelope or an
// error, and never panics.
func FuzzDecodePurpose(f *testing.F) {
	f.Add([]byte(`{"id":"01950a7e-3c00-7d2a-9b1e-4f6a8c0d2e47","kind":"collab.requirement","schema_version":1,"source":"leading-group","payload":{}}`))
	f.Add([]byte(`{"kind":"finance.transaction"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := decodePurpose(data)
		if err == nil && env.Kind != schema.KindRequirement && env.Kind != schema.KindTask {
			t.Fatalf("decoded kind %q as a purpose", env.Kind)
		}
	})
}

// FuzzSubject: every kind and source give a literal subject of the
// prefix, with exactly one token for the source.
func FuzzSubject(f *testing.F) {
	f.Add("finance.transaction", "bank-north-01")
	f.Add("a..b", "x.y*>")
	f.Fuzz(func(t *testing.T, kind, source string) {
		s := Subject("p", kind, source)
		if !literalSubject(s) {
			t.Fatalf("Subject(%q, %q) = %q: not a literal subject", kind, source, s)
		}
		toks := strings.Split(s, ".")
		if want := 2 + strings.Count(kind, "."); len(toks) != want+1 {
			t.Fatalf("Subject(%q, %q) = %q: %d tokens, want %d", kind, source, s, len(toks), want+1)
		}
	})
}
