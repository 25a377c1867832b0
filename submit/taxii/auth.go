package taxii

import (
	"net/http"
	"strings"

	"github.com/sicollab/sicollab/collab"
)

// Authenticator tells who sent a request: the organization, and whether
// the request proved it. It is the seam where other means of proof
// (mutual TLS, signed requests) plug in. Implementations are safe for
// concurrent use and do no I/O that may block for long.
type Authenticator interface {
	Authenticate(r *http.Request) (collab.Org, bool)
}

// AuthenticatorFunc is a function that is an Authenticator.
type AuthenticatorFunc func(r *http.Request) (collab.Org, bool)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(r *http.Request) (collab.Org, bool) { return f(r) }

// BearerTokens authenticates "Authorization: Bearer <token>" by the
// directory's token hashes, as the submit Handler does.
type BearerTokens struct {
	Directory *collab.Directory
}

// Authenticate returns the organization of the request's bearer token.
func (b BearerTokens) Authenticate(r *http.Request) (collab.Org, bool) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return collab.Org{}, false
	}
	return b.Directory.Authenticate(strings.TrimSpace(token))
}
