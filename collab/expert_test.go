package collab_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// entryLog is a test-only collab.Journal: it keeps entries in memory and
// fails Append with failErr once failAfter entries are in (failAfter < 0:
// never).
type entryLog struct {
	mu        sync.Mutex
	entries   []collab.Entry
	failAfter int
	failErr   error
}

func newEntryLog() *entryLog { return &entryLog{failAfter: -1} }

func (l *entryLog) Append(ctx context.Context, e collab.Entry) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failAfter >= 0 && len(l.entries) >= l.failAfter {
		return 0, l.failErr
	}
	e.Seq = uint64(len(l.entries) + 1)
	l.entries = append(l.entries, e)
	return e.Seq, nil
}

func (l *entryLog) Entries(ctx context.Context, from uint64) iter.Seq2[collab.Entry, error] {
	return func(yield func(collab.Entry, error) bool) {
		l.mu.Lock()
		es := slices.Clone(l.entries)
		l.mu.Unlock()
		for _, e := range es {
			if e.Seq < from {
				continue
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}

// all returns the entries recorded so far.
func (l *entryLog) all() []collab.Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.entries)
}

// entryLine summarizes an entry for comparison: kind, interaction, org,
// counterpart.
type entryLine struct {
	Kind        string
	Interaction collab.Interaction
	Org         string
	Counterpart string
}

func lines(es []collab.Entry) []entryLine {
	out := make([]entryLine, len(es))
	for i, e := range es {
		out[i] = entryLine{e.Kind, e.Interaction, e.Org, e.Counterpart}
	}
	return out
}

// testID returns a valid UUID v7 that sorts by n.
func testID(n int) string { return fmt.Sprintf("01950000-0000-7000-8000-%012x", n) }

// idSeq returns a generator of testID(start), testID(start+1), ...
func idSeq(start int) func() string {
	var mu sync.Mutex
	n := start
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return testID(n - 1)
	}
}

// day is 2026-04-d at 00:00 UTC.
func aprilDay(d int) time.Time { return time.Date(2026, 4, d, 0, 0, 0, 0, time.UTC) }

// april is the period experts are asked for in these tests: 1 to 11 April.
var april = schema.Window{From: aprilDay(1), To: aprilDay(11)}

// specTask is a task of public security's, under which it asks for
// experts.
func specTask(kinds ...string) schema.Task {
	return schema.Task{
		ID: testID(900), PlanID: testID(901), RequirementID: testID(902),
		Issuer: "leading-group", Assignee: []string{"public-security"},
		Title: "Analyse fund flows", Instructions: "Analyse the flagged fund flows.",
		Stage: schema.StageAnalysis, Kinds: kinds, Priority: schema.PriorityHigh,
		IssuedAt: aprilDay(1), Deadline: aprilDay(20),
	}
}

// expert returns a subject whose pseudonym is n in hex.
func expert(n int) schema.Subject {
	return schema.Subject{Pseudonym: fmt.Sprintf("%064x", n), IDType: schema.IDNationalID, KeyID: "key-2026"}
}

// offer returns a valid offer for req from org of expert n, available
// during w, made at at.
func offer(id int, req schema.ExpertRequest, org string, n int, w schema.Window, at time.Time) schema.ExpertOffer {
	return schema.ExpertOffer{
		ID: testID(id), RequestID: req.ID, OfferedBy: org, Domain: req.Domain,
		Expert: expert(n), Available: w, Qualifications: []string{"ten years of " + string(req.Domain) + " analysis"},
		OfferedAt: at,
	}
}

// validate checks msg against the schema of kind.
func validate(t *testing.T, kind string, msg any) {
	t.Helper()
	v, err := schema.NewValidator()
	require.NoError(t, err)
	raw, err := json.Marshal(msg)
	require.NoError(t, err)
	require.NoError(t, v.ValidatePayload(kind, 1, raw), "%s", raw)
}

func TestKindExpertPolicy(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		policy     collab.KindExpertPolicy
		kinds      []string
		have       []schema.ExpertDomain
		want       collab.ExpertNeed
		reasonHave string
	}{
		{name: "finance not in-house", kinds: []string{schema.KindFinanceTransaction},
			want:       collab.ExpertNeed{Need: true, Domain: schema.ExpertDomainFinance},
			reasonHave: "needs finance expertise (for finance.transaction), which is not in-house"},
		{name: "hazmat needs a chemist", kinds: []string{schema.KindCommerceHazmat}, have: []schema.ExpertDomain{"commerce"},
			want: collab.ExpertNeed{Need: true, Domain: schema.ExpertDomainChemistry}, reasonHave: "chemistry"},
		{name: "transport in-house", kinds: []string{schema.KindTransportPassenger, schema.KindTransportFreight},
			have: []schema.ExpertDomain{schema.ExpertDomainTransport},
			want: collab.ExpertNeed{Domain: schema.ExpertDomainTransport}, reasonHave: "in-house (transport)"},
		{name: "first missing in kind order", kinds: []string{schema.KindTransportPassenger, schema.KindTelecomAccountReport, schema.KindCustomsEntryExit},
			have: []schema.ExpertDomain{schema.ExpertDomainTransport},
			want: collab.ExpertNeed{Need: true, Domain: schema.ExpertDomainTelecom}, reasonHave: "also missing: customs"},
		{name: "prefix of a future kind", kinds: []string{"telecom.call_record"},
			want: collab.ExpertNeed{Need: true, Domain: schema.ExpertDomainTelecom}},
		{name: "no kinds", want: collab.ExpertNeed{}, reasonHave: "names no record kinds"},
		{name: "kinds without domain", kinds: []string{schema.KindProduct, "other.thing"},
			want: collab.ExpertNeed{}, reasonHave: "no field of expertise is known"},
		{name: "own table", policy: collab.KindExpertPolicy{Domains: map[string]schema.ExpertDomain{schema.KindTelecomAccountReport: schema.ExpertDomainCyber}},
			kinds: []string{schema.KindTelecomAccountReport}, have: []schema.ExpertDomain{schema.ExpertDomainTelecom},
			want: collab.ExpertNeed{Need: true, Domain: schema.ExpertDomainCyber}},
		{name: "zero policy uses the default table", policy: collab.KindExpertPolicy{}, kinds: []string{schema.KindCommerceHazmat},
			want: collab.ExpertNeed{Need: true, Domain: schema.ExpertDomainChemistry}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.policy
			if p.Domains == nil && !strings.HasPrefix(tt.name, "zero") {
				p = collab.DefaultExpertPolicy()
			}
			got, err := p.NeedsExpert(ctx, specTask(tt.kinds...), tt.have)
			require.NoError(t, err)
			assert.Equal(t, tt.want.Need, got.Need)
			assert.Equal(t, tt.want.Domain, got.Domain)
			assert.NotEmpty(t, got.Reason)
			assert.Contains(t, got.Reason, tt.reasonHave)
		})
	}
}

func TestKindExpertDomainsCoverEveryRecordKind(t *testing.T) {
	p := collab.DefaultExpertPolicy()
	for _, k := range []string{
		schema.KindFinanceTransaction, schema.KindTransportPassenger, schema.KindTransportFreight,
		schema.KindTelecomAccountReport, schema.KindCommerceHazmat, schema.KindServicesLodging,
		schema.KindHealthInfectious, schema.KindCustomsEntryExit, schema.KindCustomsInspection,
	} {
		d, ok := p.DomainOf(k)
		assert.True(t, ok, k)
		assert.Contains(t, collab.ExpertDomains(), d, k)
	}
	_, ok := p.DomainOf("collab.task")
	assert.False(t, ok)
	_, ok = p.DomainOf("nodot")
	assert.False(t, ok)
}

func TestExpertAddressees(t *testing.T) {
	dir := loadScheme(t)
	tests := []struct {
		domain  schema.ExpertDomain
		channel schema.ExpertChannel
		want    []string
	}{
		{schema.ExpertDomainFinance, schema.ExpertSecondment, []string{"central-bank"}},
		{schema.ExpertDomainTransport, schema.ExpertSecondment, []string{"transport-ministry"}},
		{schema.ExpertDomainChemistry, schema.ExpertSecondment, []string{"miit"}},
		{schema.ExpertDomainCyber, schema.ExpertSecondment, []string{"miit"}},
		{schema.ExpertDomainHealth, schema.ExpertSecondment, []string{"customs"}},
		{schema.ExpertDomainServices, schema.ExpertSecondment, nil},
		{schema.ExpertDomainOther, schema.ExpertSecondment, nil},
		{schema.ExpertDomainFinance, schema.ExpertHire, []string{"bank-north-01", "bank-south-02", "payment-east-01"}},
		{schema.ExpertDomainChemistry, schema.ExpertHire, []string{"freight-east-01", "hazmat-maker-south-01", "hazmat-seller-north-01", "platform-east-01"}},
		{schema.ExpertDomainServices, schema.ExpertHire, []string{"hotel-north-01", "hotel-south-02"}},
		{schema.ExpertDomainLinguistics, schema.ExpertHire, []string{"hospital-east-02", "hospital-north-01", "nonprofit-north-01"}},
		{schema.ExpertDomainFinance, "loan", nil},
	}
	for _, tt := range tests {
		t.Run(string(tt.channel)+"/"+string(tt.domain), func(t *testing.T) {
			assert.Equal(t, tt.want, collab.ExpertAddressees(dir, tt.domain, tt.channel))
		})
	}
	for _, d := range collab.ExpertDomains() {
		for _, s := range collab.ExpertDomainSectors(d) {
			assert.True(t, s.Valid(), "%s -> %s", d, s)
		}
	}
	assert.Empty(t, collab.ExpertDomainSectors("astrology"))
}

func TestExpertInteraction(t *testing.T) {
	assert.Equal(t, collab.InteractionSecondment, collab.ExpertInteraction(schema.ExpertSecondment))
	assert.Equal(t, collab.InteractionHire, collab.ExpertInteraction(schema.ExpertHire))
	assert.Equal(t, collab.InteractionNone, collab.ExpertInteraction("loan"))
}

func TestNewExpertRequest(t *testing.T) {
	dir := loadScheme(t)
	at := aprilDay(1).Add(9 * time.Hour)
	tests := []struct {
		name           string
		domain         schema.ExpertDomain
		channel        schema.ExpertChannel
		opts           []collab.ExpertRequestOption
		wantAddressees []string
		check          func(t *testing.T, r schema.ExpertRequest)
	}{
		{name: "secondment finance", domain: schema.ExpertDomainFinance, channel: schema.ExpertSecondment,
			wantAddressees: []string{"central-bank"}},
		{name: "secondment chemistry", domain: schema.ExpertDomainChemistry, channel: schema.ExpertSecondment,
			wantAddressees: []string{"miit"}},
		{name: "hire finance", domain: schema.ExpertDomainFinance, channel: schema.ExpertHire,
			wantAddressees: []string{"bank-north-01", "bank-south-02", "payment-east-01"}},
		{name: "hire other with named addressees", domain: schema.ExpertDomainOther, channel: schema.ExpertHire,
			opts:           []collab.ExpertRequestOption{collab.WithExpertAddressees("nonprofit-north-01", "bank-north-01", "nonprofit-north-01")},
			wantAddressees: []string{"bank-north-01", "nonprofit-north-01"}},
		{name: "every option", domain: schema.ExpertDomainTransport, channel: schema.ExpertSecondment,
			opts: []collab.ExpertRequestOption{
				collab.WithExpertCount(2), collab.WithExpertSkills("freight routing", "dangerous goods"),
				collab.WithExpertRespondBy(aprilDay(3)), collab.WithExpertNote("clearance required"),
			},
			wantAddressees: []string{"transport-ministry"},
			check: func(t *testing.T, r schema.ExpertRequest) {
				assert.Equal(t, 2, r.NeededCount)
				assert.Equal(t, []string{"freight routing", "dangerous goods"}, r.Skills)
				require.NotNil(t, r.RespondBy)
				assert.Equal(t, aprilDay(3), *r.RespondBy)
				assert.Equal(t, "clearance required", r.Note)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]collab.ExpertRequestOption{collab.WithExpertRequestID(testID(1)), collab.WithExpertRequestedAt(at)}, tt.opts...)
			req, addressees, err := collab.NewExpertRequest(dir, "public-security", specTask(schema.KindFinanceTransaction),
				tt.domain, tt.channel, april, opts...)
			require.NoError(t, err)
			validate(t, schema.KindExpertRequest, req)
			assert.Equal(t, tt.wantAddressees, addressees)
			assert.Equal(t, tt.wantAddressees, req.Addressees)
			assert.Equal(t, testID(1), req.ID)
			assert.Equal(t, "public-security", req.Requester)
			assert.Equal(t, testID(900), req.TaskID)
			assert.Equal(t, tt.domain, req.Domain)
			assert.Equal(t, tt.channel, req.Channel)
			assert.Equal(t, april, req.Period)
			assert.Equal(t, at, req.RequestedAt)
			if tt.check != nil {
				tt.check(t, req)
			} else {
				assert.Equal(t, 1, req.NeededCount)
			}
		})
	}
}

func TestNewExpertRequestDefaults(t *testing.T) {
	dir := loadScheme(t)
	// A period given in another zone is written in UTC.
	cst := time.FixedZone("CST", 8*3600)
	period := schema.Window{From: aprilDay(1).In(cst), To: aprilDay(11).In(cst)}
	before := time.Now().UTC()
	req, _, err := collab.NewExpertRequest(dir, "public-security", specTask(), schema.ExpertDomainFinance, schema.ExpertSecondment, period)
	require.NoError(t, err)
	validate(t, schema.KindExpertRequest, req)
	assert.Equal(t, time.UTC, req.Period.From.Location())
	assert.True(t, req.Period.From.Equal(aprilDay(1)))
	assert.False(t, req.RequestedAt.Before(before))
	assert.Len(t, req.ID, 36)
	assert.Equal(t, byte('7'), req.ID[14], "a UUID v7")
}

func TestNewExpertRequestRefused(t *testing.T) {
	dir := loadScheme(t)
	task := specTask(schema.KindFinanceTransaction)
	tests := []struct {
		name      string
		requester string
		task      *schema.Task
		domain    schema.ExpertDomain
		channel   schema.ExpertChannel
		period    *schema.Window
		opts      []collab.ExpertRequestOption
		wantErr   []error
		wantMsg   string
	}{
		{name: "general business department", requester: "central-bank",
			wantErr: []error{collab.ErrWrongParty},
			wantMsg: `collab: wrong party: "central-bank" (general_business_department) may not request experts; only a specialized_department may`},
		{name: "social force", requester: "bank-north-01", wantErr: []error{collab.ErrWrongParty}},
		{name: "leading group", requester: "leading-group", wantErr: []error{collab.ErrWrongParty}},
		{name: "unknown", requester: "nobody", wantErr: []error{collab.ErrUnknownOrg}},
		{name: "unknown channel", channel: "loan", wantErr: []error{collab.ErrExpertRequest}, wantMsg: `unknown channel "loan"`},
		{name: "unknown domain", domain: "astrology", wantErr: []error{collab.ErrExpertRequest}, wantMsg: `unknown domain "astrology"`},
		{name: "not on the task", requester: "state-security", wantErr: []error{collab.ErrExpertRequest},
			wantMsg: `"state-security" is neither an assignee nor the issuer`},
		{name: "task without id", task: &schema.Task{Assignee: []string{"public-security"}}, wantErr: []error{collab.ErrExpertRequest}},
		{name: "empty period", period: &schema.Window{From: aprilDay(5), To: aprilDay(5)}, wantErr: []error{collab.ErrExpertRequest}, wantMsg: "is empty"},
		{name: "zero period", period: &schema.Window{}, wantErr: []error{collab.ErrExpertRequest}},
		{name: "no department in services", domain: schema.ExpertDomainServices, wantErr: []error{collab.ErrNoAddressee},
			wantMsg: "collab: no addressee for expert request: no general_business_department works in the sectors of domain services (services)"},
		{name: "no sectors for other", domain: schema.ExpertDomainOther, channel: schema.ExpertHire, wantErr: []error{collab.ErrNoAddressee}},
		{name: "count 0", opts: []collab.ExpertRequestOption{collab.WithExpertCount(0)}, wantErr: []error{collab.ErrExpertRequest}},
		{name: "count 101", opts: []collab.ExpertRequestOption{collab.WithExpertCount(101)}, wantErr: []error{collab.ErrExpertRequest}},
		{name: "no skills", opts: []collab.ExpertRequestOption{collab.WithExpertSkills()}, wantErr: []error{collab.ErrExpertRequest}},
		{name: "no addressees", opts: []collab.ExpertRequestOption{collab.WithExpertAddressees()}, wantErr: []error{collab.ErrExpertRequest}},
		{name: "zero respond by", opts: []collab.ExpertRequestOption{collab.WithExpertRespondBy(time.Time{})}, wantErr: []error{collab.ErrExpertRequest}},
		{name: "zero requested at", opts: []collab.ExpertRequestOption{collab.WithExpertRequestedAt(time.Time{})}, wantErr: []error{collab.ErrExpertRequest}},
		{name: "respond after the period", opts: []collab.ExpertRequestOption{collab.WithExpertRespondBy(aprilDay(11))},
			wantErr: []error{collab.ErrExpertRequest}, wantMsg: "is not before the end of the period"},
		{name: "addressee of the wrong tier", opts: []collab.ExpertRequestOption{collab.WithExpertAddressees("bank-north-01")},
			wantErr: []error{collab.ErrExpertRequest, collab.ErrWrongParty}},
		{name: "unknown addressee", opts: []collab.ExpertRequestOption{collab.WithExpertAddressees("nobody")},
			wantErr: []error{collab.ErrExpertRequest, collab.ErrUnknownOrg}},
		{name: "schema refuses a long skill", opts: []collab.ExpertRequestOption{collab.WithExpertSkills(strings.Repeat("x", 129))},
			wantErr: []error{collab.ErrExpertRequest, schema.ErrInvalid}, wantMsg: "/skills/0"},
		{name: "schema refuses a bad id", opts: []collab.ExpertRequestOption{collab.WithExpertRequestID("42")},
			wantErr: []error{collab.ErrExpertRequest, schema.ErrInvalid}, wantMsg: "/id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requester, tk, domain, channel, period := "public-security", task, schema.ExpertDomainFinance, schema.ExpertSecondment, april
			if tt.requester != "" {
				requester = tt.requester
			}
			if tt.task != nil {
				tk = *tt.task
			}
			if tt.domain != "" {
				domain = tt.domain
			}
			if tt.channel != "" {
				channel = tt.channel
			}
			if tt.period != nil {
				period = *tt.period
			}
			req, addressees, err := collab.NewExpertRequest(dir, requester, tk, domain, channel, period, tt.opts...)
			require.Error(t, err)
			for _, want := range tt.wantErr {
				assert.ErrorIs(t, err, want)
			}
			assert.True(t, strings.HasPrefix(err.Error(), "collab: "), err.Error())
			assert.Contains(t, err.Error(), tt.wantMsg)
			assert.Zero(t, req.ID)
			assert.Nil(t, addressees)
			if errors.Is(err, schema.ErrInvalid) {
				var ve *schema.ValidationError
				assert.ErrorAs(t, err, &ve)
			}
		})
	}
}

func TestNewExpertRequestPartyError(t *testing.T) {
	dir := loadScheme(t)
	_, _, err := collab.NewExpertRequest(dir, "bank-north-01", specTask(), schema.ExpertDomainFinance, schema.ExpertHire, april)
	var te *collab.PartyError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, collab.PartyError{Org: "bank-north-01", Tier: collab.SocialForce, Act: "request experts", Rule: "only a specialized_department may"}, *te)
}

func TestNewExpertRequestIssuerMayAsk(t *testing.T) {
	dir := loadScheme(t)
	task := specTask()
	task.Issuer, task.Assignee = "public-security", []string{"central-bank"}
	_, _, err := collab.NewExpertRequest(dir, "public-security", task, schema.ExpertDomainFinance, schema.ExpertSecondment, april)
	assert.NoError(t, err)
}

// request makes a valid request of public security's for tests.
func request(t *testing.T, dir *collab.Directory, domain schema.ExpertDomain, channel schema.ExpertChannel, opts ...collab.ExpertRequestOption) schema.ExpertRequest {
	t.Helper()
	opts = append([]collab.ExpertRequestOption{collab.WithExpertRequestID(testID(1)), collab.WithExpertRequestedAt(aprilDay(1))}, opts...)
	req, _, err := collab.NewExpertRequest(dir, "public-security", specTask(), domain, channel, april, opts...)
	require.NoError(t, err)
	return req
}

func TestCheckOffer(t *testing.T) {
	dir := loadScheme(t)
	second := request(t, dir, schema.ExpertDomainFinance, schema.ExpertSecondment, collab.WithExpertRespondBy(aprilDay(3)))
	hire := request(t, dir, schema.ExpertDomainFinance, schema.ExpertHire)
	good := offer(10, second, "central-bank", 1, april, aprilDay(2))
	tests := []struct {
		name    string
		req     schema.ExpertRequest
		change  func(o *schema.ExpertOffer)
		wantErr []error
		wantMsg []string
	}{
		{name: "secondment from the central bank", req: second},
		{name: "hire from a bank", req: hire, change: func(o *schema.ExpertOffer) { o.OfferedBy = "bank-south-02" }},
		{name: "partly available", req: second, change: func(o *schema.ExpertOffer) { o.Available = schema.Window{From: aprilDay(10), To: aprilDay(20)} }},
		{name: "on the deadline", req: second, change: func(o *schema.ExpertOffer) { o.OfferedAt = aprilDay(3) }},
		{name: "another request", req: second, change: func(o *schema.ExpertOffer) { o.RequestID = testID(2) },
			wantErr: []error{collab.ErrOfferRefused}, wantMsg: []string{"it answers request"}},
		{name: "social force for a secondment", req: second, change: func(o *schema.ExpertOffer) { o.OfferedBy = "bank-north-01" },
			wantErr: []error{collab.ErrOfferRefused}, wantMsg: []string{`"bank-north-01" is a social_force; a request by secondment is answered by a general_business_department`}},
		{name: "department for a hire", req: hire,
			wantErr: []error{collab.ErrOfferRefused}, wantMsg: []string{"is answered by a social_force"}},
		{name: "not asked", req: second, change: func(o *schema.ExpertOffer) { o.OfferedBy = "transport-ministry" },
			wantErr: []error{collab.ErrOfferRefused}, wantMsg: []string{`"transport-ministry" was not asked (asked: central-bank)`}},
		{name: "unknown", req: second, change: func(o *schema.ExpertOffer) { o.OfferedBy = "nobody" },
			wantErr: []error{collab.ErrOfferRefused, collab.ErrUnknownOrg}, wantMsg: []string{`"nobody" is not in the directory`}},
		{name: "other domain", req: second, change: func(o *schema.ExpertOffer) { o.Domain = schema.ExpertDomainTransport },
			wantErr: []error{collab.ErrOfferRefused}, wantMsg: []string{"it offers a transport expert; finance is asked for"}},
		{name: "outside the period", req: second, change: func(o *schema.ExpertOffer) { o.Available = schema.Window{From: aprilDay(11), To: aprilDay(20)} },
			wantErr: []error{collab.ErrOfferRefused}, wantMsg: []string{"outside the period"}},
		{name: "late", req: second, change: func(o *schema.ExpertOffer) { o.OfferedAt = aprilDay(3).Add(time.Second) },
			wantErr: []error{collab.ErrOfferRefused}, wantMsg: []string{"after the deadline"}},
		{name: "every problem at once", req: second, change: func(o *schema.ExpertOffer) {
			o.OfferedBy, o.Domain, o.Available = "transport-ministry", schema.ExpertDomainCyber, schema.Window{From: aprilDay(20), To: aprilDay(21)}
		}, wantErr: []error{collab.ErrOfferRefused}, wantMsg: []string{"was not asked", "cyber expert", "outside the period"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good
			if tt.change != nil {
				tt.change(&o)
			}
			err := collab.CheckOffer(dir, tt.req, o)
			if tt.wantErr == nil {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, want := range tt.wantErr {
				assert.ErrorIs(t, err, want)
			}
			for _, want := range tt.wantMsg {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestCheckOfferRecomputesAddresseesWhenTheRequestListsNone(t *testing.T) {
	dir := loadScheme(t)
	req := request(t, dir, schema.ExpertDomainFinance, schema.ExpertHire)
	req.Addressees = nil // as when more than 256 were asked
	assert.NoError(t, collab.CheckOffer(dir, req, offer(10, req, "payment-east-01", 1, april, aprilDay(2))))
	assert.ErrorIs(t, collab.CheckOffer(dir, req, offer(10, req, "rail-north-01", 1, april, aprilDay(2))), collab.ErrOfferRefused)
}

func TestMatch(t *testing.T) {
	dir := loadScheme(t)
	second := request(t, dir, schema.ExpertDomainFinance, schema.ExpertSecondment)
	hire := request(t, dir, schema.ExpertDomainChemistry, schema.ExpertHire)
	two := request(t, dir, schema.ExpertDomainFinance, schema.ExpertHire, collab.WithExpertCount(2))
	now := aprilDay(4)
	type want struct {
		outcome schema.AssignmentOutcome
		offerID string // assigned only
		period  schema.Window
		reason  string
	}
	tests := []struct {
		name   string
		req    schema.ExpertRequest
		offers []schema.ExpertOffer
		want   []want
	}{
		{name: "secondment with a match", req: second,
			offers: []schema.ExpertOffer{offer(10, second, "central-bank", 1, april, aprilDay(2))},
			want:   []want{{outcome: schema.AssignmentAssigned, offerID: testID(10), period: april, reason: "finance expert available for 100% of the period; chosen among 1 matching offers"}}},
		{name: "hire with a match", req: hire,
			offers: []schema.ExpertOffer{offer(10, hire, "hazmat-maker-south-01", 1, schema.Window{From: aprilDay(6), To: aprilDay(30)}, aprilDay(2))},
			want:   []want{{outcome: schema.AssignmentAssigned, offerID: testID(10), period: schema.Window{From: aprilDay(6), To: aprilDay(11)}, reason: "available for 50% of the period"}}},
		{name: "no offers", req: second,
			want: []want{{outcome: schema.AssignmentNoExpertAvailable, reason: "no offer was received"}}},
		{name: "offers in the wrong domain", req: second,
			offers: func() []schema.ExpertOffer {
				o1, o2 := offer(10, second, "central-bank", 1, april, aprilDay(2)), offer(11, second, "central-bank", 2, april, aprilDay(2))
				o1.Domain, o2.Domain = schema.ExpertDomainTransport, schema.ExpertDomainCyber
				return []schema.ExpertOffer{o1, o2}
			}(),
			want: []want{{outcome: schema.AssignmentNoExpertAvailable, reason: "none of 2 offers can meet the request: 2 offer another domain than finance"}}},
		{name: "offers outside the period", req: second,
			offers: []schema.ExpertOffer{
				offer(10, second, "central-bank", 1, schema.Window{From: aprilDay(11), To: aprilDay(20)}, aprilDay(2)),
				offer(11, second, "central-bank", 2, schema.Window{From: aprilDay(1).AddDate(0, -1, 0), To: aprilDay(1)}, aprilDay(2)),
			},
			want: []want{{outcome: schema.AssignmentNoExpertAvailable, reason: "none of 2 offers can meet the request: 2 are not available during the period"}}},
		{name: "every cause", req: second,
			offers: func() []schema.ExpertOffer {
				a, b, c := offer(10, second, "central-bank", 1, april, aprilDay(2)), offer(11, second, "central-bank", 2, april, aprilDay(2)), offer(12, second, "central-bank", 3, schema.Window{From: aprilDay(20), To: aprilDay(21)}, aprilDay(2))
				a.RequestID, b.Domain = testID(99), schema.ExpertDomainHealth
				return []schema.ExpertOffer{a, b, c}
			}(),
			want: []want{{outcome: schema.AssignmentNoExpertAvailable, reason: "none of 3 offers can meet the request: 1 answer another request, 1 offer another domain than finance, 1 are not available during the period"}}},
		{name: "more of the period beats an earlier offer", req: second,
			offers: []schema.ExpertOffer{
				offer(10, second, "central-bank", 1, schema.Window{From: aprilDay(1), To: aprilDay(5)}, aprilDay(1)),
				offer(11, second, "central-bank", 2, schema.Window{From: aprilDay(2), To: aprilDay(30)}, aprilDay(3)),
			},
			want: []want{{outcome: schema.AssignmentAssigned, offerID: testID(11), period: schema.Window{From: aprilDay(2), To: aprilDay(11)}, reason: "90% of the period; chosen among 2"}}},
		{name: "earlier offer at equal cover", req: second,
			offers: []schema.ExpertOffer{
				offer(10, second, "central-bank", 1, april, aprilDay(3)),
				offer(11, second, "central-bank", 2, april, aprilDay(2)),
			},
			want: []want{{outcome: schema.AssignmentAssigned, offerID: testID(11), period: april}}},
		{name: "smaller id at equal cover and time", req: second,
			offers: []schema.ExpertOffer{
				offer(12, second, "central-bank", 1, april, aprilDay(2)),
				offer(11, second, "central-bank", 2, april, aprilDay(2)),
			},
			want: []want{{outcome: schema.AssignmentAssigned, offerID: testID(11), period: april}}},
		{name: "two needed, two experts", req: two,
			offers: []schema.ExpertOffer{
				offer(10, two, "bank-north-01", 1, schema.Window{From: aprilDay(1), To: aprilDay(6)}, aprilDay(2)),
				offer(11, two, "bank-south-02", 2, april, aprilDay(2)),
				offer(12, two, "payment-east-01", 3, schema.Window{From: aprilDay(1), To: aprilDay(3)}, aprilDay(2)),
			},
			want: []want{
				{outcome: schema.AssignmentAssigned, offerID: testID(11), period: april},
				{outcome: schema.AssignmentAssigned, offerID: testID(10), period: schema.Window{From: aprilDay(1), To: aprilDay(6)}},
			}},
		{name: "two needed, one expert offered twice", req: two,
			offers: []schema.ExpertOffer{
				offer(10, two, "bank-north-01", 7, schema.Window{From: aprilDay(1), To: aprilDay(6)}, aprilDay(2)),
				offer(11, two, "bank-south-02", 7, april, aprilDay(2)),
			},
			want: []want{
				{outcome: schema.AssignmentAssigned, offerID: testID(11), period: april},
				{outcome: schema.AssignmentNoExpertAvailable, reason: "1 of 2 experts needed are assigned; no further finance expert is offered for the period"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := collab.MatchAll(tt.req, tt.offers, now)
			require.Len(t, got, len(tt.want))
			for i, w := range tt.want {
				a := got[i]
				validate(t, schema.KindExpertAssignment, a)
				assert.Equal(t, w.outcome, a.Outcome)
				assert.Equal(t, tt.req.ID, a.RequestID)
				assert.Equal(t, "public-security", a.AssignedTo)
				assert.Equal(t, now, a.AssignedAt)
				assert.Contains(t, a.Reason, w.reason)
				if w.outcome == schema.AssignmentNoExpertAvailable {
					assert.Empty(t, a.OfferID)
					assert.Empty(t, a.FromOrg)
					assert.Nil(t, a.Expert)
					assert.Nil(t, a.Period)
					continue
				}
				assert.Equal(t, w.offerID, a.OfferID)
				require.NotNil(t, a.Period)
				assert.Equal(t, w.period, *a.Period)
				i := slices.IndexFunc(tt.offers, func(o schema.ExpertOffer) bool { return o.ID == w.offerID })
				require.GreaterOrEqual(t, i, 0)
				assert.Equal(t, tt.offers[i].OfferedBy, a.FromOrg)
				require.NotNil(t, a.Expert)
				assert.Equal(t, tt.offers[i].Expert, *a.Expert)
			}
			// Match is MatchAll's first.
			m := collab.Match(tt.req, tt.offers, now)
			assert.Equal(t, got[0].Outcome, m.Outcome)
			assert.Equal(t, got[0].OfferID, m.OfferID)
		})
	}
}

func TestMatchIsDeterministic(t *testing.T) {
	dir := loadScheme(t)
	req := request(t, dir, schema.ExpertDomainFinance, schema.ExpertHire, collab.WithExpertCount(3))
	// Equal cover and time for three of them: only ids separate them.
	offers := []schema.ExpertOffer{
		offer(13, req, "bank-north-01", 3, april, aprilDay(2)),
		offer(11, req, "bank-south-02", 1, april, aprilDay(2)),
		offer(12, req, "payment-east-01", 2, april, aprilDay(2)),
		offer(14, req, "bank-north-01", 4, schema.Window{From: aprilDay(2), To: aprilDay(11)}, aprilDay(1)),
		offer(10, req, "bank-north-01", 5, april, aprilDay(3)),
	}
	want := []string{testID(11), testID(12), testID(13)}
	perm := slices.Clone(offers)
	for range 50 {
		got := collab.MatchAll(req, perm, aprilDay(4))
		ids := make([]string, len(got))
		for i, a := range got {
			ids[i] = a.OfferID
		}
		require.Equal(t, want, ids)
		// Rotate and swap to try other orders.
		perm = append(perm[1:], perm[0])
		perm[0], perm[len(perm)-1] = perm[len(perm)-1], perm[0]
	}
	// The input is not reordered.
	assert.Equal(t, testID(13), offers[0].ID)
}

// newDesk returns an expert desk over the scheme with a fake clock and
// sequential ids from testID(100).
func newDesk(t *testing.T, j collab.Journal, change func(*collab.ExpertDeskConfig)) *collab.ExpertDesk {
	t.Helper()
	now := aprilDay(1)
	cfg := collab.ExpertDeskConfig{
		Directory: loadScheme(t), Journal: j, NewID: idSeq(100),
		Now: func() time.Time { now = now.Add(time.Hour); return now },
	}
	if change != nil {
		change(&cfg)
	}
	d, err := collab.NewExpertDesk(cfg)
	require.NoError(t, err)
	return d
}

func TestExpertDeskSecondment(t *testing.T) {
	ctx := context.Background()
	j := newEntryLog()
	desk := newDesk(t, j, nil)
	req, to, err := desk.Request(ctx, "public-security", specTask(schema.KindFinanceTransaction), schema.ExpertDomainFinance, schema.ExpertSecondment, april)
	require.NoError(t, err)
	assert.Equal(t, []string{"central-bank"}, to)
	assert.Equal(t, testID(100), req.ID)
	assert.Equal(t, aprilDay(1).Add(time.Hour), req.RequestedAt)
	assert.Equal(t, []schema.ExpertRequest{req}, desk.Open())

	good := offer(10, req, "central-bank", 1, april, aprilDay(2))
	require.NoError(t, desk.Offer(ctx, good))
	require.NoError(t, desk.Offer(ctx, good), "the same offer again is a no-op")
	wrong := offer(11, req, "transport-ministry", 2, april, aprilDay(2))
	assert.ErrorIs(t, desk.Offer(ctx, wrong), collab.ErrOfferRefused)
	changed := good
	changed.Note = "on second thoughts"
	assert.ErrorIs(t, desk.Offer(ctx, changed), collab.ErrOfferRefused)
	offers, open := desk.Offers(req.ID)
	assert.True(t, open)
	assert.Equal(t, []schema.ExpertOffer{good}, offers)

	as, err := desk.Assign(ctx, req.ID)
	require.NoError(t, err)
	require.Len(t, as, 1)
	a := as[0]
	validate(t, schema.KindExpertAssignment, a)
	assert.Equal(t, schema.AssignmentAssigned, a.Outcome)
	assert.Equal(t, testID(101), a.ID)
	assert.Equal(t, "central-bank", a.FromOrg)
	assert.Equal(t, aprilDay(1).Add(2*time.Hour), a.AssignedAt)

	assert.Empty(t, desk.Open())
	_, open = desk.Offers(req.ID)
	assert.False(t, open)
	_, err = desk.Assign(ctx, req.ID)
	assert.ErrorIs(t, err, collab.ErrUnknownExpertRequest)
	assert.ErrorIs(t, desk.Offer(ctx, good), collab.ErrUnknownExpertRequest)

	es := j.all()
	assert.Equal(t, []entryLine{
		{schema.KindExpertRequest, collab.InteractionSecondment, "public-security", "central-bank"},
		{schema.KindExpertOffer, collab.InteractionSecondment, "central-bank", "public-security"},
		{schema.KindExpertAssignment, collab.InteractionSecondment, "public-security", "central-bank"},
	}, lines(es))
	assert.Equal(t, []string{req.ID, good.ID, a.ID}, []string{es[0].Ref, es[1].Ref, es[2].Ref})
	assert.Equal(t, []time.Time{req.RequestedAt, good.OfferedAt, a.AssignedAt}, []time.Time{es[0].At, es[1].At, es[2].At})
	var back schema.ExpertAssignment
	require.NoError(t, json.Unmarshal(es[2].Data, &back))
	assert.Equal(t, a, back)
	for i, e := range es {
		assert.Equal(t, uint64(i+1), e.Seq)
	}
}

func TestExpertDeskHire(t *testing.T) {
	ctx := context.Background()
	j := newEntryLog()
	desk := newDesk(t, j, nil)
	req, to, err := desk.Request(ctx, "public-security", specTask(schema.KindCommerceHazmat), schema.ExpertDomainChemistry, schema.ExpertHire, april,
		collab.WithExpertCount(2))
	require.NoError(t, err)
	assert.Equal(t, []string{"freight-east-01", "hazmat-maker-south-01", "hazmat-seller-north-01", "platform-east-01"}, to)
	require.NoError(t, desk.Offer(ctx, offer(10, req, "hazmat-maker-south-01", 1, april, aprilDay(2))))
	require.NoError(t, desk.Offer(ctx, offer(11, req, "hazmat-seller-north-01", 2, schema.Window{From: aprilDay(5), To: aprilDay(9)}, aprilDay(2))))
	as, err := desk.Assign(ctx, req.ID)
	require.NoError(t, err)
	require.Len(t, as, 2)
	assert.Equal(t, "hazmat-maker-south-01", as[0].FromOrg)
	assert.Equal(t, "hazmat-seller-north-01", as[1].FromOrg)
	assert.Equal(t, []entryLine{
		{schema.KindExpertRequest, collab.InteractionHire, "public-security", ""},
		{schema.KindExpertOffer, collab.InteractionHire, "hazmat-maker-south-01", "public-security"},
		{schema.KindExpertOffer, collab.InteractionHire, "hazmat-seller-north-01", "public-security"},
		{schema.KindExpertAssignment, collab.InteractionHire, "public-security", "hazmat-maker-south-01"},
		{schema.KindExpertAssignment, collab.InteractionHire, "public-security", "hazmat-seller-north-01"},
	}, lines(j.all()))
}

func TestExpertDeskNoExpertAvailable(t *testing.T) {
	ctx := context.Background()
	j := newEntryLog()
	desk := newDesk(t, j, nil)
	req, _, err := desk.Request(ctx, "public-security", specTask(), schema.ExpertDomainCyber, schema.ExpertSecondment, april)
	require.NoError(t, err)
	as, err := desk.Assign(ctx, req.ID)
	require.NoError(t, err)
	require.Len(t, as, 1)
	validate(t, schema.KindExpertAssignment, as[0])
	assert.Equal(t, schema.AssignmentNoExpertAvailable, as[0].Outcome)
	assert.Equal(t, "no offer was received", as[0].Reason)
	assert.Equal(t, []entryLine{
		{schema.KindExpertRequest, collab.InteractionSecondment, "public-security", "miit"},
		{schema.KindExpertAssignment, collab.InteractionSecondment, "public-security", ""},
	}, lines(j.all()))
}

func TestExpertDeskRefusals(t *testing.T) {
	ctx := context.Background()
	j := newEntryLog()
	desk := newDesk(t, j, nil)
	_, _, err := desk.Request(ctx, "central-bank", specTask(), schema.ExpertDomainFinance, schema.ExpertSecondment, april)
	assert.ErrorIs(t, err, collab.ErrWrongParty)
	_, _, err = desk.Request(ctx, "public-security", specTask(), schema.ExpertDomainServices, schema.ExpertSecondment, april)
	assert.ErrorIs(t, err, collab.ErrNoAddressee)
	req, _, err := desk.Request(ctx, "public-security", specTask(), schema.ExpertDomainFinance, schema.ExpertSecondment, april)
	require.NoError(t, err)
	_, _, err = desk.Request(ctx, "public-security", specTask(), schema.ExpertDomainFinance, schema.ExpertSecondment, april, collab.WithExpertRequestID(req.ID))
	assert.ErrorIs(t, err, collab.ErrExpertRequest, "an id already open")

	bad := offer(10, req, "central-bank", 1, april, aprilDay(2))
	bad.Qualifications = nil
	err = desk.Offer(ctx, bad)
	assert.ErrorIs(t, err, collab.ErrOfferRefused)
	var ve *schema.ValidationError
	assert.ErrorAs(t, err, &ve)
	assert.Contains(t, err.Error(), "qualifications")

	err = desk.Offer(ctx, offer(11, schema.ExpertRequest{ID: testID(77)}, "central-bank", 1, april, aprilDay(2)))
	assert.ErrorIs(t, err, collab.ErrUnknownExpertRequest)
	_, err = desk.Assign(ctx, testID(77))
	assert.ErrorIs(t, err, collab.ErrUnknownExpertRequest)

	assert.Len(t, j.all(), 1, "only the request was recorded")
}

func TestExpertDeskLimits(t *testing.T) {
	ctx := context.Background()
	desk := newDesk(t, newEntryLog(), func(c *collab.ExpertDeskConfig) { c.MaxOpen, c.MaxOffers = 2, 1 })
	req, _, err := desk.Request(ctx, "public-security", specTask(), schema.ExpertDomainFinance, schema.ExpertHire, april)
	require.NoError(t, err)
	_, _, err = desk.Request(ctx, "public-security", specTask(), schema.ExpertDomainFinance, schema.ExpertHire, april)
	require.NoError(t, err)
	_, _, err = desk.Request(ctx, "public-security", specTask(), schema.ExpertDomainFinance, schema.ExpertHire, april)
	assert.ErrorIs(t, err, collab.ErrExpertDeskFull)
	assert.Contains(t, err.Error(), "MaxOpen")

	require.NoError(t, desk.Offer(ctx, offer(10, req, "bank-north-01", 1, april, aprilDay(2))))
	err = desk.Offer(ctx, offer(11, req, "bank-south-02", 2, april, aprilDay(2)))
	assert.ErrorIs(t, err, collab.ErrExpertDeskFull)
	assert.Contains(t, err.Error(), "MaxOffers")

	_, err = desk.Assign(ctx, req.ID)
	require.NoError(t, err)
	_, _, err = desk.Request(ctx, "public-security", specTask(), schema.ExpertDomainFinance, schema.ExpertHire, april)
	assert.NoError(t, err, "assigning frees a place")
}

func TestExpertDeskJournalFailure(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("disk full")
	j := newEntryLog()
	desk := newDesk(t, j, nil)

	// A request that cannot be recorded is not open.
	j.failAfter, j.failErr = 0, boom
	_, _, err := desk.Request(ctx, "public-security", specTask(), schema.ExpertDomainFinance, schema.ExpertHire, april, collab.WithExpertCount(2))
	assert.ErrorIs(t, err, boom)
	assert.Empty(t, desk.Open())

	j.failAfter = -1
	req, _, err := desk.Request(ctx, "public-security", specTask(), schema.ExpertDomainFinance, schema.ExpertHire, april, collab.WithExpertCount(2))
	require.NoError(t, err)

	// An offer that cannot be recorded is not taken in.
	j.failAfter = 1
	assert.ErrorIs(t, desk.Offer(ctx, offer(10, req, "bank-north-01", 1, april, aprilDay(2))), boom)
	offers, _ := desk.Offers(req.ID)
	assert.Empty(t, offers)
	j.failAfter = -1
	require.NoError(t, desk.Offer(ctx, offer(10, req, "bank-north-01", 1, april, aprilDay(2))))
	require.NoError(t, desk.Offer(ctx, offer(11, req, "bank-south-02", 2, april, aprilDay(2))))

	// The first assignment is recorded, the second is not: the request
	// stays open with its outcome decided, and takes no more offers.
	j.failAfter = 4
	_, err = desk.Assign(ctx, req.ID)
	assert.ErrorIs(t, err, boom)
	assert.Len(t, desk.Open(), 1)
	assert.ErrorIs(t, desk.Offer(ctx, offer(12, req, "payment-east-01", 3, april, aprilDay(2))), collab.ErrOfferRefused)

	j.failAfter = -1
	as, err := desk.Assign(ctx, req.ID)
	require.NoError(t, err)
	require.Len(t, as, 2)
	es := j.all()
	require.Len(t, es, 5)
	assert.Equal(t, []string{as[0].ID, as[1].ID}, []string{es[3].Ref, es[4].Ref}, "each assignment recorded once, as first decided")
	assert.Empty(t, desk.Open())

	// A cancelled context is the journal's to refuse.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err = desk.Request(cctx, "public-security", specTask(), schema.ExpertDomainFinance, schema.ExpertHire, april)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestExpertDeskConcurrent(t *testing.T) {
	ctx := context.Background()
	j := newEntryLog()
	desk := newDesk(t, j, func(c *collab.ExpertDeskConfig) { c.Now = func() time.Time { return aprilDay(1) } })
	const n = 8
	reqs := make([]schema.ExpertRequest, n)
	for i := range reqs {
		var err error
		reqs[i], _, err = desk.Request(ctx, "public-security", specTask(), schema.ExpertDomainFinance, schema.ExpertHire, april)
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	for i, req := range reqs {
		for k, org := range []string{"bank-north-01", "bank-south-02", "payment-east-01"} {
			wg.Go(func() {
				assert.NoError(t, desk.Offer(ctx, offer(1000+10*i+k, req, org, k, april, aprilDay(2))))
			})
		}
	}
	wg.Wait()
	for _, req := range reqs {
		wg.Go(func() {
			as, err := desk.Assign(ctx, req.ID)
			assert.NoError(t, err)
			assert.Len(t, as, 1)
			_ = desk.Open()
		})
	}
	wg.Wait()
	assert.Len(t, j.all(), n+3*n+n)
	assert.Empty(t, desk.Open())
}

func TestExpertDeskConfigValidate(t *testing.T) {
	err := collab.ExpertDeskConfig{MaxOpen: -1, MaxOffers: -2}.Validate()
	require.Error(t, err)
	for _, want := range []string{"Directory is nil", "Journal is nil", "MaxOpen is -1", "MaxOffers is -2"} {
		assert.Contains(t, err.Error(), want)
	}
	_, err = collab.NewExpertDesk(collab.ExpertDeskConfig{})
	assert.Error(t, err)
	d, err := collab.NewExpertDesk(collab.ExpertDeskConfig{Directory: loadScheme(t), Journal: newEntryLog()})
	require.NoError(t, err)
	// Defaults: real clock, UUIDs v7.
	req, _, err := d.Request(context.Background(), "public-security", specTask(), schema.ExpertDomainFinance, schema.ExpertSecondment, april)
	require.NoError(t, err)
	validate(t, schema.KindExpertRequest, req)
}

func TestExpertRequestWithMoreAddresseesThanTheSchemaLists(t *testing.T) {
	doc := &schema.Directory{
		Version: 1, UpdatedAt: aprilDay(1),
		Orgs: []schema.DirectoryOrg{
			{ID: "leading-group", Name: "LG", Tier: "leading_group", Sectors: []string{"security"}, Region: "CN-BJ"},
			{ID: "public-security", Name: "PS", Tier: "specialized_department", Sectors: []string{"security"}, Region: "CN-BJ",
				Submits:  []string{schema.KindExpertRequest},
				Receives: []string{schema.KindFinanceTransaction, schema.KindExpertOffer}},
		},
	}
	for i := range 300 {
		doc.Orgs = append(doc.Orgs, schema.DirectoryOrg{ID: fmt.Sprintf("bank-%03d", i), Name: "Bank", Tier: "social_force",
			Sectors: []string{"finance"}, Region: "CN-BJ", Submits: []string{schema.KindFinanceTransaction, schema.KindExpertOffer},
			Receives: []string{schema.KindExpertRequest}})
	}
	// One more bank the directory does not let offer experts.
	doc.Orgs = append(doc.Orgs, schema.DirectoryOrg{ID: "bank-mute", Name: "Bank", Tier: "social_force",
		Sectors: []string{"finance"}, Region: "CN-BJ", Submits: []string{schema.KindFinanceTransaction}})
	dir, err := collab.ParseDirectory(encode(t, doc))
	require.NoError(t, err)

	req, to, err := collab.NewExpertRequest(dir, "public-security", specTask(), schema.ExpertDomainFinance, schema.ExpertHire, april)
	require.NoError(t, err)
	validate(t, schema.KindExpertRequest, req)
	assert.Len(t, to, 301)
	assert.ErrorContains(t, collab.CheckOffer(dir, req, offer(11, req, "bank-mute", 1, april, aprilDay(2))),
		`"bank-mute" may not submit collab.expert_offer`)
	assert.Nil(t, req.Addressees, "the directory chooses")
	assert.NoError(t, collab.CheckOffer(dir, req, offer(10, req, "bank-299", 1, april, aprilDay(2))))

	desk, err := collab.NewExpertDesk(collab.ExpertDeskConfig{Directory: dir, Journal: newEntryLog()})
	require.NoError(t, err)
	req, _, err = desk.Request(context.Background(), "public-security", specTask(), schema.ExpertDomainFinance, schema.ExpertHire, april)
	require.NoError(t, err)
	assert.NoError(t, desk.Offer(context.Background(), offer(10, req, "bank-299", 1, april, aprilDay(2))))
}
