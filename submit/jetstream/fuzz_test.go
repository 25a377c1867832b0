package jetstream

import (
	"context"
	"errors"
	"strings"
	"testing"

	js "github.com/nats-io/nats.go/jetstream"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/natstest"
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

// FuzzDirectoryValue: whatever was put in the directory bucket, decoding
// and checking it (unsigned and signature-required rules) returns a
// directory or an error, and never panics.
func FuzzDirectoryValue(f *testing.F) {
	f.Add([]byte(`{"directory":"eyJ2ZXJzaW9uIjoxfQ=="}`))
	f.Add([]byte(`{"directory":"","signature":"AA=="}`))
	f.Add([]byte(`not json`))
	required := collab.DirectoryRules{RequireSignature: true, TrustedKeys: []collab.Key{{ID: "k"}}}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := decodeDirectoryValue(data)
		if err != nil {
			return
		}
		if len(v.Directory) == 0 {
			t.Fatal("decoded a value with no directory")
		}
		for _, rules := range []collab.DirectoryRules{{}, required} {
			if d, err := collab.AcceptDirectory(v.Directory, v.Signature, nil, rules); err == nil && d == nil {
				t.Fatal("nil directory without an error")
			}
		}
	})
}

// TestCompareAndSetRefusalIsRecognized: the server's answer to an
// Update at a stale revision, and to a Create over a key that exists,
// are what Publish reports as ErrDirectoryConflict.
func TestCompareAndSetRefusalIsRecognized(t *testing.T) {
	c := natstest.StartServer(t)
	ctx := context.Background()
	j, err := js.New(c.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	kv, err := j.CreateKeyValue(ctx, js.KeyValueConfig{Bucket: "cas"})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := kv.Create(ctx, "k", []byte("1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Update(ctx, "k", []byte("2"), rev); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Update(ctx, "k", []byte("3"), rev); !isWrongSequence(err) && !errors.Is(err, js.ErrKeyExists) {
		t.Fatalf("stale Update: %v, not recognized as a compare-and-set refusal", err)
	}
	if _, err := kv.Create(ctx, "k", []byte("4")); !errors.Is(err, js.ErrKeyExists) {
		t.Fatalf("Create over a key: %v, not ErrKeyExists", err)
	}
}
