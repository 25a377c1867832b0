package main

import (
	"context"
	"strconv"
	"strings"

	"github.com/sicollab/sicollab/examples/internal/sector"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// Large-cash reporting: deposits at or above the threshold are reported
// by another channel; those just under it are what structuring looks like.
const (
	cashThreshold = 50_000
	cashBand      = 5_000
	remittanceMin = 10_000
)

// bank reports the fund flows worth reporting: what its monitoring
// already flagged, cash deposits just under the large-cash threshold,
// large remittances abroad.
var bank = sector.Force{
	Org:   "bank-north-01",
	Kinds: []string{schema.KindFinanceTransaction},
	Rules: []stage.Rule{
		stage.IndicatorRule(0.6),
		stage.RuleFunc(nearThreshold),
		stage.RuleFunc(largeRemittance),
	},
	Threshold: 0.3,
}

var run = bank.Main

func main() { sector.Exit(run) }

// nearThreshold scores cash deposits just under the reporting threshold.
func nearThreshold(_ context.Context, env schema.Envelope) (float64, string, error) {
	tx, err := transaction(env)
	if err != nil || tx.Type != schema.FinanceTxCashDeposit {
		return 0, "", err
	}
	if a := yuan(tx.Amount); a >= cashThreshold-cashBand && a < cashThreshold {
		return 0.5, "cash deposit just under the reporting threshold", nil
	}
	return 0, "", nil
}

// largeRemittance scores remittances abroad of at least remittanceMin.
func largeRemittance(_ context.Context, env schema.Envelope) (float64, string, error) {
	tx, err := transaction(env)
	if err != nil || tx.Type != schema.FinanceTxRemittance {
		return 0, "", err
	}
	if yuan(tx.Amount) >= remittanceMin {
		return 0.4, "large remittance", nil
	}
	return 0, "", nil
}

func transaction(env schema.Envelope) (schema.FinanceTransaction, error) {
	var tx schema.FinanceTransaction
	return tx, env.DecodePayload(&tx)
}

// yuan is the whole part of a CNY amount; other currencies count as 0.
func yuan(m schema.Money) int {
	whole, _, _ := strings.Cut(m.Amount, ".")
	n, err := strconv.Atoi(whole)
	if err != nil || m.Currency != "CNY" {
		return 0
	}
	return n
}
