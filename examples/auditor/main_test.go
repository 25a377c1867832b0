package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/submit/translog"
)

var at = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// readLeaf is the n-th synthetic leaf: the same n gives the same bytes,
// so two logs fed the same n's hold the same tree.
func readLeaf(n int) translog.Leaf {
	return translog.Leaf{V: translog.LeafVersion, Type: translog.LeafRead, At: at.Add(time.Duration(n) * time.Second),
		Read: &translog.ReadLeaf{Reader: "psb", Query: fmt.Sprintf("kind=finance.transaction&page=%d", n), Count: n}}
}

type testLog struct {
	t    *testing.T
	l    *translog.Log
	skey string
	vkey string
}

func newLog(t *testing.T, skey, vkey string) *testLog {
	l, err := translog.Open(translog.Config{Path: filepath.Join(t.TempDir(), "log.db"), SignerKey: skey, VerifierKey: vkey})
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return &testLog{t: t, l: l, skey: skey, vkey: vkey}
}

func (tl *testLog) add(from, to int) *testLog {
	var ls []translog.Leaf
	for n := from; n < to; n++ {
		ls = append(ls, readLeaf(n))
	}
	_, err := tl.l.Append(tl.t.Context(), ls...)
	require.NoError(tl.t, err)
	return tl
}

// hub serves whichever log is current at a loopback address.
type hub struct {
	srv *httptest.Server
	cur atomic.Pointer[http.Handler]
}

func newHub(t *testing.T, l *testLog) *hub {
	h := &hub{}
	h.serve(l)
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.cur.Load()).ServeHTTP(w, r) }))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hub) serve(l *testLog) { hd := l.l.Handler(); h.cur.Store(&hd) }

func keys(t *testing.T, name string) (string, string) {
	s, v, err := translog.GenerateKey(name)
	require.NoError(t, err)
	return s, v
}

// scene is four hubs on loopback: one honest, one that will roll back,
// one that will show a second history of the same size, and one whose
// key the auditor does not know.
type scene struct {
	honest, rollback, split, stranger *hub
	honestLog, longLog, shortLog      *testLog
	splitB                            *testLog
	hubs                              []Hub
}

func newScene(t *testing.T) *scene {
	s := &scene{}
	hs, hv := keys(t, "honest.test/log")
	s.honestLog = newLog(t, hs, hv).add(0, 20)
	s.honest = newHub(t, s.honestLog)

	rs, rv := keys(t, "rollback.test/log")
	s.longLog = newLog(t, rs, rv).add(0, 10)
	s.shortLog = newLog(t, rs, rv).add(0, 5) // its own older state, same key
	s.rollback = newHub(t, s.longLog)

	ss, sv := keys(t, "split.test/log")
	splitA := newLog(t, ss, sv).add(0, 8)
	s.splitB = newLog(t, ss, sv).add(0, 4).add(100, 104) // same size, another history
	s.split = newHub(t, splitA)

	xs, xv := keys(t, "stranger.test/log")
	s.stranger = newHub(t, newLog(t, xs, xv).add(0, 3))
	_, other := keys(t, "stranger.test/log") // the key the auditor was given is not the one it signs with

	s.hubs = []Hub{{s.honest.srv.URL, hv}, {s.rollback.srv.URL, rv}, {s.split.srv.URL, sv}, {s.stranger.srv.URL, other}}
	return s
}

// then the world changes: the honest hub grows, the rollback hub goes
// back to its older file, the split hub shows its other history.
func (s *scene) change() {
	s.honestLog.add(20, 45)
	s.rollback.serve(s.shortLog)
	s.split.serve(s.splitB)
}

func requireEvidence(t *testing.T, r Report, key string, sizes ...int64) {
	t.Helper()
	require.NotNil(t, r.Evidence, "%+v", r)
	for i, note := range []string{r.Evidence.Before, r.Evidence.After} {
		cp, err := translog.ParseCheckpoint([]byte(note), key)
		require.NoError(t, err, "the evidence verifies with the hub's key")
		require.Equal(t, sizes[i], cp.Size)
	}
}

func TestAuditorCatchesForkAndRollback(t *testing.T) {
	s := newScene(t)
	a, err := New(Config{Hubs: s.hubs, StateDir: t.TempDir(), Sample: 5, Rand: rand.New(rand.NewPCG(1, 2))})
	require.NoError(t, err)

	first := a.Poll(t.Context())
	require.Equal(t, []Status{StatusOK, StatusOK, StatusOK, StatusBadKey}, statuses(first))
	require.Equal(t, 5, first[0].Sampled)
	require.Equal(t, int64(20), first[0].Size)

	s.change()
	second := a.Poll(t.Context())
	require.Equal(t, []Status{StatusOK, StatusRollback, StatusFork, StatusBadKey}, statuses(second), "%+v", second)
	require.Equal(t, int64(45), second[0].Size)
	requireEvidence(t, second[1], s.hubs[1].Key, 10, 5)
	requireEvidence(t, second[2], s.hubs[2].Key, 8, 8)
	require.NotEqual(t, second[2].Evidence.Before, second[2].Evidence.After)

	// A hub that is down is an error, not a finding.
	s.honest.srv.Close()
	third := a.Poll(t.Context())
	require.Equal(t, StatusError, third[0].Status)
}

func statuses(rs []Report) []Status {
	var out []Status
	for _, r := range rs {
		out = append(out, r.Status)
	}
	return out
}

// The command, run twice over the same state directory: the second run
// remembers what the first saw, and exits 3 with the findings.
func TestCommand(t *testing.T) {
	s := newScene(t)
	dir := t.TempDir()
	hubsFile := filepath.Join(dir, "hubs.txt")
	var b strings.Builder
	b.WriteString("# hubs the auditor watches\n\n")
	for _, h := range s.hubs[:3] {
		fmt.Fprintf(&b, "%s %s\n", h.URL, h.Key)
	}
	require.NoError(t, os.WriteFile(hubsFile, []byte(b.String()), 0o600))
	state := filepath.Join(dir, "state")
	args := []string{"-hubs", hubsFile, "-state", state, "-polls", "1", "-sample", "3", "-seed", "7"}

	var out, errOut bytes.Buffer
	require.Equal(t, 0, run(t.Context(), args, &out, &errOut), errOut.String())
	require.Equal(t, []Status{StatusOK, StatusOK, StatusOK}, decodeReports(t, out.Bytes()))

	s.change()
	out.Reset()
	require.Equal(t, 3, run(t.Context(), args, &out, &errOut), errOut.String())
	require.Equal(t, []Status{StatusOK, StatusRollback, StatusFork}, decodeReports(t, out.Bytes()))
}

func decodeReports(t *testing.T, b []byte) []Status {
	var out []Status
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var r Report
		require.NoError(t, json.Unmarshal(line, &r), "%s", line)
		out = append(out, r.Status)
	}
	return out
}

func TestUsage(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{nil, 2, "-hubs is required"},
		{[]string{"-hubs", "x"}, 2, "-state is required"},
		{[]string{"-hubs", "x", "-state", dir, "-polls", "-1"}, 2, "-polls"},
		{[]string{"-hubs", "x", "-state", dir, "-interval", "0s"}, 2, "-interval"},
		{[]string{"-hubs", "x", "-state", dir, "extra"}, 2, "unexpected arguments"},
		{[]string{"-hubs", filepath.Join(dir, "missing"), "-state", dir}, 1, "no such file"},
	} {
		var out, errOut bytes.Buffer
		require.Equal(t, c.code, run(t.Context(), c.args, &out, &errOut), "%v", c.args)
		require.Contains(t, errOut.String(), c.msg, "%v", c.args)
	}
	_, err := ParseHubs(strings.NewReader("http://x\n"))
	require.ErrorContains(t, err, "line 1")
	_, err = ParseHubs(strings.NewReader("# nothing\n"))
	require.ErrorContains(t, err, "no hub")
}
