package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
)

// buildHub builds the program into a temporary folder, or skips the test
// (-short, or no go command).
func buildHub(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	bin := filepath.Join(t.TempDir(), "hub")
	out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// hubProc is a running hub binary: the address it printed and what it
// logged. The test's cleanup kills it unless stop ended it.
type hubProc struct {
	cmd    *exec.Cmd
	addr   string
	stderr *syncBuffer
	done   chan error
	exited bool
}

// startHub runs bin with args and waits for its "listening on" line.
func startHub(t testing.TB, bin string, args ...string) *hubProc {
	return startHubEnv(t, bin, nil, args...)
}

// startHubEnv is startHub with env added to the environment.
func startHubEnv(t testing.TB, bin string, env []string, args ...string) *hubProc {
	t.Helper()
	p := &hubProc{cmd: exec.Command(bin, args...), stderr: &syncBuffer{}, done: make(chan error, 1)}
	if env != nil {
		p.cmd.Env = append(os.Environ(), env...)
	}
	stdout, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	p.cmd.Stderr = p.stderr
	require.NoError(t, p.cmd.Start())
	t.Cleanup(func() {
		if !p.exited {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	lines := bufio.NewScanner(stdout)
	go func() { p.done <- p.cmd.Wait() }()
	require.True(t, lines.Scan(), "no address printed; stderr: %s", p.stderr.String())
	addr, ok := strings.CutPrefix(lines.Text(), "listening on ")
	require.True(t, ok, lines.Text())
	p.addr = addr
	return p
}

// signal sends sig to the hub.
func (p *hubProc) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(sig))
}

// stop ends the hub with SIGTERM and requires a clean shutdown.
func (p *hubProc) stop(t testing.TB) {
	t.Helper()
	p.signal(t, syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.exited = true
		require.NoError(t, err, "stderr: %s", p.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("hub did not stop; stderr: %s", p.stderr.String())
	}
	require.Contains(t, p.stderr.String(), "hub stopped cleanly")
}

// corridorRequirement is the leading group's requirement id covering fund
// flows of the finance sector in CN-BJ, active from an hour before now.
func corridorRequirement(id string, now time.Time) schema.Requirement {
	return schema.Requirement{
		ID: id, Type: schema.RequirementEarlyWarning, Title: "Corridor watch", Description: "Report corridor transactions.",
		Issuer: "leading-group", IssuedAt: now, Priority: schema.PriorityHigh, LegalBasis: "Synthetic Counter-Terrorism Act, art. 43",
		Status: schema.RequirementActive, Scope: schema.Scope{Kinds: []string{schema.KindFinanceTransaction},
			Sectors: []string{"finance"}, Regions: []string{"CN-BJ"}, Window: schema.Window{From: now.Add(-time.Hour), To: now.AddDate(0, 1, 0)}},
	}
}
