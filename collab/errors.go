package collab

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors, for errors.Is.
var (
	// ErrInconsistentDirectory: a directory passed its schema but breaks a
	// rule of the scheme (duplicate ids, a supervisor of the wrong tier, a
	// cycle, a kind nobody receives, ...). ParseDirectory and LoadDirectory
	// return every problem found, each a *DirectoryError that wraps it; see
	// DirectoryProblems.
	ErrInconsistentDirectory = errors.New("collab: inconsistent directory")
	// ErrUnknownOrg: the organization is not in the directory. Returned by
	// Directory.Authorize and Directory.Route.
	ErrUnknownOrg = errors.New("collab: unknown organization")
	// ErrKindNotAllowed: the organization may not submit the kind. Returned
	// by Directory.Authorize and Directory.Route; the message says what the
	// organization may submit.
	ErrKindNotAllowed = errors.New("collab: kind not allowed")
)

// DirectoryError is one problem of an inconsistent directory. It wraps
// ErrInconsistentDirectory.
type DirectoryError struct {
	// Pointer is the RFC 6901 JSON pointer of the offending value in the
	// directory document, e.g. "/orgs/3/supervisor".
	Pointer string
	// Problem says what is wrong and, where it can, what would fix it.
	Problem string
}

// Error returns "collab: inconsistent directory at <pointer>: <problem>".
func (e *DirectoryError) Error() string {
	ptr := e.Pointer
	if ptr == "" {
		ptr = "(root)"
	}
	return ErrInconsistentDirectory.Error() + " at " + ptr + ": " + e.Problem
}

// Unwrap returns ErrInconsistentDirectory.
func (e *DirectoryError) Unwrap() error { return ErrInconsistentDirectory }

// DirectoryProblems returns every *DirectoryError in err's tree, in the
// order they were reported (by position in the document). errors.As finds
// only the first; use this to list them all.
func DirectoryProblems(err error) []*DirectoryError {
	var out []*DirectoryError
	var walk func(error)
	walk = func(e error) {
		switch t := e.(type) {
		case nil:
		case *DirectoryError:
			out = append(out, t)
		case interface{ Unwrap() []error }:
			for _, c := range t.Unwrap() {
				walk(c)
			}
		case interface{ Unwrap() error }:
			walk(t.Unwrap())
		}
	}
	walk(err)
	return out
}

// listNames joins up to limit names, then says how many more there are.
func listNames(names []string, limit int) string {
	if len(names) <= limit {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:limit], ", ") + " and " + strconv.Itoa(len(names)-limit) + " more"
}
