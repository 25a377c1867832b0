package collab_test

import (
	"encoding/json"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

func TestTier(t *testing.T) {
	tests := []struct {
		tier  collab.Tier
		name  string
		layer collab.Layer
	}{
		{collab.LeadingGroup, "leading_group", collab.Leadership},
		{collab.SpecializedDepartment, "specialized_department", collab.Execution},
		{collab.GeneralBusinessDepartment, "general_business_department", collab.Execution},
		{collab.SocialForce, "social_force", collab.Execution},
	}
	require.Len(t, collab.Tiers(), len(tests))
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.tier, collab.Tiers()[i], "Tiers() order")
			assert.Equal(t, tt.name, tt.tier.String())
			assert.True(t, tt.tier.Valid())
			assert.Equal(t, tt.layer, tt.tier.Layer())

			got, err := collab.ParseTier(tt.name)
			require.NoError(t, err)
			assert.Equal(t, tt.tier, got)

			b, err := json.Marshal(tt.tier)
			require.NoError(t, err)
			assert.Equal(t, `"`+tt.name+`"`, string(b))
			var back collab.Tier
			require.NoError(t, json.Unmarshal(b, &back))
			assert.Equal(t, tt.tier, back)
		})
	}
}

func TestTierInvalid(t *testing.T) {
	var zero collab.Tier
	assert.False(t, zero.Valid())
	assert.Equal(t, "tier(0)", zero.String())
	assert.Equal(t, collab.Layer(0), zero.Layer())
	_, err := json.Marshal(zero)
	assert.Error(t, err)

	_, err = collab.ParseTier("enterprise")
	assert.ErrorContains(t, err, `collab: unknown tier "enterprise"`)
	var tier collab.Tier
	assert.Error(t, json.Unmarshal([]byte(`"Leading_Group"`), &tier))
}

func TestLayerString(t *testing.T) {
	assert.Equal(t, "leadership", collab.Leadership.String())
	assert.Equal(t, "execution", collab.Execution.String())
	assert.Equal(t, "layer(7)", collab.Layer(7).String())
}

func TestSector(t *testing.T) {
	raw, err := fs.ReadFile(schema.FS(), "common/v1.schema.json")
	require.NoError(t, err)
	var common struct {
		Defs struct {
			Sector struct {
				Enum []string `json:"enum"`
			} `json:"sector"`
		} `json:"$defs"`
	}
	require.NoError(t, json.Unmarshal(raw, &common))
	want := common.Defs.Sector.Enum
	require.NotEmpty(t, want)
	var got []string
	for _, s := range collab.Sectors() {
		assert.True(t, s.Valid(), s)
		got = append(got, string(s))
	}
	assert.Equal(t, want, got, "the sectors of the common schema's enum, in order")
	assert.False(t, collab.Sector("banking").Valid())
}
