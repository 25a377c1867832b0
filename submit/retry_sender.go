package submit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// errRetryStopped ends a backoff when Close has begun.
var errRetryStopped = errors.New("submit: retry stopped by Close")

// retrySender is the outermost link of the send chain: it sends a batch
// again after a retryable failure (transport error, timeout, 5xx, 429,
// unexpected 4xx), waiting a backoff with full jitter that is never
// shorter than the hub's Retry-After, until the policy gives up. Other
// failures (413, 401/403, 400/409/415, 422) are returned at once: the
// caller settles them. Once shut down, a failed attempt is returned as
// it is and a backoff in progress ends with errRetryStopped.
type retrySender struct {
	next     batchSender
	policy   RetryPolicy
	clock    func() time.Time
	newTimer timerFunc
	hold     *hold          // a Retry-After holds every sender
	onErr    func(error)    // every failed attempt (the client's LastError)
	retries  *atomic.Uint64 // attempts after a failed one
	log      *slog.Logger
	stop     stopOnce
}

func newRetrySender(p RetryPolicy, clock func() time.Time, newTimer timerFunc, h *hold, onErr func(error), retries *atomic.Uint64, log *slog.Logger) *retrySender {
	return &retrySender{policy: p, clock: clock, newTimer: newTimer, hold: h, onErr: onErr, retries: retries, log: log, stop: newStop()}
}

// shutdown stops retrying (step 1 of the shutdown order).
func (r *retrySender) shutdown() { r.stop.close() }

func (r *retrySender) send(ctx context.Context, a *attempt) (*Receipt, error) {
	b := a.batch
	for {
		rc, err := r.next.send(ctx, a)
		if err == nil {
			return rc, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r.onErr(err)
		var se *sendError
		if !errors.As(err, &se) {
			return nil, err // the chain stopped, or a rate limiter refused
		}
		if se.class != classRetry {
			return nil, err
		}
		now := r.clock()
		if se.retryAfter > 0 {
			r.hold.until(now.Add(se.retryAfter))
		}
		b.attempts++
		if isClosed(r.stop.ch) {
			return nil, err // draining: one attempt per batch
		}
		p := r.policy
		if (p.MaxAttempts > 0 && b.attempts >= p.MaxAttempts) || (p.MaxElapsed > 0 && now.Sub(b.created) >= p.MaxElapsed) {
			gave := *se
			gave.class, gave.cause = classPermanent, CauseGaveUp
			gave.detail = fmt.Sprintf("gave up after %d attempts over %v: %v", b.attempts, now.Sub(b.created).Round(time.Millisecond), err)
			return nil, &gave
		}
		wait := r.backoff(b.attempts, err)
		r.log.Info("submit: batch not delivered, retrying", "key", b.key, "records", len(b.seqs), "attempt", b.attempts, "wait", wait, "err", err)
		if err := r.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%w (retry stopped: %w)", se, err)
		}
		r.retries.Add(1)
		a = a.again()
	}
}

// sleep waits a backoff: it ends early with errRetryStopped once the
// sender is shut down, and with ctx's error.
func (r *retrySender) sleep(ctx context.Context, d time.Duration) error {
	return sleepOn(ctx, r.newTimer, d, r.stop.ch, errRetryStopped)
}

// backoff returns the wait before the attempt after the n-th failure:
// full jitter over InitialInterval*Multiplier^(n-1), capped at
// MaxInterval, and never less than the hub's Retry-After.
func (r *retrySender) backoff(n int, err error) time.Duration {
	p := r.policy
	d := float64(p.InitialInterval) * math.Pow(p.Multiplier, float64(max(0, n-1)))
	d = min(d, float64(p.MaxInterval))
	wait := time.Duration(d)
	if !p.DisableJitter {
		wait = time.Duration(rand.Float64() * d)
	}
	var se *sendError
	if errors.As(err, &se) && se.retryAfter > wait {
		wait = se.retryAfter
	}
	return wait
}
