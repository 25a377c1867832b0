package schema

import "time"

func init() {
	register(KindTelecomAccountReport, 1, AccountReport{})
}

// AccountReport is a platform's report of a flagged account and the
// content that got it flagged (telecom.account_report v1). Content travels
// as digests only, never the content itself.
type AccountReport struct {
	// Platform is who reports; Account is the flagged account.
	Platform AccountPlatform `json:"platform"`
	// The flagged account.
	Account AccountRef `json:"account"`

	// Content lists the flagged items by digest (at least one).
	Content []AccountContent `json:"content"`

	// Category (closed list) and Reason (the statement of reasons) say
	// what the content is.
	Category AccountCategory `json:"category"`
	// The platform's statement of reasons: why the content falls in the
	// category. Describes the content; never quotes personal data from it.
	Reason string `json:"reason"`

	// Detection is how the platform learned of it, Action what it did,
	// ReportedAt when it reported.
	Detection AccountDetection `json:"detection"`
	// What the platform did to the account or content: nothing, restricted
	// visibility or features, suspended the account, removed the content.
	Action AccountAction `json:"action"`
	// When the platform made this report.
	ReportedAt time.Time `json:"reported_at"`
}

// AccountPlatform is a platform operator (Org) and the name of one of its
// services (Service).
type AccountPlatform struct {
	// Org id of the platform operator.
	Org string `json:"org"`
	// Name of the service the account is on, as the operator names it (one
	// operator may run several).
	Service string `json:"service"`
}

// AccountRef is an account on a platform, by pseudonyms only.
type AccountRef struct {
	// PlatformAccount is the platform's account id, pseudonymized with
	// id_type account; Contact is the registered phone or email, when
	// verified.
	PlatformAccount Subject `json:"platform_account"`
	// The verified phone number (E.164) or email address registered on the
	// account, pseudonymized, so the same person links across platforms and
	// with telecom records.
	Contact *Subject `json:"contact,omitempty"`

	// CreatedAt is when the account was created, when known.
	CreatedAt *time.Time `json:"created_at,omitempty"`
}

// AccountContent is one content item, by digest and metadata.
type AccountContent struct {
	// SHA256 is the digest of the content as stored; PDQ its perceptual
	// hash, for images and video key frames.
	SHA256 string `json:"sha256"`
	// PDQ perceptual hash of an image or video key frame (256 bits, lower-case
	// hex), for matching re-encoded copies as hash-sharing databases do.
	PDQ string `json:"pdq,omitempty"`

	// MediaType (IANA, without parameters), Surface and PostedAt describe
	// the item.
	MediaType string `json:"media_type"`
	// Where on the service it appeared: a public post, a comment, a direct or
	// group message, the profile, a channel, a live stream.
	Surface AccountSurface `json:"surface,omitempty"`
	// When the account posted or sent it.
	PostedAt time.Time `json:"posted_at"`

	// URLHost is the host of a link the content carried or of the host it
	// was served from; never a full URL, whose path or query may carry the
	// content itself or personal data.
	URLHost string `json:"url_host,omitempty"`
}

// AccountSurface is where on a service a content item appeared.
type AccountSurface string

// Surfaces.
const (
	AccountSurfacePost          AccountSurface = "post"
	AccountSurfaceComment       AccountSurface = "comment"
	AccountSurfaceDirectMessage AccountSurface = "direct_message"
	AccountSurfaceGroupMessage  AccountSurface = "group_message"
	AccountSurfaceProfile       AccountSurface = "profile"
	AccountSurfaceChannel       AccountSurface = "channel"
	AccountSurfaceLivestream    AccountSurface = "livestream"
)

// AccountCategory is what flagged content is.
type AccountCategory string

// Content categories.
const (
	AccountViolentExtremism      AccountCategory = "violent_extremism"
	AccountTerroristPropaganda   AccountCategory = "terrorist_propaganda"
	AccountIncitement            AccountCategory = "incitement"
	AccountRecruitment           AccountCategory = "recruitment"
	AccountFinancingSolicitation AccountCategory = "financing_solicitation"
	AccountWeaponsInstructions   AccountCategory = "weapons_instructions"
	AccountOtherCategory         AccountCategory = "other"
)

// AccountDetection is how a platform came to know of flagged content.
type AccountDetection string

// Detection sources.
const (
	AccountDetectedByUserReport       AccountDetection = "user_report"
	AccountDetectedAutomated          AccountDetection = "automated"
	AccountDetectedByTrustedFlagger   AccountDetection = "trusted_flagger"
	AccountDetectedByAuthorityRequest AccountDetection = "authority_request"
)

// AccountAction is what a platform did about a flagged account or content.
type AccountAction string

// Actions.
const (
	AccountActionNone       AccountAction = "none"
	AccountActionRestricted AccountAction = "restricted"
	AccountActionSuspended  AccountAction = "suspended"
	AccountActionRemoved    AccountAction = "removed"
)
