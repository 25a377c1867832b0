package sector

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// TestForceValidatesOnce: from collection to the client's outbox, a
// social force's pipeline validates each record exactly once (the
// client's check, as it stamps it), counted through the validator's
// hook; a record the client refuses is dropped as invalid, and the
// others are delivered.
func TestForceValidatesOnce(t *testing.T) {
	ctx := context.Background()
	var checks atomic.Int64
	v, err := schema.NewValidator(schema.WithOnCheck(func() { checks.Add(1) }))
	require.NoError(t, err)
	s := NewScheme(t.TempDir(), 1e6)
	s.validator = sync.OnceValues(func() (*schema.Validator, error) { return v, nil })
	defer s.Close(context.Background())
	f := Force{Org: "bank-north-01", Kinds: []string{schema.KindFinanceTransaction}}
	purpose := schema.Purpose{}
	_, err = s.Standalone(ctx, f.Org, &purpose)
	require.NoError(t, err)
	records, err := Records(f.Org, f.Kinds, 300, 7, purpose, false)
	require.NoError(t, err)
	const bad = 3
	var envs []schema.Envelope
	for env := range records {
		envs = append(envs, env)
	}
	for i := range bad { // a reference its pattern does not allow
		env := envs[i*50]
		var p map[string]any
		require.NoError(t, json.Unmarshal(env.Payload, &p))
		p["reference"] = "no spaces allowed"

		env.Payload, err = json.Marshal(p)
		require.NoError(t, err)
		envs[i*50] = env
	}
	checks.Store(0) // the requirement announced above was checked by its client
	st, err := f.Process(ctx, s, func(yield func(schema.Envelope) bool) {
		for _, env := range envs {
			if !yield(env) {
				return
			}
		}
	}, "")
	require.NoError(t, err)
	require.NoError(t, s.Flush(ctx, f.Org))

	sink, ok := st.Step(stage.SinkStepName)
	require.True(t, ok)
	assert.Equal(t, uint64(bad), sink.Dropped[ReasonInvalid], "the client's refusals, dropped as invalid")
	assert.Equal(t, uint64(len(envs)-bad), st.Delivered)
	assert.Equal(t, uint64(len(envs)-bad), s.Stats(f.Org).Delivered)
	assert.Zero(t, st.Unaccounted())
	dup := st.Dropped()[stage.ReasonDuplicate]
	// Each record that reached the sink was checked once; those dedupe
	// dropped never reached a check. A second check anywhere (a validate
	// step beside the client's) makes this count grow.
	assert.Equal(t, int64(uint64(len(envs))-dup), checks.Load(), "checks per record: %+v", st)
}
