package submit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"

	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/schema"
)

// recSubmitter records what it is given, failing while fail is set.
type recSubmitter struct {
	mu   sync.Mutex
	got  []schema.Envelope
	fail error
}

func (r *recSubmitter) Submit(_ context.Context, env schema.Envelope) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.got = append(r.got, env)
	return nil
}

// memSink is an in-memory Sink, idempotent by id.
type memSink struct {
	mu   sync.Mutex
	byID map[string]schema.Envelope
	puts int
}

func (m *memSink) Put(_ context.Context, envs []schema.Envelope) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byID == nil {
		m.byID = map[string]schema.Envelope{}
	}
	m.puts++
	for _, e := range envs {
		if _, ok := m.byID[e.ID]; !ok {
			m.byID[e.ID] = e
		}
	}
	return nil
}

func TestRelay(t *testing.T) {
	f := newFixture(t, nil)
	inner, fwd := &memSink{}, &recSubmitter{}
	at := testNow.Add(time.Minute)
	r, err := NewRelay(inner, fwd, testHub, func() time.Time { return at })
	require.NoError(t, err)

	plain := f.envelope(testBank, schema.KindFinanceTransaction)
	require.NoError(t, plain.Stamp(testBank, schema.StageCollection, testNow))
	red := f.envelope(testBank, schema.KindFinanceTransaction)
	red.Handling = schema.HandlingRed
	down := f.envelope(testLeader, schema.KindFinanceTransaction)
	down.Kind = schema.KindTask
	envs := []schema.Envelope{plain, red, down}
	require.NoError(t, r.Put(t.Context(), envs))

	require.Len(t, inner.byID, 3, "everything is kept locally")
	require.Len(t, fwd.got, 1, "only the plain record goes up")
	got := fwd.got[0]
	require.Equal(t, plain.ID, got.ID)
	require.Len(t, got.Provenance, 2)
	hop := got.Provenance[1]
	require.Equal(t, testHub, hop.Org)
	require.Equal(t, schema.StageProcessing, hop.Stage)
	require.Equal(t, at, hop.At)
	d, err := plain.Digest()
	require.NoError(t, err)
	require.Equal(t, d, hop.Digest)
	require.Len(t, envs[0].Provenance, 1, "the caller's envelope is not changed")

	// A forwarding error fails the Put; the retry is safe.
	fwd.fail = errors.New("outbox full")
	require.ErrorContains(t, r.Put(t.Context(), envs), "outbox full")
	fwd.fail = nil
	require.NoError(t, r.Put(t.Context(), envs))
	require.Len(t, inner.byID, 3)

	_, err = NewRelay(nil, nil, "", nil)
	require.ErrorContains(t, err, "inner Sink is nil")
	require.ErrorContains(t, err, "Submitter is nil")
	require.ErrorContains(t, err, "hubOrg is empty")
}

// batchSubmitter is a recSubmitter that also takes batches, counting them.
type batchSubmitter struct {
	recSubmitter
	batches int
}

func (b *batchSubmitter) SubmitMany(ctx context.Context, envs []schema.Envelope) error {
	b.mu.Lock()
	b.batches++
	b.mu.Unlock()
	for _, e := range envs {
		if err := b.Submit(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// TestRelayForwardsABatchAtOnce: with a BatchSubmitter, one Put is one
// SubmitMany of what goes up, and nothing else.
func TestRelayForwardsABatchAtOnce(t *testing.T) {
	f := newFixture(t, nil)
	inner, fwd := &memSink{}, &batchSubmitter{}
	r, err := NewRelay(inner, fwd, testHub, func() time.Time { return testNow })
	require.NoError(t, err)
	var envs []schema.Envelope
	for range 5 {
		envs = append(envs, f.envelope(testBank, schema.KindFinanceTransaction))
	}
	red := f.envelope(testBank, schema.KindFinanceTransaction)
	red.Handling = schema.HandlingRed
	require.NoError(t, r.Put(t.Context(), append(envs, red)))
	require.Equal(t, 1, fwd.batches)
	require.Len(t, fwd.got, 5, "the RED record stays")
	require.Equal(t, testHub, fwd.got[4].Provenance[len(fwd.got[4].Provenance)-1].Org)
	require.NoError(t, r.Put(t.Context(), []schema.Envelope{red}))
	require.Equal(t, 1, fwd.batches, "nothing to forward, no call")
}

// httpSubmitter posts each record alone to a hub: enough for tests, not
// the client (no outbox, no batching).
type httpSubmitter struct {
	url, token string
	client     *http.Client
}

func (h *httpSubmitter) Submit(ctx context.Context, env schema.Envelope) error {
	id := newKey().String()
	b := ndjson(mustJSON(env))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url+PathSubmissions, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	req.Header.Set("Content-Type", MediaNDJSON)
	req.Header.Set(HeaderIdempotencyKey, id)
	req.Header.Set(HeaderContentDigest, ContentDigest(b))
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("upstream: %d %s", resp.StatusCode, body)
	}
	return nil
}

// TestRelayBetweenHubs runs a general business department's hub
// relaying to a specialized department's hub, both on loopback.
func TestRelayBetweenHubs(t *testing.T) {
	up := newFixture(t, func(_ *fixture, c *HandlerConfig) { c.Org = "public-security" })
	down := newFixture(t, func(f *fixture, c *HandlerConfig) {
		r, err := NewRelay(f.store, &httpSubmitter{url: up.srv.URL, token: token(testHub), client: up.srv.Client()}, testHub, f.clock.Now)
		require.NoError(t, err)
		c.Sink = r
	})
	// The leading group sends the same requirements to both hubs.
	require.Equal(t, 200, up.send(post{org: testLeader, body: ndjson(down.seedLines...)}).status)

	plain, plainID := down.validLine(testBank)
	red := envLine(down, testBank, schema.KindFinanceTransaction, func(e *schema.Envelope) { e.Handling = schema.HandlingRed })
	rc := down.send(post{body: ndjson(plain, red)}).receipt(t)
	require.Equal(t, 2, rc.Counts.Accepted)

	got, err := up.store.Get(t.Context(), plainID)
	require.NoError(t, err)
	require.Equal(t, testBank, got.Source)
	require.Len(t, got.Provenance, 1)
	require.Equal(t, testHub, got.Provenance[0].Org)
	n, err := up.store.Count()
	require.NoError(t, err)
	require.Equal(t, 3+3+1, n, "up's own seed, down's seed, the plain record; not the RED one, not down's requirements")
	_, err = up.store.Get(t.Context(), rc.Results[1].ID)
	require.ErrorIs(t, err, ErrRecordNotFound)

	// When the upstream cannot take a record, the downstream answers 503
	// and acknowledges nothing: the sender retries.
	up.close()
	l, _ := down.validLine(testBank)
	r := down.send(post{body: ndjson(l)})
	require.Equal(t, 503, r.status)
	require.Equal(t, ProblemUnavailable, r.problem(t).Type)
}

func mustJSON(env schema.Envelope) []byte {
	b, err := json.Marshal(env)
	if err != nil {
		panic(err)
	}
	return b
}

// TestRelayForwardsOnce: a hub whose Sink is a Relay over its Store and a
// Client keeps each record's line as it was sent, stamps its hop with the
// payload digest the Handler computed, and the Client forwards it
// without validating it again; the upstream hub accepts it, hop and all.
func TestRelayForwardsOnce(t *testing.T) {
	up := newFixture(t, func(_ *fixture, c *HandlerConfig) { c.Org = "public-security" })
	var fwd *Client
	down := newFixture(t, func(f *fixture, c *HandlerConfig) {
		var err error
		fwd, err = NewClient(ClientConfig{Endpoint: up.srv.URL, Org: testHub, Token: token(testHub), Relay: true,
			HTTPClient: up.srv.Client(), OutboxPath: filepath.Join(t.TempDir(), "outbox.db"), Linger: time.Millisecond})
		require.NoError(t, err)
		t.Cleanup(func() { fwd.Close(context.Background()) })
		r, err := NewRelay(f.store, fwd, testHub, f.clock.Now)
		require.NoError(t, err)
		c.Sink = r
	})
	require.Equal(t, 200, up.send(post{org: testLeader, body: ndjson(down.seedLines...)}).status)
	require.NoError(t, fwd.Flush(t.Context()))

	lines := make([][]byte, 3)
	ids := make([]string, 3)
	for i := range lines {
		lines[i], ids[i] = down.validLine(testBank)
	}
	rc := down.send(post{body: ndjson(lines...)}).receipt(t)
	require.Equal(t, 3, rc.Counts.Accepted)
	require.NoError(t, fwd.Flush(t.Context()))
	for i, id := range ids {
		require.NoError(t, down.store.db.View(func(tx *bolt.Tx) error {
			require.Equal(t, string(lines[i]), storedBytes(t, tx, recordKey(testBank, id)), "the line is stored as sent")
			return nil
		}))
		got, err := up.store.GetFrom(t.Context(), testBank, id)
		require.NoError(t, err)
		require.Len(t, got.Provenance, 1)
		want, err := got.Digest()
		require.NoError(t, err)
		require.Equal(t, testHub, got.Provenance[0].Org)
		require.Equal(t, want, got.Provenance[0].Digest)
	}
}
