package submit

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"
)

// problemTitles are the fixed titles of the problem types.
var problemTitles = map[string]string{
	ProblemMalformed:        "Malformed request",
	ProblemDigestMismatch:   "Content-Digest missing or wrong",
	ProblemBadIdempotency:   "Idempotency-Key missing or not a UUID",
	ProblemUnauthenticated:  "Not authenticated",
	ProblemForbidden:        "Organization may submit nothing here",
	ProblemNotFound:         "Not found",
	ProblemConflict:         "Idempotency-Key used with another body",
	ProblemTooLarge:         "Request too large",
	ProblemUnsupportedMedia: "Unsupported media type or encoding",
	ProblemNothingValid:     "No record was accepted",
	ProblemRateLimited:      "Rate limit exceeded",
	ProblemOverloaded:       "Hub overloaded",
	ProblemUnavailable:      "Hub cannot store the submission now",
	ProblemMethodNotAllowed: "Method not allowed",
	ProblemIdentityRefused:  "Identity not accepted",
	ProblemSlowBody:         "Request body too slow",
}

// failure is a whole-request error on its way to a problem document.
type failure struct {
	p          Problem
	retryAfter time.Duration // > 0: send Retry-After
	header     [2]string     // an extra header, if any
}

func fail(status int, typ, detail string) *failure {
	return &failure{p: Problem{Type: typ, Title: problemTitles[typ], Status: status, Detail: detail}}
}

func tooLarge(limit, detail string) *failure {
	f := fail(http.StatusRequestEntityTooLarge, ProblemTooLarge, detail)
	f.p.Limit = limit
	return f
}

// retrySeconds is d in whole seconds, rounded up, at least 1.
func retrySeconds(d time.Duration) string {
	s := int64(math.Ceil(d.Seconds()))
	return strconv.FormatInt(max(s, 1), 10)
}

func (h *Handler) writeFailure(w http.ResponseWriter, r *http.Request, f *failure) {
	f.p.Instance = r.URL.Path
	h.met.request(routeOf(r), f.p.Status, f.p.Type)
	body, err := json.Marshal(&f.p)
	if err != nil { // a Problem always encodes
		body = []byte(`{"type":"` + f.p.Type + `","status":` + strconv.Itoa(f.p.Status) + `}`)
	}
	hd := w.Header()
	if f.retryAfter > 0 {
		hd.Set(HeaderRetryAfter, retrySeconds(f.retryAfter))
	}
	if f.header[0] != "" {
		hd.Set(f.header[0], f.header[1])
	}
	writeBody(w, f.p.Status, MediaProblem, body)
}

func writeBody(w http.ResponseWriter, status int, media string, body []byte) {
	hd := w.Header()
	hd.Set("Content-Type", media)
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body) // the connection's problem if this fails
}

// unavailable logs err and returns the 503 the sender retries after.
func (h *Handler) unavailable(msg string, err error, attrs ...any) *failure {
	h.log.Error(msg, append(attrs, "err", err)...)
	f := fail(http.StatusServiceUnavailable, ProblemUnavailable, msg+"; retry later")
	f.retryAfter = h.cfg.RetryAfter
	return f
}
