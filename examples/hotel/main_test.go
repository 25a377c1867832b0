package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sicollab/sicollab/examples/internal/sector/sectortest"
	"github.com/sicollab/sicollab/schema"
)

func TestHotelReportsStraightToPublicSecurity(t *testing.T) {
	out, s := sectortest.RunForce(t, run, 300)
	assert.Contains(t, out, "hub public-security holds", "no ministry in between")
	assert.Contains(t, out, "services.lodging")
	assert.Equal(t, 300, s["submitted"])
}

func TestHotelMayNotReportFundFlows(t *testing.T) {
	var stdout, stderr strings.Builder
	wrong := hotel
	wrong.Kinds = []string{schema.KindFinanceTransaction}
	assert.Equal(t, 1, wrong.Main([]string{"-data", t.TempDir()}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "may not submit", "the directory's answer, before anything is collected")
	assert.Empty(t, stdout.String())
}
