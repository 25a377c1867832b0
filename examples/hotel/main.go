// Command hotel is a hotel chain's integration with the scheme: it
// collects its guests' real-name registrations, processes them
// (normalize, drop repeated exports) and submits them through a
// rate-limited client with a durable outbox, which validates each as it
// stamps it. Hotels have no supervising
// ministry in the scheme: the directory routes lodging straight to public
// security, whose hub this program starts in-process without -hub.
//
//	go run ./examples/hotel [-hub URL -requirement ID] [-records N] [-seed S] [-data DIR]
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
