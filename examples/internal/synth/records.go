package synth

import (
	"math"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// The background builders: one per kind, each making a plausible record
// at event time t. They keep the background clear of the planted patterns
// by the rules of doc.go; the planted records are made in patterns.go.

// ----- finance.transaction -----

var financeIndicators = []schema.FinanceIndicator{
	schema.FinanceIndicatorRapidMovement, schema.FinanceIndicatorHighRiskJurisdiction,
	schema.FinanceIndicatorUnusualForProfile, schema.FinanceIndicatorThirdPartyCash,
	schema.FinanceIndicatorRoundAmounts, schema.FinanceIndicatorFunnelAccount,
	schema.FinanceIndicatorDormantReactivated, schema.FinanceIndicatorUnclearPurpose,
}

var financeReasons = map[schema.FinanceIndicator]string{
	schema.FinanceIndicatorRapidMovement:        "Funds credited and moved on within the hour.",
	schema.FinanceIndicatorHighRiskJurisdiction: "Counterparty in a jurisdiction on the institution's high-risk list.",
	schema.FinanceIndicatorUnusualForProfile:    "Amount far above the customer's usual activity.",
	schema.FinanceIndicatorThirdPartyCash:       "Cash paid in by a person other than the account holder.",
	schema.FinanceIndicatorRoundAmounts:         "Series of round amounts without a stated purpose.",
	schema.FinanceIndicatorFunnelAccount:        "Many small credits from unrelated payers, withdrawn at once.",
	schema.FinanceIndicatorDormantReactivated:   "Account dormant for over a year, reactivated with a large credit.",
	schema.FinanceIndicatorUnclearPurpose:       "Customer could not explain the purpose of the payment.",
}

// The structuring rule's band: cash deposits in CNY from
// StructuringFloor (inclusive) to StructuringThreshold (exclusive).
const (
	structuringFloorFen     = StructuringFloor * 100
	structuringThresholdFen = StructuringThreshold * 100
)

func (s *stream) finance(t time.Time) schema.Envelope {
	src := s.pick(schema.KindFinanceTransaction)
	if src.acct < 0 {
		return s.donation(t, src)
	}
	// A customer of the institution.
	var p person
	var acct schema.Subject
	for try := 0; ; try++ {
		p = s.person()
		if a, ok := s.g.pop.accountAt(&p, src.acct); ok || try == 16 {
			acct = a
			if !ok {
				acct, _ = s.g.pop.account(&p, 0)
			}
			break
		}
	}
	holder := s.g.pop.subject(&p, docID(&p))
	own := &schema.FinanceAccount{Account: acct, Holder: &holder, Institution: src.ID, BIC: src.traits.bic, Country: "CN"}
	tx := schema.FinanceTransaction{
		Reference:  src.ref + "-" + dateRef(t) + "-" + s.digits(6),
		ExecutedAt: t,
	}
	var fen int64
	roll := s.r.IntN(100)
	if src.traits.payments {
		roll = roll / 2 // transfers and card payments only
	}
	switch {
	case roll < 30:
		tx.Type = schema.FinanceTxTransfer
		tx.Channel = pickOf(s, schema.FinanceChannelOnline, schema.FinanceChannelMobile, schema.FinanceChannelMobile, schema.FinanceChannelBranch)
		tx.Originator = own
		tx.Beneficiary = s.otherAccount()
		fen = s.logAmount(100, 50000) * 100
	case roll < 50:
		tx.Type = schema.FinanceTxCardPayment
		tx.Channel = pickOf(s, schema.FinanceChannelPOS, schema.FinanceChannelPOS, schema.FinanceChannelOnline, schema.FinanceChannelMobile)
		tx.Originator = own
		m := merchants[s.r.IntN(len(merchants))]
		tx.Counterparty = &schema.FinanceCounterparty{Role: schema.FinanceRoleMerchant, Name: m.name, MCC: m.mcc, Country: "CN"}
		fen = int64(s.between(m.amt[0]*100, m.amt[1]*100))
	case roll < 65:
		tx.Type = schema.FinanceTxCashDeposit
		tx.Channel = pickOf(s, schema.FinanceChannelBranch, schema.FinanceChannelATM)
		tx.Beneficiary = own
		if s.chance(0.7) {
			tx.Counterparty = &schema.FinanceCounterparty{Role: schema.FinanceRoleConductor, Subject: &holder, Country: "CN"}
		}
		tx.Place = s.branch(src, p.home)
		fen = s.cashDeposit(p.idx, t)
	case roll < 77:
		tx.Type = schema.FinanceTxCashWithdrawal
		tx.Channel = pickOf(s, schema.FinanceChannelATM, schema.FinanceChannelATM, schema.FinanceChannelBranch)
		tx.Originator = own
		tx.Place = s.branch(src, p.home)
		fen = int64(s.between(1, 200)) * 10000
	case roll < 85:
		tx.Type = schema.FinanceTxRemittance
		tx.Channel = pickOf(s, schema.FinanceChannelOnline, schema.FinanceChannelBranch, schema.FinanceChannelAgent)
		tx.Originator = own
		q := s.person()
		payee := s.g.pop.subject(&q, idPassport)
		d := destinations[s.r.IntN(len(destinations))]
		tx.Counterparty = &schema.FinanceCounterparty{Role: schema.FinanceRolePayee, Subject: &payee, Country: d.country}
		fen = s.logAmount(500, 60000) * 100
	case roll < 92:
		tx.Type = schema.FinanceTxCurrencyExchange
		tx.Channel = schema.FinanceChannelBranch
		tx.Originator = own
		tx.Place = s.branch(src, p.home)
		fen = int64(s.between(10, 300)) * 10000
	default:
		tx.Type = schema.FinanceTxCheque
		tx.Channel = schema.FinanceChannelBranch
		tx.Originator = own
		tx.Beneficiary = s.otherAccount()
		fen = s.logAmount(1000, 150000) * 100
	}
	tx.Amount = schema.Money{Amount: yuan(fen), Currency: "CNY"}
	if s.chance(0.06) {
		ind := financeIndicators[s.r.IntN(len(financeIndicators))]
		tx.Indicators = []schema.FinanceIndicator{ind}
		tx.Reason = financeReasons[ind]
	}
	return s.envelope(schema.KindFinanceTransaction, src, t, &tx)
}

// donation is a non-profit's record of a donation received or a grant paid.
func (s *stream) donation(t time.Time, src *org) schema.Envelope {
	p := s.person()
	acct, inst := s.g.pop.account(&p, s.r.IntN(maxAccounts))
	holder := s.g.pop.subject(&p, docID(&p))
	person := &schema.FinanceAccount{Account: acct, Holder: &holder, Institution: inst, Country: "CN"}
	own := &schema.FinanceAccount{Account: src.account, Country: "CN"}
	tx := schema.FinanceTransaction{
		Reference:  src.ref + "-" + dateRef(t) + "-" + s.digits(5),
		ExecutedAt: t,
		Type:       schema.FinanceTxTransfer,
		Channel:    pickOf(s, schema.FinanceChannelOnline, schema.FinanceChannelMobile),
	}
	var fen int64
	if s.chance(0.8) {
		tx.Originator, tx.Beneficiary = person, own
		fen = s.logAmount(20, 5000) * 100
	} else {
		tx.Originator, tx.Beneficiary = own, person
		fen = s.logAmount(1000, 50000) * 100
	}
	if s.chance(0.05) {
		tx.Indicators = []schema.FinanceIndicator{pickOf(s, schema.FinanceIndicatorNonprofitDiversion, schema.FinanceIndicatorCrowdfunding)}
		tx.Reason = "Donation pattern unusual for the association's programmes."
	}
	tx.Amount = schema.Money{Amount: yuan(fen), Currency: "CNY"}
	return s.envelope(schema.KindFinanceTransaction, src, t, &tx)
}

// cashDeposit draws the amount of a background cash deposit of person idx
// at t, in fen. At most two of any person's deposits fall in the
// structuring band within StructuringWindow; others fall below it, or far
// above the threshold (declared large cash).
func (s *stream) cashDeposit(idx int, t time.Time) int64 {
	switch r := s.r.Float64(); {
	case r < 0.03 && s.free:
		return int64(s.between(StructuringFloor/10, StructuringThreshold/10-1)) * 1000
	case r < 0.03:
		last, seen := s.band[idx]
		now := t.Unix()
		win := int64(StructuringWindow / time.Second)
		n := 0
		for _, x := range last {
			if seen && x != 0 && now-x < win {
				n++
			}
		}
		if n < maxBackgroundBand {
			s.band[idx] = [2]int64{last[1], now}
			return int64(s.between(StructuringFloor/10, StructuringThreshold/10-1)) * 1000
		}
	case r < 0.07:
		return int64(s.between(StructuringThreshold/100, 2000)) * 10000
	}
	return s.logAmount(100, StructuringFloor*8/10) * 100
}

// logAmount returns a whole amount between lo and hi, log-uniform, rounded
// to look like what people pay.
func (s *stream) logAmount(lo, hi int) int64 {
	v := int64(float64(lo) * math.Exp(s.r.Float64()*math.Log(float64(hi)/float64(lo))))
	switch {
	case v >= 10000:
		v -= v % 100
	case v >= 1000:
		v -= v % 10
	}
	return min(max(v, int64(lo)), int64(hi))
}

// otherAccount is a random person's account, at their institution.
func (s *stream) otherAccount() *schema.FinanceAccount {
	q := s.person()
	acct, inst := s.g.pop.account(&q, s.r.IntN(maxAccounts))
	return &schema.FinanceAccount{Account: acct, Institution: inst, Country: "CN"}
}

// branch is a branch of src in city i.
func (s *stream) branch(src *org, i int) *schema.Place {
	c := cities[i]
	return &schema.Place{Country: "CN", Region: c.region, Locode: c.locode,
		Name: src.Name + ", " + c.name + " branch " + pad(uint64(1+s.r.IntN(40)), 2)}
}

// pickOf returns one of xs at random.
func pickOf[T any](s *stream, xs ...T) T {
	return xs[s.r.IntN(len(xs))]
}

// earliest returns the earlier of a and b.
func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
