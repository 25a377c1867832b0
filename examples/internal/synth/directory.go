package synth

import (
	"sync"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/demoscheme"
)

// schemeJSON is the synthetic directory of the whole scheme, kept in
// internal/demoscheme.
var schemeJSON = demoscheme.JSON()

var directory = sync.OnceValues(func() (*collab.Directory, error) {
	return collab.ParseDirectory(schemeJSON)
})

// Directory returns the synthetic directory of the whole scheme (the
// collab.directory document SchemeJSON returns): the leading group, three
// specialized departments, four general business departments and sixteen
// social forces. Every name and id is made up. It panics only if the
// embedded document is broken, which the package's tests rule out.
func Directory() *collab.Directory {
	d, err := directory()
	if err != nil {
		panic("synth: embedded scheme.json: " + err.Error())
	}
	return d
}

// SchemeJSON returns a copy of the synthetic directory document, for a
// demo that writes it out or serves it.
func SchemeJSON() []byte {
	return append([]byte(nil), schemeJSON...)
}

// Token returns the synthetic bearer token of an organization of the
// synthetic directory: the directory's token_sha256 is the SHA-256 of
// "token-<org id>". These tokens are fixtures for demos and tests; real
// tokens are random, at least 128 bits.
func Token(orgID string) string {
	return "token-" + orgID
}
