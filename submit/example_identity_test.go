package submit_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/demoscheme"
	"github.com/sicollab/sicollab/submit"
)

// A bank signs a submission with its key from the directory; the hub's
// SignatureVerifier names the bank, and refuses the same request sent to
// another path, saying which check failed.
func ExampleSignatureVerifier() {
	dir, err := collab.LoadDirectory(bytes.NewReader(demoscheme.JSON()))
	if err != nil {
		fmt.Println(err)
		return
	}
	// The fixture's key of bank-north-01 (internal/demoscheme/README.md).
	seed := sha256.Sum256([]byte("key-bank-north-01"))
	signer, err := submit.NewHTTPSigner(submit.SignerConfig{KeyID: "bank-north-01-2026", PrivateKey: ed25519.NewKeyFromSeed(seed[:])})
	if err != nil {
		fmt.Println(err)
		return
	}
	verifier, err := submit.NewSignatureVerifier(submit.SignatureConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	hub := submit.AllOf(submit.RefuseTokens{}, verifier)

	request := func() *http.Request {
		body := []byte("{}\n")
		r, _ := http.NewRequest(http.MethodPost, "https://hub.example:8443"+submit.PathSubmissions, bytes.NewReader(body))
		r.Header.Set("Content-Type", submit.MediaNDJSON)
		r.Header.Set(submit.HeaderIdempotencyKey, "01950a00-0000-7000-8000-000000000001")
		r.Header.Set(submit.HeaderContentDigest, submit.ContentDigest(body))
		if err := signer.SignRequest(r); err != nil {
			fmt.Println(err)
		}
		r.Host = r.URL.Host // as the hub sees it
		return r
	}
	org, err := hub.Authenticate(request(), dir)
	fmt.Println(org.ID, err)

	moved := request()
	moved.URL.Path = "/v1/elsewhere"
	_, err = hub.Authenticate(moved, dir)
	var ae *submit.AuthError
	if errors.As(err, &ae) {
		fmt.Println(ae.Status, ae.Check)
	}
	// Output:
	// bank-north-01 <nil>
	// 401 signature-invalid
}
