package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sicollab/sicollab/examples/internal/sector/sectortest"
)

func TestPlatformReportsFlaggedAccounts(t *testing.T) {
	out, s := sectortest.RunForce(t, run, 300)
	assert.Contains(t, out, "hub miit holds")
	assert.Contains(t, out, "telecom.account_report")
	assert.Positive(t, s["submitted"])
}
