package submit

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// hold is the time before which no request starts: the hub's latest
// Retry-After. It is the hub's answer to the client, not to one batch,
// so it holds every sender. Safe for concurrent use.
type hold struct {
	mu sync.Mutex
	at time.Time
}

// until holds every sender until t, unless a later hold is in place.
func (h *hold) until(t time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t.After(h.at) {
		h.at = t
	}
}

// get returns the time the hold ends.
func (h *hold) get() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.at
}

// rateSender admits one attempt at a time: past any Retry-After, and
// once the rate limiters allow its records and bytes. A sender holds the
// gate from its reservation to the start of its request (the next link
// calls attempt.wrote when the headers are written), so requests start
// in the order their tokens were reserved: a sender that reserved tokens
// and then waited for something else would otherwise start its request
// late, beside the next one, and together they could exceed the limit.
// For the same reason a Retry-After that arrives while tokens are being
// waited for cancels them; they are reserved again once it has passed.
//
// Retry-After and rate waits are not cut short by the retry sender's
// shutdown (the hub asked for the pause; draining still honours the
// limits), only by this sender's own shutdown or ctx.
type rateSender struct {
	next     batchSender
	hold     *hold
	recLim   *rate.Limiter // nil: unlimited
	byteLim  *rate.Limiter // nil: unlimited
	clock    func() time.Time
	newTimer timerFunc
	gate     sync.Mutex
	stop     stopOnce
	// onWait, if set, is told of each wait for rate tokens (the client's
	// metrics). Set before any send, never changed after.
	onWait func(time.Duration)
}

func newRateSender(cfg ClientConfig, h *hold) *rateSender {
	r := &rateSender{hold: h, clock: cfg.Clock, newTimer: cfg.NewTimer, stop: newStop()}
	if cfg.RecordsPerSecond > 0 {
		r.recLim = rate.NewLimiter(rate.Limit(cfg.RecordsPerSecond), cfg.RecordsBurst)
	}
	if cfg.BytesPerSecond > 0 {
		r.byteLim = rate.NewLimiter(rate.Limit(cfg.BytesPerSecond), cfg.BytesBurst)
	}
	return r
}

// shutdown ends every wait for a hold or tokens (step 2 of the shutdown
// order).
func (r *rateSender) shutdown() { r.stop.close() }

// bursts returns the limiters' bursts (0: unlimited), which cap a batch.
func (r *rateSender) bursts() (records, bytes int) {
	if r.recLim != nil {
		records = r.recLim.Burst()
	}
	if r.byteLim != nil {
		bytes = r.byteLim.Burst()
	}
	return records, bytes
}

func (r *rateSender) send(ctx context.Context, a *attempt) (*Receipt, error) {
	release, err := r.admit(ctx, a.batch)
	if err != nil {
		return nil, err
	}
	var once sync.Once
	a.onWire = func() { once.Do(release) }
	defer a.wrote()
	return r.next.send(ctx, a)
}

func (r *rateSender) sleep(ctx context.Context, d time.Duration) error {
	return sleepOn(ctx, r.newTimer, d, r.stop.ch, errSenderStopped)
}

// admit waits until b may be sent and returns with the gate held.
func (r *rateSender) admit(ctx context.Context, b *outBatch) (release func(), err error) {
	r.gate.Lock()
	defer func() {
		if err != nil {
			r.gate.Unlock()
		}
	}()
	for {
		if err := r.waitHold(ctx); err != nil {
			return nil, err
		}
		now := r.clock()
		rs, err := reserve(nil, r.recLim, len(b.seqs), now)
		if err == nil {
			rs, err = reserve(rs, r.byteLim, len(b.wire), now)
		}
		if err != nil {
			cancelAll(rs, now)
			return nil, err
		}
		var d time.Duration
		for _, rv := range rs {
			d = max(d, rv.DelayFrom(now))
		}
		if err := r.sleep(ctx, d); err != nil {
			cancelAll(rs, r.clock())
			return nil, err
		}
		if r.onWait != nil {
			r.onWait(d)
		}
		if now := r.clock(); !r.hold.get().After(now) {
			return r.gate.Unlock, nil
		}
		cancelAll(rs, r.clock())
	}
}

// waitHold waits out a Retry-After another sender (or this one) was
// given.
func (r *rateSender) waitHold(ctx context.Context) error {
	for {
		d := r.hold.get().Sub(r.clock())
		if d <= 0 {
			return nil
		}
		if err := r.sleep(ctx, d); err != nil {
			return err
		}
	}
}

// reserve appends to rs reservations on lim for n events at now. A
// reservation cannot exceed Burst(), so larger n is reserved in chunks;
// each chunk's delay counts the ones before. Time comes from the client's
// Clock and waits from its NewTimer, so tests run on fake time.
func reserve(rs []*rate.Reservation, lim *rate.Limiter, n int, now time.Time) ([]*rate.Reservation, error) {
	if lim == nil {
		return rs, nil
	}
	for n > 0 {
		k := min(n, lim.Burst())
		r := lim.ReserveN(now, k)
		if !r.OK() {
			return rs, fmt.Errorf("submit: rate limiter refused %d of burst %d", k, lim.Burst())
		}
		rs = append(rs, r)
		n -= k
	}
	return rs, nil
}

// cancelAll gives back the tokens of rs, newest first, as far as the
// limiter can.
func cancelAll(rs []*rate.Reservation, now time.Time) {
	for i := len(rs) - 1; i >= 0; i-- {
		rs[i].CancelAt(now)
	}
}
