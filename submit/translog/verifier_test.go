package translog

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// snapshot copies the log's file as it is now (bbolt's online copy) and
// returns the copy's config: the same key, so a rolled-back hub signs as
// the genuine one does.
func snapshot(t *testing.T, l *Log, cfg Config, name string) Config {
	t.Helper()
	c := cfg
	c.Path = filepath.Join(t.TempDir(), name)
	require.NoError(t, l.db.View(func(tx *bolt.Tx) error { return tx.CopyFile(c.Path, 0o600) }))
	return c
}

// switchable serves whichever log handler is current, like a hub whose
// operator swapped the file under it.
type switchable struct{ h atomic.Pointer[http.Handler] }

func (s *switchable) set(h http.Handler)                               { s.h.Store(&h) }
func (s *switchable) ServeHTTP(w http.ResponseWriter, r *http.Request) { (*s.h.Load()).ServeHTTP(w, r) }

func serve(t *testing.T, h http.Handler) (*switchable, *Client) {
	sw := &switchable{}
	sw.set(h)
	srv := httptest.NewServer(sw)
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, srv.Client())
	require.NoError(t, err)
	return sw, c
}

func observe(t *testing.T, v *Verifier, c *Client) (Checkpoint, error) {
	t.Helper()
	msg, err := c.Checkpoint(t.Context())
	require.NoError(t, err)
	return v.Observe(t.Context(), msg)
}

// A log that goes back to an older file is a rollback, seen across a
// restart of the verifier; the evidence is both signed checkpoints.
func TestVerifierCatchesRollback(t *testing.T) {
	cfg := testConfig(t, "log.db")
	l := openTest(t, cfg)
	appendN(t, l, 0, 5)
	oldCfg := snapshot(t, l, cfg, "old.db")
	appendN(t, l, 5, 5)
	sw, c := serve(t, l.Handler())

	state := filepath.Join(t.TempDir(), "last-checkpoint")
	v, err := NewVerifier(VerifierConfig{VerifierKey: cfg.VerifierKey, Prover: c, StatePath: state})
	require.NoError(t, err)
	cp, err := observe(t, v, c)
	require.NoError(t, err)
	require.Equal(t, int64(10), cp.Size)

	old := openTest(t, oldCfg)
	sw.set(old.Handler())
	v2, err := NewVerifier(VerifierConfig{VerifierKey: cfg.VerifierKey, Prover: c, StatePath: state})
	require.NoError(t, err)
	last, ok := v2.Last()
	require.True(t, ok)
	require.Equal(t, int64(10), last.Size)
	_, err = observe(t, v2, c)
	require.ErrorIs(t, err, ErrRollback)
	var rb *RollbackError
	require.True(t, errors.As(err, &rb))
	require.Equal(t, int64(10), rb.Last.Size)
	require.Equal(t, int64(5), rb.Got.Size)
	for _, ev := range [][]byte{rb.Last.Note, rb.Got.Note} {
		_, err := ParseCheckpoint(ev, cfg.VerifierKey)
		require.NoError(t, err, "the evidence verifies with the log's key")
	}
	// The verifier still holds the larger checkpoint.
	last, _ = v2.Last()
	require.Equal(t, int64(10), last.Size)
}

// Two histories under one key: the same size with two roots, and a larger
// tree that does not extend the one seen, are forks.
func TestVerifierCatchesFork(t *testing.T) {
	cfg := testConfig(t, "a.db")
	a := openTest(t, cfg)
	appendN(t, a, 0, 6)
	cfgB := cfg
	cfgB.Path = filepath.Join(t.TempDir(), "b.db")
	b := openTest(t, cfgB)
	appendN(t, b, 0, 3)
	appendN(t, b, 100, 3) // same size as a, other leaves from the fourth on

	sw, c := serve(t, a.Handler())
	v, err := NewVerifier(VerifierConfig{VerifierKey: cfg.VerifierKey, Prover: c})
	require.NoError(t, err)
	_, err = observe(t, v, c)
	require.NoError(t, err)

	sw.set(b.Handler())
	_, err = observe(t, v, c)
	var fk *ForkError
	require.ErrorAs(t, err, &fk)
	require.ErrorIs(t, err, ErrFork)
	require.Equal(t, fk.Old.Size, fk.New.Size)
	require.NotEqual(t, fk.Old.Hash, fk.New.Hash)

	appendN(t, b, 200, 4) // larger, still not an extension of a
	_, err = observe(t, v, c)
	require.ErrorAs(t, err, &fk)
	require.Contains(t, fk.Reason, "consistency proof fails")

	// The genuine log grows: accepted.
	appendN(t, a, 6, 4)
	sw.set(a.Handler())
	cp, err := observe(t, v, c)
	require.NoError(t, err)
	require.Equal(t, int64(10), cp.Size)
}

func TestVerifierRefusesUnknownKeyAndBadState(t *testing.T) {
	cfg := testConfig(t, "log.db")
	l := openTest(t, cfg)
	appendN(t, l, 0, 2)
	_, v2, err := GenerateKey("hub.test/log")
	require.NoError(t, err)
	v, err := NewVerifier(VerifierConfig{VerifierKey: v2, Prover: LogProver{l}})
	require.NoError(t, err)
	_, err = v.Observe(t.Context(), l.Checkpoint().Note)
	require.ErrorIs(t, err, ErrUnknownKey)
	_, ok := v.Last()
	require.False(t, ok)

	err = VerifierConfig{}.Validate()
	require.ErrorContains(t, err, "VerifierConfig.VerifierKey")
	require.ErrorContains(t, err, "VerifierConfig.Prover")

	// A state file signed by another key is refused, not silently replaced.
	state := filepath.Join(t.TempDir(), "state")
	good, err := NewVerifier(VerifierConfig{VerifierKey: cfg.VerifierKey, Prover: LogProver{l}, StatePath: state})
	require.NoError(t, err)
	_, err = good.Observe(t.Context(), l.Checkpoint().Note)
	require.NoError(t, err)
	_, err = NewVerifier(VerifierConfig{VerifierKey: v2, Prover: LogProver{l}, StatePath: state})
	require.ErrorIs(t, err, ErrUnknownKey)
}

// Proofs issued before a purge still verify after it: the purge is a leaf
// of its own, the leaves it follows are unchanged, an old receipt's proof
// (with its old checkpoint) passes a verifier that has seen the newer
// tree, and the purged records' leaf can still be proven at the new size.
func TestProofsSurvivePurge(t *testing.T) {
	cfg := testConfig(t, "log.db")
	l := openTest(t, cfg)
	ctx := t.Context()
	var issued []InclusionProof
	var leaves [][]byte
	for i := range 4 {
		a, err := l.Append(ctx, batchLeaf(i, 5))
		require.NoError(t, err)
		p, err := l.ProveInclusion(ctx, a.First, a.Checkpoint.Size)
		require.NoError(t, err)
		issued = append(issued, InclusionProof{Index: a.First, Size: a.Checkpoint.Size, Proof: p, Checkpoint: string(a.Checkpoint.Note)})
		b, err := l.Leaf(ctx, a.First)
		require.NoError(t, err)
		leaves = append(leaves, b)
	}
	v, err := NewVerifier(VerifierConfig{VerifierKey: cfg.VerifierKey, Prover: LogProver{l}})
	require.NoError(t, err)

	// The hub purges the records of the first two batches from its store
	// and logs that it did.
	var ids []string
	for _, b := range leaves[:2] {
		lf, err := DecodeLeaf(b)
		require.NoError(t, err)
		for _, r := range lf.Batch.Records {
			ids = append(ids, r.ID)
		}
	}
	pa, err := l.Append(ctx, Leaf{V: LeafVersion, Type: LeafPurge, At: testAt.Add(time.Hour), Purge: &PurgeLeaf{
		Store: "store", Before: testAt.Add(2 * time.Second), Operator: "hub-ops", Count: len(ids), IDsDigest: DigestIDs(ids),
	}})
	require.NoError(t, err)
	_, err = v.Observe(ctx, pa.Checkpoint.Note)
	require.NoError(t, err)

	for i, p := range issued {
		_, err := v.VerifyInclusion(ctx, leaves[i], p)
		require.NoError(t, err, "proof %d issued before the purge", i)
		now, err := l.Leaf(ctx, p.Index)
		require.NoError(t, err)
		require.Equal(t, leaves[i], now, "the leaf is unchanged")
		np, err := l.ProveInclusion(ctx, p.Index, pa.Checkpoint.Size)
		require.NoError(t, err)
		require.NoError(t, CheckInclusion(leaves[i], p.Index, np, pa.Checkpoint))
	}
	require.NoError(t, l.Verify(ctx))
}
