package submit

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// sendClass is what the sender does about a failed attempt.
type sendClass int

const (
	classRetry       sendClass = iota // transport error, timeout, 5xx, 429, unexpected 4xx: back off and retry
	classTooLarge                     // 413: split the batch
	classCredentials                  // 401, 403: stop sending, keep the records
	classPermanent                    // 400, 409, 415: the batch can never succeed as is: dead letters
	classRejected                     // 422: every record refused; the problem's results say why
)

// sendError is a failed attempt, classified by the answer.
type sendError struct {
	class      sendClass
	status     int           // HTTP status, 0 for transport errors
	retryAfter time.Duration // the hub's Retry-After: the least wait before the next attempt
	problem    *Problem
	cause      DeadCause // for classPermanent
	detail     string    // for dead letters
	err        error
}

func (e *sendError) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return e.detail
}

func (e *sendError) Unwrap() error { return e.err }

// classify turns an error response into a sendError.
func classify(resp *http.Response, body []byte, now time.Time) error {
	se := &sendError{status: resp.StatusCode}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), MediaProblem) || strings.HasPrefix(resp.Header.Get("Content-Type"), MediaJSON) {
		var p Problem
		if json.Unmarshal(body, &p) == nil && (p.Type != "" || p.Title != "") {
			se.problem = &p
		}
	}
	what := fmt.Sprintf("hub answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	if p := se.problem; p != nil {
		what += " (" + p.Type
		if p.Detail != "" {
			what += ": " + p.Detail
		} else if p.Title != "" {
			what += ": " + p.Title
		}
		if p.Limit != "" {
			what += "; limit " + p.Limit
		}
		what += ")"
	}
	se.detail = what
	se.err = errors.New("submit: " + what)
	switch resp.StatusCode {
	case http.StatusRequestEntityTooLarge:
		se.class = classTooLarge
	case http.StatusUnauthorized, http.StatusForbidden:
		se.class = classCredentials
		se.err = fmt.Errorf("%w: %s", ErrCredentials, what)
	case http.StatusBadRequest:
		se.class, se.cause = classPermanent, CauseBadRequest
	case http.StatusUnsupportedMediaType:
		se.class, se.cause = classPermanent, CauseUnsupportedMedia
	case http.StatusConflict:
		se.class, se.cause = classPermanent, CauseConflict
		se.detail = "idempotency key reused with another body: " + what
	case http.StatusUnprocessableEntity:
		se.class = classRejected
	default:
		se.class = classRetry
	}
	se.retryAfter = parseRetryAfter(resp.Header.Get(HeaderRetryAfter), now)
	return se
}

// parseRetryAfter reads delay-seconds or an HTTP-date (RFC 9110 10.2.3).
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, int64(math.MaxInt64/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// backoff returns the wait before the attempt after the n-th failure:
// full jitter over InitialInterval*Multiplier^(n-1), capped at
// MaxInterval, and never less than the hub's Retry-After.
func (s *sender) backoff(n int, err error) time.Duration {
	p := s.c.cfg.Retry
	d := float64(p.InitialInterval) * math.Pow(p.Multiplier, float64(max(0, n-1)))
	d = min(d, float64(p.MaxInterval))
	wait := time.Duration(d)
	if !p.DisableJitter {
		wait = time.Duration(s.rnd.Float64() * d)
	}
	var se *sendError
	if errors.As(err, &se) && se.retryAfter > wait {
		wait = se.retryAfter
	}
	return wait
}

// errRetryStopped ends a backoff when Close has begun.
var errRetryStopped = errors.New("submit: retry stopped by Close")

// sleep waits d on the client's timer. A backoff (retry true) ends early
// with errRetryStopped when Close begins; every wait ends with the run
// context's error when the client stops.
func (s *sender) sleep(d time.Duration, retry bool) error {
	c := s.c
	if d <= 0 {
		return c.runCtx.Err()
	}
	closing := c.closing
	if !retry {
		closing = nil
	}
	ch, stop := c.cfg.NewTimer(d)
	defer stop()
	select {
	case <-ch:
		return nil
	case <-closing:
		return errRetryStopped
	case <-c.runCtx.Done():
		return c.runCtx.Err()
	}
}

// admit waits until b may be sent: past any Retry-After, and until the
// rate limiters allow its records and bytes. One sender at a time goes
// through it, up to the start of its request, so requests start in the
// order their tokens were reserved: a sender that reserved tokens and
// then waited for something else would otherwise start its request late,
// beside the next one, and together they could exceed the limit. For the
// same reason a Retry-After that arrives while tokens are being waited
// for cancels them; they are reserved again once it has passed.
func (s *sender) admit(b *outBatch) (release func(), err error) {
	c := s.c
	c.gate.Lock()
	defer func() {
		if err != nil {
			c.gate.Unlock()
		}
	}()
	for {
		if err := s.waitHold(); err != nil {
			return nil, err
		}
		now := c.cfg.Clock()
		rs, err := reserve(nil, c.recLim, len(b.seqs), now)
		if err == nil {
			rs, err = reserve(rs, c.byteLim, len(b.wire), now)
		}
		if err != nil {
			cancelAll(rs, now)
			return nil, err
		}
		var d time.Duration
		for _, r := range rs {
			d = max(d, r.DelayFrom(now))
		}
		if err := s.sleep(d, false); err != nil {
			cancelAll(rs, c.cfg.Clock())
			return nil, err
		}
		c.met.waited(d)
		if now := c.cfg.Clock(); !c.heldUntil().After(now) {
			return c.gate.Unlock, nil
		}
		cancelAll(rs, c.cfg.Clock())
	}
}

// waitHold waits out a Retry-After another sender (or this one) was
// given. Close does not cut it short: the hub asked for the pause.
func (s *sender) waitHold() error {
	for {
		d := s.c.heldUntil().Sub(s.c.cfg.Clock())
		if d <= 0 {
			return nil
		}
		if err := s.sleep(d, false); err != nil {
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
