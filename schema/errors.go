package schema

import (
	"errors"
	"fmt"
	"strings"
)

// Causes of a *ValidationError, for errors.Is. Validate and ValidatePayload
// return a *ValidationError that wraps exactly one of them.
var (
	// ErrInvalid: the document is well-formed JSON but breaks the envelope
	// schema, the payload schema of its kind, or a rule of the SDK such as
	// clear identity under too weak a handling label.
	ErrInvalid = errors.New("schema: invalid document")
	// ErrSyntax: the input is not JSON (or not UTF-8).
	ErrSyntax = errors.New("schema: malformed JSON")
	// ErrTrailingData: more follows the single JSON value.
	ErrTrailingData = errors.New("schema: trailing data after JSON value")
	// ErrDuplicateKey: an object repeats a key; parsers disagree on which
	// copy wins, so the document is refused rather than guessed at.
	ErrDuplicateKey = errors.New("schema: duplicate object key")
	// ErrTooDeep: nesting deeper than Limits.MaxDepth.
	ErrTooDeep = errors.New("schema: nesting too deep")
	// ErrTooLarge: the document is longer than Limits.MaxBytes.
	ErrTooLarge = errors.New("schema: document too large")
	// ErrUnknownKind: no schema is embedded for the envelope's kind.
	ErrUnknownKind = errors.New("schema: unknown kind")
	// ErrUnknownVersion: the kind is known but not at this schema_version.
	ErrUnknownVersion = errors.New("schema: unknown schema version")
)

// Violation is one reason a document was refused.
type Violation struct {
	// Pointer is the RFC 6901 JSON pointer of the offending value from the
	// root of the validated document ("" is the root). For a missing or a
	// forbidden property it names that property.
	Pointer string `json:"pointer"`
	// Keyword is the JSON Schema keyword that failed ("required",
	// "pattern", ...) or one of the SDK's own: "syntax", "duplicate-key",
	// "depth", "size", "kind", "schema_version", "handling"; package collab
	// reports a broken rule of the scheme under "scheme".
	Keyword string `json:"keyword"`
	// Message says what is wrong in words a developer can act on.
	Message string `json:"message"`
}

// String formats the violation as "<pointer>: <message>", with "(root)"
// for the empty pointer.
func (v Violation) String() string {
	ptr := v.Pointer
	if ptr == "" {
		ptr = "(root)"
	}
	return ptr + ": " + v.Message
}

// ValidationError lists every violation found in one document.
type ValidationError struct {
	// Kind and Version name the schema the payload was checked against,
	// when the envelope got that far.
	Kind    string
	Version int
	// Violations, sorted by pointer.
	Violations []Violation
	// Offset is the byte offset of a syntax, depth or duplicate-key problem
	// in the input; -1 otherwise.
	Offset int

	cause error
}

// Error names the cause, the kind and version, the byte offset for
// decoding problems, and the first five violations.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(strings.TrimPrefix(e.cause.Error(), "schema: "))
	if e.Kind != "" {
		fmt.Fprintf(&b, " (%s v%d)", e.Kind, e.Version)
	}
	if e.Offset >= 0 {
		fmt.Fprintf(&b, " at byte %d", e.Offset)
	}
	for i, v := range e.Violations {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		if i == 5 {
			fmt.Fprintf(&b, "and %d more", len(e.Violations)-5)
			break
		}
		b.WriteString(v.String())
	}
	return "schema: " + b.String()
}

// Unwrap returns the cause, one of the Err* values of this package.
func (e *ValidationError) Unwrap() error { return e.cause }
