package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// schemeRun is one run of the whole scheme at a small size, shared by the
// tests that read its summary, report and journal.
type schemeRun struct {
	out    string // the -out folder
	stdout string
	rep    report
}

var (
	sharedOnce sync.Once
	shared     schemeRun
	sharedErr  string
)

// TestMain removes the shared run's folder after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if shared.out != "" {
		os.RemoveAll(shared.out)
	}
	os.Exit(code)
}

// runScheme runs the scheme once per test binary (-records 2000 -seed 7)
// and returns the run; a test that needs it skips in -short mode.
func runScheme(t *testing.T) schemeRun {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the whole scheme")
	}
	sharedOnce.Do(func() {
		out, err := os.MkdirTemp("", "sicollab-scheme-test-")
		if err != nil {
			sharedErr = err.Error()
			return
		}
		shared.out = out
		var stdout, stderr bytes.Buffer
		if code := run([]string{"-records", "2000", "-seed", "7", "-out", out}, &stdout, &stderr); code != 0 {
			sharedErr = fmt.Sprintf("exit %d\nstderr: %s\nstdout: %s", code, stderr.String(), stdout.String())
			return
		}
		shared.stdout = stdout.String()
		raw, err := os.ReadFile(filepath.Join(out, "report.json"))
		if err == nil {
			err = json.Unmarshal(raw, &shared.rep)
		}
		if err != nil {
			sharedErr = err.Error()
		}
	})
	require.Empty(t, sharedErr, "the scheme run failed")
	return shared
}

// TestSchemeFindsEveryPlantedPattern runs the whole scheme at a small size
// and checks the summary: every planted pattern found in both rounds, the
// report written, every stage of the cycle visible.
func TestSchemeFindsEveryPlantedPattern(t *testing.T) {
	r := runScheme(t)
	out, text, rep := r.out, r.stdout, r.rep
	for _, want := range []string{"planning:", "round 1:", "round 2:", "feedback:", "public security analysing",
		"expert from central-bank (secondment): assigned", "escalations:", "journal (entries by kind):", "yield by source", "latency from collection"} {
		assert.Contains(t, text, want)
	}
	assert.Equal(t, 8, strings.Count(text, "recall 1.00"), "4 patterns x 2 rounds, all found:\n%s", text)
	require.Len(t, rep.Rounds, 2)
	for _, r := range rep.Rounds {
		for _, s := range r.Scores {
			assert.Equal(t, 1.0, s.Recall, "round %d %s", r.Round, s.Pattern)
			assert.GreaterOrEqual(t, s.Precision, 0.9, "round %d %s", r.Round, s.Pattern)
		}
	}
	interactions := map[int]bool{}
	for _, e := range rep.Edges {
		interactions[e.Interaction] = true
	}
	for _, i := range []int{1, 2, 3, 4, 5} {
		assert.True(t, interactions[i], "interaction %d happened", i)
	}
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	require.NoError(t, err)
	assert.Contains(t, string(html), "<svg")
	for _, ref := range []string{`src="http`, `href="http`, `url(http`, "<script"} {
		assert.NotContains(t, string(html), ref, "self-contained: loads nothing")
	}
}

func TestSchemeFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 2, run([]string{"-records", "10"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "-records must be at least 1000")
	assert.Equal(t, 2, run([]string{"-nope"}, &stdout, &stderr))
}
