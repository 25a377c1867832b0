package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit/submittest"
)

const scheme = "../../internal/demoscheme/scheme.json"

// requirementLine is one collab.requirement envelope from the leading
// group, for the hub's purposes file.
func requirementLine(t *testing.T, status schema.RequirementStatus, now time.Time) (string, []byte) {
	t.Helper()
	req := schema.Requirement{
		ID: schema.NewID(), Type: schema.RequirementEarlyWarning, Title: "Corridor watch", Description: "Report corridor transactions.",
		Issuer: "leading-group", IssuedAt: now, Priority: schema.PriorityHigh, LegalBasis: "Synthetic Counter-Terrorism Act, art. 43",
		Status: status, Scope: schema.Scope{Kinds: []string{schema.KindFinanceTransaction},
			Sectors: []string{"finance"}, Regions: []string{"CN-BJ"}, Window: schema.Window{From: now.Add(-time.Hour), To: now.AddDate(0, 1, 0)}},
	}
	env := schema.Envelope{
		ID: schema.NewID(), Kind: schema.KindRequirement, SchemaVersion: 1, Source: "leading-group",
		CollectedAt: now, Purpose: schema.Purpose{RequirementID: req.ID},
		LegalBasis: "Synthetic Counter-Terrorism Act, art. 43", Handling: schema.HandlingAmber, RetainUntil: now.AddDate(1, 0, 0),
	}
	require.NoError(t, env.SetPayload(req))
	b, err := json.Marshal(env)
	require.NoError(t, err)
	return req.ID, append(b, '\n')
}

func build(t *testing.T, dir, pkg, name string) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	bin := filepath.Join(dir, name)
	out, err := exec.Command(gobin, "build", "-o", bin, pkg).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// TestFirstHour is docs/integrating.md's first hour as a test: a live
// examples/hub given its purposes by its operator, and the partner
// program submitting its first record; then every refusal the partner can
// provoke, each an error it sees.
func TestFirstHour(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	tmp := t.TempDir()
	hubBin := build(t, tmp, "../hub", "hub")
	partnerBin := build(t, tmp, ".", "partner")

	now := time.Now().UTC().Truncate(time.Second)
	active, line1 := requirementLine(t, schema.RequirementActive, now)
	closed, line2 := requirementLine(t, schema.RequirementClosed, now)
	purposes := filepath.Join(tmp, "purposes.ndjson")
	require.NoError(t, os.WriteFile(purposes, append(line1, line2...), 0o600))

	hub := exec.Command(hubBin, "-listen", "127.0.0.1:0", "-directory", scheme, "-data", filepath.Join(tmp, "data"),
		"-org", "central-bank", "-purposes", purposes)
	stdout, err := hub.StdoutPipe()
	require.NoError(t, err)
	hubErr := &syncBuffer{}
	hub.Stderr = hubErr
	require.NoError(t, hub.Start())
	t.Cleanup(func() { hub.Process.Kill(); hub.Wait() })
	lines := bufio.NewScanner(stdout)
	require.True(t, lines.Scan(), "the hub printed no address")
	addr, ok := strings.CutPrefix(lines.Text(), "listening on ")
	require.True(t, ok, lines.Text())

	token := filepath.Join(tmp, "token")
	require.NoError(t, os.WriteFile(token, []byte(submittest.Token("bank-north-01")+"\n"), 0o600))
	badToken := filepath.Join(tmp, "bad-token")
	require.NoError(t, os.WriteFile(badToken, []byte("not-the-token\n"), 0o600))
	payload := "../../schema/testdata/finance.transaction/v1/valid/card_payment_merchant.json"
	lodging := "../../schema/testdata/services.lodging/v1/valid/" + firstJSON(t, "../../schema/testdata/services.lodging/v1/valid")
	broken := filepath.Join(tmp, "broken.json")
	require.NoError(t, os.WriteFile(broken, []byte(`{"amount": 12}`), 0o600))

	for i, tc := range []struct {
		name       string
		args       []string
		code       int
		out, stErr string
	}{
		{"first record accepted", []string{"-requirement", active}, 0, "accepted record", ""},
		{"a purpose the hub does not know", []string{"-requirement", schema.NewID()}, 1, "", "reason purpose_unknown"},
		{"a closed purpose", []string{"-requirement", closed}, 1, "", "reason purpose_inactive"},
		{"a kind the directory does not grant", []string{"-requirement", active, "-kind", schema.KindServicesLodging, "-payload", lodging}, 1, "", "reason kind_not_allowed"},
		{"a token the hub refuses", []string{"-requirement", active, "-token-file", badToken}, 1, "", "refused the client's credentials"},
		{"a payload that breaks its schema", []string{"-requirement", active, "-payload", broken}, 1, "", "refused before sending"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-hub", "http://" + addr, "-org", "bank-north-01", "-token-file", token,
				"-payload", payload, "-legal-basis", "Synthetic Anti-Money Laundering Act, art. 12",
				"-outbox", filepath.Join(tmp, "outbox"+string(rune('a'+i))+".db"), "-timeout", "30s"}, tc.args...)
			cmd := exec.Command(partnerBin, args...)
			var out, errOut strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.code, code, "stdout: %s\nstderr: %s\nhub: %s", out.String(), errOut.String(), hubErr.String())
			assert.Contains(t, out.String(), tc.out)
			assert.Contains(t, errOut.String(), tc.stErr)
		})
	}
}

func firstJSON(t *testing.T, dir string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, m)
	return filepath.Base(m[0])
}

// syncBuffer collects the hub's stderr for failure messages; the hub
// writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
