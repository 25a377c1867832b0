package collab_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// decidedAt is when the tests' decisions are taken.
var decidedAt = time.Date(2026, 4, 2, 10, 30, 0, 0, time.UTC)

// incident returns a case with two pieces of evidence of kinds and a
// subject, scoring score.
func incident(score float64, kinds ...string) collab.Case {
	return collab.Case{
		Subjects:      []schema.Subject{expert(42)},
		EvidenceIDs:   []string{testID(500), testID(501)},
		EvidenceKinds: kinds,
		Score:         score,
		Reasons:       []string{"structuring below the reporting threshold"},
		TaskID:        testID(900),
		RequirementID: testID(902),
	}
}

func TestDecideEachGeneralBusinessDepartment(t *testing.T) {
	dir := loadScheme(t)
	ctx := context.Background()
	type want struct {
		decision schema.EscalationDecision
		action   schema.EscalationAction
		urgency  schema.Priority
		reason   string
	}
	tests := []struct {
		from string
		name string
		c    collab.Case
		want want
	}{
		{"central-bank", "low score: recommend freezing funds", incident(0.5, schema.KindFinanceTransaction),
			want{schema.EscalationHandleHere, schema.EscalationActionRecommendFreezeFunds, schema.PriorityMedium, "below the escalation threshold 0.80"}},
		{"central-bank", "high score: escalate", incident(0.95, schema.KindFinanceTransaction),
			want{schema.EscalationEscalate, "", schema.PriorityCritical, "score 0.95 is at or above the escalation threshold 0.80"}},
		{"central-bank", "cross-sector: escalate at any score", incident(0.1, schema.KindFinanceTransaction, schema.KindTransportPassenger),
			want{schema.EscalationEscalate, "", schema.PriorityLow, "cross-sector case: evidence transport.passenger (transport) lies outside the sectors central-bank supervises (finance)"}},
		{"transport-ministry", "low score: carrier blacklist", incident(0.3, schema.KindTransportPassenger, schema.KindTransportFreight),
			want{schema.EscalationHandleHere, schema.EscalationActionAddCarrierBlacklist, schema.PriorityLow, "add_carrier_blacklist"}},
		{"transport-ministry", "at the threshold: escalate", incident(0.8, schema.KindTransportFreight),
			want{schema.EscalationEscalate, "", schema.PriorityHigh, "at or above"}},
		{"miit", "flagged account: suspend", incident(0.6, schema.KindTelecomAccountReport),
			want{schema.EscalationHandleHere, schema.EscalationActionSuspendAccount, schema.PriorityMedium, ""}},
		{"miit", "hazmat purchase: monitor", incident(0.6, schema.KindCommerceHazmat),
			want{schema.EscalationHandleHere, schema.EscalationActionMonitor, schema.PriorityMedium, ""}},
		{"miit", "both of its sectors: its first sector's action", incident(0.6, schema.KindCommerceHazmat, schema.KindTelecomAccountReport),
			want{schema.EscalationHandleHere, schema.EscalationActionSuspendAccount, schema.PriorityMedium, ""}},
		{"miit", "hazmat and communication lists point at a suspect: escalate", incident(0.85, schema.KindCommerceHazmat, schema.KindTelecomAccountReport),
			want{schema.EscalationEscalate, "", schema.PriorityHigh, ""}},
		{"customs", "abnormal entry-exit: inspection list", incident(0.45, schema.KindCustomsEntryExit),
			want{schema.EscalationHandleHere, schema.EscalationActionAddInspectionList, schema.PriorityMedium, ""}},
		{"customs", "infectious source: inspection list", incident(0.2, schema.KindHealthInfectious),
			want{schema.EscalationHandleHere, schema.EscalationActionAddInspectionList, schema.PriorityLow, ""}},
		{"customs", "product only: its first sector's action", incident(0.2, schema.KindProduct),
			want{schema.EscalationHandleHere, schema.EscalationActionAddInspectionList, schema.PriorityLow, ""}},
		{"customs", "lodging is not its sector", incident(0.2, schema.KindCustomsEntryExit, schema.KindServicesLodging),
			want{schema.EscalationEscalate, "", schema.PriorityLow, "services.lodging (services)"}},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.from] = true
		t.Run(tt.from+"/"+tt.name, func(t *testing.T) {
			e, err := collab.Decide(ctx, dir, tt.from, nil, tt.c, decidedAt)
			require.NoError(t, err)
			validate(t, schema.KindEscalation, e)
			assert.Equal(t, tt.from, e.From)
			assert.Equal(t, "public-security", e.To)
			assert.Equal(t, tt.want.decision, e.Decision)
			assert.Equal(t, tt.want.action, e.Action)
			assert.Equal(t, tt.want.urgency, e.Urgency)
			assert.Contains(t, e.Reason, tt.want.reason)
			assert.True(t, strings.HasSuffix(e.Reason, "; case: structuring below the reporting threshold"), e.Reason)
			assert.Equal(t, tt.c.EvidenceIDs, e.EvidenceIDs)
			assert.Equal(t, tt.c.Subjects, e.Subjects)
			assert.Equal(t, tt.c.TaskID, e.TaskID)
			assert.Equal(t, tt.c.RequirementID, e.RequirementID)
			assert.Equal(t, decidedAt, e.DecidedAt)
			assert.Equal(t, byte('7'), e.ID[14], "a UUID v7")
		})
	}
	for _, o := range dir.ByTier(collab.GeneralBusinessDepartment) {
		assert.True(t, covered[o.ID], "no case for %s", o.ID)
	}
}

func TestDecideRefused(t *testing.T) {
	dir := loadScheme(t)
	ctx := context.Background()
	tests := []struct {
		name    string
		from    string
		c       collab.Case
		wantErr []error
		wantMsg string
	}{
		{"specialized department", "public-security", incident(0.5), []error{collab.ErrWrongParty},
			`collab: wrong party: "public-security" (specialized_department) may not decide whether to handle or escalate a case; only a general_business_department may`},
		{"social force", "bank-north-01", incident(0.5), []error{collab.ErrWrongParty}, ""},
		{"leading group", "leading-group", incident(0.5), []error{collab.ErrWrongParty}, ""},
		{"unknown", "nobody", incident(0.5), []error{collab.ErrUnknownOrg}, ""},
		{"no evidence", "central-bank", collab.Case{Score: 0.5}, []error{collab.ErrInvalidCase}, "no evidence ids"},
		{"score above 1", "central-bank", incident(1.5), []error{collab.ErrInvalidCase}, "score 1.5 is outside 0 to 1"},
		{"negative score", "central-bank", incident(-0.1), []error{collab.ErrInvalidCase}, ""},
		{"NaN score", "central-bank", incident(math.NaN()), []error{collab.ErrInvalidCase}, ""},
		{"unknown kind", "central-bank", incident(0.5, "finance.crypto_swap"), []error{collab.ErrInvalidCase}, `evidence kind "finance.crypto_swap" is not known`},
		{"evidence id not a UUID v7", "central-bank", func() collab.Case {
			c := incident(0.5, schema.KindFinanceTransaction)
			c.EvidenceIDs = []string{"tx-1"}
			return c
		}(), []error{collab.ErrInvalidCase, schema.ErrInvalid}, "/evidence_ids/0"},
		{"duplicate evidence", "central-bank", func() collab.Case {
			c := incident(0.5, schema.KindFinanceTransaction)
			c.EvidenceIDs = []string{testID(1), testID(1)}
			return c
		}(), []error{collab.ErrInvalidCase, schema.ErrInvalid}, "/evidence_ids"},
		{"bad task id", "central-bank", func() collab.Case {
			c := incident(0.5, schema.KindFinanceTransaction)
			c.TaskID = "task-7"
			return c
		}(), []error{collab.ErrInvalidCase, schema.ErrInvalid}, "/task_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := collab.Decide(ctx, dir, tt.from, nil, tt.c, decidedAt)
			require.Error(t, err)
			for _, want := range tt.wantErr {
				assert.ErrorIs(t, err, want)
			}
			assert.True(t, strings.HasPrefix(err.Error(), "collab: "), err.Error())
			assert.Contains(t, err.Error(), tt.wantMsg)
			assert.Zero(t, e.ID)
		})
	}
	_, err := collab.Decide(ctx, dir, "bank-north-01", nil, incident(0.5), decidedAt)
	var te *collab.PartyError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, collab.PartyError{Org: "bank-north-01", Tier: collab.SocialForce,
		Act: "decide whether to handle or escalate a case", Rule: "only a general_business_department may"}, *te)
}

// targetScheme is a directory whose specialized departments take in
// different kinds, to exercise EscalationTarget:
//
//	sd-alpha  escalations; transport.passenger, transport.freight
//	sd-beta   escalations; finance.transaction
//	sd-delta  escalations; finance.transaction, telecom.account_report
//	sd-gamma  no escalations; every record kind the department submits
//	dept      a general business department in finance and transport
//	quiet     a general business department that may not escalate
func targetScheme(t *testing.T, sdReceiveEscalations bool) *collab.Directory {
	t.Helper()
	esc := func(kinds ...string) []string {
		if sdReceiveEscalations {
			return append([]string{schema.KindEscalation}, kinds...)
		}
		return kinds
	}
	lg := []string{schema.KindFeedbackReport}
	if !sdReceiveEscalations {
		lg = append(lg, schema.KindEscalation) // someone must take it in
	}
	records := []string{schema.KindFinanceTransaction, schema.KindTransportPassenger, schema.KindTelecomAccountReport, schema.KindCustomsEntryExit}
	doc := &schema.Directory{
		Version: 1, UpdatedAt: decidedAt,
		Orgs: []schema.DirectoryOrg{
			{ID: "leading-group", Name: "LG", Tier: "leading_group", Sectors: []string{"security"}, Region: "CN-BJ", Receives: lg},
			{ID: "sd-gamma", Name: "Gamma", Tier: "specialized_department", Sectors: []string{"security"}, Region: "CN-BJ", Receives: records},
			{ID: "sd-delta", Name: "Delta", Tier: "specialized_department", Sectors: []string{"security"}, Region: "CN-BJ",
				Receives: esc(schema.KindFinanceTransaction, schema.KindTelecomAccountReport)},
			{ID: "sd-beta", Name: "Beta", Tier: "specialized_department", Sectors: []string{"security"}, Region: "CN-BJ",
				Receives: esc(schema.KindFinanceTransaction)},
			{ID: "sd-alpha", Name: "Alpha", Tier: "specialized_department", Sectors: []string{"security"}, Region: "CN-BJ",
				Receives: esc(schema.KindTransportPassenger, schema.KindTransportFreight)},
			{ID: "dept", Name: "Dept", Tier: "general_business_department", Sectors: []string{"finance", "transport"}, Region: "CN-BJ",
				Submits: append([]string{schema.KindEscalation}, records...)},
			{ID: "quiet", Name: "Quiet", Tier: "general_business_department", Sectors: []string{"finance"}, Region: "CN-BJ"},
		},
	}
	dir, err := collab.ParseDirectory(encode(t, doc))
	require.NoError(t, err)
	return dir
}

func TestEscalationTarget(t *testing.T) {
	dir := targetScheme(t, true)
	tests := []struct {
		name  string
		kinds []string
		want  string
	}{
		{"only one takes the kind in", []string{schema.KindTransportPassenger}, "sd-alpha"},
		{"two take it in: the wider", []string{schema.KindFinanceTransaction}, "sd-delta"},
		{"the one that takes in all", []string{schema.KindTelecomAccountReport, schema.KindFinanceTransaction}, "sd-delta"},
		{"none takes in all: most covered, then wider, then id", []string{schema.KindFinanceTransaction, schema.KindTransportPassenger}, "sd-alpha"},
		{"no kinds: the wider, then id", nil, "sd-alpha"},
		{"only a department without escalations takes it in", []string{schema.KindCustomsEntryExit}, "sd-alpha"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := collab.EscalationTarget(dir, tt.kinds)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			// Order of kinds does not matter.
			rev := slices.Clone(tt.kinds)
			slices.Reverse(rev)
			got, err = collab.EscalationTarget(dir, rev)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}

	scheme := loadScheme(t)
	for _, kinds := range [][]string{
		{schema.KindTransportPassenger}, {schema.KindCustomsEntryExit}, {schema.KindFinanceTransaction}, {schema.KindServicesLodging}, nil,
	} {
		got, err := collab.EscalationTarget(scheme, kinds)
		require.NoError(t, err)
		assert.Equal(t, "public-security", got, "%v: public security takes in every source", kinds)
	}

	_, err := collab.EscalationTarget(targetScheme(t, false), []string{schema.KindFinanceTransaction})
	assert.ErrorIs(t, err, collab.ErrNoEscalationTarget)
}

func TestDecideTargetAndPermission(t *testing.T) {
	ctx := context.Background()
	dir := targetScheme(t, true)
	e, err := collab.Decide(ctx, dir, "dept", nil, incident(0.9, schema.KindTransportFreight), decidedAt)
	require.NoError(t, err)
	assert.Equal(t, "sd-alpha", e.To)
	e, err = collab.Decide(ctx, dir, "dept", nil, incident(0.2, schema.KindFinanceTransaction), decidedAt)
	require.NoError(t, err)
	assert.Equal(t, schema.EscalationHandleHere, e.Decision)
	assert.Equal(t, "sd-delta", e.To, "the notice goes where the evidence is understood")

	_, err = collab.Decide(ctx, dir, "quiet", nil, incident(0.9, schema.KindFinanceTransaction), decidedAt)
	assert.ErrorIs(t, err, collab.ErrKindNotAllowed)

	_, err = collab.Decide(ctx, targetScheme(t, false), "dept", nil, incident(0.9, schema.KindFinanceTransaction), decidedAt)
	assert.ErrorIs(t, err, collab.ErrNoEscalationTarget)
}

// policyFunc adapts a function to collab.EscalationPolicy.
type policyFunc func(ctx context.Context, dept collab.Org, c collab.Case) (collab.Verdict, error)

func (f policyFunc) Decide(ctx context.Context, dept collab.Org, c collab.Case) (collab.Verdict, error) {
	return f(ctx, dept, c)
}

func fixed(v collab.Verdict) collab.EscalationPolicy {
	return policyFunc(func(context.Context, collab.Org, collab.Case) (collab.Verdict, error) { return v, nil })
}

func TestDecideWithOwnPolicy(t *testing.T) {
	ctx := context.Background()
	dir := loadScheme(t)
	c := incident(0.3, schema.KindFinanceTransaction)

	t.Run("named target and default urgency", func(t *testing.T) {
		e, err := collab.Decide(ctx, dir, "central-bank", fixed(collab.Verdict{
			Decision: schema.EscalationEscalate, Reason: "state security asked for every case", To: "state-security",
		}), c, decidedAt)
		require.NoError(t, err)
		validate(t, schema.KindEscalation, e)
		assert.Equal(t, "state-security", e.To)
		assert.Equal(t, schema.PriorityLow, e.Urgency)
	})
	t.Run("other action with note", func(t *testing.T) {
		e, err := collab.Decide(ctx, dir, "central-bank", fixed(collab.Verdict{
			Decision: schema.EscalationHandleHere, Action: schema.EscalationActionOther, ActionNote: "enhanced due diligence",
			Urgency: schema.PriorityHigh, Reason: "known customer",
		}), c, decidedAt)
		require.NoError(t, err)
		validate(t, schema.KindEscalation, e)
		assert.Equal(t, schema.EscalationActionOther, e.Action)
		assert.Equal(t, "enhanced due diligence", e.ActionNote)
		assert.Equal(t, schema.PriorityHigh, e.Urgency)
	})
	t.Run("an action with escalate is dropped", func(t *testing.T) {
		e, err := collab.Decide(ctx, dir, "central-bank", fixed(collab.Verdict{
			Decision: schema.EscalationEscalate, Action: schema.EscalationActionMonitor, Reason: "r",
		}), c, decidedAt)
		require.NoError(t, err)
		assert.Empty(t, e.Action)
	})
	t.Run("long reasons are cut to the schema's limit", func(t *testing.T) {
		long := c
		long.Reasons = []string{strings.Repeat("é", 3000)}
		e, err := collab.Decide(ctx, dir, "central-bank", nil, long, decidedAt)
		require.NoError(t, err)
		validate(t, schema.KindEscalation, e)
		assert.Equal(t, 2000, utf8.RuneCountInString(e.Reason))
		assert.True(t, strings.HasSuffix(e.Reason, "…"))
	})
	t.Run("no case reasons", func(t *testing.T) {
		bare := c
		bare.Reasons = nil
		e, err := collab.Decide(ctx, dir, "central-bank", nil, bare, decidedAt)
		require.NoError(t, err)
		assert.NotContains(t, e.Reason, "case:")
	})
	t.Run("the policy sees the department and the case", func(t *testing.T) {
		var seen collab.Org
		var seenCase collab.Case
		_, err := collab.Decide(ctx, dir, "miit", policyFunc(func(_ context.Context, d collab.Org, c collab.Case) (collab.Verdict, error) {
			seen, seenCase = d, c
			return collab.Verdict{Decision: schema.EscalationEscalate, Reason: "r"}, nil
		}), c, decidedAt)
		require.NoError(t, err)
		assert.Equal(t, "miit", seen.ID)
		assert.Equal(t, []collab.Sector{collab.SectorTelecom, collab.SectorCommerce}, seen.Sectors)
		assert.Equal(t, c, seenCase)
	})

	boom := errors.New("roster service down")
	bad := []struct {
		name    string
		policy  collab.EscalationPolicy
		wantErr error
		wantMsg string
	}{
		{"policy error", policyFunc(func(context.Context, collab.Org, collab.Case) (collab.Verdict, error) { return collab.Verdict{}, boom }),
			boom, `collab: escalation policy for "central-bank": roster service down`},
		{"no decision", fixed(collab.Verdict{Reason: "r"}), collab.ErrBadVerdict, `unknown decision ""`},
		{"handle without action", fixed(collab.Verdict{Decision: schema.EscalationHandleHere, Reason: "r"}), collab.ErrBadVerdict, "handle_here needs an action"},
		{"other without note", fixed(collab.Verdict{Decision: schema.EscalationHandleHere, Action: schema.EscalationActionOther, Reason: "r"}),
			collab.ErrBadVerdict, "needs an action note"},
		{"unknown action", fixed(collab.Verdict{Decision: schema.EscalationHandleHere, Action: "arrest", Reason: "r"}), collab.ErrBadVerdict, `unknown action "arrest"`},
		{"unknown urgency", fixed(collab.Verdict{Decision: schema.EscalationEscalate, Urgency: "asap", Reason: "r"}), collab.ErrBadVerdict, `unknown urgency "asap"`},
		{"no reason", fixed(collab.Verdict{Decision: schema.EscalationEscalate, Reason: " "}), collab.ErrBadVerdict, "no reason"},
		{"target not specialized", fixed(collab.Verdict{Decision: schema.EscalationEscalate, Reason: "r", To: "miit"}), collab.ErrNoEscalationTarget, `"miit"`},
		{"target unknown", fixed(collab.Verdict{Decision: schema.EscalationEscalate, Reason: "r", To: "nobody"}), collab.ErrNoEscalationTarget, ""},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := collab.Decide(ctx, dir, "central-bank", tt.policy, c, decidedAt)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.Contains(t, err.Error(), tt.wantMsg)
		})
	}
	t.Run("target that takes no escalations", func(t *testing.T) {
		_, err := collab.Decide(ctx, targetScheme(t, true), "dept", fixed(collab.Verdict{Decision: schema.EscalationEscalate, Reason: "r", To: "sd-gamma"}),
			incident(0.5, schema.KindFinanceTransaction), decidedAt)
		assert.ErrorIs(t, err, collab.ErrNoEscalationTarget)
	})
}

func TestThresholdPolicy(t *testing.T) {
	ctx := context.Background()
	dept := collab.Org{ID: "central-bank", Tier: collab.GeneralBusinessDepartment, Sectors: []collab.Sector{collab.SectorFinance}}
	tests := []struct {
		threshold float64
		score     float64
		want      schema.EscalationDecision
	}{
		{0, 0, schema.EscalationEscalate}, // the zero policy escalates everything
		{0.8, 0.79, schema.EscalationHandleHere},
		{0.8, 0.8, schema.EscalationEscalate},
		{1, 0.99, schema.EscalationHandleHere},
		{1, 1, schema.EscalationEscalate},
	}
	for _, tt := range tests {
		v, err := collab.ThresholdPolicy{Threshold: tt.threshold}.Decide(ctx, dept, incident(tt.score, schema.KindFinanceTransaction))
		require.NoError(t, err)
		assert.Equal(t, tt.want, v.Decision, "threshold %v score %v", tt.threshold, tt.score)
		assert.Equal(t, collab.UrgencyForScore(tt.score), v.Urgency)
	}
	assert.Equal(t, collab.ThresholdPolicy{Threshold: collab.DefaultEscalationThreshold}, collab.DefaultEscalationPolicy())

	// An organization without sectors (not from a directory) is monitored.
	v, err := collab.DefaultEscalationPolicy().Decide(ctx, collab.Org{ID: "x"}, incident(0.1, schema.KindProduct))
	require.NoError(t, err)
	assert.Equal(t, schema.EscalationActionMonitor, v.Action)
}

func TestUrgencyForScore(t *testing.T) {
	for score, want := range map[float64]schema.Priority{
		0: schema.PriorityLow, 0.39: schema.PriorityLow, 0.4: schema.PriorityMedium, 0.69: schema.PriorityMedium,
		0.7: schema.PriorityHigh, 0.89: schema.PriorityHigh, 0.9: schema.PriorityCritical, 1: schema.PriorityCritical,
	} {
		assert.Equal(t, want, collab.UrgencyForScore(score), "%v", score)
	}
}

func TestKindSectorAndSectorAction(t *testing.T) {
	for kind, want := range map[string]collab.Sector{
		schema.KindFinanceTransaction: collab.SectorFinance, schema.KindTransportFreight: collab.SectorTransport,
		schema.KindTelecomAccountReport: collab.SectorTelecom, schema.KindCommerceHazmat: collab.SectorCommerce,
		schema.KindServicesLodging: collab.SectorServices, schema.KindHealthInfectious: collab.SectorHealth,
		schema.KindCustomsInspection: collab.SectorCustoms,
	} {
		got, ok := collab.KindSector(kind)
		assert.True(t, ok, kind)
		assert.Equal(t, want, got, kind)
	}
	for _, kind := range []string{schema.KindProduct, "nodot", "chemistry.x"} {
		_, ok := collab.KindSector(kind)
		assert.False(t, ok, kind)
	}
	for s, want := range map[collab.Sector]schema.EscalationAction{
		collab.SectorFinance: schema.EscalationActionRecommendFreezeFunds, collab.SectorTransport: schema.EscalationActionAddCarrierBlacklist,
		collab.SectorCustoms: schema.EscalationActionAddInspectionList, collab.SectorHealth: schema.EscalationActionAddInspectionList,
		collab.SectorTelecom: schema.EscalationActionSuspendAccount, collab.SectorCommerce: schema.EscalationActionMonitor,
		collab.SectorServices: schema.EscalationActionMonitor, collab.SectorNonprofit: schema.EscalationActionMonitor,
		collab.SectorPublic: schema.EscalationActionMonitor, collab.SectorSecurity: schema.EscalationActionMonitor,
	} {
		assert.Equal(t, want, collab.SectorAction(s), s)
	}
}

func TestEscalatorRecords(t *testing.T) {
	ctx := context.Background()
	j := newEntryLog()
	esc, err := collab.NewEscalator(collab.EscalatorConfig{
		Directory: loadScheme(t), Journal: j, NewID: idSeq(300), Now: func() time.Time { return decidedAt },
	})
	require.NoError(t, err)

	escalated, err := esc.Decide(ctx, "transport-ministry", incident(0.92, schema.KindTransportPassenger))
	require.NoError(t, err)
	handled, err := esc.Decide(ctx, "central-bank", incident(0.4, schema.KindFinanceTransaction))
	require.NoError(t, err)
	_, err = esc.Decide(ctx, "public-security", incident(0.4))
	assert.ErrorIs(t, err, collab.ErrWrongParty)

	assert.Equal(t, testID(300), escalated.ID)
	assert.Equal(t, testID(301), handled.ID)
	es := j.all()
	assert.Equal(t, []entryLine{
		{schema.KindEscalation, collab.InteractionEscalation, "transport-ministry", "public-security"},
		{schema.KindEscalation, collab.InteractionNone, "central-bank", "public-security"},
		{collab.EntryAction, collab.InteractionNone, "central-bank", ""},
	}, lines(es))
	assert.Equal(t, []string{escalated.ID, handled.ID, handled.ID}, []string{es[0].Ref, es[1].Ref, es[2].Ref})
	for _, e := range es {
		assert.Equal(t, decidedAt, e.At)
	}
	var back schema.Escalation
	require.NoError(t, json.Unmarshal(es[2].Data, &back))
	assert.Equal(t, handled, back)
	assert.Equal(t, schema.EscalationActionRecommendFreezeFunds, back.Action)

	// Counting as a work report would: escalations are interaction 5,
	// actions are EntryAction entries.
	var escalations, actions int
	for e, err := range j.Entries(ctx, 1) {
		require.NoError(t, err)
		if e.Kind == schema.KindEscalation && e.Interaction == collab.InteractionEscalation {
			escalations++
		}
		if e.Kind == collab.EntryAction {
			actions++
		}
	}
	assert.Equal(t, 1, escalations)
	assert.Equal(t, 1, actions)
}

func TestEscalatorJournalFailure(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("disk full")
	j := newEntryLog()
	j.failErr = boom
	esc, err := collab.NewEscalator(collab.EscalatorConfig{Directory: loadScheme(t), Journal: j})
	require.NoError(t, err)

	j.failAfter = 0
	_, err = esc.Decide(ctx, "transport-ministry", incident(0.92, schema.KindTransportPassenger))
	assert.ErrorIs(t, err, boom)
	j.failAfter = 1
	_, err = esc.Decide(ctx, "central-bank", incident(0.4, schema.KindFinanceTransaction))
	assert.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), "1 of 2 entries recorded")

	err = collab.EscalatorConfig{}.Validate()
	assert.ErrorContains(t, err, "Directory is nil")
	assert.ErrorContains(t, err, "Journal is nil")
	_, err = collab.NewEscalator(collab.EscalatorConfig{})
	assert.Error(t, err)
}

func TestEscalationEntries(t *testing.T) {
	e := schema.Escalation{ID: testID(1), From: "customs", To: "public-security", Decision: schema.EscalationHandleHere,
		Action: schema.EscalationActionAddInspectionList, Reason: "r", Urgency: schema.PriorityLow, DecidedAt: decidedAt}
	es, err := collab.EscalationEntries(e)
	require.NoError(t, err)
	assert.Equal(t, []entryLine{
		{schema.KindEscalation, collab.InteractionNone, "customs", "public-security"},
		{collab.EntryAction, collab.InteractionNone, "customs", ""},
	}, lines(es))
	e.Decision, e.Action = schema.EscalationEscalate, ""
	es, err = collab.EscalationEntries(e)
	require.NoError(t, err)
	assert.Equal(t, []entryLine{{schema.KindEscalation, collab.InteractionEscalation, "customs", "public-security"}}, lines(es))
	for _, en := range es {
		assert.Zero(t, en.Seq, "the journal assigns Seq")
	}
}
