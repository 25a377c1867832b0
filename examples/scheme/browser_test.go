package main

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromium finds a headless Chromium, or skips: .ci/run installs
// Debian's.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium: install Debian's chromium to render the report")
	return ""
}

// TestReportRenders opens the report of a small run in headless
// Chromium: the page's own DOM as the browser built it holds the graph,
// the three plots of each round and no raw Go value, and a screenshot
// (report.png in the test's artifact folder: go test -artifacts keeps it)
// is not blank.
func TestReportRenders(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole scheme and a browser")
	}
	browser := chromium(t)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"-records", "1000", "-seed", "3", "-out", out}, &stdout, &stderr), "stderr: %s", stderr.String())
	page := "file://" + filepath.Join(out, "report.html")
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--hide-scrollbars", "--window-size=1300,2600"}

	dom, err := exec.Command(browser, append(flags, "--dump-dom", page)...).Output()
	require.NoError(t, err)
	for _, want := range []string{"Interactions that happened", "Records per second arriving at each hub",
		"Latency from collection to a specialized department", "Yield by source", `class="edge"`, `marker-end="url(#arrow2)"`} {
		assert.Contains(t, string(dom), want)
	}
	assert.NotContains(t, string(dom), "map[", "no raw Go value on the page")
	assert.Equal(t, 2, bytes.Count(dom, []byte("Records per second arriving at each hub</title>")), "one rate plot per round")

	// go test -artifacts keeps it (under -outputdir); otherwise it is removed.
	shot := filepath.Join(t.ArtifactDir(), "report.png")
	run := exec.Command(browser, append(flags, "--screenshot="+shot, page)...)
	msg, err := run.CombinedOutput()
	require.NoError(t, err, "%s", msg)
	f, err := os.Open(shot)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, image.Pt(1300, 2600), img.Bounds().Size())
	// Not blank: a good share of the graph's area is drawn on.
	inked, all := 0, 0
	for y := 150; y < 600; y += 3 {
		for x := 20; x < 1100; x += 3 {
			r, g, b, _ := img.At(x, y).RGBA()
			all++
			if r < 0xe000 || g < 0xe000 || b < 0xe000 {
				inked++
			}
		}
	}
	assert.Greater(t, inked*100/all, 3, "the interaction graph drew almost nothing")
	t.Logf("screenshot: %s", shot)
}
