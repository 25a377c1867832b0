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
	Seller string `json:"seller"`
	// How the sale was made: in a shop, through the seller's own web shop, by
	// phone, or through an online marketplace.
	Channel HazmatChannel `json:"channel"`
	// The seller's order or receipt number, so several items of one basket
	// (each its own record) link.
	OrderReference string `json:"order_reference,omitempty"`

	// Item, Quantity and Price say what was bought, how much, for how much;
	// PaymentMethod how it was paid.
	Item HazmatItem `json:"item"`
	// How much was bought or asked for, in total.
	Quantity Quantity `json:"quantity"`
	// Total price of the item line.
	Price Money `json:"price"`
	// How the buyer paid or offered to pay (by type only: never a card number).
	PaymentMethod HazmatPaymentMethod `json:"payment_method,omitempty"`

	// PurchasedAt is when it was bought or attempted, Outcome whether the
	// sale went through, SalePlace the shop for in-store sales.
	PurchasedAt time.Time `json:"purchased_at"`
	// Whether the sale went through: completed, refused by the seller, or
	// abandoned by the buyer. Regulation 2019/1148 asks for attempted
	// transactions too.
	Outcome HazmatOutcome `json:"outcome"`
	// The shop, for in-store sales.
	SalePlace *Place `json:"sale_place,omitempty"`

	// Buyer is the buyer by pseudonym, BuyerType private or business;
	// StatedUse what they said the substance was for; DeliveryPlace where
	// remote sales were to be delivered.
	Buyer Subject `json:"buyer"`
	// Whether the buyer acts as a member of the general public or for a
	// business (professional user).
	BuyerType HazmatBuyerType `json:"buyer_type"`
	// The use the buyer stated for the substance, as the seller recorded it.
	StatedUse string `json:"stated_use,omitempty"`
	// Where the goods were to be delivered, for remote sales: country, region,
	// UN/LOCODE of the town, name such as a parcel locker.
	DeliveryPlace *Place `json:"delivery_place,omitempty"`

	// Indicators (closed list) and Reason (free text) say what made the
	// seller suspicious.
	Indicators []HazmatIndicator `json:"indicators,omitempty"`
	// The seller's account of the suspicion, in its own words.
	Reason string `json:"reason,omitempty"`
}

// HazmatItem is a hazardous substance or mixture: Name as sold, CAS
// registry number of the regulated substance, UN number and ADR class when
// it is dangerous goods, and Concentration in percent w/w as a decimal
// string (0 to 100).
type HazmatItem struct {
	// Product or substance name as sold.
	Name string `json:"name"`
	// CAS registry number of the regulated substance (7722-84-1 for hydrogen
	// peroxide).
	CAS string `json:"cas"`
	// UN number, when the product is dangerous goods.
	UNNumber string `json:"un_number,omitempty"`
	// ADR class or division, when the product is dangerous goods.
	DGClass string `json:"dg_class,omitempty"`
	// Concentration of the regulated substance in percent weight by weight, 0
	// to 100 (Annex I limits are by w/w concentration).
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
