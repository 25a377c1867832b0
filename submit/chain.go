package submit

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"
)

// The client's send chain. A sender goroutine (batch.go) forms a batch
// and hands it to the chain, which returns the hub's receipt or the
// error that settles the batch. The chain is made of small senders over
// one interface, batchSender, each its own type and file, connected
// outermost first:
//
//	retry (retry_sender.go)      backoff, Retry-After, give-up policy
//	 -> rate (rate_sender.go)     Retry-After hold, rate tokens, one sender at a time
//	 -> sign (sign_sender.go)     RFC 9421 signature, if ClientConfig.Signer is set
//	 -> transport (transport_sender.go)  one HTTP attempt, the answer classified
//
// Every attempt passes through rate, sign and transport again: the rate
// limits count retries, and each attempt carries a fresh signature
// (created, expires and nonce are per request; the hub refuses a replayed
// nonce). One chain serves all the client's sender goroutines; each
// sender keeps its own state safe for concurrent use.
//
// Shutdown order (sendChain.stopRetrying, then sendChain.shutdown), as
// in OpenTelemetry's exporterhelper, retry first:
//
//  1. retry stops: a backoff in progress ends at once and a failed
//     attempt is returned instead of retried, so the senders drain the
//     outbox one attempt per batch;
//  2. rate stops: a wait for a Retry-After or for rate tokens ends with
//     errSenderStopped (until then, draining still honours both);
//  3. transport stops: the request in progress is abandoned (the hub may
//     have stored it; the next start resends it under the same key).
//
// Client.Close runs 1 as soon as no Submit runs, and 2 and 3 once the
// senders have drained or its ctx has ended.

// batchSender is one link of the send chain: send tries a (one batch)
// and returns the hub's receipt, or an error (a *sendError for an answer
// or a transport failure). It is called by several goroutines at once.
type batchSender interface {
	send(ctx context.Context, a *attempt) (*Receipt, error)
}

// attempt is one try at sending a batch as it passes down the chain.
type attempt struct {
	batch *outBatch
	// build makes the request for batch (the transport's newRequest).
	build func(ctx context.Context, b *outBatch) (*http.Request, error)
	req   *http.Request // built on first need; signed by signSender
	// onWire, if set, is called once the request's headers are written,
	// or the attempt failed before: the rate sender releases its gate.
	// It may be called more than once, and from the HTTP transport's
	// goroutine: it must be idempotent and safe for concurrent use. It is
	// set before the next link is called and never changed after.
	onWire func()
}

// request returns the attempt's request, built on the first call.
func (a *attempt) request(ctx context.Context) (*http.Request, error) {
	if a.req == nil {
		req, err := a.build(ctx, a.batch)
		if err != nil {
			return nil, &sendError{class: classPermanent, cause: CauseBadRequest, err: err}
		}
		a.req = req
	}
	return a.req, nil
}

// again returns a new attempt at the same batch.
func (a *attempt) again() *attempt {
	return &attempt{batch: a.batch, build: a.build}
}

// wrote calls onWire, if set.
func (a *attempt) wrote() {
	if a.onWire != nil {
		a.onWire()
	}
}

// errSenderStopped ends a wait of a sender of the chain that was shut
// down.
var errSenderStopped = errors.New("submit: send chain stopped")

// sendChain is the connected chain and the order it shuts down in.
type sendChain struct {
	retry     *retrySender
	rate      *rateSender
	transport *transportSender
	head      batchSender
}

// connectSenders links retry -> rate -> sign (if signer) -> transport.
func connectSenders(retry *retrySender, rate *rateSender, signer RequestSigner, transport *transportSender) *sendChain {
	var next batchSender = transport
	if signer != nil {
		next = &signSender{signer: signer, next: transport}
	}
	rate.next = next
	retry.next = rate
	return &sendChain{retry: retry, rate: rate, transport: transport, head: retry}
}

// send sends b through the chain.
func (ch *sendChain) send(ctx context.Context, b *outBatch) (*Receipt, error) {
	return ch.head.send(ctx, &attempt{batch: b, build: ch.transport.newRequest})
}

// stopRetrying is step 1 of the shutdown order.
func (ch *sendChain) stopRetrying() { ch.retry.shutdown() }

// shutdown runs the steps of the shutdown order not yet run, in order.
func (ch *sendChain) shutdown() {
	ch.retry.shutdown()
	ch.rate.shutdown()
	ch.transport.shutdown()
}

// stopOnce is a channel closed once, by the first call of close.
type stopOnce struct {
	once sync.Once
	ch   chan struct{}
}

func newStop() stopOnce { return stopOnce{ch: make(chan struct{})} }

func (s *stopOnce) close() { s.once.Do(func() { close(s.ch) }) }

// timerFunc is ClientConfig.NewTimer and HandlerConfig.NewTimer.
type timerFunc func(d time.Duration) (<-chan time.Time, func() bool)

// realTimer is timerFunc's default: time.NewTimer.
func realTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

// sleepOn waits d on newTimer. It ends early with stopErr when stop is
// closed, and with ctx's error when ctx ends.
func sleepOn(ctx context.Context, newTimer timerFunc, d time.Duration, stop <-chan struct{}, stopErr error) error {
	if d <= 0 {
		return ctx.Err()
	}
	ch, cancel := newTimer(d)
	defer cancel()
	select {
	case <-ch:
		return nil
	case <-stop:
		return stopErr
	case <-ctx.Done():
		return ctx.Err()
	}
}
