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
