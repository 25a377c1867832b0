package jetstream_test

import (
	"context"
	"path/filepath"
	"testing"

	js "github.com/nats-io/nats.go/jetstream"

	"github.com/sicollab/sicollab/internal/natstest"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/jetstream"
)

// TestSharedPurposesSkipsJunkAndChecks: a bucket entry that is not a
// purpose message does not keep a hub from starting; bad arguments fail
// NewPurposes; only purpose kinds go to the bucket.
func TestSharedPurposesSkipsJunkAndChecks(t *testing.T) {
	c := natstest.StartServer(t)
	nc := c.Connect(t)
	ctx := context.Background()
	ledger, err := submit.OpenLedger(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	local, err := submit.NewPurposeRegistry(ledger, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		name string
		f    func() error
	}{
		{"nil conn", func() error { _, err := jetstream.NewPurposes(ctx, nil, local, jetstream.PurposesConfig{}); return err }},
		{"nil local", func() error { _, err := jetstream.NewPurposes(ctx, nc, nil, jetstream.PurposesConfig{}); return err }},
		{"replicas", func() error {
			_, err := jetstream.NewPurposes(ctx, nc, local, jetstream.PurposesConfig{Replicas: 9})
			return err
		}},
	} {
		if bad.f() == nil {
			t.Errorf("NewPurposes with %s: no error", bad.name)
		}
	}
	j, _ := js.New(nc)
	kv, err := j.CreateKeyValue(ctx, js.KeyValueConfig{Bucket: jetstream.DefaultPurposesBucket})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "msg.junk", []byte("not json")); err != nil {
		t.Fatal(err)
	}
	p, err := jetstream.NewPurposes(ctx, nc, local, jetstream.PurposesConfig{})
	if err != nil {
		t.Fatalf("NewPurposes over a bucket with junk: %v", err)
	}
	defer p.Close()
	// A record (not a purpose kind) is learnt locally but not kept.
	if err := p.Learn(ctx, []schema.Envelope{testEnv(t, "bank-north-01")}); err != nil {
		t.Fatal(err)
	}
	keys, err := kv.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != "msg.junk" {
		t.Fatalf("bucket keys %q; a record went to the bucket", keys)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
