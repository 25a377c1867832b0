package sectortest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/examples/internal/sector"
)

// Program is a program's run function.
type Program func(args []string, stdout, stderr io.Writer) int

// Summary is the program's last line, "summary: key=value ...".
type Summary map[string]int

// Run runs a program with args and returns its output and its summary.
func Run(t *testing.T, run Program, args ...string) (string, Summary) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"-data", t.TempDir()}, args...), &stdout, &stderr)
	require.Equal(t, 0, code, "stderr: %s\nstdout: %s", stderr.String(), stdout.String())
	out := stdout.String()
	s, err := ParseSummary(out)
	require.NoError(t, err, out)
	return out, s
}

// ParseSummary reads the last "summary: key=value ..." line of a
// program's output.
func ParseSummary(out string) (Summary, error) {
	i := strings.LastIndex(out, "summary: ")
	if i < 0 {
		return nil, errors.New("sectortest: no summary line in the output: did the program finish?")
	}
	line, _, _ := strings.Cut(out[i+len("summary: "):], "\n")
	s := Summary{}
	for _, kv := range strings.Fields(line) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("sectortest: summary field %q is not key=value", kv)
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("sectortest: summary field %q: %w", kv, err)
		}
		s[k] = n
	}
	return s, nil
}

// RunForce runs a social force's program standalone with records
// records and checks that what it collected, minus what its processing
// dropped, was submitted, accepted by the hub and is held there.
func RunForce(t *testing.T, run Program, records int) (string, Summary) {
	t.Helper()
	out, s := Run(t, run, "-records", strconv.Itoa(records))
	assert.GreaterOrEqual(t, s["collected"], records, "every record, and the repeated exports")
	assert.Positive(t, s["dropped"], "the repeated exports at least:\n%s", out)
	assert.Positive(t, s["submitted"])
	assert.Equal(t, s["collected"]-s["dropped"], s["submitted"], out)
	assert.Equal(t, s["submitted"], s["accepted"], "every record submitted accepted:\n%s", out)
	assert.Zero(t, s["rejected"])
	assert.Equal(t, s["accepted"], s["held"], "the hub holds what it accepted:\n%s", out)
	return out, s
}

// RunAgainstHub starts the hub of dept in the test, announces a
// requirement to it, runs the program with -hub and -requirement, and
// checks that the hub holds what the program says it accepted.
func RunAgainstHub(t *testing.T, run Program, dept string, records int) Summary {
	t.Helper()
	ctx := context.Background()
	s := sector.NewScheme(t.TempDir(), 1e5)
	t.Cleanup(func() { s.Close(context.Background()) })
	hub, err := s.StartHub(dept, nil)
	require.NoError(t, err)
	req, err := sector.Requirement(s.Dir, time.Now())
	require.NoError(t, err)
	require.NoError(t, s.Announce(ctx, req, dept))
	_, sum := Run(t, run, "-hub", hub.URL, "-requirement", req.ID, "-records", strconv.Itoa(records))
	assert.Positive(t, sum["accepted"])
	assert.Equal(t, sum["submitted"], sum["accepted"])
	held, err := hub.Held(ctx)
	require.NoError(t, err)
	n := 0
	for k, v := range held {
		if !strings.HasPrefix(k, "collab.") {
			n += v
		}
	}
	assert.Equal(t, sum["accepted"], n)
	return sum
}
