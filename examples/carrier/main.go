package main

import (
	"github.com/sicollab/sicollab/examples/internal/sector"
	"github.com/sicollab/sicollab/schema"
)

// carrier is a rail operator that carries both passengers and freight.
// Its manifests are reported whole (no rules): the carrier does not judge
// which trips matter; the transport ministry and the departments do.
var carrier = sector.Force{
	Org:   "rail-north-01",
	Kinds: []string{schema.KindTransportPassenger, schema.KindTransportFreight},
}

var run = carrier.Main

func main() { sector.Exit(run) }
