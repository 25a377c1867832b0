package collab_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/demoscheme"
)

// The leading group signs a directory; a hub verifies it with the leading
// group's key and refuses it once a byte changes.
func ExampleSignDirectory() {
	raw := demoscheme.JSON()
	// The fixture's key (internal/demoscheme/README.md); a real one comes from
	// examples/keys gen and is kept offline.
	seed := sha256.Sum256([]byte("key-leading-group"))
	sig, err := collab.SignDirectory(raw, "leading-group-2026", ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := collab.ParseDirectory(raw)
	trusted := dir.LeadingGroup().Keys
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

	k, err := collab.VerifyDirectorySignature(raw, sig, trusted, at)
	fmt.Println(k.ID, k.Org, err)
	raw[len(raw)-2] = ' '
	_, err = collab.VerifyDirectorySignature(raw, sig, trusted, at)
	fmt.Println(err)
	// Output:
	// leading-group-2026 leading-group <nil>
	// collab: directory signature invalid: signature by "leading-group-2026" does not match the document; was it changed after signing?
}

// A key verifies within its period unless revoked; a rotation publishes
// the new key with a period that overlaps the old one's.
func ExampleKey_ValidAt() {
	dir, err := collab.LoadDirectory(bytes.NewReader(demoscheme.JSON()))
	if err != nil {
		fmt.Println(err)
		return
	}
	k, err := dir.Key("bank-north-01-2026")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(k.Org, k.ValidAt(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)))
	fmt.Println(k.ValidAt(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)))
	// Output:
	// bank-north-01 <nil>
	// collab: key not valid at this time: "bank-north-01-2026" of "bank-north-01" was retired at 2100-01-01T00:00:00Z, it is 2100-01-01T00:00:00Z
}
