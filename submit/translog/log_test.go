package translog

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sicollab/sicollab/internal/boltdb"
)

// Every appended leaf has an inclusion proof tlog.CheckRecord accepts, at
// every size from its own to the latest, and every checkpoint is proven a
// prefix of every later one by tlog.CheckTree; after a reopen too.
func TestEveryLeafProvenAndCheckpointsConsistent(t *testing.T) {
	cfg := testConfig(t, "log.db")
	l := openTest(t, cfg)
	ctx := t.Context()
	var cps []Checkpoint
	var first []int64
	n := 0
	for _, k := range []int{1, 2, 5, 1, 60, 200, 3, 1} { // crosses a tile boundary (256)
		a := appendN(t, l, n, k)
		require.Equal(t, int64(n), a.First)
		n += k
		require.Equal(t, int64(n), a.Checkpoint.Size)
		parsed, err := ParseCheckpoint(a.Checkpoint.Note, cfg.VerifierKey)
		require.NoError(t, err)
		require.Equal(t, a.Checkpoint.Hash, parsed.Hash)
		cps = append(cps, a.Checkpoint)
		first = append(first, a.First)
	}
	check := func(l *Log) {
		for ci, cp := range cps {
			for i := first[ci]; i < cp.Size; i++ {
				leaf, err := l.Leaf(ctx, i)
				require.NoError(t, err)
				p, err := l.ProveInclusion(ctx, i, cp.Size)
				require.NoError(t, err)
				require.NoError(t, tlog.CheckRecord(p, cp.Size, cp.Hash, i, tlog.RecordHash(leaf)), "leaf %d at size %d", i, cp.Size)
				_, err = DecodeLeaf(leaf)
				require.NoError(t, err)
			}
			for _, later := range cps[ci:] {
				p, err := l.ProveConsistency(ctx, cp.Size, later.Size)
				require.NoError(t, err)
				require.NoError(t, tlog.CheckTree(p, later.Size, later.Hash, cp.Size, cp.Hash), "%d -> %d", cp.Size, later.Size)
			}
			h, err := l.TreeHash(ctx, cp.Size)
			require.NoError(t, err)
			require.Equal(t, cp.Hash, h)
		}
		require.NoError(t, l.Verify(ctx))
	}
	check(l)
	require.NoError(t, l.Close())

	l2 := openTest(t, cfg)
	require.Equal(t, cps[len(cps)-1].Size, l2.Checkpoint().Size)
	check(l2)

	// A wrong leaf does not pass with a genuine proof.
	p, err := l2.ProveInclusion(ctx, 3, int64(n))
	require.NoError(t, err)
	other, _ := mixedLeaf(4).Encode()
	last := l2.Checkpoint()
	require.ErrorIs(t, CheckInclusion(other, 3, p, last), ErrBadProof)
}

func TestRangesAndClosed(t *testing.T) {
	l := openTest(t, testConfig(t, "log.db"))
	ctx := t.Context()
	_, err := l.ProveInclusion(ctx, 0, 1)
	require.ErrorIs(t, err, ErrRange, "empty log")
	appendN(t, l, 0, 4)
	for _, c := range [][2]int64{{4, 4}, {0, 5}, {-1, 3}, {2, 2}} {
		_, err := l.ProveInclusion(ctx, c[0], c[1])
		require.ErrorIs(t, err, ErrRange, "%v", c)
	}
	for _, c := range [][2]int64{{0, 4}, {3, 2}, {1, 5}} {
		_, err := l.ProveConsistency(ctx, c[0], c[1])
		require.ErrorIs(t, err, ErrRange, "%v", c)
	}
	_, err = l.Leaf(ctx, 4)
	require.ErrorIs(t, err, ErrRange)
	_, err = l.TreeHash(ctx, 5)
	require.ErrorIs(t, err, ErrRange)

	// A bad leaf appends nothing.
	bad := mixedLeaf(9)
	bad.Read.Reader = ""
	_, err = l.Append(ctx, mixedLeaf(4), bad)
	require.ErrorIs(t, err, ErrBadLeaf)
	require.ErrorContains(t, err, "/read/reader")
	require.Equal(t, int64(4), l.Checkpoint().Size)

	require.NoError(t, l.Close())
	_, err = l.Append(ctx, mixedLeaf(4))
	require.ErrorIs(t, err, ErrClosed)
	_, err = l.ProveInclusion(ctx, 0, 1)
	require.ErrorIs(t, err, ErrClosed)
}

func TestConfigValidate(t *testing.T) {
	s, v := testKeys()
	_, v2, err := GenerateKey("other.test/log")
	require.NoError(t, err)
	err = Config{}.Validate()
	require.ErrorContains(t, err, "Config.Path")
	require.ErrorContains(t, err, "Config.SignerKey")
	require.ErrorContains(t, err, "Config.VerifierKey")
	err = Config{Path: "x", SignerKey: s, VerifierKey: v2, LockTimeout: -1}.Validate()
	require.ErrorContains(t, err, "does not match Config.SignerKey")
	require.ErrorContains(t, err, "Config.LockTimeout")
	require.NoError(t, Config{Path: "x", SignerKey: s, VerifierKey: v}.Validate())
	_, err = Open(Config{Path: "x", SignerKey: s, VerifierKey: v2})
	require.Error(t, err)
}

// A checkpoint signed by another key is refused, by ParseCheckpoint and by
// a log opened over a file whose checkpoint another key signed.
func TestUnknownKeyRefused(t *testing.T) {
	cfg := testConfig(t, "log.db")
	l := openTest(t, cfg)
	a := appendN(t, l, 0, 3)
	require.NoError(t, l.Close())

	s2, v2, err := GenerateKey("hub.test/log") // same name, another key
	require.NoError(t, err)
	_, err = ParseCheckpoint(a.Checkpoint.Note, v2)
	require.ErrorIs(t, err, ErrUnknownKey)

	forged, err := signCheckpoint(Checkpoint{Origin: "hub.test/log", Size: 3, Hash: a.Checkpoint.Hash}, mustSigner(t, s2))
	require.NoError(t, err)
	_, err = ParseCheckpoint(forged.Note, cfg.VerifierKey)
	require.ErrorIs(t, err, ErrUnknownKey)

	// A flipped bit in the signature is a bad checkpoint, not an unknown key.
	bad := append([]byte(nil), a.Checkpoint.Note...)
	bad[len(bad)-3] ^= 1
	_, err = ParseCheckpoint(bad, cfg.VerifierKey)
	require.Error(t, err)
	require.True(t, errors.Is(err, ErrBadCheckpoint) || errors.Is(err, ErrUnknownKey), "%v", err)

	// The log refuses its own file once another key's checkpoint is in it.
	cfg2 := cfg
	cfg2.SignerKey, cfg2.VerifierKey = s2, v2
	_, err = Open(cfg2)
	require.ErrorIs(t, err, ErrTampered)
	require.ErrorIs(t, err, ErrUnknownKey)
}

// A log file held by another open is refused, saying so.
func TestSecondOpenRefused(t *testing.T) {
	cfg := testConfig(t, "log.db")
	openTest(t, cfg)
	cfg.LockTimeout = 20 * time.Millisecond
	_, err := Open(cfg)
	require.ErrorIs(t, err, boltdb.ErrLocked)
}
