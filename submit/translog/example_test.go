package translog_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sicollab/sicollab/submit/translog"
)

// A hub logs an accepted batch; the sender checks the inclusion proof
// against the signed checkpoint with a Verifier that remembers it.
func Example() {
	dir, _ := os.MkdirTemp("", "translog-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	skey, vkey, _ := translog.GenerateKey("hub.example/log")
	log, err := translog.Open(translog.Config{Path: filepath.Join(dir, "log.db"), SignerKey: skey, VerifierKey: vkey})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer log.Close()

	leaf := translog.Leaf{V: translog.LeafVersion, Type: translog.LeafBatch, At: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
		Batch: &translog.BatchLeaf{
			Submitter: "bank-a", IdempotencyKey: "0193a000-0000-7000-9000-000000000001", SubmissionID: "0193a000-0000-7000-a000-000000000001",
			Records:       []translog.RecordDigest{{ID: "0193a000-0000-7000-8000-000000000001", Digest: translog.Digest([]byte(`{"amount":"10.00"}`))}},
			ReceiptDigest: translog.Digest([]byte("the receipt")),
		}}
	a, _ := log.Append(ctx, leaf)
	proof, _ := log.ProveInclusion(ctx, a.First, a.Checkpoint.Size)

	v, _ := translog.NewVerifier(translog.VerifierConfig{VerifierKey: vkey, Prover: translog.LogProver{Log: log}})
	encoded, _ := leaf.Encode()
	cp, err := v.VerifyInclusion(ctx, encoded, translog.InclusionProof{
		Index: a.First, Size: a.Checkpoint.Size, Proof: proof, Checkpoint: string(a.Checkpoint.Note),
	})
	fmt.Println("leaf", a.First, "in tree of size", cp.Size, "verified:", err == nil)
	// Output: leaf 0 in tree of size 1 verified: true
}
