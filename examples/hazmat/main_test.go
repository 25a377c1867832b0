package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sicollab/sicollab/examples/internal/sector/sectortest"
)

func TestHazmatSellerReportsWhatItShould(t *testing.T) {
	out, s := sectortest.RunForce(t, run, 300)
	assert.Contains(t, out, "hub miit holds")
	assert.Contains(t, out, "commerce.hazmat_purchase")
	assert.Contains(t, out, "low_value", "routine sales are not reported")
	assert.Less(t, s["submitted"], 300)
}
