package submit

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// hops gives each next-hop organization a Submitter of its own, made on
// first use; batch makes them BatchSubmitters.
type hops struct {
	mu    sync.Mutex
	batch bool
	by    map[string]*batchSubmitter
	fail  map[string]error
}

func (h *hops) hop(to string) (Submitter, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.by == nil {
		h.by = map[string]*batchSubmitter{}
	}
	s, ok := h.by[to]
	if !ok {
		s = &batchSubmitter{}
		h.by[to] = s
	}
	s.fail = h.fail[to]
	if !h.batch {
		return &s.recSubmitter, nil
	}
	return s, nil
}

func (h *hops) ids(to string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.by[to]
	if !ok {
		return nil
	}
	var out []string
	for _, e := range s.got {
		out = append(out, e.ID)
	}
	return out
}

// TestRouterFansOut: a general business department's record goes to every
// specialized department the directory routes its kind to, and to no one
// else; a batch reaches each hop in one call, in order.
func TestRouterFansOut(t *testing.T) {
	dir := testDirectory(t)
	for _, batch := range []bool{false, true} {
		h := &hops{batch: batch}
		r, err := NewRouter(RouterConfig{Org: testHub, Routes: dir, Hop: h.hop})
		require.NoError(t, err)
		next, err := r.Next(schema.KindFinanceTransaction)
		require.NoError(t, err)
		require.Equal(t, []string{"public-security", "state-security"}, next)

		one := schema.Envelope{ID: "e-1", Kind: schema.KindFinanceTransaction}
		require.NoError(t, r.Submit(context.Background(), one))
		many := []schema.Envelope{
			{ID: "e-2", Kind: schema.KindFinanceTransaction},
			{ID: "e-3", Kind: schema.KindFeedbackReport},
			{ID: "e-4", Kind: schema.KindFinanceTransaction},
		}
		require.NoError(t, r.SubmitMany(context.Background(), many))

		assert.Equal(t, []string{"e-1", "e-2", "e-4"}, h.ids("state-security"), "batch %v", batch)
		assert.Equal(t, []string{"e-1", "e-2", "e-3", "e-4"}, h.ids("public-security"), "batch %v", batch)
		assert.Equal(t, []string{"e-3"}, h.ids(testLeader), "batch %v", batch)
		assert.Len(t, h.by, 3, "no hop beyond the routes")
		if batch {
			assert.Equal(t, 1, h.by["public-security"].batches, "one SubmitMany per hop")
		}
	}
}

// TestRouterErrors: a record routed nowhere, a kind the org may not
// submit, a failing hop and a bad config are errors naming what failed;
// an unroutable record in a batch queues nothing.
func TestRouterErrors(t *testing.T) {
	dir := testDirectory(t)
	ctx := context.Background()
	h := &hops{batch: true}

	sd, err := NewRouter(RouterConfig{Org: "public-security", Routes: dir, Hop: h.hop})
	require.NoError(t, err)
	err = sd.Submit(ctx, schema.Envelope{ID: "x", Kind: schema.KindTask}) // addressed: no route by kind
	require.ErrorIs(t, err, ErrNoRoute)
	assert.ErrorContains(t, err, "collab.task from public-security goes to no next hop")

	bank, err := NewRouter(RouterConfig{Org: testBank, Routes: dir, Hop: h.hop})
	require.NoError(t, err)
	err = bank.Submit(ctx, schema.Envelope{ID: "x", Kind: schema.KindServicesLodging})
	require.ErrorIs(t, err, collab.ErrKindNotAllowed)

	err = bank.SubmitMany(ctx, []schema.Envelope{
		{ID: "ok", Kind: schema.KindFinanceTransaction},
		{ID: "bad", Kind: schema.KindServicesLodging},
	})
	var ie *IndexError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, 1, ie.Index)
	assert.Empty(t, h.ids(testHub), "nothing queued when a record cannot be routed")

	boom := errors.New("outbox full")
	h.fail = map[string]error{"state-security": boom}
	gbd, err := NewRouter(RouterConfig{Org: testHub, Routes: dir, Hop: h.hop})
	require.NoError(t, err)
	err = gbd.Submit(ctx, schema.Envelope{ID: "y", Kind: schema.KindFinanceTransaction})
	require.ErrorIs(t, err, boom)
	assert.ErrorContains(t, err, "to state-security")

	_, err = NewRouter(RouterConfig{})
	for _, field := range []string{"Org: required", "Routes: required", "Hop: required"} {
		assert.ErrorContains(t, err, field)
	}
	nilHop, err := NewRouter(RouterConfig{Org: testBank, Routes: dir, Hop: func(string) (Submitter, error) { return nil, nil }})
	require.NoError(t, err)
	assert.ErrorContains(t, nilHop.Submit(ctx, schema.Envelope{ID: "z", Kind: schema.KindFinanceTransaction}), "nil Submitter")
}
