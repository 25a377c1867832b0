package jetstream_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	js "github.com/nats-io/nats.go/jetstream"

	"github.com/sicollab/sicollab/internal/natstest"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
	"github.com/sicollab/sicollab/stage/jetstream"
)

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// testEnv returns a valid finance.transaction envelope with a fresh id.
func testEnv(tb testing.TB) schema.Envelope {
	tb.Helper()
	env := schema.Envelope{
		ID: uuid.Must(uuid.NewV7()).String(), Kind: schema.KindFinanceTransaction, SchemaVersion: 1,
		Source: "bank-north-01", CollectedAt: t0,
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

// world is a server with the records stream, and a connection to it.
type world struct {
	nc *nats.Conn
	js js.JetStream
}

func newWorld(t *testing.T) *world { return newWorldB(t) }

// newWorldB is newWorld for tests and benchmarks.
func newWorldB(t testing.TB) *world {
	t.Helper()
	c := natstest.StartServer(t)
	nc := c.Connect(t)
	j, err := js.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	_, err = j.CreateStream(context.Background(), js.StreamConfig{Name: jetstream.DefaultStream,
		Subjects: []string{"sicollab.records.>"}, Duplicates: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return &world{nc: nc, js: j}
}

// publish puts n new records in the stream, as a hub's sink does, and
// returns them in stream order.
func (w *world) publish(t *testing.T, n int) []schema.Envelope {
	t.Helper()
	envs := make([]schema.Envelope, n)
	for i := range envs {
		envs[i] = testEnv(t)
		w.publishRaw(t, envs[i].Source+"/"+envs[i].ID, must(envs[i].AppendJSON(nil)))
	}
	return envs
}

func (w *world) publishRaw(t *testing.T, msgID string, data []byte) {
	t.Helper()
	if _, err := w.js.Publish(context.Background(), "sicollab.records.finance.transaction.bank-north-01", data, js.WithMsgID(msgID)); err != nil {
		t.Fatal(err)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// collector returns a new Collector on the default consumer.
func (w *world) collector(t *testing.T, cfg jetstream.Config) *jetstream.Collector {
	t.Helper()
	cfg.CreateConsumer = true
	cfg.StopWhenIdle = true
	if cfg.FetchWait == 0 {
		cfg.FetchWait = 200 * time.Millisecond
	}
	c, err := jetstream.New(context.Background(), w.nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitAcked waits until the consumer has no message awaiting
// acknowledgement (acknowledgements are asynchronous).
func (w *world) waitAcked(t *testing.T) *js.ConsumerInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		cons, err := w.js.Consumer(ctx, jetstream.DefaultStream, jetstream.DefaultConsumer)
		if err != nil {
			t.Fatal(err)
		}
		info, err := cons.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.NumAckPending == 0 && info.NumPending == 0 {
			return info
		}
		select {
		case <-ctx.Done():
			t.Fatalf("consumer still has %d awaiting acknowledgement, %d pending", info.NumAckPending, info.NumPending)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// recorder is a sink that keeps what it takes.
type recorder struct {
	mu   sync.Mutex
	ids  map[string]int
	fail func(env schema.Envelope) error
}

func (r *recorder) Submit(ctx context.Context, env schema.Envelope) error {
	if r.fail != nil {
		if err := r.fail(env); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ids == nil {
		r.ids = map[string]int{}
	}
	r.ids[env.ID]++
	return nil
}

func (r *recorder) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ids[id]
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ids)
}

// TestCollectHandlesEachRecordOnceAndAcks: every record reaches the sink
// once or is dropped by a step, the malformed message is terminated,
// everything is acknowledged, and a second run on the consumer gets
// nothing.
func TestCollectHandlesEachRecordOnceAndAcks(t *testing.T) {
	w := newWorld(t)
	envs := w.publish(t, 300)
	w.publishRaw(t, "junk", []byte(`{"not":"an envelope"`))
	dropped := map[string]bool{}
	for i := 0; i < len(envs); i += 10 {
		dropped[envs[i].ID] = true
	}
	dropper := stage.ProcessorFunc(func(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error {
		if dropped[env.ID] {
			return stage.Drop("test")
		}
		emit(env)
		return nil
	})
	c := w.collector(t, jetstream.Config{})
	rec := &recorder{}
	ctx := context.Background()
	st, err := stage.Run(ctx, c.Pipeline(stage.Config{Steps: []stage.Step{{Name: "drop", Processor: dropper}}, Sink: rec, SinkConcurrency: 4}))
	if err != nil {
		t.Fatal(err)
	}
	if st.Unaccounted() != 0 {
		t.Fatalf("pipeline: %d unaccounted", st.Unaccounted())
	}
	for _, e := range envs {
		want := 1
		if dropped[e.ID] {
			want = 0
		}
		if got := rec.count(e.ID); got != want {
			t.Fatalf("record %s reached the sink %d times, want %d", e.ID, got, want)
		}
	}
	cs := c.Stats()
	if cs.Emitted != 300 || cs.Acked != 300 || cs.Malformed != 1 || cs.Pending != 0 {
		t.Fatalf("collector stats %+v; want 300 emitted and acked, 1 malformed, 0 pending", cs)
	}
	info := w.waitAcked(t)
	if info.AckFloor.Stream != 301 {
		t.Fatalf("ack floor at stream sequence %d, want 301", info.AckFloor.Stream)
	}
	again := &recorder{}
	if _, err := stage.Run(ctx, w.collector(t, jetstream.Config{}).Pipeline(stage.Config{Sink: again})); err != nil {
		t.Fatal(err)
	}
	if again.len() != 0 {
		t.Fatalf("second run got %d records; all were acknowledged", again.len())
	}
}

// TestRedeliveryWhileInFlightIsNotEmitted: a record held in the sink past
// the ack wait is delivered again by the stream; the collector does not
// emit it twice.
func TestRedeliveryWhileInFlightIsNotEmitted(t *testing.T) {
	w := newWorld(t)
	envs := w.publish(t, 3)
	c := w.collector(t, jetstream.Config{AckWait: 200 * time.Millisecond})
	release := make(chan struct{})
	rec := &recorder{fail: func(env schema.Envelope) error {
		if env.ID == envs[0].ID {
			<-release
		}
		return nil
	}}
	done := make(chan error, 1)
	go func() {
		_, err := stage.Run(context.Background(), c.Pipeline(stage.Config{Sink: rec}))
		done <- err
	}()
	deadline := time.After(60 * time.Second)
	for c.Stats().Redelivered == 0 {
		select {
		case <-deadline:
			t.Fatal("the stream never delivered the held record again")
		case <-time.After(10 * time.Millisecond):
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, e := range envs {
		if n := rec.count(e.ID); n != 1 {
			t.Fatalf("record %s reached the sink %d times, want 1", e.ID, n)
		}
	}
	w.waitAcked(t)
}

// TestUnhandledRecordsComeBack: the sink fails a record under
// PolicyStop; the records it took stay acknowledged, and the next run on
// the consumer gets the failed one and the rest (at least once).
func TestUnhandledRecordsComeBack(t *testing.T) {
	w := newWorld(t)
	envs := w.publish(t, 100)
	broken := errors.New("sink down")
	rec := &recorder{fail: func(env schema.Envelope) error {
		if env.ID == envs[49].ID {
			return broken
		}
		return nil
	}}
	cfg := jetstream.Config{AckWait: 500 * time.Millisecond}
	_, err := stage.Run(context.Background(), w.collector(t, cfg).Pipeline(stage.Config{Sink: rec, Ordered: true}))
	if !errors.Is(err, broken) {
		t.Fatalf("Run = %v, want the sink's error", err)
	}
	if rec.len() != 49 {
		t.Fatalf("the sink took %d records before failing, want 49", rec.len())
	}
	// Acknowledgements are asynchronous: wait until the first 49 are in.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		cons, err := w.js.Consumer(ctx, jetstream.DefaultStream, jetstream.DefaultConsumer)
		if err != nil {
			t.Fatal(err)
		}
		info, err := cons.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.AckFloor.Stream >= 49 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("ack floor stuck at %d", info.AckFloor.Stream)
		case <-time.After(20 * time.Millisecond):
		}
	}
	next := &recorder{}
	if _, err := stage.Run(ctx, w.collector(t, cfg).Pipeline(stage.Config{Sink: next})); err != nil {
		t.Fatal(err)
	}
	for i, e := range envs {
		want := 0
		if i >= 49 {
			want = 1
		}
		if got := next.count(e.ID); got != want {
			t.Fatalf("second run: record %d seen %d times, want %d", i, got, want)
		}
	}
	w.waitAcked(t)
}

// TestCollectBusy: one Collect at a time per Collector.
func TestCollectBusy(t *testing.T) {
	w := newWorld(t)
	w.publish(t, 1)
	c := w.collector(t, jetstream.Config{})
	inEmit, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- c.Collect(context.Background(), func(schema.Envelope) error {
			close(inEmit)
			<-release
			return stage.ErrClosed
		})
	}()
	<-inEmit
	if err := c.Collect(context.Background(), func(schema.Envelope) error { return nil }); !errors.Is(err, jetstream.ErrBusy) {
		t.Fatalf("second Collect = %v, want ErrBusy", err)
	}
	close(release)
	if err := <-done; !errors.Is(err, stage.ErrClosed) {
		t.Fatalf("Collect = %v, want emit's error", err)
	}
}

// TestNewChecks: a missing consumer, a nil connection and a bad Config
// fail New.
func TestNewChecks(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if _, err := jetstream.New(ctx, w.nc, jetstream.Config{}); err == nil || !strings.Contains(err.Error(), jetstream.DefaultConsumer) {
		t.Fatalf("New without the consumer = %v", err)
	}
	if _, err := jetstream.New(ctx, nil, jetstream.Config{}); err == nil {
		t.Fatal("New(nil): no error")
	}
	if _, err := jetstream.New(ctx, w.nc, jetstream.Config{Batch: -1}); err == nil || !strings.Contains(err.Error(), "Batch is -1") {
		t.Fatalf("New with Batch -1 = %v", err)
	}
}

// TestConfigValidate: each bad field is named with its value, all at once.
func TestConfigValidate(t *testing.T) {
	if err := (jetstream.Config{}).Validate(); err != nil {
		t.Fatalf("zero Config: %v", err)
	}
	err := jetstream.Config{
		Stream: "a b", Consumer: "c.d", FilterSubjects: []string{"x..y", ""}, AckWait: -1, MaxAckPending: 10,
		MaxDeliver: -1, Batch: 11, FetchWait: -1, MaxMessageBytes: -1,
	}.Validate()
	for _, want := range []string{
		`Stream is "a b"`, `Consumer is "c.d"`, `FilterSubjects[0] is "x..y"`, `FilterSubjects[1] is ""`,
		"AckWait is -1ns", "MaxDeliver is -1", "Batch is 11; it must be between 1 and MaxAckPending (10)",
		"FetchWait is -1ns", "MaxMessageBytes is -1",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v; want it to say %q", err, want)
		}
	}
}

// TestEveryEndAcknowledges: records a step fails under PolicyDrop, under
// PolicyQuarantine (to the dead-letter sink), and those the sink fails
// under PolicyDrop are all acknowledged, as are those it takes.
func TestEveryEndAcknowledges(t *testing.T) {
	w := newWorld(t)
	envs := w.publish(t, 40)
	fate := map[string]int{}
	for i, e := range envs {
		fate[e.ID] = i % 4 // 0 passes, 1 fails in step a, 2 in step b, 3 in the sink
	}
	failIf := func(k int) stage.Processor {
		return stage.ProcessorFunc(func(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error {
			if fate[env.ID] == k {
				return errors.New("refused")
			}
			emit(env)
			return nil
		})
	}
	dead := &recorder{}
	sink := &recorder{fail: func(env schema.Envelope) error {
		if fate[env.ID] == 3 {
			return errors.New("sink refused")
		}
		return nil
	}}
	c := w.collector(t, jetstream.Config{})
	st, err := stage.Run(context.Background(), c.Pipeline(stage.Config{
		Steps: []stage.Step{
			{Name: "a", Processor: failIf(1), OnError: stage.PolicyDrop},
			{Name: "b", Processor: failIf(2), OnError: stage.PolicyQuarantine},
		},
		Sink: sink, SinkPolicy: stage.PolicyDrop, DeadLetter: dead,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if st.Unaccounted() != 0 || sink.len() != 10 || dead.len() != 10 {
		t.Fatalf("sink took %d, dead letters %d, unaccounted %d; want 10, 10, 0", sink.len(), dead.len(), st.Unaccounted())
	}
	if cs := c.Stats(); cs.Acked != 40 || cs.Pending != 0 {
		t.Fatalf("collector stats %+v; want all 40 acknowledged", cs)
	}
	w.waitAcked(t)
}

// TestAckedMemoryIsBounded: with a small MaxAckPending the memory of
// acknowledged sequences is pruned to the consumer's ack floor.
func TestAckedMemoryIsBounded(t *testing.T) {
	w := newWorld(t)
	w.publish(t, 300)
	c := w.collector(t, jetstream.Config{MaxAckPending: 4})
	rec := &recorder{}
	if _, err := stage.Run(context.Background(), c.Pipeline(stage.Config{Sink: rec})); err != nil {
		t.Fatal(err)
	}
	if rec.len() != 300 {
		t.Fatalf("sink took %d of 300", rec.len())
	}
	if n := jetstream.AckedLen(c); n > 64*4 {
		t.Fatalf("the collector remembers %d acknowledged sequences; MaxAckPending 4 bounds it to %d", n, 64*4)
	}
}
