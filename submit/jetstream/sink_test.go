package jetstream_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	js "github.com/nats-io/nats.go/jetstream"

	"github.com/sicollab/sicollab/internal/natstest"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/jetstream"
)

// The Sink is a submit.Sink.
var _ submit.Sink = (*jetstream.Sink)(nil)

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// testEnv returns a valid finance.transaction envelope from source with a
// fresh id.
func testEnv(tb testing.TB, source string) schema.Envelope {
	tb.Helper()
	env := schema.Envelope{
		ID: uuid.Must(uuid.NewV7()).String(), Kind: schema.KindFinanceTransaction, SchemaVersion: 1,
		Source: source, CollectedAt: t0,
		Purpose:    schema.Purpose{RequirementID: "01950a00-0000-7000-8000-000000000001"},
		LegalBasis: "synthetic test basis", Handling: schema.HandlingAmber, RetainUntil: t0.AddDate(1, 0, 0),
	}
	err := env.SetPayload(schema.FinanceTransaction{
		Reference: "TX-000017", ExecutedAt: t0, Amount: schema.Money{Amount: "9500.00", Currency: "EUR"},
		Type: schema.FinanceTxCashDeposit, Channel: schema.FinanceChannelBranch,
		Beneficiary: &schema.FinanceAccount{Account: schema.Subject{
			Pseudonym: "5d1f5c0e4a0b7a3f8c2e1d9b6a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f",
			IDType:    schema.IDAccount, KeyID: "k-2026-01",
		}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return env
}

func testEnvs(tb testing.TB, n int, source string) []schema.Envelope {
	out := make([]schema.Envelope, n)
	for i := range out {
		out[i] = testEnv(tb, source)
	}
	return out
}

// newSink returns a Sink on a server of its own, with the stream
// created, and a JetStream context to look at the stream with.
func newSink(t *testing.T, cfg jetstream.Config) (*jetstream.Sink, js.JetStream, *nats.Conn) {
	t.Helper()
	c := natstest.StartServer(t)
	nc := c.Connect(t)
	cfg.CreateStream = true
	s, err := jetstream.New(context.Background(), nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	j, err := js.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return s, j, nc
}

// streamState returns the stream's message count and the subject and
// message id of each message, by sequence.
func streamMsgs(t *testing.T, j js.JetStream, stream string) []*js.RawStreamMsg {
	t.Helper()
	ctx := context.Background()
	st, err := j.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*js.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("get message %d: %v", seq, err)
		}
		out = append(out, m)
	}
	return out
}

// TestPutStoresEachRecordOnceOnItsSubject: every record is in the stream
// on <prefix>.<kind>.<source>, with Nats-Msg-Id source/id and its JSON,
// and putting the batch again (a retry after a lost answer) adds nothing.
func TestPutStoresEachRecordOnceOnItsSubject(t *testing.T) {
	s, j, _ := newSink(t, jetstream.Config{})
	ctx := context.Background()
	envs := append(testEnvs(t, 50, "bank-north-01"), testEnvs(t, 50, "bank-south-02")...)
	for range 2 {
		if err := s.Put(ctx, envs); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Put(ctx, envs[10:20]); err != nil {
		t.Fatal(err)
	}
	msgs := streamMsgs(t, j, jetstream.DefaultStream)
	if len(msgs) != len(envs) {
		t.Fatalf("stream holds %d messages, want %d", len(msgs), len(envs))
	}
	for i, m := range msgs {
		e := envs[i]
		if want := "sicollab.records.finance.transaction." + e.Source; m.Subject != want {
			t.Errorf("message %d: subject %q, want %q", i, m.Subject, want)
		}
		if got := m.Header.Get(js.MsgIDHeader); got != e.Source+"/"+e.ID {
			t.Errorf("message %d: Nats-Msg-Id %q, want %q", i, got, e.Source+"/"+e.ID)
		}
		want, _ := e.AppendJSON(nil)
		if string(m.Data) != string(want) {
			t.Errorf("message %d: data differs from the envelope's JSON", i)
		}
	}
	if err := s.Put(ctx, nil); err != nil {
		t.Fatalf("Put(nil) = %v", err)
	}
}

// TestPutConcurrentWithSmallWindow: many callers at once through a
// window of 4 records in flight all get their records acknowledged.
func TestPutConcurrentWithSmallWindow(t *testing.T) {
	s, j, _ := newSink(t, jetstream.Config{MaxInFlight: 4})
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		envs := testEnvs(t, 100, fmt.Sprintf("org-%d", g))
		wg.Go(func() { errs <- s.Put(ctx, envs) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(streamMsgs(t, j, jetstream.DefaultStream)); n != 800 {
		t.Fatalf("stream holds %d messages, want 800", n)
	}
}

// TestPutFailsWhenTheStreamRefuses: a full stream (MaxBytes) refuses
// records; Put tries MaxAttempts times and fails with
// ErrNotAcknowledged, which the Handler answers with 503.
func TestPutFailsWhenTheStreamRefuses(t *testing.T) {
	s, _, _ := newSink(t, jetstream.Config{MaxBytes: 4096, MaxAttempts: 2, RetryWait: time.Millisecond})
	err := s.Put(context.Background(), testEnvs(t, 20, "bank-north-01"))
	if !errors.Is(err, jetstream.ErrNotAcknowledged) {
		t.Fatalf("Put into a full stream = %v, want ErrNotAcknowledged", err)
	}
	if !strings.Contains(err.Error(), "after 2 attempts") {
		t.Errorf("error %q does not say how many attempts", err)
	}
}

// TestPutHonoursContext: a cancelled ctx fails Put with ctx's error.
func TestPutHonoursContext(t *testing.T) {
	s, _, _ := newSink(t, jetstream.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Put(ctx, testEnvs(t, 3, "bank-north-01"))
	if !errors.Is(err, jetstream.ErrNotAcknowledged) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a cancelled ctx = %v", err)
	}
}

// TestPutFailsWhileDisconnected: with its server gone, Put fails within
// its attempts instead of hanging.
func TestPutFailsWhileDisconnected(t *testing.T) {
	c := natstest.StartServer(t)
	nc := c.Connect(t)
	s, err := jetstream.New(context.Background(), nc, jetstream.Config{CreateStream: true,
		AckTimeout: 200 * time.Millisecond, MaxAttempts: 2, RetryWait: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c.Kill(0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Put(ctx, testEnvs(t, 5, "bank-north-01")); !errors.Is(err, jetstream.ErrNotAcknowledged) || ctx.Err() != nil {
		t.Fatalf("Put without a server = %v (ctx %v)", err, ctx.Err())
	}
}

// TestNewChecksTheStream: without CreateStream the stream must exist,
// take the Sink's subjects and have a duplicate window.
func TestNewChecksTheStream(t *testing.T) {
	c := natstest.StartServer(t)
	nc := c.Connect(t)
	ctx := context.Background()
	if _, err := jetstream.New(ctx, nc, jetstream.Config{}); !errors.Is(err, jetstream.ErrStream) {
		t.Fatalf("New without a stream = %v, want ErrStream", err)
	}
	j, _ := js.New(nc)
	if _, err := j.CreateStream(ctx, js.StreamConfig{Name: jetstream.DefaultStream, Subjects: []string{"other.>"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := jetstream.New(ctx, nc, jetstream.Config{}); !errors.Is(err, jetstream.ErrStream) || !strings.Contains(err.Error(), "other.>") {
		t.Fatalf("New over a stream of other subjects = %v", err)
	}
	cfg := jetstream.Config{SubjectPrefix: "other"}
	if _, err := jetstream.New(ctx, nc, cfg); err != nil {
		t.Fatalf("New over a fitting stream = %v", err)
	}
	if _, err := jetstream.New(ctx, nil, cfg); err == nil {
		t.Fatal("New(nil conn): no error")
	}
}

// TestConfigValidate: each bad field is named with its value, all at once.
func TestConfigValidate(t *testing.T) {
	if err := (jetstream.Config{}).Validate(); err != nil {
		t.Fatalf("zero Config: %v", err)
	}
	err := jetstream.Config{
		Stream: "a.b", SubjectPrefix: "x.*", Replicas: 7, Duplicates: time.Hour, MaxAge: time.Minute,
		MaxBytes: -1, MaxInFlight: -1, AckTimeout: -1, MaxAttempts: -2, RetryWait: -1,
	}.Validate()
	for _, want := range []string{
		`Stream is "a.b"`, `SubjectPrefix is "x.*"`, "Replicas is 7", "Duplicates is 1h0m0s, longer than MaxAge 1m0s",
		"MaxBytes is -1", "MaxInFlight is -1", "AckTimeout is -1ns", "MaxAttempts is -2", "RetryWait is -1ns",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v; want it to say %q", err, want)
		}
	}
	if err := (jetstream.Config{SubjectPrefix: "a..b"}).Validate(); err == nil {
		t.Error("SubjectPrefix with an empty token: no error")
	}
}

// TestSubjectEscapes: bytes a subject token cannot hold are escaped, so
// no source can reach another's subject or a wildcard.
func TestSubjectEscapes(t *testing.T) {
	for _, c := range []struct{ kind, source, want string }{
		{"finance.transaction", "bank-01", "p.finance.transaction.bank-01"},
		{"finance.transaction", "a.b", "p.finance.transaction.a%2Eb"},
		{"x", "*>% ", "p.x.%2A%3E%25%20"},
		{"x", "", "p.x.%"},
		{"x", "é", "p.x.%C3%A9"},
	} {
		if got := jetstream.Subject("p", c.kind, c.source); got != c.want {
			t.Errorf("Subject(p, %q, %q) = %q, want %q", c.kind, c.source, got, c.want)
		}
	}
}
