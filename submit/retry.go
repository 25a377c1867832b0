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

// takeRate waits for the records and the bytes of b on the limiters.
func (s *sender) takeRate(b *outBatch) error {
	if err := s.take(s.c.recLim, len(b.seqs)); err != nil {
		return err
	}
	return s.take(s.c.byteLim, len(b.wire))
}

// take waits until lim allows n events. WaitN refuses n above Burst(),
// so larger n is taken in chunks of at most Burst(); time comes from the
// client's Clock and waits from its NewTimer, so tests run on fake time.
func (s *sender) take(lim *rate.Limiter, n int) error {
	if lim == nil {
		return nil
	}
	for n > 0 {
		k := min(n, lim.Burst())
		now := s.c.cfg.Clock()
		r := lim.ReserveN(now, k)
		if !r.OK() {
			return fmt.Errorf("submit: rate limiter refused %d of burst %d", k, lim.Burst())
		}
		if d := r.DelayFrom(now); d > 0 {
			if err := s.sleep(d, false); err != nil {
				r.CancelAt(s.c.cfg.Clock())
				return err
			}
		}
		n -= k
	}
	return nil
}
