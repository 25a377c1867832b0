package main

import (
	"github.com/sicollab/sicollab/examples/internal/sector"
	"github.com/sicollab/sicollab/schema"
)

// hospital reports every outbreak report: they are few, and each matters.
var hospital = sector.Force{
	Org:   "hospital-north-01",
	Kinds: []string{schema.KindHealthInfectious},
}

var run = hospital.Main

func main() { sector.Exit(run) }
