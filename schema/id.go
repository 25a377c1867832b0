package schema

import "github.com/google/uuid"

// NewID returns a new UUID version 7 (RFC 9562) in its canonical text form:
// the id every envelope, requirement, task and product takes. Version 7
// ids begin with the time in milliseconds, so ids made later sort later
// and stores that key by id write in order.
//
// NewID never fails: it reads crypto/rand, which since Go 1.24 does not
// return errors.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }
