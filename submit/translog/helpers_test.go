package translog

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
)

var testAt = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// One fixed key pair for the package's tests, so that the committed fuzz
// seeds carry checkpoints it signed.
var testKeys = sync.OnceValues(func() (string, string) {
	s, v, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)), "hub.test/log")
	if err != nil {
		panic(err)
	}
	return s, v
})

func testConfig(t testing.TB, name string) Config {
	s, v := testKeys()
	return Config{Path: filepath.Join(t.TempDir(), name), SignerKey: s, VerifierKey: v}
}

func openTest(t testing.TB, cfg Config) *Log {
	t.Helper()
	l, err := Open(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}

func hexDigest(n int) string { return Digest(fmt.Appendf(nil, "payload %d", n)) }

// batchLeaf makes a synthetic accepted batch of records records.
func batchLeaf(n, records int) Leaf {
	rs := make([]RecordDigest, records)
	for i := range rs {
		rs[i] = RecordDigest{ID: fmt.Sprintf("0193a000-0000-7000-8000-%012d", n*1000+i), Digest: hexDigest(n*1000 + i)}
	}
	return Leaf{V: LeafVersion, Type: LeafBatch, At: testAt.Add(time.Duration(n) * time.Second), Batch: &BatchLeaf{
		Submitter: "bank-a", IdempotencyKey: fmt.Sprintf("0193a000-0000-7000-9000-%012d", n),
		SubmissionID: fmt.Sprintf("0193a000-0000-7000-a000-%012d", n), Records: rs, ReceiptDigest: hexDigest(-n - 1),
	}}
}

// mixedLeaf cycles through every leaf type.
func mixedLeaf(n int) Leaf {
	at := testAt.Add(time.Duration(n) * time.Second)
	switch n % 5 {
	case 0:
		return batchLeaf(n, 3)
	case 1:
		return Leaf{V: LeafVersion, Type: LeafJournal, At: at, Journal: &JournalLeaf{Seq: uint64(n), Kind: "collab.task", Interaction: 1, Org: "lg", Counterpart: "psb", Ref: "t-1", EntryDigest: hexDigest(n)}}
	case 2:
		return Leaf{V: LeafVersion, Type: LeafDirectory, At: at, Directory: &DirectoryLeaf{Version: n, Signer: "lg", Digest: hexDigest(n)}}
	case 3:
		return Leaf{V: LeafVersion, Type: LeafPurge, At: at, Purge: &PurgeLeaf{Store: "store", Before: testAt, Operator: "hub-ops", Count: 2, IDsDigest: DigestIDs([]string{"a", "b"})}}
	default:
		return Leaf{V: LeafVersion, Type: LeafRead, At: at, Read: &ReadLeaf{Reader: "psb", Query: "kind=finance.transaction", Count: n}}
	}
}

func appendN(t testing.TB, l *Log, from, n int) Appended {
	t.Helper()
	leaves := make([]Leaf, n)
	for i := range leaves {
		leaves[i] = mixedLeaf(from + i)
	}
	a, err := l.Append(t.Context(), leaves...)
	require.NoError(t, err)
	return a
}

func mustSigner(t testing.TB, skey string) note.Signer {
	t.Helper()
	s, err := note.NewSigner(skey)
	require.NoError(t, err)
	return s
}
