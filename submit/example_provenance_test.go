package submit_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/demoscheme"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
)

// A bank seals its hop, the central bank relays the record and seals its
// own; a reader later verifies the chain with the directory alone, and
// finds the hop a relay altered.
func ExampleVerifyChain() {
	dir, err := collab.LoadDirectory(bytes.NewReader(demoscheme.JSON()))
	if err != nil {
		fmt.Println(err)
		return
	}
	sealer := func(org string) *submit.HopSigner {
		seed := sha256.Sum256([]byte("key-" + org)) // the fixture's keys (internal/demoscheme/README.md)
		s, err := submit.NewHopSigner(org+"-2026", ed25519.NewKeyFromSeed(seed[:]))
		if err != nil {
			panic(err)
		}
		return s
	}
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	env := schema.Envelope{
		ID: "01950a00-0000-7000-8000-0000000000aa", Kind: schema.KindFinanceTransaction, SchemaVersion: 1,
		Source: "bank-north-01", CollectedAt: at, Purpose: schema.Purpose{RequirementID: "01950a00-0000-7000-8000-000000000001"},
		LegalBasis: "synthetic example", Handling: schema.HandlingAmber, RetainUntil: at.AddDate(1, 0, 0),
		Payload: json.RawMessage(`{"reference":"TX-1"}`),
	}
	envs := []schema.Envelope{env}
	_ = envs[0].Stamp("bank-north-01", schema.StageCollection, at)
	_ = sealer("bank-north-01").SealHops("bank-north-01", envs)
	_ = envs[0].Stamp("central-bank", schema.StageProcessing, at.Add(time.Minute))
	_ = sealer("central-bank").SealHops("central-bank", envs)
	fmt.Println(submit.VerifyChain(dir, &envs[0]))

	altered := envs[0]
	altered.Provenance = append([]schema.Hop(nil), altered.Provenance...)
	altered.Provenance[0].At = at.Add(-time.Hour)
	var he *submit.HopError
	if errors.As(submit.VerifyChain(dir, &altered), &he) {
		fmt.Println(he.Hop, he.Org, he.Check)
	}
	// Output:
	// <nil>
	// 0 bank-north-01 inclusion
}
