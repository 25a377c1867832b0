package translog

import "github.com/sicollab/sicollab/schema"

// Canonical returns the RFC 8785 (JCS) canonical form of the JSON
// document b: the same bytes as jcs.Transform, errors included. It is
// schema.Canonical, the one-pass path the hub already digests payloads
// with, so leaves, receipts and payload digests are canonicalized by one
// implementation. FuzzCanonicalJSON checks it against jcs.Transform.
func Canonical(b []byte) ([]byte, error) { return schema.Canonical(b) }
