package schema

import "time"

// KindDirectory is the kind of the scheme's directory (collab.directory):
// who takes part, in which tier, under which supervisor, and which kinds
// each organization may submit and takes in. Package collab loads it.
const KindDirectory = "collab.directory"

// Directory is the payload of collab.directory v1. Package collab checks
// its consistency (one leading group, supervisors of the right tier, every
// submitted kind received somewhere) on top of the schema.
type Directory struct {
	// Version is the revision of the directory; it grows with each change.
	Version int `json:"version"`
	// UpdatedAt is when this revision was published.
	UpdatedAt time.Time `json:"updated_at"`
	// Orgs lists the organizations, ids unique.
	Orgs []DirectoryOrg `json:"orgs"`
}

// DirectoryOrg is one organization of a Directory.
type DirectoryOrg struct {
	// ID is the org id envelopes carry as source.
	ID string `json:"id"`
	// Name is a display name.
	Name string `json:"name"`
	// Tier is leading_group, specialized_department,
	// general_business_department or social_force.
	Tier string `json:"tier"`
	// Sectors lists the sectors of the scheme the organization works in
	// (at least one).
	Sectors []string `json:"sectors"`
	// Region is the ISO 3166-2 subdivision it is seated in.
	Region string `json:"region"`
	// Supervisor is the id of its supervising organization, if any.
	Supervisor string `json:"supervisor,omitempty"`
	// Submits lists the kinds it may submit.
	Submits []string `json:"submits,omitempty"`
	// Receives lists the kinds it takes in.
	Receives []string `json:"receives,omitempty"`
	// TokenSHA256 is the lower-case hex SHA-256 of its bearer token.
	TokenSHA256 string `json:"token_sha256,omitempty"`
	// Keys are its public signing keys; several may be valid at once
	// while a key is rotated.
	Keys []DirectoryKey `json:"keys,omitempty"`
	// TLSIdentities are the URI SANs its client certificates may carry
	// (spiffe://<trust-domain>/org/<id>); empty: any of the org's id.
	TLSIdentities []string `json:"tls_identities,omitempty"`
}

// DirectoryKey is one public key of a DirectoryOrg.
type DirectoryKey struct {
	// KeyID is unique in the directory; signatures name it as keyid.
	KeyID string `json:"key_id"`
	// Alg is the signature algorithm: "ed25519".
	Alg string `json:"alg"`
	// PublicKey is the 32-byte Ed25519 public key, standard base64.
	PublicKey string `json:"public_key"`
	// NotBefore is the first instant the key verifies.
	NotBefore time.Time `json:"not_before"`
	// NotAfter is the first instant it no longer verifies.
	NotAfter time.Time `json:"not_after"`
	// Revoked, once true, stops the key verifying whatever its dates.
	Revoked bool `json:"revoked,omitempty"`
}

func init() {
	register(KindDirectory, 1, Directory{})
}
