package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sicollab/sicollab/examples/internal/sector"
	"github.com/sicollab/sicollab/examples/internal/sector/sectortest"
)

func TestCarrierReportsManifestsWhole(t *testing.T) {
	out, s := sectortest.RunForce(t, run, 300)
	assert.Contains(t, out, "hub transport-ministry holds")
	assert.Contains(t, out, "transport.passenger")
	assert.Contains(t, out, "transport.freight")
	assert.Equal(t, 300/sector.RepeatEvery, s["dropped"], "only the repeated exports are dropped")
	assert.Equal(t, 300, s["submitted"])
}
