package collab_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

func TestDirectoryQueries(t *testing.T) {
	d := loadScheme(t)
	assert.Equal(t, 1, d.Version())
	assert.Equal(t, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), d.UpdatedAt())

	orgs := d.Orgs()
	require.Len(t, orgs, 24)
	for i := 1; i < len(orgs); i++ {
		assert.Less(t, orgs[i-1].ID, orgs[i].ID, "Orgs() is sorted by id")
	}

	counts := map[collab.Tier]int{}
	for _, tier := range collab.Tiers() {
		byTier := d.ByTier(tier)
		counts[tier] = len(byTier)
		for i, o := range byTier {
			assert.Equal(t, tier, o.Tier)
			if i > 0 {
				assert.Less(t, byTier[i-1].ID, o.ID, "ByTier is sorted by id")
			}
		}
	}
	assert.Equal(t, map[collab.Tier]int{
		collab.LeadingGroup: 1, collab.SpecializedDepartment: 3,
		collab.GeneralBusinessDepartment: 4, collab.SocialForce: 16,
	}, counts)
	assert.Equal(t, "leading-group", d.LeadingGroup().ID)
	assert.Equal(t, collab.Leadership, d.LeadingGroup().Tier.Layer())

	bank, ok := d.Org("bank-north-01")
	require.True(t, ok)
	_, bankPriv := fixtureKey("bank-north-01")
	bankPub := bankPriv.Public().(ed25519.PublicKey)
	assert.Equal(t, collab.Org{
		ID: "bank-north-01", Name: "Northern Commercial Bank", Tier: collab.SocialForce,
		Sectors: []collab.Sector{collab.SectorFinance}, Region: "CN-BJ", Supervisor: "central-bank",
		Submits:     []string{schema.KindFinanceTransaction, schema.KindFeedbackReport, schema.KindTaskStatus, schema.KindExpertOffer},
		Receives:    []string{schema.KindTask, schema.KindRequirement, schema.KindPlan, schema.KindExpertRequest, schema.KindExpertAssignment},
		TokenSHA256: tokenHash("bank-north-01"),
		Keys: []collab.Key{{ID: "bank-north-01-2026", Org: "bank-north-01", Alg: collab.AlgEd25519, Public: bankPub,
			NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}, bank)
	assert.True(t, bank.CanSubmit(schema.KindFinanceTransaction))
	assert.False(t, bank.CanSubmit(schema.KindServicesLodging))
	assert.True(t, bank.CanReceive(schema.KindTask))
	assert.False(t, bank.CanReceive(schema.KindFinanceTransaction))

	_, ok = d.Org("bank-nowhere")
	assert.False(t, ok)

	sup, ok := d.Supervisor("bank-north-01")
	require.True(t, ok)
	assert.Equal(t, "central-bank", sup.ID)
	sup, ok = d.Supervisor("central-bank")
	require.True(t, ok)
	assert.Equal(t, "leading-group", sup.ID)
	_, ok = d.Supervisor("hotel-north-01")
	assert.False(t, ok, "hotels have no supervisor")
	_, ok = d.Supervisor("leading-group")
	assert.False(t, ok)
	_, ok = d.Supervisor("bank-nowhere")
	assert.False(t, ok)
}

func TestDirectoryReturnsCopies(t *testing.T) {
	d := loadScheme(t)
	o, _ := d.Org("bank-north-01")
	o.Submits[0] = schema.KindServicesLodging
	o.Sectors[0] = collab.SectorServices
	d.Orgs()[0].Receives[0] = "collab.nothing"
	d.ByTier(collab.SocialForce)[0].Submits[0] = "collab.nothing"

	again, _ := d.Org("bank-north-01")
	assert.Equal(t, schema.KindFinanceTransaction, again.Submits[0])
	assert.Equal(t, collab.SectorFinance, again.Sectors[0])
	assert.NotEqual(t, "collab.nothing", d.Orgs()[0].Receives[0])
	assert.NoError(t, d.Authorize("bank-north-01", schema.KindFinanceTransaction))
}

func TestDirectorySmallSchemeIsConsistent(t *testing.T) {
	_, err := collab.ParseDirectory(encode(t, smallScheme()))
	require.NoError(t, err, "the base of the inconsistent cases must itself be consistent")
}

// found is one expected problem: its pointer and words of its message.
type found struct{ pointer, says string }

func TestDirectoryInconsistent(t *testing.T) {
	tests := []struct {
		name   string
		change func(d *schema.Directory)
		want   []found // every problem reported, in order
	}{{
		name: "duplicate org id",
		change: func(d *schema.Directory) {
			dup := d.Orgs[3]
			dup.TokenSHA256 = ""
			d.Orgs = append(d.Orgs, dup)
		},
		want: []found{{"/orgs/5/id", `org id "bank-north-01" is already used at /orgs/3`}},
	}, {
		name:   "supervisor unknown",
		change: func(d *schema.Directory) { d.Orgs[3].Supervisor = "central-bank-typo" },
		want:   []found{{"/orgs/3/supervisor", `supervisor "central-bank-typo" is not in the directory`}},
	}, {
		name:   "social force under a specialized department",
		change: func(d *schema.Directory) { d.Orgs[4].Supervisor = "public-security" },
		want:   []found{{"/orgs/4/supervisor", "is a specialized_department; a social force's supervisor is a general_business_department"}},
	}, {
		name:   "social force under a social force",
		change: func(d *schema.Directory) { d.Orgs[4].Supervisor = "bank-north-01" },
		want:   []found{{"/orgs/4/supervisor", "is a social_force; a social force's supervisor is a general_business_department"}},
	}, {
		name:   "social force under the leading group",
		change: func(d *schema.Directory) { d.Orgs[3].Supervisor = "leading-group" },
		want:   []found{{"/orgs/3/supervisor", "is a leading_group; a social force's supervisor"}},
	}, {
		name:   "general business department under a specialized department",
		change: func(d *schema.Directory) { d.Orgs[2].Supervisor = "public-security" },
		want:   []found{{"/orgs/2/supervisor", "a department's supervisor, if it has one, is the leading group"}},
	}, {
		name:   "specialized department under a general business department",
		change: func(d *schema.Directory) { d.Orgs[1].Supervisor = "central-bank" },
		want:   []found{{"/orgs/1/supervisor", `supervisor "central-bank" is a general_business_department; a department's supervisor`}},
	}, {
		name:   "leading group with a supervisor",
		change: func(d *schema.Directory) { d.Orgs[0].Supervisor = "public-security" },
		want:   []found{{"/orgs/0/supervisor", "the leading group has no supervisor"}},
	}, {
		name: "supervisor cycle",
		change: func(d *schema.Directory) {
			d.Orgs[1].Supervisor = "central-bank"
			d.Orgs[2].Supervisor = "public-security"
		},
		want: []found{
			{"/orgs/1/supervisor", "a department's supervisor, if it has one, is the leading group"},
			{"/orgs/1/supervisor", "supervision runs in a cycle (public-security -> central-bank -> public-security)"},
			{"/orgs/2/supervisor", "a department's supervisor, if it has one, is the leading group"},
		},
	}, {
		name:   "own supervisor",
		change: func(d *schema.Directory) { d.Orgs[4].Supervisor = "hotel-north-01" },
		want: []found{
			{"/orgs/4/supervisor", "is a social_force; a social force's supervisor"},
			{"/orgs/4/supervisor", "cycle (hotel-north-01 -> hotel-north-01)"},
		},
	}, {
		name: "record kind no one receives",
		change: func(d *schema.Directory) {
			d.Orgs[3].Submits = append(d.Orgs[3].Submits, schema.KindTransportPassenger)
		},
		want: []found{{"/orgs/3/submits/1",
			`record kind "transport.passenger" is submitted (by bank-north-01) but no specialized department receives it`}},
	}, {
		name: "record kind only a general business department receives",
		change: func(d *schema.Directory) {
			d.Orgs[2].Receives = append(d.Orgs[2].Receives, schema.KindTransportFreight)
			d.Orgs[3].Submits = append(d.Orgs[3].Submits, schema.KindTransportFreight)
			d.Orgs[4].Submits = append(d.Orgs[4].Submits, schema.KindTransportFreight)
		},
		want: []found{{"/orgs/3/submits/1",
			`record kind "transport.freight" is submitted (by bank-north-01, hotel-north-01) but no specialized department receives it`}},
	}, {
		name:   "message kind no one receives",
		change: func(d *schema.Directory) { d.Orgs[1].Submits = append(d.Orgs[1].Submits, schema.KindProduct) },
		want:   []found{{"/orgs/1/submits/1", `kind "collab.product" is submitted (by public-security) but no organization receives it`}},
	}, {
		name: "social force whose supervisor and the specialized departments do not receive its kind",
		change: func(d *schema.Directory) {
			d.Orgs[0].Receives = append(d.Orgs[0].Receives, schema.KindTaskStatus)
			d.Orgs[3].Submits = append(d.Orgs[3].Submits, schema.KindTaskStatus)
		},
		want: []found{{"/orgs/3/submits/1",
			`neither its supervisor "central-bank" nor any specialized department receives "collab.task_status"`}},
	}, {
		name: "social force without supervisor whose kind no specialized department receives",
		change: func(d *schema.Directory) {
			d.Orgs[0].Receives = append(d.Orgs[0].Receives, schema.KindTaskStatus)
			d.Orgs[4].Submits = append(d.Orgs[4].Submits, schema.KindTaskStatus)
		},
		want: []found{{"/orgs/4/submits/1",
			`it has no supervisor and no specialized department receives "collab.task_status"`}},
	}, {
		name:   "no leading group",
		change: func(d *schema.Directory) { d.Orgs = d.Orgs[1:] },
		want:   []found{{"/orgs", "no organization has tier leading_group"}},
	}, {
		name: "two leading groups",
		change: func(d *schema.Directory) {
			second := d.Orgs[0]
			second.ID = "second-leading-group"
			d.Orgs = append(d.Orgs, second)
		},
		want: []found{{"/orgs/5/tier", `"second-leading-group" is a second leading group; "leading-group" at /orgs/0 already leads`}},
	}, {
		name:   "unknown kind submitted",
		change: func(d *schema.Directory) { d.Orgs[3].Submits = append(d.Orgs[3].Submits, "finance.wire_transfer") },
		want:   []found{{"/orgs/3/submits/1", `kind "finance.wire_transfer" is not known`}},
	}, {
		name:   "unknown kind received",
		change: func(d *schema.Directory) { d.Orgs[1].Receives = append(d.Orgs[1].Receives, "collab.gossip") },
		want:   []found{{"/orgs/1/receives/4", `kind "collab.gossip" is not known`}},
	}, {
		name:   "token hash shared",
		change: func(d *schema.Directory) { d.Orgs[4].TokenSHA256 = d.Orgs[3].TokenSHA256 },
		want:   []found{{"/orgs/4/token_sha256", `token hash is the same as that of "bank-north-01" at /orgs/3`}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := smallScheme()
			tt.change(doc)
			d, err := collab.ParseDirectory(encode(t, doc))
			require.Error(t, err)
			assert.Nil(t, d)
			assertProblems(t, err, tt.want)
		})
	}
}

// assertProblems checks that err lists exactly the wanted problems, in
// order, each findable with errors.Is and in the error's message.
func assertProblems(t *testing.T, err error, want []found) {
	t.Helper()
	require.ErrorIs(t, err, collab.ErrInconsistentDirectory)
	var de *collab.DirectoryError
	require.ErrorAs(t, err, &de)
	assert.False(t, errors.Is(err, schema.ErrInvalid), "an inconsistent directory is not a schema violation")

	got := de.Problems
	require.Len(t, got, len(want), "problems: %v", err)
	for i, w := range want {
		assert.Equal(t, w.pointer, got[i].Pointer, "problem %d", i)
		assert.Contains(t, got[i].Message, w.says, "problem %d", i)
		assert.Equal(t, collab.KeywordScheme, got[i].Keyword, "problem %d", i)
		assert.Contains(t, err.Error(), "collab: inconsistent directory at "+w.pointer+": ")
	}
}

func TestDirectoryAllProblemsAtOnce(t *testing.T) {
	doc := smallScheme()
	doc.Orgs = doc.Orgs[1:] // no leading group; indexes below are after this
	doc.Orgs[2].Supervisor = "central-bank-typo"
	doc.Orgs[2].Submits = append(doc.Orgs[2].Submits, "finance.wire_transfer", schema.KindCustomsInspection)
	doc.Orgs[3].Supervisor = "public-security"
	doc.Orgs[3].TokenSHA256 = doc.Orgs[2].TokenSHA256
	doc.Orgs = append(doc.Orgs, doc.Orgs[1])

	_, err := collab.ParseDirectory(encode(t, doc))
	assertProblems(t, err, []found{
		{"/orgs", "no organization has tier leading_group"},
		{"/orgs/2/supervisor", `"central-bank-typo" is not in the directory`},
		{"/orgs/2/submits/1", `kind "finance.wire_transfer" is not known`},
		{"/orgs/2/submits/2", `record kind "customs.inspection" is submitted (by bank-north-01) but no specialized department receives it`},
		{"/orgs/3/supervisor", "a social force's supervisor is a general_business_department"},
		{"/orgs/3/token_sha256", `the same as that of "bank-north-01" at /orgs/2`},
		{"/orgs/4/id", `org id "central-bank" is already used at /orgs/1`},
		{"/orgs/4/token_sha256", `the same as that of "central-bank" at /orgs/1`},
	})
	assert.Equal(t, 8, strings.Count(err.Error(), "collab: inconsistent directory at "), "the message lists every problem")
}

func TestDirectorySchemaViolations(t *testing.T) {
	tests := []struct {
		name             string
		change           func(d *schema.Directory)
		pointer, keyword string
	}{
		{"unknown sector", func(d *schema.Directory) { d.Orgs[3].Sectors = []string{"finance", "banking"} }, "/orgs/3/sectors/1", "enum"},
		{"unknown tier", func(d *schema.Directory) { d.Orgs[2].Tier = "ministry" }, "/orgs/2/tier", "enum"},
		{"region not ISO 3166-2", func(d *schema.Directory) { d.Orgs[4].Region = "Beijing" }, "/orgs/4/region", "pattern"},
		{"kind malformed", func(d *schema.Directory) { d.Orgs[4].Submits = []string{"Lodging"} }, "/orgs/4/submits/0", "pattern"},
		{"token hash not hex", func(d *schema.Directory) { d.Orgs[4].TokenSHA256 = token("hotel-north-01") }, "/orgs/4/token_sha256", "pattern"},
		{"no orgs", func(d *schema.Directory) { d.Orgs = []schema.DirectoryOrg{} }, "/orgs", "minItems"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := smallScheme()
			tt.change(doc)
			_, err := collab.ParseDirectory(encode(t, doc))
			require.ErrorIs(t, err, schema.ErrInvalid)
			assert.NotErrorIs(t, err, collab.ErrInconsistentDirectory)
			assert.True(t, strings.HasPrefix(err.Error(), "collab: directory: "), err.Error())
			var ve *schema.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Contains(t, ve.Violations, schema.Violation{Pointer: tt.pointer, Keyword: tt.keyword, Message: violationMessage(ve, tt.pointer)},
				"want %s at %s, got %v", tt.keyword, tt.pointer, ve.Violations)
		})
	}
}

// violationMessage returns the message of the violation at pointer, so the
// test can compare pointer and keyword without restating jsonschema's words.
func violationMessage(ve *schema.ValidationError, pointer string) string {
	for _, v := range ve.Violations {
		if v.Pointer == pointer {
			return v.Message
		}
	}
	return ""
}

func TestDirectoryMalformed(t *testing.T) {
	tests := []struct {
		name  string
		raw   string
		cause error
	}{
		{"empty", "", schema.ErrSyntax},
		{"not JSON", "orgs: []", schema.ErrSyntax},
		{"duplicate key", `{"version": 1, "version": 2}`, schema.ErrDuplicateKey},
		{"trailing data", `{} {}`, schema.ErrTrailingData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := collab.ParseDirectory([]byte(tt.raw))
			assert.ErrorIs(t, err, tt.cause)
		})
	}
}

func TestDirectoryVersionWrittenAsDecimal(t *testing.T) {
	// JSON Schema counts 1.0 as an integer; encoding/json does not, so the
	// validator refuses it, with the pointer.
	raw := bytes.Replace(encode(t, smallScheme()), []byte(`"version":4`), []byte(`"version":4.0`), 1)
	_, err := collab.ParseDirectory(raw)
	assert.ErrorIs(t, err, schema.ErrInvalid)
	assert.ErrorContains(t, err, "/version: must be an integer written as digits")
}

func TestLoadDirectoryErrors(t *testing.T) {
	_, err := collab.LoadDirectory(iotest.ErrReader(errors.New("disk on fire")))
	assert.ErrorContains(t, err, "collab: read directory: disk on fire")

	huge := bytes.Repeat([]byte(" "), collab.MaxDirectoryBytes+1)
	_, err = collab.LoadDirectory(bytes.NewReader(huge))
	assert.ErrorIs(t, err, schema.ErrTooLarge)

	_, err = collab.LoadDirectory(bytes.NewReader(encode(t, smallScheme())))
	assert.NoError(t, err)
}
