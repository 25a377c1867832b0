package translog

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLeafEncodingIsCanonicalAndStable(t *testing.T) {
	for i := range 5 {
		l := mixedLeaf(i)
		b, err := l.Encode()
		require.NoError(t, err)
		got, err := DecodeLeaf(b)
		require.NoError(t, err)
		again, err := got.Encode()
		require.NoError(t, err)
		require.Equal(t, b, again)
	}
	// The encoding is fixed: this is the leaf's bytes (and so its hash)
	// for ever; a change here breaks every proof already issued.
	b, err := Leaf{V: 1, Type: LeafRead, At: testAt, Read: &ReadLeaf{Reader: "psb", Query: "kind=x", Count: 2}}.Encode()
	require.NoError(t, err)
	require.Equal(t, `{"at":"2026-12-01T10:00:00Z","read":{"count":2,"query":"kind=x","reader":"psb"},"type":"read","v":1}`, string(b))

	for name, in := range map[string]string{
		"spaces":         `{"at": "2026-12-01T10:00:00Z","read":{"count":2,"query":"kind=x","reader":"psb"},"type":"read","v":1}`,
		"order":          `{"read":{"count":2,"query":"kind=x","reader":"psb"},"at":"2026-12-01T10:00:00Z","type":"read","v":1}`,
		"unknown member": `{"at":"2026-12-01T10:00:00Z","read":{"count":2,"query":"kind=x","reader":"psb"},"type":"read","v":1,"x":1}`,
		"not utc":        `{"at":"2026-12-01T11:00:00+01:00","read":{"count":2,"query":"kind=x","reader":"psb"},"type":"read","v":1}`,
		"trailing":       `{"at":"2026-12-01T10:00:00Z","read":{"count":2,"query":"kind=x","reader":"psb"},"type":"read","v":1} {}`,
		"two bodies":     `{"at":"2026-12-01T10:00:00Z","purge":{"before":"2026-12-01T10:00:00Z","count":0,"ids_digest":"` + DigestIDs(nil) + `","operator":"o","store":"s"},"read":{"count":2,"query":"kind=x","reader":"psb"},"type":"read","v":1}`,
		"wrong version":  `{"at":"2026-12-01T10:00:00Z","read":{"count":2,"query":"kind=x","reader":"psb"},"type":"read","v":2}`,
		"not json":       `read`,
	} {
		_, err := DecodeLeaf([]byte(in))
		require.ErrorIs(t, err, ErrBadLeaf, name)
	}
}

func TestLeafValidateNamesFields(t *testing.T) {
	cases := map[string]struct {
		leaf Leaf
		ptrs []string
	}{
		"empty":      {Leaf{}, []string{"/v", "/at", "/type"}},
		"no body":    {Leaf{V: 1, Type: LeafBatch, At: testAt}, []string{"/batch"}},
		"bad batch":  {Leaf{V: 1, Type: LeafBatch, At: testAt, Batch: &BatchLeaf{Records: []RecordDigest{{Digest: "md5:x"}}}}, []string{"/batch/submitter", "/batch/idempotency_key", "/batch/submission_id", "/batch/receipt_digest", "/batch/records/0/id", "/batch/records/0/digest"}},
		"nil recs":   {Leaf{V: 1, Type: LeafBatch, At: testAt, Batch: &BatchLeaf{Submitter: "a", IdempotencyKey: "k", SubmissionID: "s", ReceiptDigest: hexDigest(1)}}, []string{"/batch/records"}},
		"journal":    {Leaf{V: 1, Type: LeafJournal, At: testAt, Journal: &JournalLeaf{Interaction: 6}}, []string{"/journal/seq", "/journal/kind", "/journal/org", "/journal/interaction", "/journal/entry_digest"}},
		"directory":  {Leaf{V: 1, Type: LeafDirectory, At: testAt, Directory: &DirectoryLeaf{}}, []string{"/directory/version", "/directory/signer", "/directory/digest"}},
		"purge":      {Leaf{V: 1, Type: LeafPurge, At: testAt, Purge: &PurgeLeaf{Count: -1, Before: testAt.In(time.FixedZone("x", 3600))}}, []string{"/purge/store", "/purge/operator", "/purge/before", "/purge/count", "/purge/ids_digest"}},
		"read":       {Leaf{V: 1, Type: LeafRead, At: testAt, Read: &ReadLeaf{Count: -1}}, []string{"/read/reader", "/read/query", "/read/count"}},
		"local time": {Leaf{V: 1, Type: LeafRead, At: testAt.Local().In(time.FixedZone("y", 7200)), Read: &ReadLeaf{Reader: "a", Query: "q"}}, []string{"/at"}},
	}
	for name, c := range cases {
		err := c.leaf.Validate()
		require.ErrorIs(t, err, ErrBadLeaf, name)
		for _, p := range c.ptrs {
			require.True(t, strings.Contains(err.Error(), p+":"), "%s: %v lacks %s", name, err, p)
		}
	}
	big := batchLeaf(0, 20000)
	_, err := big.Encode()
	require.ErrorIs(t, err, ErrBadLeaf)
	require.ErrorContains(t, err, "MaxLeafBytes")
}
