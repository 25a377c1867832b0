package main

import (
	"context"

	"github.com/sicollab/sicollab/examples/internal/sector"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// platform reports every flagged account whose content concerns
// terrorism, and every marketplace sale with a suspicion indicator;
// moderation of other content and ordinary sales stay with the platform.
var platform = sector.Force{
	Org:       "platform-east-01",
	Kinds:     []string{schema.KindTelecomAccountReport, schema.KindCommerceHazmat},
	Rules:     []stage.Rule{stage.IndicatorRule(0.5), stage.RuleFunc(terroristContent)},
	Threshold: 0.5,
}

var run = platform.Main

func main() { sector.Exit(run) }

// terroristContent scores a flagged account by what it was flagged for.
func terroristContent(_ context.Context, env schema.Envelope) (float64, string, error) {
	if env.Kind != schema.KindTelecomAccountReport {
		return 0, "", nil
	}
	var r schema.AccountReport
	if err := env.DecodePayload(&r); err != nil {
		return 0, "", err
	}
	if r.Category == schema.AccountOtherCategory {
		return 0, "", nil
	}
	return 0.9, "flagged for " + string(r.Category), nil
}
