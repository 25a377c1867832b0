package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	js "github.com/nats-io/nats.go/jetstream"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
)

// DefaultPurposesBucket is the key-value bucket SharedPurposes keeps
// purpose messages in.
const DefaultPurposesBucket = "sicollab_purposes"

// LocalPurposes is what SharedPurposes keeps in memory and checks with:
// a submit.PurposeRegistry over the hub's own ledger, usually.
type LocalPurposes interface {
	submit.Purposes
	submit.Learner
}

// PurposesConfig configures SharedPurposes.
type PurposesConfig struct {
	// Bucket is the key-value bucket; "": DefaultPurposesBucket.
	Bucket string
	// Replicas of the bucket when it is created; 0: 1 (3 in a cluster).
	Replicas int
	// Logger gets what fails to learn from the bucket. Nil: silent.
	Logger *slog.Logger
}

// SharedPurposes shares what hubs learn about purposes: every
// collab.requirement and collab.task message a hub accepts is kept in a
// JetStream key-value bucket, and every hub learns every message of the
// bucket into its local Purposes. So a requirement accepted through one
// hub soon covers records sent to another, and a hub started with no
// files of its own knows every purpose once New returns.
//
// Check reads local memory only (no I/O per record). Learn returns once
// the messages are in the bucket (durable, replicated) and learnt
// locally. Learning is idempotent and independent of order (the local
// Purposes' contract), so messages that come back from the bucket, or
// arrive from several hubs in any order, settle to one answer.
//
// It implements submit.Purposes and submit.Learner; give it to
// submit.HandlerConfig.Purposes. Close stops following the bucket.
type SharedPurposes struct {
	local LocalPurposes
	kv    js.KeyValue
	log   *slog.Logger
	w     js.KeyWatcher
	done  chan struct{}
	once  sync.Once
}

// NewPurposes opens (or creates) the bucket over nc, learns every message
// it holds into local, and follows it until Close.
func NewPurposes(ctx context.Context, nc *nats.Conn, local LocalPurposes, cfg PurposesConfig) (*SharedPurposes, error) {
	switch {
	case nc == nil:
		return nil, errors.New("jetstream: NewPurposes: nil connection")
	case local == nil:
		return nil, errors.New("jetstream: NewPurposes: nil local Purposes; use submit.NewPurposeRegistry")
	case cfg.Replicas < 0 || cfg.Replicas > 5:
		return nil, fmt.Errorf("jetstream: PurposesConfig.Replicas is %d; JetStream takes 1 to 5", cfg.Replicas)
	}
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultPurposesBucket
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	j, err := js.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: NewPurposes: %w", err)
	}
	kv, err := j.CreateOrUpdateKeyValue(ctx, js.KeyValueConfig{Bucket: cfg.Bucket, Description: "sicollab: purpose messages",
		History: 1, Storage: js.FileStorage, Replicas: cfg.Replicas})
	if err != nil {
		return nil, fmt.Errorf("jetstream: NewPurposes: bucket %s: %w", cfg.Bucket, err)
	}
	// The watcher outlives ctx: it follows the bucket until Close.
	w, err := kv.WatchAll(context.WithoutCancel(ctx))
	if err != nil {
		return nil, fmt.Errorf("jetstream: NewPurposes: watch %s: %w", cfg.Bucket, err)
	}
	p := &SharedPurposes{local: local, kv: kv, log: cfg.Logger, w: w, done: make(chan struct{})}
	// What the bucket holds now, then nil, then what comes after.
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				w.Stop()
				return nil, fmt.Errorf("jetstream: NewPurposes: watch of %s ended", cfg.Bucket)
			}
			if e == nil {
				go p.follow()
				return p, nil
			}
			if err := p.learnEntry(ctx, e); err != nil {
				w.Stop()
				return nil, err
			}
		case <-ctx.Done():
			w.Stop()
			return nil, fmt.Errorf("jetstream: NewPurposes: reading %s: %w", cfg.Bucket, ctx.Err())
		}
	}
}

// follow learns what other hubs put in the bucket, until Close.
func (p *SharedPurposes) follow() {
	defer close(p.done)
	for e := range p.w.Updates() {
		if e == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := p.learnEntry(ctx, e); err != nil {
			p.log.Warn("jetstream: purpose message from the bucket not learnt", "key", e.Key(), "err", err)
		}
		cancel()
	}
}

// learnEntry learns the envelope in a bucket entry.
func (p *SharedPurposes) learnEntry(ctx context.Context, e js.KeyValueEntry) error {
	if e.Operation() != js.KeyValuePut {
		return nil
	}
	env, err := decodePurpose(e.Value())
	if err != nil {
		// Not a purpose message: nothing to learn, and no reason to
		// keep a hub from starting.
		p.log.WarnContext(ctx, "jetstream: bucket entry is not a purpose message; skipped", "key", e.Key(), "err", err)
		return nil
	}
	if err := p.local.Learn(ctx, []schema.Envelope{env}); err != nil {
		return fmt.Errorf("jetstream: purposes: learn %s: %w", e.Key(), err)
	}
	return nil
}

// Check asks the local Purposes.
func (p *SharedPurposes) Check(env schema.Envelope, org collab.Org) (submit.Reason, bool) {
	return p.local.Check(env, org)
}

// Learn puts the requirement and task messages of envs in the bucket
// (each under its envelope id), then learns envs locally.
func (p *SharedPurposes) Learn(ctx context.Context, envs []schema.Envelope) error {
	for i := range envs {
		if envs[i].Kind != schema.KindRequirement && envs[i].Kind != schema.KindTask {
			continue
		}
		data, err := envs[i].AppendJSON(nil)
		if err != nil {
			return fmt.Errorf("jetstream: purposes: encode %s: %w", envs[i].ID, err)
		}
		if _, err := p.kv.Put(ctx, purposeKey(envs[i].ID), data); err != nil {
			return fmt.Errorf("jetstream: purposes: keep %s in the bucket: %w", envs[i].ID, err)
		}
	}
	return p.local.Learn(ctx, envs)
}

// Close stops following the bucket and waits for the follower to end.
func (p *SharedPurposes) Close() error {
	var err error
	p.once.Do(func() {
		err = p.w.Stop()
		<-p.done
	})
	return err
}

// purposeKey is the bucket key of a message: "msg.<envelope id>", bytes
// other than letters, digits and '-' written "=XX" (ids are UUIDs, so
// this never happens to an accepted message).
func purposeKey(id string) string {
	const hex = "0123456789ABCDEF"
	b := []byte("msg.")
	for i := 0; i < len(id); i++ {
		c := id[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' {
			b = append(b, c)
			continue
		}
		b = append(b, '=', hex[c>>4], hex[c&15])
	}
	return string(b)
}

// decodePurpose decodes a bucket value: an envelope of a purpose kind.
func decodePurpose(data []byte) (schema.Envelope, error) {
	var env schema.Envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return env, err
	}
	if env.Kind != schema.KindRequirement && env.Kind != schema.KindTask {
		return env, fmt.Errorf("kind %q is not a purpose kind", env.Kind)
	}
	return env, nil
}
