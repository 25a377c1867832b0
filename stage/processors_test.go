package stage_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// edit returns env with its payload decoded into T, changed by f and
// encoded again (no new stamp).
func edit[T any](t *testing.T, env schema.Envelope, f func(*T)) schema.Envelope {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(env.Payload, &v))
	f(&v)
	require.NoError(t, env.SetPayload(&v))
	return env
}

func restamp(t *testing.T, env schema.Envelope) schema.Envelope {
	t.Helper()
	env.Provenance = nil
	require.NoError(t, env.Stamp(env.Source, schema.StageCollection, env.CollectedAt))
	return env
}

func TestValidate(t *testing.T) {
	v, err := schema.NewValidator()
	require.NoError(t, err)
	s := newSynth(20)
	good := s.passenger("rail-north-01", 1, 1, t0)
	cases := []struct {
		name    string
		env     schema.Envelope
		wantErr []error
	}{
		{"valid", good, nil},
		{"lower-case locode", edit(t, good, func(p *schema.PassengerTrip) { p.Route.Origin.Locode = "deber" }), []error{stage.ErrInvalid, schema.ErrInvalid}},
		{"clear identity under AMBER", edit(t, good, func(p *schema.PassengerTrip) {
			p.Traveller.Identity = &schema.Identity{Identifier: "X1234567"}
		}), []error{stage.ErrInvalid, schema.ErrInvalid}},
		{"unknown kind", func() schema.Envelope { e := good; e.Kind = "transport.rocket"; return e }(), []error{stage.ErrInvalid, schema.ErrUnknownKind}},
		{"missing source", func() schema.Envelope { e := good; e.Source = ""; return e }(), []error{stage.ErrInvalid}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := process(t, stage.Validate(v), c.env)
			if c.wantErr == nil {
				require.NoError(t, err)
				require.Len(t, out, 1)
				assert.Equal(t, c.env, out[0])
				return
			}
			for _, w := range c.wantErr {
				require.ErrorIs(t, err, w)
			}
			assert.Empty(t, out)
		})
	}
	_, err = process(t, stage.Validate(nil), good)
	require.NoError(t, err, "nil means the default validator")
}

func TestNormalize(t *testing.T) {
	v, err := schema.NewValidator()
	require.NoError(t, err)
	s := newSynth(21)
	trip := s.passenger("rail-north-01", 1, 1, t0)
	tx := s.finance("bank-north-01", 2, t0)
	cases := []struct {
		name  string
		env   schema.Envelope
		check func(t *testing.T, env schema.Envelope)
	}{
		{"locode with space, lower-case country, padded service number", edit(t, trip, func(p *schema.PassengerTrip) {
			p.Route.Origin.Locode, p.Route.Origin.Country, p.ServiceNumber = " de ber", "de ", " rn 101 "
			p.Traveller.Pseudonym = strings.ToUpper(p.Traveller.Pseudonym)
		}), func(t *testing.T, env schema.Envelope) {
			var p schema.PassengerTrip
			require.NoError(t, json.Unmarshal(env.Payload, &p))
			assert.Equal(t, "DEBER", p.Route.Origin.Locode)
			assert.Equal(t, "DE", p.Route.Origin.Country)
			assert.Equal(t, "RN101", p.ServiceNumber)
			assert.Equal(t, subject(1).Pseudonym, p.Traveller.Pseudonym)
		}},
		{"currency and BIC", edit(t, tx, func(p *schema.FinanceTransaction) {
			p.Amount.Currency = "eur"
			p.Originator.BIC = "deut de ff"
			p.Reference = "  TX-1  "
		}), func(t *testing.T, env schema.Envelope) {
			var p schema.FinanceTransaction
			require.NoError(t, json.Unmarshal(env.Payload, &p))
			assert.Equal(t, "EUR", p.Amount.Currency)
			assert.Equal(t, "DEUTDEFF", p.Originator.BIC)
			assert.Equal(t, "TX-1", p.Reference)
		}},
		{"un number and hs code", edit(t, s.hazmat(3, t0), func(p *schema.HazmatPurchase) {
			p.Item.UNNumber = "2014"
			p.Item.DGClass = "5.1"
		}), func(t *testing.T, env schema.Envelope) {
			var p schema.HazmatPurchase
			require.NoError(t, json.Unmarshal(env.Payload, &p))
			assert.Equal(t, "UN2014", p.Item.UNNumber)
		}},
		{"handling label", func() schema.Envelope { e := trip; e.Handling = " amber"; return e }(), func(t *testing.T, env schema.Envelope) {
			assert.Equal(t, schema.HandlingAmber, env.Handling)
		}},
		{"already canonical: payload bytes untouched", trip, func(t *testing.T, env schema.Envelope) {
			assert.Equal(t, string(trip.Payload), string(env.Payload))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := process(t, stage.Normalize(), c.env)
			require.NoError(t, err)
			require.Len(t, out, 1)
			c.check(t, out[0])
			validEnvelope(t, v, out[0])
		})
	}
	t.Run("field the kind lacks", func(t *testing.T) {
		bad := trip
		bad.Payload = json.RawMessage(`{"mode":"rail","religion":"x"}`)
		_, err := process(t, stage.Normalize(), bad)
		require.Error(t, err)
		assert.True(t, strings.HasPrefix(err.Error(), "stage: normalize "), err.Error())
	})
	t.Run("unknown kind", func(t *testing.T) {
		bad := trip
		bad.Kind = "transport.rocket"
		_, err := process(t, stage.Normalize(), bad)
		require.ErrorIs(t, err, schema.ErrUnknownKind)
	})
}

func TestPseudonymize(t *testing.T) {
	key := []byte("synthetic test key, 32 bytes long!!")
	ps, err := schema.NewPseudonymizer(testKeyID, key)
	require.NoError(t, err)
	want, err := ps.Pseudonym(schema.IDPassport, "X1234567")
	require.NoError(t, err)
	s := newSynth(22)
	trip := s.passenger("rail-north-01", 1, 1, t0)
	clear := func(raw string) func(p *schema.PassengerTrip) {
		return func(p *schema.PassengerTrip) {
			p.Traveller = schema.Subject{IDType: schema.IDPassport, Identity: &schema.Identity{Identifier: raw, Name: "Synthetic Person"}}
		}
	}
	withHandling := func(env schema.Envelope, h schema.Handling) schema.Envelope { env.Handling = h; return env }
	cases := []struct {
		name         string
		env          schema.Envelope
		keep         bool
		wantErr      error
		wantIdentity *schema.Identity
		wantMsg      string
	}{
		{"identity becomes pseudonym, identity removed", edit(t, trip, clear("x 123-4567")), false, nil, nil, ""},
		{"kept under RED when asked", withHandling(edit(t, trip, clear("x 123-4567")), schema.HandlingRed), true, nil,
			&schema.Identity{Identifier: "X1234567", Name: "Synthetic Person"}, ""},
		{"removed under AMBER even when asked", edit(t, trip, clear("X1234567")), true, nil, nil, ""},
		{"neither pseudonym nor identity", edit(t, trip, func(p *schema.PassengerTrip) {
			p.Traveller = schema.Subject{IDType: schema.IDPassport}
		}), false, stage.ErrNoSubject, nil, ""},
		{"bad identifier", edit(t, trip, clear("??")), false, schema.ErrBadIdentifier, nil, ""},
		{"pseudonym not the identity's", edit(t, trip, func(p *schema.PassengerTrip) {
			p.Traveller = subject(9)
			p.Traveller.Identity = &schema.Identity{Identifier: "X1234567"}
		}), false, nil, nil, "not the identity's"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := stage.NewPseudonymize(stage.PseudonymizeConfig{Pseudonymizer: ps, KeepIdentity: c.keep})
			require.NoError(t, err)
			out, err := process(t, p, c.env)
			if c.wantErr != nil || c.wantMsg != "" {
				require.Error(t, err)
				if c.wantErr != nil {
					require.ErrorIs(t, err, c.wantErr)
				}
				assert.Contains(t, err.Error(), c.wantMsg)
				assert.NotContains(t, err.Error(), "??", "errors never hold the identifier")
				return
			}
			require.NoError(t, err)
			require.Len(t, out, 1)
			var got schema.PassengerTrip
			require.NoError(t, json.Unmarshal(out[0].Payload, &got))
			assert.Equal(t, want.Pseudonym, got.Traveller.Pseudonym)
			assert.Equal(t, testKeyID, got.Traveller.KeyID)
			assert.Equal(t, c.wantIdentity, got.Traveller.Identity)
			assert.NotContains(t, string(out[0].Payload), "123-4567")
		})
	}
	_, err = stage.NewPseudonymize(stage.PseudonymizeConfig{})
	require.ErrorContains(t, err, "Pseudonymizer: required")
}

func TestVerify(t *testing.T) {
	dir := loadScheme(t)
	s := newSynth(23)
	good := s.passenger("rail-north-01", 1, 1, t0)
	relayed := good
	require.NoError(t, relayed.Stamp("transport-ministry", schema.StageProcessing, t0))
	cases := []struct {
		name    string
		env     schema.Envelope
		wantErr error
		msg     string
	}{
		{"collected and stamped by its source", good, nil, ""},
		{"relayed by its ministry", relayed, nil, ""},
		{"unknown source", restamp(t, func() schema.Envelope { e := good; e.Source = "rail-nowhere"; return e }()), collab.ErrUnknownOrg, ""},
		{"kind the source may not submit", restamp(t, func() schema.Envelope { e := good; e.Source = "bank-north-01"; return e }()), collab.ErrKindNotAllowed, ""},
		{"no provenance", func() schema.Envelope { e := good; e.Provenance = nil; return e }(), nil, "no provenance"},
		{"first hop not the source", func() schema.Envelope {
			e := good
			e.Provenance = []schema.Hop{{Org: "air-east-01", Stage: schema.StageCollection, At: t0, Digest: good.Provenance[0].Digest}}
			return e
		}(), nil, `first provenance hop is "air-east-01"`},
		{"payload changed after the last hop", edit(t, good, func(p *schema.PassengerTrip) { p.Seat = "12A" }), nil, "does not match"},
	}
	p, err := stage.NewVerify(stage.VerifyConfig{Directory: dir})
	require.NoError(t, err)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := process(t, p, c.env)
			if c.wantErr == nil && c.msg == "" {
				require.NoError(t, err)
				assert.Len(t, out, 1)
				return
			}
			require.ErrorIs(t, err, stage.ErrUnverified)
			if c.wantErr != nil {
				require.ErrorIs(t, err, c.wantErr)
			}
			assert.Contains(t, err.Error(), c.msg)
		})
	}
	_, err = stage.NewVerify(stage.VerifyConfig{})
	require.ErrorContains(t, err, "Directory: required")
}

func TestDedupe(t *testing.T) {
	s := newSynth(24)
	a := s.passenger("rail-north-01", 1, 1, t0)
	b := s.passenger("rail-north-01", 2, 2, t0)
	c := s.passenger("rail-north-01", 3, 3, t0)
	d := s.passenger("rail-north-01", 4, 4, t0)
	newID := func(e schema.Envelope) schema.Envelope { e.ID = s.id(); return e }
	fromAir := restamp(t, func() schema.Envelope { e := newID(a); e.Source = "air-east-01"; return e }())
	type step struct {
		env  schema.Envelope
		want string // "" passes
	}
	cases := []struct {
		name   string
		window int
		steps  []step
	}{
		{"same id", 10, []step{{a, ""}, {b, ""}, {a, stage.ReasonDuplicate}}},
		{"same content from the same source, new id", 10, []step{{a, ""}, {newID(a), stage.ReasonDuplicateContent}}},
		{"same content from another source is not a duplicate", 10, []step{{a, ""}, {fromAir, ""}}},
		{"within the window", 3, []step{{a, ""}, {b, ""}, {c, ""}, {a, stage.ReasonDuplicate}}},
		{"past the window: false negative, as documented", 3, []step{{a, ""}, {b, ""}, {c, ""}, {d, ""}, {a, ""}}},
		{"drops do not push originals out", 3, []step{{a, ""}, {b, ""}, {b, stage.ReasonDuplicate}, {b, stage.ReasonDuplicate}, {c, ""}, {a, stage.ReasonDuplicate}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dd, err := stage.NewDedupe(stage.DedupeConfig{Window: tc.window})
			require.NoError(t, err)
			for i, st := range tc.steps {
				out, err := process(t, dd, st.env)
				if st.want == "" {
					require.NoError(t, err, "step %d", i)
					require.Len(t, out, 1)
					continue
				}
				reason, ok := stage.DropReason(err)
				require.True(t, ok, "step %d: %v", i, err)
				assert.Equal(t, st.want, reason, "step %d", i)
				assert.Empty(t, out)
				assert.LessOrEqual(t, dd.Len(), tc.window)
			}
		})
	}
	t.Run("bad payload", func(t *testing.T) {
		dd, err := stage.NewDedupe(stage.DedupeConfig{})
		require.NoError(t, err)
		bad := a
		bad.Payload = json.RawMessage(`{"x":1}`)
		_, err = process(t, dd, bad)
		require.ErrorContains(t, err, "content key")
	})
	_, err := stage.NewDedupe(stage.DedupeConfig{Window: -1})
	require.ErrorContains(t, err, "Window: must be at least 0")
}

func TestAssess(t *testing.T) {
	s := newSynth(25)
	flagged := s.finance("bank-north-01", 1, t0, schema.FinanceIndicatorStructuring, schema.FinanceIndicatorRoundAmounts)
	plain := s.finance("bank-north-01", 2, t0)
	trip := s.passenger("rail-north-01", 3, 3, t0)
	var seen []stage.Assessment
	a, err := stage.NewAssessor(stage.AssessConfig{
		Rules:     []stage.Rule{stage.KindRule(map[string]float64{schema.KindTransportPassenger: 0.3}), stage.IndicatorRule(0.5)},
		Threshold: 0.25,
		OnAssess:  func(env schema.Envelope, as stage.Assessment) { seen = append(seen, as) },
	})
	require.NoError(t, err)
	cases := []struct {
		name    string
		env     schema.Envelope
		score   float64
		reasons []string
		drop    bool
	}{
		{"two indicators", flagged, 0.75, []string{"flagged by source"}, false},
		{"no signal", plain, 0, nil, true},
		{"kind weight", trip, 0.3, []string{"kind transport.passenger"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			as, err := a.Assess(context.Background(), c.env)
			require.NoError(t, err)
			assert.InDelta(t, c.score, as.Score, 1e-9)
			assert.Equal(t, c.reasons, as.Reasons)
			out, err := process(t, a, c.env)
			if c.drop {
				reason, ok := stage.DropReason(err)
				require.True(t, ok)
				assert.Equal(t, stage.ReasonLowValue, reason)
				assert.Empty(t, out)
			} else {
				require.NoError(t, err)
				assert.Len(t, out, 1)
			}
		})
	}
	assert.Len(t, seen, 3)
	failing := stage.RuleFunc(func(ctx context.Context, env schema.Envelope) (float64, string, error) {
		return 0, "", errors.New("synthetic rule failure")
	})
	a2, err := stage.NewAssessor(stage.AssessConfig{Rules: []stage.Rule{failing}})
	require.NoError(t, err)
	_, err = process(t, a2, plain)
	require.ErrorContains(t, err, "synthetic rule failure")
	_, err = stage.NewAssessor(stage.AssessConfig{Threshold: 2})
	require.ErrorContains(t, err, "Rules: at least one")
	require.ErrorContains(t, err, "Threshold: must be from 0 to 1, got 2")
}

func TestIntegrate(t *testing.T) {
	dir := loadScheme(t)
	s := newSynth(26)
	stampAt := t0.Add(24 * time.Hour)
	newIntegrate := func(t *testing.T, cfg stage.IntegrateConfig) (*stage.Integrate, *[]stage.MergeInfo) {
		var infos []stage.MergeInfo
		cfg.Org = "transport-ministry"
		cfg.Now = func() time.Time { return stampAt }
		cfg.OnMerge = func(m stage.MergeInfo) { infos = append(infos, m) }
		g, err := stage.NewIntegrate(cfg)
		require.NoError(t, err)
		return g, &infos
	}
	// The same trip from a carrier and from two agencies in other regions.
	dep := t0.Add(3 * time.Hour)
	rail := s.passenger("rail-north-01", 1, 1, dep)
	air := s.passenger("air-east-01", 1, 1, dep)
	air.Handling = schema.HandlingRed
	road := s.passenger("road-south-01", 1, 1, dep)
	road.RetainUntil = rail.RetainUntil.AddDate(0, -6, 0)
	other := s.passenger("rail-north-01", 2, 2, dep)

	t.Run("merge on flush", func(t *testing.T) {
		g, infos := newIntegrate(t, stage.IntegrateConfig{})
		var out []schema.Envelope
		for _, e := range []schema.Envelope{rail, air, road, other} {
			emitted, err := process(t, g, e)
			out = append(out, emitted...)
			if e.ID == air.ID || e.ID == road.ID {
				reason, ok := stage.DropReason(err)
				require.True(t, ok, "%v", err)
				assert.Equal(t, stage.ReasonMerged, reason)
			} else {
				require.NoError(t, err)
			}
		}
		assert.Empty(t, out, "held until the window closes")
		assert.Equal(t, 2, g.Held())
		require.NoError(t, g.Flush(context.Background(), func(e schema.Envelope) { out = append(out, e) }))
		assert.Zero(t, g.Held())
		require.Len(t, out, 2)
		m := out[0]
		assert.Equal(t, rail.ID, m.ID, "the first record is kept")
		assert.Equal(t, string(rail.Payload), string(m.Payload))
		assert.Equal(t, schema.HandlingRed, m.Handling, "the strictest handling")
		assert.Equal(t, road.RetainUntil, m.RetainUntil, "the earliest retention")
		orgs := []string{}
		for _, h := range m.Provenance {
			orgs = append(orgs, h.Org)
		}
		assert.Equal(t, []string{"rail-north-01", "air-east-01", "road-south-01", "transport-ministry"}, orgs)
		// The merged record still verifies: its last hop digests its payload.
		v, err := stage.NewVerify(stage.VerifyConfig{Directory: dir})
		require.NoError(t, err)
		_, err = process(t, v, m)
		require.NoError(t, err)
		assert.Equal(t, other, out[1], "a group of one passes unchanged")
		require.Len(t, *infos, 1)
		assert.Equal(t, stage.MergeInfo{ID: rail.ID, Key: (*infos)[0].Key, MergedIDs: []string{air.ID, road.ID},
			Sources: []string{"rail-north-01", "air-east-01", "road-south-01"}}, (*infos)[0])
	})
	t.Run("window closes on collected_at", func(t *testing.T) {
		g, _ := newIntegrate(t, stage.IntegrateConfig{Window: 10 * time.Minute})
		_, err := process(t, g, rail)
		require.NoError(t, err)
		late := s.passenger("rail-north-01", 3, 3, dep.Add(11*time.Minute))
		out, err := process(t, g, late)
		require.NoError(t, err)
		require.Len(t, out, 1, "the newer record closes the older group")
		assert.Equal(t, rail.ID, out[0].ID)
		// A record of the closed group opens a new one, already expired.
		out, err = process(t, g, air)
		require.NoError(t, err)
		require.Len(t, out, 1)
		assert.Equal(t, air.ID, out[0].ID)
	})
	t.Run("max group", func(t *testing.T) {
		g, _ := newIntegrate(t, stage.IntegrateConfig{MaxGroup: 2})
		_, err := process(t, g, rail)
		require.NoError(t, err)
		out, err := process(t, g, air)
		_, dropped := stage.DropReason(err)
		require.True(t, dropped)
		require.Len(t, out, 1)
		assert.Equal(t, rail.ID, out[0].ID)
		assert.Zero(t, g.Held())
	})
	t.Run("max open", func(t *testing.T) {
		g, _ := newIntegrate(t, stage.IntegrateConfig{MaxOpen: 1})
		_, err := process(t, g, rail)
		require.NoError(t, err)
		out, err := process(t, g, other)
		require.NoError(t, err)
		require.Len(t, out, 1)
		assert.Equal(t, rail.ID, out[0].ID, "the oldest group closes early")
		assert.Equal(t, 1, g.Held())
	})
	_, err := stage.NewIntegrate(stage.IntegrateConfig{Window: -1, MaxGroup: -1})
	require.ErrorContains(t, err, "Org: required")
	require.ErrorContains(t, err, "Window: must be at least 0")
	require.ErrorContains(t, err, "MaxGroup: must be at least 0")
}

func TestStamp(t *testing.T) {
	s := newSynth(27)
	env := s.passenger("rail-north-01", 1, 1, t0)
	at := t0.Add(time.Hour)
	out, err := process(t, stage.Stamp("transport-ministry", schema.StageProcessing, func() time.Time { return at }), env)
	require.NoError(t, err)
	require.Len(t, out, 1)
	require.Len(t, out[0].Provenance, 2)
	assert.Len(t, env.Provenance, 1, "the input's provenance is not changed")
	last := out[0].Provenance[1]
	assert.Equal(t, "transport-ministry", last.Org)
	assert.Equal(t, at, last.At)
	assert.Equal(t, env.Provenance[0].Digest, last.Digest)
	_, err = process(t, stage.Stamp("", schema.StageProcessing, nil), env)
	require.Error(t, err)
}

// TestStampKeepsTrace: the stamped hop takes the previous hop's trace id,
// or else the trace of the ctx the processor runs in.
func TestStampKeepsTrace(t *testing.T) {
	const prev, fromCtx = "4bf92f3577b34da6a3ce929d0e0e4736", "0af7651916cd43dd8448eb211c80319c"
	tid, err := trace.TraceIDFromHex(fromCtx)
	require.NoError(t, err)
	traced := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8},
	}))
	tests := []struct {
		name      string
		ctx       context.Context
		prevTrace string
		want      string
	}{
		{"ctx's trace", traced, "", fromCtx},
		{"previous hop's first", traced, prev, prev},
		{"previous hop's, no ctx trace", context.Background(), prev, prev},
		{"none", context.Background(), "", ""},
	}
	s := newSynth(28)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := s.passenger("rail-north-01", 1, 1, t0)
			env.Provenance[0].TraceID = tt.prevTrace
			var out []schema.Envelope
			p := stage.Stamp("transport-ministry", schema.StageProcessing, func() time.Time { return t0.Add(time.Hour) })
			require.NoError(t, p.Process(tt.ctx, env, func(e schema.Envelope) { out = append(out, e) }))
			require.Len(t, out, 1)
			assert.Equal(t, tt.want, out[0].Provenance[1].TraceID)
		})
	}
}
