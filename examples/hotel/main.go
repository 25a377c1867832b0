package main

import (
	"github.com/sicollab/sicollab/examples/internal/sector"
	"github.com/sicollab/sicollab/schema"
)

// hotel reports every registration: the law asks for all of them, guests
// travel as keyed pseudonyms, so nothing is held back or judged here.
var hotel = sector.Force{
	Org:   "hotel-north-01",
	Kinds: []string{schema.KindServicesLodging},
}

var run = hotel.Main

func main() { sector.Exit(run) }
