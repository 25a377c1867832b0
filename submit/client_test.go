package submit

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
)

func TestClientConfigValidate(t *testing.T) {
	good := ClientConfig{Endpoint: "https://hub.example", Org: "bank-north-01", Token: "t", OutboxPath: "/tmp/x.db"}
	require.NoError(t, good.Validate())
	tests := []struct {
		name string
		edit func(*ClientConfig)
		want []string // substrings: field and value
	}{
		{"no endpoint", func(c *ClientConfig) { c.Endpoint = "" }, []string{"ClientConfig.Endpoint", "required"}},
		{"relative endpoint", func(c *ClientConfig) { c.Endpoint = "hub/v1" }, []string{"ClientConfig.Endpoint", `"hub/v1"`}},
		{"ftp endpoint", func(c *ClientConfig) { c.Endpoint = "ftp://hub" }, []string{"ClientConfig.Endpoint", `"ftp://hub"`}},
		{"no org", func(c *ClientConfig) { c.Org = "" }, []string{"ClientConfig.Org"}},
		{"org with space", func(c *ClientConfig) { c.Org = "bank north" }, []string{"ClientConfig.Org", `"bank north"`}},
		{"no token", func(c *ClientConfig) { c.Token = "" }, []string{"ClientConfig.Token"}},
		{"no outbox", func(c *ClientConfig) { c.OutboxPath = "" }, []string{"ClientConfig.OutboxPath"}},
		{"bad stage", func(c *ClientConfig) { c.Stage = "dreaming" }, []string{"ClientConfig.Stage", `"dreaming"`}},
		{"negative batch", func(c *ClientConfig) { c.MaxBatchRecords = -1 }, []string{"ClientConfig.MaxBatchRecords = -1"}},
		{"tiny batch bytes", func(c *ClientConfig) { c.MaxBatchBytes = 10 }, []string{"ClientConfig.MaxBatchBytes = 10"}},
		{"negative linger", func(c *ClientConfig) { c.Linger = -1 }, []string{"ClientConfig.Linger"}},
		{"negative commit window", func(c *ClientConfig) { c.CommitWindow = -1 }, []string{"ClientConfig.CommitWindow = -1ns"}},
		{"long commit window", func(c *ClientConfig) { c.CommitWindow = 2 * time.Second }, []string{"ClientConfig.CommitWindow = 2s", "1s"}},
		{"negative rate", func(c *ClientConfig) { c.RecordsPerSecond = -5 }, []string{"ClientConfig.RecordsPerSecond = -5"}},
		{"negative bytes rate", func(c *ClientConfig) { c.BytesPerSecond = -5 }, []string{"ClientConfig.BytesPerSecond = -5"}},
		{"negative outbox", func(c *ClientConfig) { c.MaxOutboxBytes = -1 }, []string{"ClientConfig.MaxOutboxBytes = -1"}},
		{"multiplier below 1", func(c *ClientConfig) { c.Retry.Multiplier = 0.5 }, []string{"ClientConfig.Retry.Multiplier = 0.5"}},
		{"max below initial", func(c *ClientConfig) {
			c.Retry.InitialInterval, c.Retry.MaxInterval = time.Second, time.Millisecond
		}, []string{"ClientConfig.Retry.MaxInterval = 1ms"}},
		{"bad gzip", func(c *ClientConfig) { c.Gzip = 9 }, []string{"ClientConfig.Gzip = 9"}},
		{"negative in flight", func(c *ClientConfig) { c.MaxInFlightBatches = -1 }, []string{"ClientConfig.MaxInFlightBatches = -1"}},
		{"too many in flight", func(c *ClientConfig) { c.MaxInFlightBatches = MaxInFlightBatchesLimit + 1 }, []string{"ClientConfig.MaxInFlightBatches = 65"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.edit(&c)
			err := c.Validate()
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	t.Run("all errors joined", func(t *testing.T) {
		err := ClientConfig{MaxBatchRecords: -1}.Validate()
		require.Error(t, err)
		for _, f := range []string{"Endpoint", "Org", "Token", "OutboxPath", "MaxBatchRecords"} {
			assert.Contains(t, err.Error(), "ClientConfig."+f)
		}
	})
	t.Run("NewClient refuses", func(t *testing.T) {
		_, err := NewClient(ClientConfig{})
		require.Error(t, err)
	})
}

func TestSubmitRefusesLocally(t *testing.T) {
	hub := newClientHub(t)
	c := clientNew(t, clientConfig(t, hub.srv.URL, t.TempDir()))
	ctx := context.Background()

	invalid := clientEnv(t, clientTestOrg, 0)
	invalid.Payload = json.RawMessage(`{"reference":"TX-1","religion":"x"}`)
	noPurpose := clientEnv(t, clientTestOrg, 0)
	noPurpose.Purpose = schema.Purpose{}
	badJSON := clientEnv(t, clientTestOrg, 0)
	badJSON.Payload = json.RawMessage(`{"reference":`)
	tests := []struct {
		name string
		env  schema.Envelope
		is   error
	}{
		{"payload breaks the schema", invalid, schema.ErrInvalid},
		{"no purpose", noPurpose, schema.ErrInvalid},
		{"payload not JSON", badJSON, nil},
		{"foreign source", clientEnv(t, "carrier-east-01", 0), ErrForeignSource},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Submit(ctx, tt.env)
			require.Error(t, err)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			if tt.is != ErrForeignSource && tt.is != nil {
				var ve *schema.ValidationError
				require.ErrorAs(t, err, &ve)
				assert.NotEmpty(t, ve.Violations)
			}
		})
	}
	t.Run("SubmitMany names the index, queues nothing", func(t *testing.T) {
		envs := clientEnvs(t, 5)
		envs[3] = invalid
		err := c.SubmitMany(ctx, envs)
		var ie *IndexError
		require.ErrorAs(t, err, &ie)
		assert.Equal(t, 3, ie.Index)
		var ve *schema.ValidationError
		assert.ErrorAs(t, err, &ve)
	})
	t.Run("SubmitMany in parallel names the first bad index", func(t *testing.T) {
		envs := clientEnvs(t, 200) // checked in parallel chunks
		envs[150] = invalid
		envs[40] = invalid
		err := c.SubmitMany(ctx, envs)
		var ie *IndexError
		require.ErrorAs(t, err, &ie)
		assert.Equal(t, 40, ie.Index, "the lowest, whichever chunk finished first")
	})
	t.Run("SubmitMany with an ended context", func(t *testing.T) {
		ended, cancel := context.WithCancel(ctx)
		cancel()
		err := c.SubmitMany(ended, clientEnvs(t, 200))
		assert.ErrorIs(t, err, context.Canceled)
	})
	st := c.Stats()
	assert.Zero(t, st.Queued+st.InFlight)
	assert.Zero(t, st.Commits)
	assert.Empty(t, hub.Posts())
}

func TestSubmitStampsOnce(t *testing.T) {
	hub := newClientHub(t)
	var mu sync.Mutex
	var got []Receipt
	cfg := clientConfig(t, hub.srv.URL, t.TempDir())
	cfg.OnReceipt = func(r Receipt) { mu.Lock(); got = append(got, r); mu.Unlock() }
	c := clientNew(t, cfg)
	ctx := context.Background()

	fresh := clientEnv(t, clientTestOrg, 0)
	stamped := clientEnv(t, clientTestOrg, 0)
	require.NoError(t, stamped.Stamp(clientTestOrg, schema.StageProcessing, clientT0))
	stamped.Provenance = append(make([]schema.Hop, 0, 4), stamped.Provenance...) // spare capacity: must not be written into
	before := stamped.Provenance
	require.NoError(t, c.Submit(ctx, fresh))
	require.NoError(t, c.Submit(ctx, stamped))
	assert.Empty(t, fresh.Provenance, "the caller's envelope is not modified")
	assert.Len(t, before[:cap(before)][1:2], 1)
	assert.Equal(t, schema.Hop{}, before[:2][1], "no hop written into the caller's spare capacity")
	clientFlush(t, c)

	records := clientSent(t, hub)
	require.Len(t, records, 2)
	require.Len(t, records[fresh.ID].Provenance, 1)
	h := records[fresh.ID].Provenance[0]
	assert.Equal(t, clientTestOrg, h.Org)
	assert.Equal(t, schema.StageCollection, h.Stage)
	d, _ := fresh.Digest()
	assert.Equal(t, d, h.Digest)
	require.Len(t, records[stamped.ID].Provenance, 1, "last hop already this org's: not stamped again")
	assert.Equal(t, schema.StageProcessing, records[stamped.ID].Provenance[0].Stage)
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, got)
	n := 0
	for _, r := range got {
		n += r.Counts.Accepted
	}
	assert.Equal(t, 2, n)
}

func TestDurableAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	down := newClientHub(t)
	down.srv.Close() // nothing listens: every attempt fails
	cfg := clientConfig(t, down.srv.URL, dir)
	cfg.Retry = RetryPolicy{InitialInterval: time.Hour, MaxInterval: time.Hour}
	c, err := NewClient(cfg)
	require.NoError(t, err)
	envs := clientEnvs(t, 25)
	for _, e := range envs[:5] {
		require.NoError(t, c.Submit(context.Background(), e))
	}
	require.NoError(t, c.SubmitMany(context.Background(), envs[5:]))

	// Close stops retrying first: a one-hour backoff does not hold it.
	// No deadline on Close itself; the generous bound here only stops a
	// Close that waits out the backoff, whatever the machine's load.
	closed := make(chan error, 1)
	go func() { closed <- c.Close(context.Background()) }()
	select {
	case err = <-closed:
	case <-time.After(time.Minute):
		t.Fatal("Close waited for the one-hour backoff")
	}
	require.ErrorIs(t, err, ErrUndelivered)
	assert.Contains(t, err.Error(), "25 records")
	assert.ErrorIs(t, c.Submit(context.Background(), envs[0]), ErrClientClosed)
	assert.ErrorIs(t, c.Close(context.Background()), ErrClientClosed)

	hub := newClientHub(t)
	cfg.Endpoint = hub.srv.URL
	c2 := clientNew(t, cfg)
	assert.EqualValues(t, 25, c2.Stats().Queued+c2.Stats().InFlight)
	clientFlush(t, c2)
	distinct, twice := hub.Stored()
	assert.Equal(t, 25, distinct)
	assert.Zero(t, twice)
	st := c2.Stats()
	assert.Zero(t, st.Queued+st.InFlight)
	assert.EqualValues(t, 25, st.Delivered)
	require.NoError(t, c2.Close(context.Background()))
}

func TestCrashResume(t *testing.T) {
	t.Run("batch persisted, never sent", func(t *testing.T) {
		dir := t.TempDir()
		hub := newClientHub(t)
		cfg := clientConfig(t, hub.srv.URL, dir)
		// Queue and claim a batch as the sender would, then "crash".
		ob, err := openOutbox(cfg.OutboxPath, 1000, 1<<30, func() {})
		require.NoError(t, err)
		require.NoError(t, ob.enqueue(context.Background(), clientRecords(t, 7), clientT0))
		b, _, err := ob.claim(claimLimits{records: 100, bytes: 1 << 20}, clientT0, false)
		require.NoError(t, err)
		key := b.key.String()
		require.NoError(t, ob.close())

		c := clientNew(t, cfg)
		clientFlush(t, c)
		posts := hub.Posts()
		require.Len(t, posts, 1)
		assert.Equal(t, key, posts[0].Key, "resumed with the persisted key")
		assert.Equal(t, 7, posts[0].Records)
	})
	t.Run("hub stored it, receipt lost", func(t *testing.T) {
		dir := t.TempDir()
		hub := newClientHub(t)
		release := make(chan struct{})
		stored := make(chan struct{})
		// The first submission is stored by the hub, but its answer never
		// arrives: the hub stalls after storing, and the client stops.
		hub.AfterStore = func(n int) {
			if n == 0 {
				close(stored)
				<-release
			}
		}
		defer close(release)
		cfg := clientConfig(t, hub.srv.URL, dir)
		c, err := NewClient(cfg)
		require.NoError(t, err)
		require.NoError(t, c.SubmitMany(context.Background(), clientEnvs(t, 10)))
		<-stored
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		require.ErrorIs(t, c.Close(ctx), ErrUndelivered) // the "crash": no receipt applied
		cancel()

		c2 := clientNew(t, cfg)
		clientFlush(t, c2)
		posts := hub.Posts()
		require.GreaterOrEqual(t, len(posts), 2)
		last := posts[len(posts)-1]
		assert.Equal(t, posts[0].Key, last.Key, "same key re-sent")
		assert.True(t, last.Replay, "the hub answered the stored receipt")
		distinct, twice := hub.Stored()
		assert.Equal(t, 10, distinct)
		assert.Zero(t, twice)
		assert.EqualValues(t, 10, c2.Stats().Delivered)
	})
}

func TestOutboxFull(t *testing.T) {
	hub := newClientHub(t)
	release := make(chan struct{})
	hub.setFault(func(int, http.ResponseWriter, *http.Request, int) bool { <-release; return false })
	cfg := clientConfig(t, hub.srv.URL, t.TempDir())
	cfg.MaxOutboxRecords = 5
	c := clientNew(t, cfg)
	ctx := context.Background()
	require.NoError(t, c.SubmitMany(ctx, clientEnvs(t, 5)))
	err := c.Submit(ctx, clientEnv(t, clientTestOrg, 0))
	require.ErrorIs(t, err, ErrOutboxFull)
	assert.Contains(t, err.Error(), "bounds 5 records")
	require.ErrorIs(t, c.SubmitMany(ctx, clientEnvs(t, 2)), ErrOutboxFull)

	c.cfg.BlockWhenFull = true
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	err = c.Submit(short, clientEnv(t, clientTestOrg, 0))
	cancel()
	require.ErrorIs(t, err, ErrOutboxFull)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	done := make(chan error, 1)
	go func() { done <- c.Submit(ctx, clientEnv(t, clientTestOrg, 0)) }()
	hub.setFault(nil)
	close(release)
	select {
	case err := <-done:
		require.NoError(t, err, "room made by delivery unblocks Submit")
	case <-time.After(10 * time.Second):
		t.Fatal("Submit still blocked after the outbox drained")
	}
	clientFlush(t, c)
	assert.EqualValues(t, 6, c.Stats().Delivered)
}

func TestGroupCommit(t *testing.T) {
	hub := newClientHub(t)
	c := clientNew(t, clientConfig(t, hub.srv.URL, t.TempDir()))
	const n = 200
	envs := clientEnvs(t, n)
	// Hold the first commit (of one Submit) until every other Submit has
	// queued behind it: they must all share the next transaction.
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	c.ob.testBeforeCommit = func(int) { once.Do(func() { close(entered); <-release }) }
	var wg sync.WaitGroup
	errs := make(chan error, n)
	wg.Go(func() { errs <- c.Submit(context.Background(), envs[0]) })
	<-entered
	for i := 1; i < n; i++ {
		wg.Go(func() { errs <- c.Submit(context.Background(), envs[i]) })
	}
	ok := assert.Eventually(t, func() bool { return len(c.ob.reqs) == n-1 }, 10*time.Second, time.Millisecond)
	close(release)
	require.True(t, ok)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.EqualValues(t, 2, c.Stats().Commits, "%d concurrent Submits, two transactions", n)
	clientFlush(t, c)
	assert.EqualValues(t, n, c.Stats().Delivered)

	t.Run("unforced", func(t *testing.T) {
		// Without the lock, concurrency alone groups commits: while one
		// fsync runs, the next calls gather.
		before := c.Stats().Commits
		const m = 400
		envs := clientEnvs(t, m)
		var wg sync.WaitGroup
		for i := range m {
			wg.Go(func() { assert.NoError(t, c.Submit(context.Background(), envs[i])) })
		}
		wg.Wait()
		commits := c.Stats().Commits - before
		t.Logf("%d concurrent Submits took %d transactions", m, commits)
		assert.Less(t, commits, uint64(m))
	})
}

func TestErrorsMentionPackage(t *testing.T) {
	for _, err := range []error{ErrClientClosed, ErrOutboxFull, ErrForeignSource, ErrCredentials, ErrUndelivered, ErrNoDeadLetter} {
		assert.True(t, strings.HasPrefix(err.Error(), "submit: "), err)
	}
	ie := &IndexError{Index: 2, Err: ErrForeignSource}
	assert.True(t, errors.Is(ie, ErrForeignSource))
	assert.Equal(t, "submit: envelope 2: submit: envelope source is not the client's organization", ie.Error())
}

func TestRelayStampsProcessing(t *testing.T) {
	hub := newClientHub(t)
	cfg := clientConfig(t, hub.srv.URL, t.TempDir())
	cfg.Org, cfg.Relay = "central-bank", true
	c := clientNew(t, cfg)
	env := clientEnv(t, clientTestOrg, 0)
	require.NoError(t, env.Stamp(clientTestOrg, schema.StageCollection, clientT0))
	require.NoError(t, c.Submit(context.Background(), env), "a relay queues other organizations' records")
	clientFlush(t, c)
	got := clientSent(t, hub)[env.ID]
	require.Len(t, got.Provenance, 2)
	assert.Equal(t, schema.Hop{Org: "central-bank", Stage: schema.StageProcessing, At: got.Provenance[1].At, Digest: got.Provenance[0].Digest}, got.Provenance[1])
}

// TestBatchesInFlight: with several senders, batches travel at once, every
// record is delivered once, and OnReceipt is never called concurrently.
func TestBatchesInFlight(t *testing.T) {
	hub := newClientHub(t)
	var inFlight, most atomic.Int32
	// Requests wait until three are in flight at once (however slowly
	// the machine schedules the senders), then all pass.
	three := make(chan struct{})
	var once sync.Once
	hub.setFault(func(_ int, _ http.ResponseWriter, _ *http.Request, _ int) bool {
		n := inFlight.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		if n >= 3 {
			once.Do(func() { close(three) })
		}
		select {
		case <-three:
		case <-time.After(time.Minute): // never three: the assertion below fails
		}
		inFlight.Add(-1)
		return false
	})
	var calls, overlapping atomic.Int32
	cfg := clientConfig(t, hub.srv.URL, t.TempDir())
	cfg.MaxInFlightBatches = 3
	cfg.MaxBatchRecords = 10
	cfg.OnReceipt = func(Receipt) {
		if calls.Add(1) > 1 {
			overlapping.Add(1)
		}
		time.Sleep(time.Millisecond)
		calls.Add(-1)
	}
	c := clientNew(t, cfg)
	envs := clientEnvs(t, 120)
	require.NoError(t, c.SubmitMany(context.Background(), envs))
	clientFlush(t, c)
	assert.EqualValues(t, 120, c.Stats().Delivered)
	assert.Len(t, clientSent(t, hub), 120, "every record once")
	assert.EqualValues(t, 3, most.Load(), "three batches in flight at once")
	assert.Zero(t, overlapping.Load(), "OnReceipt calls overlapped")
}
