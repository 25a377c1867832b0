package taxii

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sicollab/sicollab/collab"
)

// ErrUnauthenticated: an Authenticator could not tell, or would not
// accept, which organization sent the request. The Handler answers 401.
var ErrUnauthenticated = errors.New("taxii: request not authenticated")

// Authenticator tells which organization sent a request, by the directory
// in use for it. It is the seam where other means of proof (mutual TLS,
// signed requests) plug in: its method is the submit Handler's, so the
// same authenticator serves both. Implementations are safe for
// concurrent use, do not read r.Body and do no I/O that may block long.
type Authenticator interface {
	Authenticate(r *http.Request, dir *collab.Directory) (collab.Org, error)
}

// AuthenticatorFunc is a function that is an Authenticator.
type AuthenticatorFunc func(r *http.Request, dir *collab.Directory) (collab.Org, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(r *http.Request, dir *collab.Directory) (collab.Org, error) {
	return f(r, dir)
}

// BearerTokens authenticates "Authorization: Bearer <token>" by the
// directory's token hashes, as the submit Handler does. Tokens can be
// copied by anyone who sees them: use them on loopback and in tests.
type BearerTokens struct{}

// Authenticate returns the organization of the request's bearer token,
// or an error wrapping ErrUnauthenticated.
func (BearerTokens) Authenticate(r *http.Request, dir *collab.Directory) (collab.Org, error) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return collab.Org{}, fmt.Errorf("%w: send Authorization: Bearer <token> with your organization's token", ErrUnauthenticated)
	}
	org, ok := dir.Authenticate(strings.TrimSpace(token))
	if !ok {
		return collab.Org{}, fmt.Errorf("%w: the token is not one of the directory's", ErrUnauthenticated)
	}
	return org, nil
}

// DirectorySource gives the directory in use (a reloading directory file
// is one); the Handler asks it once per request, so a reload takes effect
// from the next request on.
type DirectorySource interface {
	Directory() *collab.Directory
}
