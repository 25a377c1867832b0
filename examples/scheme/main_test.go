package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSchemeFindsEveryPlantedPattern runs the whole scheme at a small size
// and checks the summary: every planted pattern found in both rounds, the
// report written, every stage of the cycle visible.
func TestSchemeFindsEveryPlantedPattern(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole scheme")
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"-records", "2000", "-seed", "7", "-out", out}, &stdout, &stderr)
	require.Equal(t, 0, code, "stderr: %s\nstdout: %s", stderr.String(), stdout.String())
	text := stdout.String()
	for _, want := range []string{"planning:", "round 1:", "round 2:", "feedback:", "public security analysing",
		"expert from central-bank: assigned", "escalations:", "journal (entries by kind):", "yield by source", "latency from collection"} {
		assert.Contains(t, text, want)
	}
	assert.Equal(t, 8, strings.Count(text, "recall 1.00"), "4 patterns x 2 rounds, all found:\n%s", text)

	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	require.NoError(t, err)
	var rep report
	require.NoError(t, json.Unmarshal(raw, &rep))
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
	for _, i := range []int{1, 2, 3, 5} {
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
