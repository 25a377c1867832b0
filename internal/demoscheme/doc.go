// Package demoscheme holds the synthetic directory of the whole scheme,
// scheme.json, in one place: the tests of every package, the examples
// and the docs read it from here (embedded, or by the path
// internal/demoscheme/scheme.json from the module root), and no copy of it
// exists elsewhere. See README.md for who is in it and how its tokens are
// made. It imports nothing, so that any package of the module, collab
// included, can use it in its tests.
package demoscheme

import _ "embed"

//go:embed scheme.json
var schemeJSON []byte

// JSON returns a copy of the synthetic collab.directory document.
func JSON() []byte {
	return append([]byte(nil), schemeJSON...)
}
