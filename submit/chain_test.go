package submit

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chainFixture is a send chain over a real HTTP server on loopback, on a
// timer that never fires by itself: every wait it starts is reported on
// waits and ends only by a shutdown step or the context.
type chainFixture struct {
	chain *sendChain
	hits  atomic.Int32
	waits chan time.Duration
	now   time.Time
}

func newChainFixture(t *testing.T, h http.HandlerFunc) *chainFixture {
	t.Helper()
	f := &chainFixture{waits: make(chan time.Duration, 16), now: clientT0}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	clock := func() time.Time { return f.now }
	timer := func(d time.Duration) (<-chan time.Time, func() bool) {
		f.waits <- d
		return make(chan time.Time), func() bool { return true }
	}
	cfg := ClientConfig{Token: "t", HTTPClient: srv.Client(), RequestTimeout: time.Hour, Clock: clock, NewTimer: timer}
	var retries, batches atomic.Uint64
	h0 := &hold{}
	log := slog.New(slog.DiscardHandler)
	f.chain = connectSenders(
		newRetrySender(RetryPolicy{InitialInterval: time.Hour, MaxInterval: time.Hour, Multiplier: 2, DisableJitter: true}, clock, timer, h0, func(error) {}, &retries, log),
		newRateSender(cfg, h0),
		nil,
		newTransportSender(srv.URL, cfg, h0, &batches, log, newTracing(nil, nil)),
	)
	t.Cleanup(f.chain.shutdown)
	return f
}

func chainBatch() *outBatch {
	b := &outBatch{key: newKey(), created: clientT0}
	b.add(1, []byte(`{}`))
	b.encodeWire(nil)
	return b
}

// sendAsync sends a batch on its own goroutine and returns its result.
func (f *chainFixture) sendAsync() <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := f.chain.send(context.Background(), chainBatch())
		done <- err
	}()
	return done
}

// TestSendChainShutdownOrder: the chain stops in its stated order. Retry
// first: a backoff ends at once, and a failed attempt is given back
// without a wait. Draining still honours a Retry-After until the rate
// sender stops. The transport stops last, abandoning the request in
// progress; nothing is sent after it.
func TestSendChainShutdownOrder(t *testing.T) {
	t.Run("retry stops first: backoff ends, failures come back at once", func(t *testing.T) {
		f := newChainFixture(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		})
		done := f.sendAsync()
		assert.Equal(t, time.Hour, <-f.waits, "the first failure waits its backoff")
		f.chain.stopRetrying()
		err := <-done
		require.ErrorIs(t, err, errRetryStopped)
		assert.EqualValues(t, 1, f.hits.Load())

		_, err = f.chain.send(context.Background(), chainBatch())
		var se *sendError
		require.ErrorAs(t, err, &se, "a failure while draining is the answer, not a retry")
		assert.Equal(t, http.StatusInternalServerError, se.status)
		assert.EqualValues(t, 2, f.hits.Load(), "one attempt per batch once retrying stopped")
		assert.Empty(t, f.waits, "no backoff once retrying stopped")
	})
	t.Run("rate stops second: a Retry-After holds the drain until then", func(t *testing.T) {
		f := newChainFixture(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(HeaderRetryAfter, "3600")
			w.WriteHeader(http.StatusTooManyRequests)
		})
		f.chain.stopRetrying()
		_, err := f.chain.send(context.Background(), chainBatch())
		require.Error(t, err)
		done := f.sendAsync()
		assert.Equal(t, time.Hour, <-f.waits, "draining waits out the hub's Retry-After")
		select {
		case err := <-done:
			t.Fatalf("the retry sender's shutdown cut the hold short: %v", err)
		default:
		}
		f.chain.rate.shutdown()
		require.ErrorIs(t, <-done, errSenderStopped)
		assert.EqualValues(t, 1, f.hits.Load(), "nothing sent during the hold")
	})
	t.Run("transport stops last: the request in progress is abandoned", func(t *testing.T) {
		arrived, release := make(chan struct{}), make(chan struct{})
		f := newChainFixture(t, func(w http.ResponseWriter, r *http.Request) {
			close(arrived)
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		f.chain.stopRetrying()
		f.chain.rate.shutdown()
		done := f.sendAsync()
		<-arrived
		f.chain.transport.shutdown()
		err := <-done
		require.ErrorIs(t, err, context.Canceled, "the request is abandoned")
		_, err = f.chain.send(context.Background(), chainBatch())
		require.Error(t, err)
		assert.True(t, errors.Is(err, errSenderStopped), "nothing starts after the transport stopped: %v", err)
		assert.EqualValues(t, 1, f.hits.Load())
	})
}
