package stage_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/demoscheme"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// Everything here is synthetic: made-up organizations of the test scheme,
// pseudonyms that are hashes of counters, no real identifier.

const (
	testKeyID = "k-test"
	testReqID = "01950a00-0000-7000-8000-000000000001"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// synth makes deterministic synthetic records from a seed.
type synth struct {
	r *rand.Rand
}

func newSynth(seed uint64) *synth {
	return &synth{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// id returns a fresh UUID v7 (random bits from the seed).
func (s *synth) id() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(s.r.Uint32())
	}
	b[0], b[1] = 0x01, 0x95
	b[6] = 0x70 | b[6]&0x0f
	b[8] = 0x80 | b[8]&0x3f
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// subject returns the synthetic subject number n.
func subject(n int) schema.Subject {
	sum := sha256.Sum256(fmt.Appendf(nil, "synthetic-subject-%d", n))
	return schema.Subject{Pseudonym: hex.EncodeToString(sum[:]), IDType: schema.IDPassport, KeyID: testKeyID}
}

// envelope wraps payload as kind from source, collected at at, stamped by
// the source.
func (s *synth) envelope(kind, source string, at time.Time, payload any) schema.Envelope {
	env := schema.Envelope{
		ID: s.id(), Kind: kind, SchemaVersion: 1, Source: source, CollectedAt: at,
		Purpose: schema.Purpose{RequirementID: testReqID}, LegalBasis: "synthetic test basis",
		Handling: schema.HandlingAmber, RetainUntil: at.AddDate(1, 0, 0),
	}
	if err := env.SetPayload(payload); err != nil {
		panic(err)
	}
	if err := env.Stamp(source, schema.StageCollection, at); err != nil {
		panic(err)
	}
	return env
}

// passenger is subject subj's trip on service svc departing at dep.
func (s *synth) passenger(source string, subj, svc int, dep time.Time) schema.Envelope {
	trip := schema.PassengerTrip{
		Mode: schema.TransportRail, Carrier: schema.TransportCarrier{Org: "rail-north-01", Code: "RN"},
		ServiceNumber: fmt.Sprintf("RN%d", 100+svc),
		Route: schema.TransportRoute{
			Origin:      schema.Place{Country: "DE", Locode: "DEBER"},
			Destination: schema.Place{Country: "DE", Locode: "DEMUC"},
		},
		ScheduledDeparture: dep, Status: schema.PassengerBoarded, Traveller: subject(subj),
	}
	return s.envelope(schema.KindTransportPassenger, source, dep.Add(-time.Hour), trip)
}

// finance is a transfer by subj at at.
func (s *synth) finance(source string, subj int, at time.Time, indicators ...schema.FinanceIndicator) schema.Envelope {
	tx := schema.FinanceTransaction{
		Reference: fmt.Sprintf("TX-%08d", s.r.IntN(1e8)), ExecutedAt: at,
		Amount: schema.Money{Amount: fmt.Sprintf("%d.00", 100+s.r.IntN(10000)), Currency: "EUR"},
		Type:   schema.FinanceTxTransfer, Channel: schema.FinanceChannelOnline,
		Originator:  &schema.FinanceAccount{Account: accountSubject(subj), Holder: new(subject(subj))},
		Beneficiary: &schema.FinanceAccount{Account: accountSubject(100000 + subj)},
		Indicators:  indicators,
	}
	return s.envelope(schema.KindFinanceTransaction, source, at, tx)
}

func accountSubject(n int) schema.Subject {
	sum := sha256.Sum256(fmt.Appendf(nil, "synthetic-account-%d", n))
	return schema.Subject{Pseudonym: hex.EncodeToString(sum[:]), IDType: schema.IDAccount, KeyID: testKeyID}
}

// hazmat is a purchase by subj at at.
func (s *synth) hazmat(subj int, at time.Time) schema.Envelope {
	p := schema.HazmatPurchase{
		Seller: "hazmat-seller-north-01", Channel: schema.HazmatInStore,
		Item:     schema.HazmatItem{Name: "synthetic oxidizer", CAS: "7722-84-1"},
		Quantity: schema.Quantity{Value: "5", Unit: "l"}, Price: schema.Money{Amount: "40.00", Currency: "EUR"},
		PurchasedAt: at, Outcome: schema.HazmatCompleted, Buyer: subject(subj), BuyerType: schema.HazmatBuyerPrivate,
	}
	return s.envelope(schema.KindCommerceHazmat, "hazmat-seller-north-01", at, p)
}

// account is a flagged account report about subj at at.
func (s *synth) account(subj int, at time.Time) schema.Envelope {
	sum := sha256.Sum256(fmt.Appendf(nil, "synthetic-content-%d", s.r.Uint64()))
	p := schema.AccountReport{
		Platform: schema.AccountPlatform{Org: "platform-east-01", Service: "synthetic-chat"},
		Account:  schema.AccountRef{PlatformAccount: subject(subj)},
		Content: []schema.AccountContent{{SHA256: hex.EncodeToString(sum[:]), MediaType: "text/plain",
			Surface: schema.AccountSurfacePost, PostedAt: at.Add(-time.Hour)}},
		Category: schema.AccountTerroristPropaganda, Reason: "synthetic report",
		Detection: schema.AccountDetectedAutomated, Action: schema.AccountActionSuspended, ReportedAt: at,
	}
	return s.envelope(schema.KindTelecomAccountReport, "platform-east-01", at, p)
}

// stream returns n passenger records of a synthetic day in which about 5%
// are resent with the same id and about 5% resubmitted with a new id, each
// within a few hundred records of the original. It returns how many of
// each kind of copy it made.
func (s *synth) stream(n int) (out []schema.Envelope, sameID, sameContent int) {
	sources := []string{"rail-north-01", "air-east-01", "road-south-01"}
	for len(out) < n {
		i := len(out)
		switch x := s.r.IntN(100); {
		case x < 5 && i > 500:
			out = append(out, out[i-1-s.r.IntN(400)])
			sameID++
		case x < 10 && i > 500:
			c := out[i-1-s.r.IntN(400)]
			c.ID = s.id()
			out = append(out, c)
			sameContent++
		default:
			out = append(out, s.passenger(sources[s.r.IntN(3)], s.r.IntN(5000), i, t0.Add(time.Duration(i)*time.Second)))
		}
	}
	return out, sameID, sameContent
}

// sliceCollector emits envs in order.
func sliceCollector(envs []schema.Envelope) stage.Collector {
	return stage.CollectorFunc(func(ctx context.Context, emit func(schema.Envelope) error) error {
		for _, e := range envs {
			if err := emit(e); err != nil {
				return err
			}
		}
		return nil
	})
}

// recorder is a Submitter that keeps what it gets.
type recorder struct {
	mu   sync.Mutex
	envs []schema.Envelope
}

func (r *recorder) Submit(ctx context.Context, env schema.Envelope) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.envs = append(r.envs, env)
	return nil
}

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.envs))
	for i, e := range r.envs {
		out[i] = e.ID
	}
	return out
}

func ids(envs []schema.Envelope) []string {
	out := make([]string, len(envs))
	for i, e := range envs {
		out[i] = e.ID
	}
	return out
}

// noLeak fails t if goroutines started during the test are still running
// once it ends (after a settle period).
func noLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, n, buf)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// loadScheme loads the synthetic scheme (internal/demoscheme).
func loadScheme(t testing.TB) *collab.Directory {
	t.Helper()
	d, err := collab.ParseDirectory(demoscheme.JSON())
	require.NoError(t, err)
	return d
}

// process runs p on env and returns what it emitted and its error.
func process(t testing.TB, p stage.Processor, env schema.Envelope) ([]schema.Envelope, error) {
	t.Helper()
	var out []schema.Envelope
	err := p.Process(context.Background(), env, func(e schema.Envelope) { out = append(out, e) })
	return out, err
}

// validEnvelope fails t unless env validates.
func validEnvelope(t testing.TB, v *schema.Validator, env schema.Envelope) {
	t.Helper()
	_, err := process(t, stage.Validate(v), env)
	require.NoError(t, err)
}
