package jetstream

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	js "github.com/nats-io/nats.go/jetstream"

	"github.com/sicollab/sicollab/schema"
)

// Errors of Sink.
var (
	// ErrNotAcknowledged: Put could not have every record acknowledged by
	// the stream within Config.MaxAttempts or before ctx ended. Some of
	// the batch may be stored; putting it again stores none twice (within
	// the duplicate window). The Handler answers 503 and the sender
	// retries.
	ErrNotAcknowledged = errors.New("jetstream: records not acknowledged by the stream")
	// ErrStream: New found the stream missing, or not configured to take
	// the Sink's subjects with a duplicate window.
	ErrStream = errors.New("jetstream: stream not usable")
)

// stallWait is how long one publish waits for room in the window before
// Put waits on one of its own records instead (which honours ctx).
const stallWait = 50 * time.Millisecond

// Sink is a submit.Sink that publishes each record to a JetStream stream
// and returns once the stream acknowledged all of them (see the package
// documentation).
//
// A Sink is safe for concurrent use. It does not own the connection it
// was made with: close the connection after the last Put returned.
type Sink struct {
	cfg Config
	js  js.JetStream
}

// New returns a Sink publishing over nc with cfg. With cfg.CreateStream
// it creates the stream, or updates it to cfg (replicas, window, limits);
// otherwise the stream must exist, take every subject under
// cfg.SubjectPrefix and have a duplicate window, or New fails with an
// error wrapping ErrStream.
func New(ctx context.Context, nc *nats.Conn, cfg Config) (*Sink, error) {
	if nc == nil {
		return nil, errors.New("jetstream: New: nil connection; connect with nats.Connect")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	j, err := js.New(nc, js.WithPublishAsyncMaxPending(cfg.MaxInFlight), js.WithPublishAsyncTimeout(cfg.AckTimeout))
	if err != nil {
		return nil, fmt.Errorf("jetstream: New: %w", err)
	}
	s := &Sink{cfg: cfg, js: j}
	if cfg.CreateStream {
		if _, err := j.CreateOrUpdateStream(ctx, cfg.StreamConfig()); err != nil {
			return nil, fmt.Errorf("jetstream: New: create or update stream %s: %w", cfg.Stream, err)
		}
		return s, nil
	}
	st, err := j.Stream(ctx, cfg.Stream)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w (create it, or set Config.CreateStream)", ErrStream, cfg.Stream, err)
	}
	info := st.CachedInfo()
	want := cfg.SubjectPrefix + ".>"
	if !slices.Contains(info.Config.Subjects, want) {
		return nil, fmt.Errorf("%w: %s takes subjects %q, not %q (update it, or set Config.CreateStream)",
			ErrStream, cfg.Stream, info.Config.Subjects, want)
	}
	if info.Config.Duplicates <= 0 {
		return nil, fmt.Errorf("%w: %s has no duplicate window; records could be stored twice", ErrStream, cfg.Stream)
	}
	return s, nil
}

// Config returns the Sink's configuration, defaults applied.
func (s *Sink) Config() Config { return s.cfg }

// Subject returns the subject env is published on:
// <SubjectPrefix>.<kind>.<source>, each dot-separated part of the kind a
// token, with bytes other than ASCII letters, digits, '-' and '_'
// written %XX (an empty token is "%").
func (s *Sink) Subject(env *schema.Envelope) string {
	return Subject(s.cfg.SubjectPrefix, env.Kind, env.Source)
}

// Subject returns prefix.<kind>.<source> as Sink.Subject does.
func Subject(prefix, kind, source string) string {
	var b strings.Builder
	b.Grow(len(prefix) + len(kind) + len(source) + 2)
	b.WriteString(prefix)
	for tok := range strings.SplitSeq(kind, ".") {
		b.WriteByte('.')
		escapeToken(&b, tok)
	}
	b.WriteByte('.')
	escapeToken(&b, source)
	return b.String()
}

// escapeToken writes tok as a subject token.
func escapeToken(b *strings.Builder, tok string) {
	if tok == "" {
		b.WriteByte('%')
		return
	}
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
}

// MsgID returns the Nats-Msg-Id of a record: "<source>/<id>".
func MsgID(source, id string) string { return source + "/" + id }

// Put publishes envs and returns nil once the stream acknowledged every
// one (as stored, or as a duplicate of a copy it holds). Otherwise it
// returns an error wrapping ErrNotAcknowledged and, when ctx ended,
// ctx.Err(); the Handler then answers 503. An envelope that cannot be
// encoded fails Put at once, before anything is published.
func (s *Sink) Put(ctx context.Context, envs []schema.Envelope) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrNotAcknowledged, err)
	}
	if len(envs) == 0 {
		return nil
	}
	recs := make([]record, len(envs))
	for i := range envs {
		data, err := envs[i].AppendJSON(nil)
		if err != nil {
			return fmt.Errorf("jetstream: put: encode record %s: %w", envs[i].ID, err)
		}
		recs[i] = record{subject: s.Subject(&envs[i]), id: MsgID(envs[i].Source, envs[i].ID), data: data}
	}
	todo := make([]int, len(recs))
	for i := range todo {
		todo[i] = i
	}
	wait := s.cfg.RetryWait
	for attempt := 1; ; attempt++ {
		failed, cause := s.publish(ctx, recs, todo)
		if len(failed) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %d of %d records: %w", ErrNotAcknowledged, len(failed), len(recs), err)
		}
		if attempt == s.cfg.MaxAttempts {
			return fmt.Errorf("%w: %d of %d records after %d attempts: %w", ErrNotAcknowledged, len(failed), len(recs), attempt, cause)
		}
		s.cfg.Logger.WarnContext(ctx, "jetstream: records not acknowledged; publishing them again",
			"stream", s.cfg.Stream, "failed", len(failed), "records", len(recs), "attempt", attempt, "wait", wait, "err", cause)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w: %d of %d records: %w", ErrNotAcknowledged, len(failed), len(recs), ctx.Err())
		case <-t.C:
		}
		wait *= 2
		todo = failed
	}
}

// record is one envelope, encoded.
type record struct {
	subject, id string
	data        []byte
}

// pending is a record published and not yet acknowledged.
type pending struct {
	i int
	f js.PubAckFuture
}

// publish publishes recs[i] for each i of todo and waits for every
// acknowledgement. It returns the records that failed, and the first
// cause.
func (s *Sink) publish(ctx context.Context, recs []record, todo []int) (failed []int, cause error) {
	fail := func(i int, err error) {
		failed = append(failed, i)
		if cause == nil {
			cause = err
		}
	}
	var queue []pending // in publish order; queue[0] is the oldest
	// await waits for the oldest pending record; false when ctx ended.
	await := func() bool {
		p := queue[0]
		select {
		case <-p.f.Ok():
		case err := <-p.f.Err():
			fail(p.i, fmt.Errorf("record %s: %w", recs[p.i].id, err))
		case <-ctx.Done():
			return false
		}
		queue = queue[1:]
		return true
	}
	for _, i := range todo {
		r := &recs[i]
		for {
			m := &nats.Msg{Subject: r.subject, Data: r.data}
			f, err := s.js.PublishMsgAsync(m, js.WithMsgID(r.id), js.WithExpectStream(s.cfg.Stream), js.WithStallWait(stallWait))
			if err == nil {
				queue = append(queue, pending{i, f})
				break
			}
			if !errors.Is(err, js.ErrTooManyStalledMsgs) {
				fail(i, fmt.Errorf("record %s: %w", r.id, err))
				break
			}
			// The window is full: wait for one of ours if we have one
			// (other callers' records free room too), then try again.
			if ctx.Err() != nil || len(queue) > 0 && !await() {
				return s.abandon(ctx, failed, cause, queue, todo, i)
			}
		}
	}
	for len(queue) > 0 {
		if !await() {
			return s.abandon(ctx, failed, cause, queue, todo, -1)
		}
	}
	return failed, cause
}

// abandon counts as failed every record still pending and every record
// of todo from next on (none if next is -1), because ctx ended.
func (s *Sink) abandon(ctx context.Context, failed []int, cause error, queue []pending, todo []int, next int) ([]int, error) {
	for _, p := range queue {
		failed = append(failed, p.i)
	}
	if next >= 0 {
		failed = append(failed, todo[slices.Index(todo, next):]...)
	}
	if cause == nil {
		cause = ctx.Err()
	}
	return failed, cause
}
