package stage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

func count(acc int, _ stage.Record) int { return acc + 1 }

// at is 2026-03-02 at hh:mm UTC.
func at(hh, mm int) time.Time { return time.Date(2026, 3, 2, hh, mm, 0, 0, time.UTC) }

func win(from, to time.Time) schema.Window { return schema.Window{From: from, To: to} }

type closed struct {
	subject int
	window  schema.Window
	count   int
}

// summarize maps results to (subject number, window, count).
func summarize(res []stage.WindowResult[int]) []closed {
	var out []closed
	for _, r := range res {
		n := -1
		for i := range 10 {
			if subject(i).Pseudonym == r.Subject.Pseudonym {
				n = i
			}
		}
		out = append(out, closed{n, r.Window, r.Value})
	}
	return out
}

// inOrder sorts closed windows as Windows returns them: by end, then by
// subject pseudonym.
func inOrder(cs []closed) []closed {
	slices.SortStableFunc(cs, func(a, b closed) int {
		if c := a.window.To.Compare(b.window.To); c != 0 {
			return c
		}
		return strings.Compare(subject(a.subject).Pseudonym, subject(b.subject).Pseudonym)
	})
	return cs
}

func TestWindows(t *testing.T) {
	s := newSynth(30)
	// Trips of subject 1 and 2 at given departure times (the event time).
	trip := func(subj int, t time.Time) schema.Envelope { return s.passenger("rail-north-01", subj, subj, t) }
	type add struct {
		env  schema.Envelope
		want []closed // windows this record closes
	}
	cases := []struct {
		name      string
		cfg       stage.WindowConfig
		adds      []add
		wantFlush []closed
		wantLate  uint64
	}{
		{
			name: "tumbling: the watermark closes a window",
			cfg:  stage.WindowConfig{Size: time.Hour},
			adds: []add{
				{trip(1, at(9, 10)), nil},
				{trip(2, at(9, 15)), nil},
				{trip(1, at(9, 20)), nil},
				{trip(1, at(10, 5)), []closed{{1, win(at(9, 0), at(10, 0)), 2}, {2, win(at(9, 0), at(10, 0)), 1}}},
			},
			wantFlush: []closed{{1, win(at(10, 0), at(11, 0)), 1}},
		},
		{
			name: "tumbling: a late record is dropped and counted",
			cfg:  stage.WindowConfig{Size: time.Hour},
			adds: []add{
				{trip(1, at(9, 10)), nil},
				{trip(1, at(10, 5)), []closed{{1, win(at(9, 0), at(10, 0)), 1}}},
				{trip(1, at(9, 30)), nil}, // its window closed: late
				{trip(1, at(10, 30)), nil},
			},
			wantFlush: []closed{{1, win(at(10, 0), at(11, 0)), 2}},
			wantLate:  1,
		},
		{
			name: "tumbling: allowed lateness takes the record in",
			cfg:  stage.WindowConfig{Size: time.Hour, AllowedLateness: 10 * time.Minute},
			adds: []add{
				{trip(1, at(9, 10)), nil},
				{trip(1, at(10, 5)), nil}, // watermark 9:55
				{trip(1, at(9, 30)), nil}, // not late
				{trip(1, at(10, 11)), []closed{{1, win(at(9, 0), at(10, 0)), 2}}},
			},
			wantFlush: []closed{{1, win(at(10, 0), at(11, 0)), 2}},
		},
		{
			name: "sliding: a record falls in Size/Slide windows; a late one joins those still open",
			cfg:  stage.WindowConfig{Size: time.Hour, Slide: 30 * time.Minute},
			adds: []add{
				{trip(1, at(9, 40)), nil}, // [9:00,10:00) and [9:30,10:30)
				{trip(1, at(10, 10)), []closed{{1, win(at(9, 0), at(10, 0)), 1}}},
				{trip(1, at(9, 50)), nil}, // [9:00,10:00) closed, [9:30,10:30) open: not late
				{trip(1, at(8, 0)), nil},  // every window closed: late
			},
			wantFlush: []closed{
				{1, win(at(9, 30), at(10, 30)), 3},
				{1, win(at(10, 0), at(11, 0)), 1},
			},
			wantLate: 1,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var late []string
			c.cfg.OnLate = func(env schema.Envelope, _ time.Time) { late = append(late, env.ID) }
			w, err := stage.NewWindows(c.cfg, count)
			require.NoError(t, err)
			for i, a := range c.adds {
				res, err := w.Add(a.env)
				require.NoError(t, err)
				assert.Equal(t, inOrder(a.want), summarize(res), "add %d", i)
			}
			assert.Equal(t, inOrder(c.wantFlush), summarize(w.Flush()))
			assert.Equal(t, c.wantLate, w.Late())
			assert.Len(t, late, int(c.wantLate), "late records reach OnLate")
		})
	}
	t.Run("deterministic", func(t *testing.T) {
		envs, _, _ := newSynth(31).stream(3000)
		run := func() []stage.WindowResult[int] {
			w, err := stage.NewWindows(stage.WindowConfig{Size: 10 * time.Minute, Slide: 5 * time.Minute}, count)
			require.NoError(t, err)
			var all []stage.WindowResult[int]
			for _, e := range envs {
				res, err := w.Add(e)
				require.NoError(t, err)
				all = append(all, res...)
			}
			return append(all, w.Flush()...)
		}
		a, b := run(), run()
		require.NotEmpty(t, a)
		assert.Equal(t, a, b)
	})
	t.Run("config", func(t *testing.T) {
		_, err := stage.NewWindows(stage.WindowConfig{Slide: time.Hour, AllowedLateness: -1}, count)
		require.ErrorContains(t, err, "Size: must be positive, got 0s")
		require.ErrorContains(t, err, "Slide: must be from 0 to Size (0s), got 1h0m0s")
		require.ErrorContains(t, err, "AllowedLateness: must be at least 0, got -1ns")
	})
}

// Three trips a day or more put a subject on the trajectory list.
func TestWindowAnalyzerEmitsValidProducts(t *testing.T) {
	v, err := schema.NewValidator()
	require.NoError(t, err)
	s := newSynth(32)
	n := 0
	a, err := stage.NewWindowAnalyzer(stage.WindowAnalyzerConfig[int]{
		Window: stage.WindowConfig{Size: 24 * time.Hour},
		Fold:   count,
		Score: func(r stage.WindowResult[int]) (schema.ProductEntry, bool) {
			if r.Value < 3 {
				return schema.ProductEntry{}, false
			}
			return schema.ProductEntry{Score: min(1, float64(r.Value)/10), Reasons: []string{fmt.Sprintf("%d trips in a day", r.Value)}}, true
		},
		Product: stage.ProductConfig{
			ListType: schema.ListPassengerTrajectory, Frequency: schema.FrequencyDaily, Producer: "transport-ministry",
			RequirementID: testReqID, NewID: func() string { n++; return fmt.Sprintf("01950a00-0000-7000-8000-%012d", n) },
			Now: func() time.Time { return at(23, 59) },
		},
	})
	require.NoError(t, err)
	var products []schema.Product
	emit := func(p schema.Product) error { products = append(products, p); return nil }
	var busy []string
	for i := range 4 {
		e := s.passenger("rail-north-01", 1, i, at(8+i, 0))
		busy = append(busy, e.ID)
		require.NoError(t, a.Analyze(context.Background(), e, emit))
	}
	require.NoError(t, a.Analyze(context.Background(), s.passenger("rail-north-01", 2, 9, at(9, 0)), emit))
	require.NoError(t, a.Flush(context.Background(), emit))
	require.Len(t, products, 1)
	p := products[0]
	assert.Equal(t, win(at(0, 0), at(0, 0).Add(24*time.Hour)), p.Period)
	require.Len(t, p.Entries, 1)
	assert.Equal(t, subject(1), p.Entries[0].Subject)
	assert.Equal(t, busy, p.Entries[0].EvidenceIDs)
	assert.Equal(t, []string{"4 trips in a day"}, p.Entries[0].Reasons)
	raw, err := json.Marshal(p)
	require.NoError(t, err)
	require.NoError(t, v.ValidatePayload(schema.KindProduct, 1, raw))
}

func TestLinker(t *testing.T) {
	v, err := schema.NewValidator()
	require.NoError(t, err)
	rule := stage.LinkRule{Name: "hazmat purchase and flagged account",
		Kinds: []string{schema.KindCommerceHazmat, schema.KindTelecomAccountReport}, Within: 48 * time.Hour, Score: 0.9}
	s := newSynth(33)
	h1 := s.hazmat(1, at(9, 0))
	a1 := s.account(1, at(20, 0))
	a1far := s.account(1, at(9, 0).Add(72*time.Hour))
	a2 := s.account(2, at(10, 0))
	tr := s.passenger("rail-north-01", 1, 1, at(11, 0))
	cases := []struct {
		name string
		in   []schema.Envelope
		want [][]string // evidence ids of each product
	}{
		{"purchase then report", []schema.Envelope{h1, a1}, [][]string{{a1.ID, h1.ID}}},
		{"report then purchase", []schema.Envelope{a1, h1}, [][]string{{h1.ID, a1.ID}}},
		{"too far apart", []schema.Envelope{h1, a1far}, nil},
		{"another subject", []schema.Envelope{h1, a2}, nil},
		{"a kind no rule names is ignored", []schema.Envelope{h1, tr}, nil},
		{"the same link is reported once", []schema.Envelope{h1, a1, a1}, [][]string{{a1.ID, h1.ID}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := stage.NewLinker(stage.LinkConfig{Rules: []stage.LinkRule{rule},
				Product: stage.ProductConfig{Producer: "miit", RequirementID: testReqID}})
			require.NoError(t, err)
			var got [][]string
			for _, e := range c.in {
				require.NoError(t, l.Analyze(context.Background(), e, func(p schema.Product) error {
					require.Len(t, p.Entries, 1)
					assert.Equal(t, schema.ListCrossSectorLink, p.ListType)
					assert.Equal(t, subject(1), p.Entries[0].Subject)
					raw, err := json.Marshal(p)
					require.NoError(t, err)
					require.NoError(t, v.ValidatePayload(schema.KindProduct, 1, raw))
					got = append(got, p.Entries[0].EvidenceIDs)
					return nil
				}))
			}
			assert.Equal(t, c.want, got)
		})
	}
	t.Run("memory: old records are forgotten", func(t *testing.T) {
		l, err := stage.NewLinker(stage.LinkConfig{Rules: []stage.LinkRule{rule},
			Product: stage.ProductConfig{Producer: "miit", RequirementID: testReqID}})
		require.NoError(t, err)
		for i := range 5000 {
			e := s.hazmat(i, at(0, 0).Add(time.Duration(i)*time.Minute))
			require.NoError(t, l.Analyze(context.Background(), e, func(schema.Product) error { return nil }))
		}
		// 48h of one purchase a minute, plus at most 1024 records between sweeps.
		assert.LessOrEqual(t, l.Subjects(), 48*60+1024)
	})
	_, err = stage.NewLinker(stage.LinkConfig{Rules: []stage.LinkRule{{Name: "x", Kinds: []string{"a", "a"}}}})
	require.ErrorContains(t, err, "Rules[0].Kinds: must be distinct")
	require.ErrorContains(t, err, "Rules[0].Within: must be positive")
	require.ErrorContains(t, err, "Producer: required")
}
