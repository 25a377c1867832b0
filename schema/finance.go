package schema

import "time"

func init() {
	register(KindFinanceTransaction, 1, FinanceTransaction{})
}

// FinanceTransaction is one fund flow (finance.transaction v1), as goAML
// and FinCEN SAR report it: what moved, when, through which channel, from
// which account to which, and why the institution finds it suspicious.
type FinanceTransaction struct {
	// Reference is the institution's own transaction reference; ExecutedAt,
	// Amount, Type and Channel say when, how much and how.
	Reference string `json:"reference"`
	// When the transaction was executed (booked, or authorized for card
	// payments).
	ExecutedAt time.Time `json:"executed_at"`
	// The amount moved, in the currency it moved in.
	Amount Money `json:"amount"`
	// What kind of fund flow it is.
	Type FinanceTxType `json:"type"`
	// Through which channel the transaction was initiated.
	Channel FinanceChannel `json:"channel"`

	// Originator is the account debited, Beneficiary the account credited.
	// The schema requires both for transfers, Originator for card payments
	// and cash withdrawals, Beneficiary for cash deposits.
	Originator *FinanceAccount `json:"originator,omitempty"`
	// The account credited. Required for transfers and cash deposits; absent
	// when cash was paid out.
	Beneficiary *FinanceAccount `json:"beneficiary,omitempty"`

	// Counterparty is a party other than an account (merchant, conductor of
	// a cash transaction, payer or payee of a cash remittance); Place is
	// where the transaction was conducted.
	Counterparty *FinanceCounterparty `json:"counterparty,omitempty"`
	// Where the transaction was conducted: the branch, ATM, agent or point of
	// sale; for online and mobile, the country the session came from when
	// known.
	Place *Place `json:"place,omitempty"`

	// Indicators (a closed list) and Reason (free text) say why the
	// transaction is reported.
	Indicators []FinanceIndicator `json:"indicators,omitempty"`
	// Why the institution reports the transaction, in its analyst's words
	// (goAML reason).
	Reason string `json:"reason,omitempty"`
}

// FinanceAccount is an account at a bank, payment institution or
// crypto-asset service provider, or a self-hosted wallet.
type FinanceAccount struct {
	// Account is the pseudonymized account number, IBAN, card PAN or wallet
	// address (id_type account). Holder is the natural person holding it,
	// when known.
	Account Subject `json:"account"`
	// The natural person holding the account, pseudonymized from their
	// strongest identifier (national id, passport, phone), so accounts at
	// different institutions link to one person. Absent for business accounts
	// and when unknown.
	Holder *Subject `json:"holder,omitempty"`

	// Institution (org id, for scheme members) and BIC (ISO 9362) name the
	// holding institution; Country is where the account is held.
	Institution string `json:"institution,omitempty"`
	// ISO 9362 BIC of the holding institution (8 or 11 characters).
	BIC string `json:"bic,omitempty"`
	// Country where the account is held: the IBAN country or the institution's
	// seat.
	Country string `json:"country,omitempty"`
}

// FinanceCounterparty is a party to a transaction other than an account:
// a natural person by Subject, or a business by Org or trading Name (at
// least one of the three).
type FinanceCounterparty struct {
	// Role is what the party did.
	Role FinanceRole `json:"role"`

	// Subject, Org and Name identify the party; Name is a business's
	// trading name, never a person's name.
	Subject *Subject `json:"subject,omitempty"`
	// The party's org id, when a business that takes part in the scheme.
	Org string `json:"org,omitempty"`
	// Trading name of a business party (the card acceptor name). Never the name
	// of a natural person: persons travel as subject.
	Name string `json:"name,omitempty"`

	// MCC is the ISO 18245 merchant category code; Country the party's
	// country.
	MCC string `json:"mcc,omitempty"`
	// Country of the party (the merchant's or payee's country).
	Country string `json:"country,omitempty"`
}

// FinanceTxType is what kind of fund flow a transaction is.
type FinanceTxType string

// Transaction types.
const (
	FinanceTxTransfer         FinanceTxType = "transfer"
	FinanceTxCashDeposit      FinanceTxType = "cash_deposit"
	FinanceTxCashWithdrawal   FinanceTxType = "cash_withdrawal"
	FinanceTxCardPayment      FinanceTxType = "card_payment"
	FinanceTxRemittance       FinanceTxType = "remittance"
	FinanceTxCryptoExchange   FinanceTxType = "crypto_exchange"
	FinanceTxCurrencyExchange FinanceTxType = "currency_exchange"
	FinanceTxCheque           FinanceTxType = "cheque"
)

// FinanceChannel is the channel a transaction was initiated through.
type FinanceChannel string

// Channels.
const (
	FinanceChannelBranch FinanceChannel = "branch"
	FinanceChannelATM    FinanceChannel = "atm"
	FinanceChannelOnline FinanceChannel = "online"
	FinanceChannelMobile FinanceChannel = "mobile"
	FinanceChannelAgent  FinanceChannel = "agent"
	FinanceChannelPOS    FinanceChannel = "pos"
	FinanceChannelPhone  FinanceChannel = "phone"
)

// FinanceRole is what a counterparty did in a transaction.
type FinanceRole string

// Counterparty roles.
const (
	FinanceRoleMerchant  FinanceRole = "merchant"
	FinanceRoleConductor FinanceRole = "conductor"
	FinanceRolePayer     FinanceRole = "payer"
	FinanceRolePayee     FinanceRole = "payee"
)

// FinanceIndicator is a suspicion indicator of a fund flow.
type FinanceIndicator string

// Suspicion indicators (FinCEN SAR / FATF red-flag categories).
const (
	FinanceIndicatorStructuring          FinanceIndicator = "structuring"
	FinanceIndicatorRapidMovement        FinanceIndicator = "rapid_movement"
	FinanceIndicatorHighRiskJurisdiction FinanceIndicator = "high_risk_jurisdiction"
	FinanceIndicatorUnusualForProfile    FinanceIndicator = "unusual_for_profile"
	FinanceIndicatorThirdPartyCash       FinanceIndicator = "third_party_cash"
	FinanceIndicatorRoundAmounts         FinanceIndicator = "round_amounts"
	FinanceIndicatorFunnelAccount        FinanceIndicator = "funnel_account"
	FinanceIndicatorNonprofitDiversion   FinanceIndicator = "nonprofit_diversion"
	FinanceIndicatorCrowdfunding         FinanceIndicator = "crowdfunding"
	FinanceIndicatorCryptoMixer          FinanceIndicator = "crypto_mixer"
	FinanceIndicatorSanctionsHit         FinanceIndicator = "sanctions_hit"
	FinanceIndicatorAdverseMedia         FinanceIndicator = "adverse_media"
	FinanceIndicatorDormantReactivated   FinanceIndicator = "dormant_reactivated"
	FinanceIndicatorUnclearPurpose       FinanceIndicator = "unclear_purpose"
)
