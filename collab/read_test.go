package collab_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

func TestAuthorizeReadRules(t *testing.T) {
	d := loadScheme(t)
	const holder, producer = "public-security", "central-bank"
	fin := schema.ListAbnormalFinancialActivity
	cases := []struct {
		reader string
		lt     schema.ListType
		h      schema.Handling
		ok     bool
	}{
		{"state-security", fin, schema.HandlingAmber, true},
		{"leading-group", fin, schema.HandlingGreen, true},
		{"central-bank", fin, schema.HandlingRed, true},            // producer
		{"public-security", fin, schema.HandlingRed, true},         // holder
		{"state-security", fin, schema.HandlingRed, false},         // RED stays
		{"state-security", fin, schema.HandlingAmberStrict, false}, // AMBER+STRICT stays
		{"transport-ministry", fin, schema.HandlingAmber, false},   // not its sector
		{"transport-ministry", fin, schema.HandlingGreen, true},    // community
		{"transport-ministry", schema.ListPassengerTrajectory, schema.HandlingAmber, true},
		{"customs", schema.ListCrossSectorLink, schema.HandlingAmber, false},
		{"bank-north-01", fin, schema.HandlingGreen, false},
		{"bank-north-01", fin, schema.HandlingClear, true},
		{"bank-north-01", fin, "", false}, // empty reads as AMBER
		{"state-security", fin, "PURPLE", false},
	}
	for _, c := range cases {
		err := d.AuthorizeRead(c.reader, c.lt, c.h, producer, holder)
		if c.ok {
			require.NoError(t, err, "%s %s %s", c.reader, c.lt, c.h)
			continue
		}
		require.ErrorIs(t, err, collab.ErrReadNotAllowed, "%s %s %s", c.reader, c.lt, c.h)
	}
	require.ErrorIs(t, d.AuthorizeRead("nobody", fin, schema.HandlingClear, producer, holder), collab.ErrUnknownOrg)
	require.False(t, d.MayReadList("nobody", fin))
	require.False(t, d.MayReadList("leading-group", "no_such_list"))
	for _, lt := range collab.ListTypes() {
		require.NotEmpty(t, collab.ListSectors(lt), lt)
		require.True(t, d.MayReadList("armed-police", lt))
	}
}
