package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sicollab/sicollab/examples/internal/sector/sectortest"
)

func TestCentralBankListsEscalatesAndRelays(t *testing.T) {
	out, s := sectortest.Run(t, run, "-org", "central-bank", "-records", "600")
	assert.Equal(t, 600, s["received"], "every record its banks collected reached the hub:\n%s", out)
	assert.Equal(t, s["received"]-s["dropped"], s["relayed"], out)
	assert.Equal(t, s["relayed"], s["held"], "public security holds what was relayed")
	assert.Zero(t, s["rejected"])
	assert.Positive(t, s["realtime"], "real-time products:\n%s", out)
	assert.Positive(t, s["daily"], "daily products")
	assert.Positive(t, s["escalated"], "escalations (interaction 5)")
	assert.Positive(t, s["handled"], "cases handled here")
	assert.Contains(t, out, "collab.escalation")
}

func TestMinistryFlags(t *testing.T) {
	assert.Equal(t, 2, run([]string{"-org", "public-security"}, &nopWriter{}, &nopWriter{}))
}

type nopWriter struct{}

func (*nopWriter) Write(p []byte) (int, error) { return len(p), nil }
