package submit

import (
	"net/http"
	"slices"
	"strings"

	"golang.org/x/time/rate"

	"github.com/sicollab/sicollab/collab"
)

// authenticate returns the organization of the request's bearer token.
func (h *Handler) authenticate(r *http.Request) (collab.Org, *failure) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if strings.EqualFold(scheme, "Bearer") {
		if org, ok := h.cfg.Directory.Authenticate(strings.TrimSpace(token)); ok {
			return org, nil
		}
	}
	f := fail(http.StatusUnauthorized, ProblemUnauthenticated, "send Authorization: Bearer <token> with your organization's token")
	f.header = [2]string{"WWW-Authenticate", `Bearer realm="sicollab"`}
	return collab.Org{}, f
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
