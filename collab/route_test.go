package collab_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// Short names for the kinds of the synthetic scheme (internal/demoscheme).
const (
	fin   = schema.KindFinanceTransaction
	pax   = schema.KindTransportPassenger
	frt   = schema.KindTransportFreight
	acct  = schema.KindTelecomAccountReport
	haz   = schema.KindCommerceHazmat
	lodge = schema.KindServicesLodging
	infx  = schema.KindHealthInfectious
	entry = schema.KindCustomsEntryExit
	insp  = schema.KindCustomsInspection
	req   = schema.KindRequirement
	plan  = schema.KindPlan
	task  = schema.KindTask
	stat  = schema.KindTaskStatus
	esc   = schema.KindEscalation
	prod  = schema.KindProduct
	fb    = schema.KindFeedbackReport
)

// allKinds is every kind package schema declares, plus the directory's own
// and one no one has heard of.
var allKinds = []string{
	fin, pax, frt, acct, haz, lodge, infx, entry, insp,
	req, plan, task, stat, esc, prod, fb,
	schema.KindExpertRequest, schema.KindExpertOffer, schema.KindExpertAssignment,
	schema.KindDirectory, "finance.unheard_of",
}

// Next hops shared by many rows below.
var (
	none   = []string{}
	ps     = []string{"public-security"}
	psSS   = []string{"public-security", "state-security"}
	apPS   = []string{"armed-police", "public-security"}
	apPSSS = []string{"armed-police", "public-security", "state-security"}
	lgPS   = []string{"leading-group", "public-security"}
	lg     = []string{"leading-group"}
	lgPSSS = []string{"leading-group", "public-security", "state-security"}
	xreq   = schema.KindExpertRequest
	xoff   = schema.KindExpertOffer
	xasg   = schema.KindExpertAssignment
	// Addressed kinds go to the organizations the message names: no route.
	deptUpSD = map[string][]string{prod: lgPSSS, esc: none, fb: lgPS, stat: none, plan: none, task: none, xoff: none}
	deptUpLG = map[string][]string{prod: lg, esc: none, fb: lg, stat: none, req: none, plan: none, task: none, xreq: none, xasg: none}
)

// wantRoutes is where each organization's submissions go next, worked out
// by hand from the scheme (who supervises whom, who takes in what), not from
// the code under test. An (org, kind) pair missing here must be refused.
var wantRoutes = map[string]map[string][]string{
	"leading-group":   {req: none, plan: none, task: none},
	"public-security": deptUpLG,
	"state-security":  deptUpLG,
	"armed-police":    deptUpLG,

	"central-bank":       with(deptUpSD, map[string][]string{fin: psSS}),
	"transport-ministry": with(deptUpSD, map[string][]string{pax: apPS, frt: apPS}),
	"miit":               with(deptUpSD, map[string][]string{acct: psSS, haz: ps}),
	"customs":            with(deptUpSD, map[string][]string{entry: apPSSS, insp: psSS, infx: ps}),

	"bank-north-01":          sf(map[string][]string{fin: {"central-bank"}, fb: {"central-bank"}}),
	"bank-south-02":          sf(map[string][]string{fin: {"central-bank"}, fb: {"central-bank"}}),
	"payment-east-01":        sf(map[string][]string{fin: {"central-bank"}, fb: {"central-bank"}}),
	"rail-north-01":          sf(map[string][]string{pax: {"transport-ministry"}, frt: {"transport-ministry"}, fb: {"transport-ministry"}}),
	"air-east-01":            sf(map[string][]string{pax: {"transport-ministry"}, entry: apPSSS, fb: {"transport-ministry"}}), // the ministry does not take entry-exit
	"road-south-01":          sf(map[string][]string{pax: {"transport-ministry"}, frt: {"transport-ministry"}, fb: {"transport-ministry"}}),
	"freight-east-01":        sf(map[string][]string{frt: {"transport-ministry"}, fb: {"transport-ministry"}}),
	"telecom-north-01":       sf(map[string][]string{acct: {"miit"}, fb: {"miit"}}),
	"platform-east-01":       sf(map[string][]string{acct: {"miit"}, haz: {"miit"}, fb: {"miit"}}),
	"hotel-north-01":         sf(map[string][]string{lodge: ps, fb: ps}), // no supervisor
	"hotel-south-02":         sf(map[string][]string{lodge: ps, fb: ps}),
	"hazmat-maker-south-01":  sf(map[string][]string{haz: {"miit"}, fb: {"miit"}}),
	"hazmat-seller-north-01": sf(map[string][]string{haz: {"miit"}, fb: {"miit"}}),
	"hospital-north-01":      sf(map[string][]string{infx: {"customs"}, fb: {"customs"}}),
	"hospital-east-02":       sf(map[string][]string{infx: {"customs"}, fb: {"customs"}}),
	"nonprofit-north-01":     sf(map[string][]string{infx: ps, fin: psSS, fb: ps}), // no supervisor
}

// sf adds what every social force may submit and is addressed, not routed:
// task status and expert offers.
func sf(m map[string][]string) map[string][]string {
	return with(m, map[string][]string{stat: none, xoff: none})
}

func with(a, b map[string][]string) map[string][]string {
	out := map[string][]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func TestRoute(t *testing.T) {
	d := loadScheme(t)
	var ids []string
	for _, o := range d.Orgs() {
		ids = append(ids, o.ID)
	}
	var want []string
	for id := range wantRoutes {
		want = append(want, id)
	}
	require.ElementsMatch(t, want, ids, "the table covers every organization of the scheme")

	for _, org := range ids {
		for _, kind := range allKinds {
			t.Run(org+"/"+kind, func(t *testing.T) {
				got, err := d.Route(org, kind)
				hops, allowed := wantRoutes[org][kind]
				if !allowed {
					assert.ErrorIs(t, err, collab.ErrKindNotAllowed)
					assert.Nil(t, got)
					return
				}
				require.NoError(t, err)
				if len(hops) == 0 {
					assert.Empty(t, got)
				} else {
					assert.Equal(t, hops, got)
				}
			})
		}
	}
}

func TestRouteUnknownOrg(t *testing.T) {
	d := loadScheme(t)
	got, err := d.Route("bank-nowhere", fin)
	assert.ErrorIs(t, err, collab.ErrUnknownOrg)
	assert.Nil(t, got)
}

func TestRouteResultIsACopy(t *testing.T) {
	d := loadScheme(t)
	got, err := d.Route("central-bank", fin)
	require.NoError(t, err)
	got[0] = "somewhere-else"
	again, err := d.Route("central-bank", fin)
	require.NoError(t, err)
	assert.Equal(t, psSS, again)
}

func TestAuthorize(t *testing.T) {
	d := loadScheme(t)
	tests := []struct {
		org, kind string
		err       error
		says      string
	}{
		{org: "bank-north-01", kind: fin},
		{org: "hotel-south-02", kind: lodge},
		{org: "customs", kind: infx},
		{org: "leading-group", kind: req},
		{org: "public-security", kind: fb},
		{
			org: "hotel-north-01", kind: fin, err: collab.ErrKindNotAllowed,
			says: `collab: kind not allowed: "hotel-north-01" (social_force) may not submit "finance.transaction"; it may submit collab.expert_offer, collab.feedback_report, collab.task_status, services.lodging`,
		},
		{
			org: "bank-north-01", kind: req, err: collab.ErrKindNotAllowed,
			says: `"bank-north-01" (social_force) may not submit "collab.requirement"; it may submit collab.expert_offer, collab.feedback_report, collab.task_status, finance.transaction`,
		},
		{
			org: "leading-group", kind: fin, err: collab.ErrKindNotAllowed,
			says: `"leading-group" (leading_group) may not submit "finance.transaction"; it may submit collab.plan, collab.requirement, collab.task`,
		},
		{
			org: "public-security", kind: lodge, err: collab.ErrKindNotAllowed,
			says: `(specialized_department) may not submit "services.lodging"`,
		},
		{
			org: "bank-nowhere", kind: fin, err: collab.ErrUnknownOrg,
			says: `collab: unknown organization "bank-nowhere" (directory version 1)`,
		},
		{org: "", kind: fin, err: collab.ErrUnknownOrg},
	}
	for _, tt := range tests {
		t.Run(tt.org+"/"+tt.kind, func(t *testing.T) {
			err := d.Authorize(tt.org, tt.kind)
			if tt.err == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.err)
			assert.ErrorContains(t, err, tt.says)
		})
	}
}

func TestAuthorizeOrgThatSubmitsNothing(t *testing.T) {
	doc := smallScheme()
	doc.Orgs[0].Submits = nil
	doc.Orgs[1].Receives = doc.Orgs[1].Receives[:2]
	d, err := collab.ParseDirectory(encode(t, doc))
	require.NoError(t, err)
	err = d.Authorize("leading-group", req)
	assert.ErrorIs(t, err, collab.ErrKindNotAllowed)
	assert.ErrorContains(t, err, "it may submit nothing")
}

func TestAuthenticate(t *testing.T) {
	d := loadScheme(t)
	for _, o := range d.Orgs() {
		t.Run(o.ID, func(t *testing.T) {
			got, ok := d.Authenticate(token(o.ID))
			require.True(t, ok)
			assert.Equal(t, o, got)
		})
	}
	tests := []struct{ name, token string }{
		{"empty", ""},
		{"wrong", "token-bank-north-02"},
		{"hash instead of token", tokenHash("bank-north-01")},
		{"prefix", "token-bank-north-0"},
		{"case", "Token-bank-north-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := d.Authenticate(tt.token)
			assert.False(t, ok)
			assert.Zero(t, got)
		})
	}
}

func TestAuthenticateOrgWithoutToken(t *testing.T) {
	doc := smallScheme()
	require.Empty(t, doc.Orgs[0].TokenSHA256, "smallScheme gives the leading group no token")
	d, err := collab.ParseDirectory(encode(t, doc))
	require.NoError(t, err)
	_, ok := d.Authenticate(token("leading-group"))
	assert.False(t, ok)
	got, ok := d.Authenticate(token("hotel-north-01"))
	require.True(t, ok)
	assert.Equal(t, "hotel-north-01", got.ID)
}
