package submit

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/sicollab/sicollab/collab"
)

// Admission: who is asking, and whether the hub takes the request on at
// all. Everything here runs before a byte of the body is read and
// before the request holds any shared resource, in this order:
// authentication (with the failed-login throttle), the organization's
// right to submit here, its rate limit, then its share of the requests
// in flight.

// authenticate returns the organization the Authenticator finds (by
// default a bearer token; see TLSIdentity and SignatureVerifier): the
// one seam through which a transport names who is calling.
func (h *Handler) authenticate(r *http.Request) (collab.Org, *failure) {
	org, err := h.cfg.Authenticator.Authenticate(r, h.dir())
	if err != nil {
		return collab.Org{}, authFailure(err)
	}
	return org, nil
}

// dir is the directory in use: DirectorySource's, reloaded without a
// restart, or Directory.
func (h *Handler) dir() *collab.Directory {
	if h.cfg.DirectorySource != nil {
		return h.cfg.DirectorySource.Directory()
	}
	return h.cfg.Directory
}

// authFailureReason says, for the log, why a request did not
// authenticate, without repeating its credentials.
func authFailureReason(r *http.Request) string {
	v := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(v, " ")
	switch {
	case v == "":
		return "no Authorization header"
	case !strings.EqualFold(scheme, "Bearer"):
		return "not a bearer token"
	case strings.TrimSpace(token) == "":
		return "empty bearer token"
	}
	return "unknown token"
}

// admit authenticates r. A failure is counted against the client's
// address; once an address has failed HandlerConfig.AuthFailures times
// in AuthWindow, its unauthenticated requests get 429 until the window
// ends. A request that authenticates is never throttled here, whatever
// its address: organizations behind one proxy are not punished for a
// neighbour's bad tokens.
func (h *Handler) admit(r *http.Request) (collab.Org, *failure) {
	org, f := h.authenticate(r)
	if f == nil {
		return org, nil
	}
	addr := clientAddr(r)
	wait, first := h.authFails.fail(addr, h.cfg.Clock())
	h.met.authFailed(wait > 0)
	if wait > 0 {
		if first {
			h.log.Warn("authentication throttled", "addr", addr, "reason", authFailureReason(r), "check", f.p.Check,
				"failures", h.cfg.AuthFailures, "window", h.cfg.AuthWindow)
		}
		t := fail(http.StatusTooManyRequests, ProblemRateLimited,
			fmt.Sprintf("more than %d failed authentications from %s in %s; wait, then send a valid token", h.cfg.AuthFailures, addr, h.cfg.AuthWindow))
		t.retryAfter = wait
		return collab.Org{}, t
	}
	h.log.Warn("authentication failed", "addr", addr, "reason", authFailureReason(r), "check", f.p.Check)
	return collab.Org{}, f
}

// clientAddr is the host of the request's peer address (never a header
// the client chose).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// maxAuthAddrs bounds the addresses whose failures are tracked. When as
// many are tracked and none has expired, an address not yet tracked is
// throttled at once: the hub fails closed for unauthenticated clients
// rather than grow.
const maxAuthAddrs = 10000

// authThrottle counts failed authentications per client address in
// fixed windows.
type authThrottle struct {
	limit  int
	window time.Duration

	mu    sync.Mutex
	addrs map[string]*authCount
}

type authCount struct {
	start  time.Time
	n      int
	logged bool // the throttle was logged in this window
}

// fail counts a failure from addr at now. It returns how long addr must
// wait (0: not throttled) and whether this is the first throttled
// request of the window (to log once per window, not per request).
func (a *authThrottle) fail(addr string, now time.Time) (wait time.Duration, first bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.addrs[addr]
	if c != nil && !now.Before(c.start.Add(a.window)) {
		c = nil
	}
	if c == nil {
		if len(a.addrs) >= maxAuthAddrs {
			for k, v := range a.addrs {
				if !now.Before(v.start.Add(a.window)) {
					delete(a.addrs, k)
				}
			}
			if len(a.addrs) >= maxAuthAddrs {
				return a.window, false
			}
		}
		c = &authCount{start: now}
		a.addrs[addr] = c
	}
	c.n++
	if c.n <= a.limit {
		return 0, false
	}
	first = !c.logged
	c.logged = true
	return c.start.Add(a.window).Sub(now), first
}

// limiter returns org's rate limiter, made on first use. Only
// authenticated organizations get one, so the map holds at most one per
// organization of the directory.
func (h *Handler) limiter(org string) *rate.Limiter {
	h.mu.Lock()
	defer h.mu.Unlock()
	l := h.limiters[org]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(h.cfg.Limits.RecordsPerSecond), h.cfg.Limits.Burst)
		h.limiters[org] = l
	}
	return l
}

// maySubmitHere reports whether org may submit some kind the hub takes in.
func (h *Handler) maySubmitHere(org collab.Org) bool {
	return slices.ContainsFunc(org.Submits, h.hub.CanReceive)
}

// authorize applies the organization's right to submit here and its
// rate limit.
func (h *Handler) authorize(org collab.Org, now time.Time) (*rate.Limiter, *failure) {
	if !h.maySubmitHere(org) {
		h.log.Warn("authorization refused", "org", org.ID, "reason", "may submit no kind this hub takes in")
		return nil, fail(http.StatusForbidden, ProblemForbidden,
			fmt.Sprintf("%q may submit no kind that %q takes in", org.ID, h.hub.ID))
	}
	lim := h.limiter(org.ID)
	if tokens := lim.TokensAt(now); tokens < 1 {
		f := fail(http.StatusTooManyRequests, ProblemRateLimited,
			fmt.Sprintf("%s may submit %g records per second (burst %d)", org.ID, h.cfg.Limits.RecordsPerSecond, h.cfg.Limits.Burst))
		f.retryAfter = time.Duration((1 - tokens) / h.cfg.Limits.RecordsPerSecond * float64(time.Second))
		return nil, f
	}
	return lim, nil
}

// acquire takes one of org's share of the requests in flight, then one
// of the hub's, without waiting: beyond either the answer is 503 at
// once. release gives both back.
func (h *Handler) acquire(org string) (release func(), f *failure) {
	h.mu.Lock()
	n := h.orgInFlight[org]
	if n >= h.cfg.MaxInFlightPerOrg {
		h.mu.Unlock()
		f := fail(http.StatusServiceUnavailable, ProblemOverloaded,
			fmt.Sprintf("%s has %d submissions in progress, its share of this hub; wait for one to finish", org, n))
		f.retryAfter = h.cfg.RetryAfter
		return nil, f
	}
	h.orgInFlight[org] = n + 1
	h.mu.Unlock()
	h.met.slot(org, 1)
	drop := func() {
		h.mu.Lock()
		if h.orgInFlight[org]--; h.orgInFlight[org] == 0 {
			delete(h.orgInFlight, org)
		}
		h.mu.Unlock()
		h.met.slot(org, -1)
	}
	select {
	case h.inflight <- struct{}{}:
		return func() { <-h.inflight; drop() }, nil
	default:
		drop()
		f := fail(http.StatusServiceUnavailable, ProblemOverloaded,
			fmt.Sprintf("%d submissions are in progress, the most this hub takes at once", h.cfg.MaxInFlight))
		f.retryAfter = h.cfg.RetryAfter
		return nil, f
	}
}
