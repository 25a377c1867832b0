package collab_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/demoscheme"
	"github.com/sicollab/sicollab/schema"
)

// loadScheme loads the synthetic scheme every routing test runs against
// (internal/demoscheme).
func loadScheme(t testing.TB) *collab.Directory {
	t.Helper()
	d, err := collab.LoadDirectory(bytes.NewReader(demoscheme.JSON()))
	require.NoError(t, err)
	return d
}

// token is the synthetic bearer token of an organization of the fixtures:
// their token_sha256 is the SHA-256 of "token-<org id>" (see
// internal/demoscheme/README.md). Real tokens are random.
func token(orgID string) string { return "token-" + orgID }

// tokenHash is the lower-case hex SHA-256 of token(orgID).
func tokenHash(orgID string) string {
	sum := sha256.Sum256([]byte(token(orgID)))
	return hex.EncodeToString(sum[:])
}

// smallScheme is a consistent directory of five organizations, the base
// every inconsistent-directory case changes in one place:
//
//	0 leading-group    leading group
//	1 public-security  specialized department, receives every kind used here
//	2 central-bank     general business department (no supervisor)
//	3 bank-north-01    social force under central-bank
//	4 hotel-north-01   social force without supervisor
func smallScheme() *schema.Directory {
	return &schema.Directory{
		Version:   4,
		UpdatedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		Orgs: []schema.DirectoryOrg{
			{
				ID: "leading-group", Name: "Leading Group", Tier: "leading_group",
				Sectors: []string{"security"}, Region: "CN-BJ",
				Submits:  []string{schema.KindRequirement},
				Receives: []string{schema.KindFeedbackReport},
			},
			{
				ID: "public-security", Name: "Public Security", Tier: "specialized_department",
				Sectors: []string{"security"}, Region: "CN-BJ",
				Submits: []string{schema.KindFeedbackReport},
				Receives: []string{
					schema.KindFinanceTransaction, schema.KindServicesLodging,
					schema.KindRequirement, schema.KindFeedbackReport,
				},
				TokenSHA256: tokenHash("public-security"),
			},
			{
				ID: "central-bank", Name: "Central Bank", Tier: "general_business_department",
				Sectors: []string{"finance"}, Region: "CN-BJ",
				Submits:     []string{schema.KindFinanceTransaction},
				Receives:    []string{schema.KindFinanceTransaction},
				TokenSHA256: tokenHash("central-bank"),
			},
			{
				ID: "bank-north-01", Name: "Northern Bank", Tier: "social_force",
				Sectors: []string{"finance"}, Region: "CN-BJ", Supervisor: "central-bank",
				Submits:     []string{schema.KindFinanceTransaction},
				TokenSHA256: tokenHash("bank-north-01"),
			},
			{
				ID: "hotel-north-01", Name: "Garden Hotel", Tier: "social_force",
				Sectors: []string{"services"}, Region: "CN-BJ",
				Submits:     []string{schema.KindServicesLodging},
				TokenSHA256: tokenHash("hotel-north-01"),
			},
		},
	}
}

// encode marshals a directory document.
func encode(t testing.TB, doc *schema.Directory) []byte {
	t.Helper()
	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	return raw
}

// fixtureKey is the synthetic Ed25519 key of an organization of the
// fixtures: its seed is the SHA-256 of "key-<org id>", its id
// "<org id>-2026" (see internal/demoscheme/README.md).
func fixtureKey(orgID string) (string, ed25519.PrivateKey) {
	seed := sha256.Sum256([]byte("key-" + orgID))
	return orgID + "-2026", ed25519.NewKeyFromSeed(seed[:])
}
