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
