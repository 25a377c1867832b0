package collab

import (
	"errors"
	"strconv"
	"strings"

	"github.com/sicollab/sicollab/schema"
)

// Sentinel errors, for errors.Is.
var (
	// ErrInconsistentDirectory: a directory passed its schema but breaks a
	// rule of the scheme (duplicate ids, a supervisor of the wrong tier, a
	// cycle, a kind nobody receives, ...). ParseDirectory and LoadDirectory
	// return every problem found in one *DirectoryError that wraps it.
	ErrInconsistentDirectory = errors.New("collab: inconsistent directory")
	// ErrUnknownOrg: the organization is not in the directory. Returned by
	// Directory.Authorize and Directory.Route.
	ErrUnknownOrg = errors.New("collab: unknown organization")
	// ErrKindNotAllowed: the organization may not submit the kind. Returned
	// by Directory.Authorize and Directory.Route; the message says what the
	// organization may submit.
	ErrKindNotAllowed = errors.New("collab: kind not allowed")
)

// KeywordScheme is the Keyword of a schema.Violation that breaks a rule
// of the scheme rather than the directory's JSON Schema.
const KeywordScheme = "scheme"

// DirectoryError lists every problem of an inconsistent directory, in the
// shape *schema.ValidationError lists the violations of a document: one
// error, found with errors.As, whose Problems name the JSON pointer of
// each offending value. It wraps ErrInconsistentDirectory.
type DirectoryError struct {
	// Problems, ordered by the position in the document of the
	// organization they concern. Each has Keyword KeywordScheme, the RFC
	// 6901 pointer of the offending value (e.g. "/orgs/3/supervisor") and
	// a Message saying what is wrong and, where it can, what would fix it.
	Problems []schema.Violation
}

// Error returns one line per problem, each "collab: inconsistent
// directory at <pointer>: <message>".
func (e *DirectoryError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		ptr := p.Pointer
		if ptr == "" {
			ptr = "(root)"
		}
		b.WriteString(ErrInconsistentDirectory.Error() + " at " + ptr + ": " + p.Message)
	}
	if len(e.Problems) == 0 {
		b.WriteString(ErrInconsistentDirectory.Error())
	}
	return b.String()
}

// Unwrap returns ErrInconsistentDirectory.
func (e *DirectoryError) Unwrap() error { return ErrInconsistentDirectory }

// listNames joins up to limit names, then says how many more there are.
func listNames(names []string, limit int) string {
	if len(names) <= limit {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:limit], ", ") + " and " + strconv.Itoa(len(names)-limit) + " more"
}
