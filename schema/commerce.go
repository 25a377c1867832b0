package schema

import "time"

func init() {
	register(KindCommerceHazmat, 1, HazmatPurchase{})
}

// HazmatPurchase is a suspicious purchase or attempted purchase of an
// explosives precursor or other hazardous substance
// (commerce.hazmat_purchase v1), as a Regulation (EU) 2019/1148
// suspicious-transaction report carries it.
type HazmatPurchase struct {
	// Seller (org id) sold through Channel; OrderReference links the items
	// of one basket, each reported as its own record.
	Seller         string        `json:"seller"`
	Channel        HazmatChannel `json:"channel"`
	OrderReference string        `json:"order_reference,omitempty"`

	// Item, Quantity and Price say what was bought, how much, for how much;
	// PaymentMethod how it was paid.
	Item          HazmatItem          `json:"item"`
	Quantity      Quantity            `json:"quantity"`
	Price         Money               `json:"price"`
	PaymentMethod HazmatPaymentMethod `json:"payment_method,omitempty"`

	// PurchasedAt is when it was bought or attempted, Outcome whether the
	// sale went through, SalePlace the shop for in-store sales.
	PurchasedAt time.Time     `json:"purchased_at"`
	Outcome     HazmatOutcome `json:"outcome"`
	SalePlace   *Place        `json:"sale_place,omitempty"`

	// Buyer is the buyer by pseudonym, BuyerType private or business;
	// StatedUse what they said the substance was for; DeliveryPlace where
	// remote sales were to be delivered.
	Buyer         Subject         `json:"buyer"`
	BuyerType     HazmatBuyerType `json:"buyer_type"`
	StatedUse     string          `json:"stated_use,omitempty"`
	DeliveryPlace *Place          `json:"delivery_place,omitempty"`

	// Indicators (closed list) and Reason (free text) say what made the
	// seller suspicious.
	Indicators []HazmatIndicator `json:"indicators,omitempty"`
	Reason     string            `json:"reason,omitempty"`
}

// HazmatItem is a hazardous substance or mixture: Name as sold, CAS
// registry number of the regulated substance, UN number and ADR class when
// it is dangerous goods, and Concentration in percent w/w as a decimal
// string (0 to 100).
type HazmatItem struct {
	Name          string `json:"name"`
	CAS           string `json:"cas"`
	UNNumber      string `json:"un_number,omitempty"`
	DGClass       string `json:"dg_class,omitempty"`
	Concentration string `json:"concentration,omitempty"`
}

// HazmatChannel is how a hazardous substance was sold.
type HazmatChannel string

// Sales channels.
const (
	HazmatInStore     HazmatChannel = "in_store"
	HazmatOnline      HazmatChannel = "online"
	HazmatPhone       HazmatChannel = "phone"
	HazmatMarketplace HazmatChannel = "marketplace"
)

// HazmatPaymentMethod is how a buyer paid or offered to pay, by type only.
type HazmatPaymentMethod string

// Payment methods.
const (
	HazmatPaidCash           HazmatPaymentMethod = "cash"
	HazmatPaidCard           HazmatPaymentMethod = "card"
	HazmatPaidBankTransfer   HazmatPaymentMethod = "bank_transfer"
	HazmatPaidOnlineWallet   HazmatPaymentMethod = "online_wallet"
	HazmatPaidCashOnDelivery HazmatPaymentMethod = "cash_on_delivery"
	HazmatPaidInvoice        HazmatPaymentMethod = "invoice"
	HazmatPaidVoucher        HazmatPaymentMethod = "voucher"
	HazmatPaidCrypto         HazmatPaymentMethod = "crypto"
)

// HazmatOutcome is whether a sale went through.
type HazmatOutcome string

// Outcomes.
const (
	HazmatCompleted HazmatOutcome = "completed"
	HazmatRefused   HazmatOutcome = "refused"
	HazmatAbandoned HazmatOutcome = "abandoned"
)

// HazmatBuyerType is whether a buyer acts privately or for a business.
type HazmatBuyerType string

// Buyer types.
const (
	HazmatBuyerPrivate  HazmatBuyerType = "private"
	HazmatBuyerBusiness HazmatBuyerType = "business"
)

// HazmatIndicator is a suspicion indicator of a hazardous-substance sale.
type HazmatIndicator string

// Suspicion indicators.
const (
	HazmatUnusualQuantity        HazmatIndicator = "unusual_quantity"
	HazmatHighConcentration      HazmatIndicator = "high_concentration"
	HazmatCashPayment            HazmatIndicator = "cash_payment"
	HazmatEvasiveAboutUse        HazmatIndicator = "evasive_about_use"
	HazmatNoBusinessNeed         HazmatIndicator = "no_business_need"
	HazmatRepeatedPurchases      HazmatIndicator = "repeated_purchases"
	HazmatSplitPurchases         HazmatIndicator = "split_purchases"
	HazmatCombinedPrecursors     HazmatIndicator = "combined_precursors"
	HazmatIdentityRefused        HazmatIndicator = "identity_refused"
	HazmatUnusualDelivery        HazmatIndicator = "unusual_delivery"
	HazmatLacksHandlingKnowledge HazmatIndicator = "lacks_handling_knowledge"
)
