package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
)

type learnt struct{ envs []schema.Envelope }

func (l *learnt) Learn(_ context.Context, envs []schema.Envelope) error {
	l.envs = append(l.envs, envs...)
	return nil
}

func TestSeedPurposes(t *testing.T) {
	payload, err := os.ReadFile("../../schema/testdata/finance.transaction/v1/valid/card_payment_merchant.json")
	require.NoError(t, err)
	record := envLine(t, schema.KindFinanceTransaction, "bank-north-01", schema.NewID(), payload)
	good := envLine(t, schema.KindRequirement, "leading-group", schema.NewID(), corridorRequirement(schema.NewID(), time.Now().UTC().Truncate(time.Second)))
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		body  string
		n     int
		wants []string
	}{
		{"requirements are learnt", string(good) + "\n" + string(good), 2, nil},
		{"an invalid line is named with its pointer", string(good) + `{"id": 1}` + "\n", 0, []string{":2:", "/id"}},
		{"a record is not a purpose", string(record), 0, []string{":1:", "/kind is \"finance.transaction\""}},
		{"an empty file", "\n", 0, []string{"holds no envelope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".ndjson")
			require.NoError(t, os.WriteFile(path, []byte(tc.body), 0o600))
			var l learnt
			n, err := seedPurposes(t.Context(), path, &l)
			assert.Equal(t, tc.n, n)
			assert.Len(t, l.envs, tc.n, "nothing learnt from a refused file")
			if tc.wants == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tc.wants {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	_, err = seedPurposes(t.Context(), filepath.Join(dir, "missing"), &learnt{})
	assert.ErrorContains(t, err, "purposes file")
	var _ submit.Learner = &learnt{}
}
