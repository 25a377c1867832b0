package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sicollab/sicollab/examples/internal/sector/sectortest"
)

func TestHospitalReportsToCustoms(t *testing.T) {
	out, s := sectortest.RunForce(t, run, 200)
	assert.Contains(t, out, "hub customs holds", "as the directory routes health.infectious_source")
	assert.Contains(t, out, "health.infectious_source")
	assert.Equal(t, 200, s["submitted"])
}
