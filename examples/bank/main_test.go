package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sicollab/sicollab/examples/internal/sector/sectortest"
)

func TestBankStandalone(t *testing.T) {
	out, s := sectortest.RunForce(t, run, 400)
	assert.Contains(t, out, "low_value", "the bank submits only what its rules find worth reporting")
	assert.Less(t, s["submitted"], s["collected"]/2, out)
}

func TestBankAgainstAHub(t *testing.T) {
	sectortest.RunAgainstHub(t, run, "central-bank", 200)
}
