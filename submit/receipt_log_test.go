package submit

import (
	"encoding/json"
	"maps"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit/translog"
)

// logFixture starts a hub that keeps a transparency log, and serves the
// log's endpoints on a loopback server of their own.
func logFixture(t testing.TB) (*fixture, *translog.Log, string, *translog.Client) {
	return logFixtureIn(t, false)
}

// logFixtureIn is logFixture; with inLedger set, the store and the log
// are in the ledger's file (Ledger.Store, Ledger.OpenLog).
func logFixtureIn(t testing.TB, inLedger bool) (*fixture, *translog.Log, string, *translog.Client) {
	skey, vkey, err := translog.GenerateKey("hub.test/log")
	require.NoError(t, err)
	var lg *translog.Log
	f := newFixture(t, func(f *fixture, c *HandlerConfig) {
		cfg := translog.Config{Path: filepath.Join(f.data, "log.db"), SignerKey: skey, VerifierKey: vkey}
		if inLedger {
			oneFile(f, c)
			lg, err = f.ledger.OpenLog(cfg)
		} else {
			lg, err = translog.Open(cfg)
		}
		require.NoError(t, err)
		t.Cleanup(func() { lg.Close() })
		c.Log = lg
	})
	srv := httptest.NewServer(lg.Handler())
	t.Cleanup(srv.Close)
	lc, err := translog.NewClient(srv.URL, srv.Client())
	require.NoError(t, err)
	return f, lg, vkey, lc
}

// Every accepted batch's receipt carries its leaf and an inclusion proof
// that tlog.CheckRecord accepts against the receipt's signed checkpoint;
// successive checkpoints pass tlog.CheckTree; VerifyReceipt accepts each
// receipt (and its replay) and refuses an edited one.
func TestReceiptsCarryInclusionProofs(t *testing.T) {
	for _, inLedger := range []bool{false, true} {
		t.Run(map[bool]string{false: "log-file", true: "in-ledger"}[inLedger], func(t *testing.T) {
			receiptsCarryInclusionProofs(t, inLedger)
		})
	}
}

func receiptsCarryInclusionProofs(t *testing.T, inLedger bool) {
	f, lg, vkey, lc := logFixtureIn(t, inLedger)
	if inLedger {
		require.True(t, f.h.logInLedger())
	}
	ctx := t.Context()
	v, err := translog.NewVerifier(translog.VerifierConfig{VerifierKey: vkey, Prover: lc, StatePath: filepath.Join(t.TempDir(), "state")})
	require.NoError(t, err)

	var prev *translog.Checkpoint
	var last Receipt
	var lastBody []byte
	var lastKey string
	var lastSent map[string]string
	for i := range 6 {
		var lines [][]byte
		sent := map[string]string{}
		for range 3 + i {
			l, id := f.validLine(testBank)
			var env schema.Envelope
			require.NoError(t, json.Unmarshal(l, &env))
			d, err := schema.PayloadDigest(env.Payload)
			require.NoError(t, err)
			sent[id] = d
			lines = append(lines, l)
		}
		lines = append(lines, []byte(`{"id":"not a record"}`)) // rejected: not in the leaf
		key := newID(t)
		r := f.send(post{body: ndjson(lines...), key: key})
		rc := r.receipt(t)
		require.Equal(t, 3+i, rc.Counts.Accepted)
		require.NotNil(t, rc.Log, "receipt %d has its log part", i)

		cp, err := translog.ParseCheckpoint([]byte(rc.Log.Checkpoint), vkey)
		require.NoError(t, err)
		require.Equal(t, rc.Log.Size, cp.Size)
		leaf, err := ReceiptLeaf(rc, sent)
		require.NoError(t, err)
		require.NoError(t, tlog.CheckRecord(rc.Log.Proof, cp.Size, cp.Hash, rc.Log.Index, tlog.RecordHash(leaf)))
		if prev != nil {
			p, err := lc.Consistency(ctx, prev.Size, cp.Size)
			require.NoError(t, err)
			require.NoError(t, tlog.CheckTree(p, cp.Size, cp.Hash, prev.Size, prev.Hash))
		}
		prev = &cp
		require.NoError(t, VerifyReceipt(ctx, rc, v, sent))
		served, err := lg.Leaf(ctx, rc.Log.Index)
		require.NoError(t, err)
		require.Equal(t, leaf, served, "the log serves the leaf the sender rebuilt")
		last, lastBody, lastKey, lastSent = rc, ndjson(lines...), key, sent
	}

	// A replay answers the same receipt, which still verifies.
	again := f.send(post{body: lastBody, key: lastKey}).receipt(t)
	require.Equal(t, last, again)
	require.NoError(t, VerifyReceipt(ctx, again, v, lastSent))
	size := lg.Checkpoint().Size

	// A receipt edited after the hub signed for it, or digests other than
	// those logged, fail the proof; a missing part is ErrReceiptLog.
	var anyID string
	for id := range lastSent {
		anyID = id
	}
	edits := map[string]struct {
		edit func(rc *Receipt, sent map[string]string)
		want error
	}{
		"counts":         {func(rc *Receipt, _ map[string]string) { rc.Counts.Accepted-- }, translog.ErrBadProof},
		"result":         {func(rc *Receipt, _ map[string]string) { rc.Results[0].Status = StatusDuplicate }, translog.ErrBadProof},
		"org":            {func(rc *Receipt, _ map[string]string) { rc.Org = "bank-south-01" }, translog.ErrBadProof},
		"time":           {func(rc *Receipt, _ map[string]string) { rc.ReceivedAt = rc.ReceivedAt.Add(1) }, translog.ErrBadProof},
		"index":          {func(rc *Receipt, _ map[string]string) { rc.Log.Index-- }, translog.ErrBadProof},
		"digest":         {func(_ *Receipt, sent map[string]string) { sent[anyID] = translog.Digest([]byte("other")) }, translog.ErrBadProof},
		"missing digest": {func(_ *Receipt, sent map[string]string) { delete(sent, anyID) }, ErrReceiptLog},
		"no log":         {func(rc *Receipt, _ map[string]string) { rc.Log = nil }, ErrReceiptLog},
		"other key":      {func(rc *Receipt, _ map[string]string) { rc.Log.Checkpoint = otherKeyCheckpoint(t, rc.Log.Size) }, translog.ErrUnknownKey},
	}
	for name, c := range edits {
		var rc Receipt
		raw, _ := json.Marshal(last)
		require.NoError(t, json.Unmarshal(raw, &rc))
		sent := maps.Clone(lastSent)
		c.edit(&rc, sent)
		require.ErrorIs(t, VerifyReceipt(ctx, rc, v, sent), c.want, name)
	}

	// Nothing valid: 422, and no leaf.
	r := f.send(post{body: ndjson([]byte(`{"id":"x"}`))})
	require.Equal(t, 422, r.status)
	require.Equal(t, size, lg.Checkpoint().Size)
	require.NoError(t, lg.Verify(ctx))
}

// otherKeyCheckpoint signs a checkpoint of size n with a key the hub does
// not have.
func otherKeyCheckpoint(t *testing.T, n int64) string {
	skey, vkey, err := translog.GenerateKey("hub.test/log")
	require.NoError(t, err)
	lg, err := translog.Open(translog.Config{Path: filepath.Join(t.TempDir(), "other.db"), SignerKey: skey, VerifierKey: vkey})
	require.NoError(t, err)
	defer lg.Close()
	leaves := make([]translog.Leaf, n)
	for i := range leaves {
		leaves[i] = translog.Leaf{V: 1, Type: translog.LeafRead, At: testNow.UTC(), Read: &translog.ReadLeaf{Reader: "x", Query: "q"}}
	}
	a, err := lg.Append(t.Context(), leaves...)
	require.NoError(t, err)
	return string(a.Checkpoint.Note)
}

// Without a log, receipts have no log member.
func TestReceiptWithoutLog(t *testing.T) {
	f := newFixture(t, nil)
	l, _ := f.validLine(testBank)
	r := f.send(post{body: ndjson(l)})
	require.Equal(t, 200, r.status)
	require.NotContains(t, string(r.body), `"log"`)
	require.Nil(t, r.receipt(t).Log)
}

// When the ledger's commit turned an accepted record into a duplicate
// (accepted meanwhile through another key), the leaf logged ahead no
// longer matches the receipt: attachLog logs the receipt as given.
func TestAttachLogRelogsAChangedReceipt(t *testing.T) {
	f, lg, vkey, lc := logFixture(t)
	ctx := t.Context()
	env := f.envelope(testBank, schema.KindFinanceTransaction)
	env2 := f.envelope(testBank, schema.KindFinanceTransaction)
	b := &inBatch{
		results: []RecordResult{{Line: 1, ID: env.ID, Status: StatusAccepted}, {Line: 2, ID: env2.ID, Status: StatusAccepted}},
		envs:    []*schema.Envelope{&env, &env2},
	}
	before := lg.Checkpoint().Size
	pre, err := f.h.startLog(ctx, b, testBank, newID(t), ContentDigest(nil), newID(t), testNow)()
	require.NoError(t, err)
	require.NotNil(t, pre.proof)
	require.Equal(t, before+1, lg.Checkpoint().Size)

	rc := &Receipt{SubmissionID: "s", IdempotencyKey: "k", Org: testBank, ReceivedAt: testNow.UTC(), BodyDigest: ContentDigest(nil),
		Results: []RecordResult{b.results[0], {Line: 2, ID: env2.ID, Status: StatusDuplicate}}}
	rc.Counts.add(StatusAccepted)
	rc.Counts.add(StatusDuplicate)
	require.NoError(t, f.h.attachLog(ctx, rc, pre))
	require.Equal(t, before+2, lg.Checkpoint().Size, "a second leaf, for the receipt given")
	require.NotEqual(t, pre.proof.Index, rc.Log.Index)

	d, err := schema.PayloadDigest(env.Payload)
	require.NoError(t, err)
	v, err := translog.NewVerifier(translog.VerifierConfig{VerifierKey: vkey, Prover: lc})
	require.NoError(t, err)
	require.NoError(t, VerifyReceipt(ctx, *rc, v, map[string]string{env.ID: d}))
}
