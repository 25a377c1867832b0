package submit

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sicollab/sicollab/collab"
)

// ErrUnauthenticated is what every *AuthError wraps: the hub could not
// tell, or would not accept, which organization sent the request.
var ErrUnauthenticated = errors.New("submit: request not authenticated")

// Authenticator says which organization sent a request. The Handler
// calls it before it reads a byte of the body, from many goroutines at
// once, with the directory in use for this request; an implementation
// must be safe for concurrent use and must not read r.Body.
//
// It returns the organization, or an error; an *AuthError says which
// check failed and is answered as a problem document with its Status and
// Check (any other error is a 401). An Authenticator used inside AllOf
// may return the zero Org and a nil error to abstain: it found no
// credentials of its kind and has no objection.
type Authenticator interface {
	Authenticate(r *http.Request, dir *collab.Directory) (collab.Org, error)
}

// DirectorySource gives the directory in use; a *collab.DirectoryFile is
// one. The Handler asks it once per use, so a reload takes effect from
// the next request on.
type DirectorySource interface {
	Directory() *collab.Directory
}

// AuthError is an authentication refusal: which check failed and why.
// It wraps ErrUnauthenticated.
type AuthError struct {
	// Status is the HTTP status to answer: 401 (no or bad credentials),
	// 403 (credentials of an identity this hub does not accept as an
	// organization) or 503 (the hub cannot judge now).
	Status int
	// Check names the check that failed, e.g. "client-certificate",
	// "uri-san", "signature-missing", "signature-replay"; it is sent as
	// the problem document's "check" member, and never changes.
	Check string
	// Detail says what was found and what to do.
	Detail string
}

// Error returns "submit: request not authenticated: <check>: <detail>".
func (e *AuthError) Error() string {
	return ErrUnauthenticated.Error() + ": " + e.Check + ": " + e.Detail
}

// Unwrap returns ErrUnauthenticated.
func (e *AuthError) Unwrap() error { return ErrUnauthenticated }

func authErr(status int, check, format string, a ...any) *AuthError {
	return &AuthError{Status: status, Check: check, Detail: fmt.Sprintf(format, a...)}
}

// BearerTokens authenticates by the bearer token whose SHA-256 the
// directory lists (Authorization: Bearer <token>). Tokens can be copied
// and replayed by anyone who sees them: use them on loopback and in
// tests; across a network use TLSIdentity and SignatureVerifier.
type BearerTokens struct {
	// Optional makes a request without an Authorization header abstain
	// (for AllOf) instead of failing. A token that is sent must still be
	// right.
	Optional bool
}

// Authenticate implements Authenticator.
func (b BearerTokens) Authenticate(r *http.Request, dir *collab.Directory) (collab.Org, error) {
	h := r.Header.Get("Authorization")
	if h == "" && b.Optional {
		return collab.Org{}, nil
	}
	scheme, token, _ := strings.Cut(h, " ")
	if strings.EqualFold(scheme, "Bearer") {
		if org, ok := dir.Authenticate(strings.TrimSpace(token)); ok {
			return org, nil
		}
	}
	return collab.Org{}, authErr(http.StatusUnauthorized, "bearer-token", "send Authorization: Bearer <token> with your organization's token")
}

// RefuseTokens fails every request that carries a bearer token, and
// abstains otherwise: put it in AllOf on a hub that accepts no tokens, so
// a client still sending one learns at once.
type RefuseTokens struct{}

// Authenticate implements Authenticator.
func (RefuseTokens) Authenticate(r *http.Request, _ *collab.Directory) (collab.Org, error) {
	if r.Header.Get("Authorization") != "" {
		return collab.Org{}, authErr(http.StatusUnauthorized, "bearer-refused",
			"this hub accepts no bearer tokens; authenticate with a client certificate and a signed request, and send no Authorization header")
	}
	return collab.Org{}, nil
}

// AllOf returns an Authenticator that runs each of auths in order (put
// the cheap ones first: a SignatureVerifier spends a nonce): every
// one must pass, at least one must name an organization, and all that name
// one must name the same (a certificate of one organization with another's
// token or signing key fails with check "identity-mismatch").
func AllOf(auths ...Authenticator) Authenticator { return allOf(auths) }

type allOf []Authenticator

func (a allOf) Authenticate(r *http.Request, dir *collab.Directory) (collab.Org, error) {
	var who collab.Org
	for _, au := range a {
		org, err := au.Authenticate(r, dir)
		if err != nil {
			return collab.Org{}, err
		}
		switch {
		case org.ID == "":
		case who.ID == "":
			who = org
		case who.ID != org.ID:
			return collab.Org{}, authErr(http.StatusUnauthorized, "identity-mismatch",
				"the request's credentials name two organizations, %q and %q; send only your own", who.ID, org.ID)
		}
	}
	if who.ID == "" {
		return collab.Org{}, authErr(http.StatusUnauthorized, "credentials-missing", "the request carries no credentials this hub accepts")
	}
	return who, nil
}

// authFailure turns an Authenticator's error into the answer.
func authFailure(err error) *failure {
	ae, ok := errors.AsType[*AuthError](err)
	if !ok {
		ae = authErr(http.StatusUnauthorized, "credentials", "%v", err)
	}
	typ := ProblemUnauthenticated
	switch ae.Status {
	case http.StatusForbidden:
		typ = ProblemIdentityRefused
	case http.StatusServiceUnavailable:
		typ = ProblemOverloaded
	default:
		ae.Status = http.StatusUnauthorized
	}
	f := fail(ae.Status, typ, ae.Detail)
	f.p.Check = ae.Check
	switch {
	case ae.Status == http.StatusServiceUnavailable:
		f.retryAfter = DefaultRetryAfter
	case strings.HasPrefix(ae.Check, "bearer"):
		f.header = [2]string{"WWW-Authenticate", `Bearer realm="sicollab"`}
	}
	return f
}
