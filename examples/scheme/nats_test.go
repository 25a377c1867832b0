package main

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSchemeOverNATS runs the whole scheme with -nats: an embedded
// 3-node cluster on loopback, every hub's ledger and purposes in its
// buckets and its records in the stream. Every planted pattern is still
// found, and the stream holds records of every hub, as many in all as the
// hubs' lines add up to.
func TestSchemeOverNATS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole scheme over a cluster")
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"-nats", "-records", "1000", "-days", "21", "-seed", "7", "-out", t.TempDir()}, &stdout, &stderr)
	require.Equal(t, 0, code, "stderr: %s\nstdout: %s", stderr.String(), stdout.String())
	text := stdout.String()
	assert.Equal(t, 8, strings.Count(text, "recall 1.00"), "4 patterns x 2 rounds, all found:\n%s", text)
	total := regexp.MustCompile(`nats: a 3-node cluster on loopback held (\d+) records`).FindStringSubmatch(text)
	require.NotNil(t, total, text)
	lines := regexp.MustCompile(`(?m)^  (\S+)\s+(\d+) records\s+(\d+) ledger entries`).FindAllStringSubmatch(text, -1)
	require.Len(t, lines, 7, "one line per hub:\n%s", text)
	sum := 0
	for _, l := range lines {
		n, _ := strconv.Atoi(l[2])
		entries, _ := strconv.Atoi(l[3])
		assert.Positive(t, n, "hub %s kept no record in the stream", l[1])
		assert.GreaterOrEqual(t, entries, n, "hub %s: each accepted record has its ledger entry", l[1])
		sum += n
	}
	assert.Equal(t, total[1], strconv.Itoa(sum))
	assert.Nil(t, sharedHubs, "-nats leaves nothing set for the next run")
}
