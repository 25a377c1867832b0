// Command hazmat is a hazardous-substance seller's integration with the
// scheme: it collects its precursor and hazmat sales, processes them
// (normalize, drop repeated exports, assess) and submits them to the
// industry & IT ministry through a rate-limited client with a durable
// outbox, which validates each as it stamps it. A sale the seller found suspicious (an indicator) or
// of dangerous goods to a private buyer is reported; routine
// business sales of other substances are not.
//
//	go run ./examples/hazmat [-hub URL -requirement ID] [-records N] [-seed S] [-data DIR]
//
// Without -hub it starts the ministry's hub in-process on loopback.
package main

import (
	"context"

	"github.com/sicollab/sicollab/examples/internal/sector"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// seller reports the sales it found suspicious and those of dangerous
// goods to private buyers.
var seller = sector.Force{
	Org:       "hazmat-seller-north-01",
	Kinds:     []string{schema.KindCommerceHazmat},
	Rules:     []stage.Rule{stage.IndicatorRule(0.7), stage.RuleFunc(privatePrecursor)},
	Threshold: 0.5,
}

var run = seller.Main

func main() { sector.Exit(run) }

// privatePrecursor scores a sale of dangerous goods (an oxidiser, a
// flammable: an ADR class) to a private buyer: the sale the precursor
// regulation asks sellers to watch.
func privatePrecursor(_ context.Context, env schema.Envelope) (float64, string, error) {
	var p schema.HazmatPurchase
	if err := env.DecodePayload(&p); err != nil {
		return 0, "", err
	}
	if p.BuyerType == schema.HazmatBuyerPrivate && p.Item.DGClass != "" {
		return 0.6, "dangerous goods sold to a private buyer", nil
	}
	return 0, "", nil
}
