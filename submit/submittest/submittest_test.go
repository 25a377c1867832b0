package submittest_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit/submittest"
)

func TestNewServerDefaults(t *testing.T) {
	hub := submittest.NewServer(t)
	require.Equal(t, submittest.HubOrg, hub.Org)
	o, ok := hub.Directory.Authenticate(hub.Token(submittest.Partner))
	require.True(t, ok)
	require.Equal(t, submittest.Partner, o.ID)
	id, err := hub.Requirement()
	require.NoError(t, err)
	require.NotEmpty(t, id)
	rs, err := hub.Receipts(submittest.Partner)
	require.NoError(t, err)
	require.Empty(t, rs)
}

func TestDirectoryPartners(t *testing.T) {
	d, err := submittest.Directory(
		schema.DirectoryOrg{ID: "bank-01", Sectors: []string{"finance"}, Submits: []string{schema.KindFinanceTransaction}},
		schema.DirectoryOrg{ID: "hotel-01", Sectors: []string{"services"}, Submits: []string{schema.KindServicesLodging}, Region: "CN-SH"},
	)
	require.NoError(t, err)
	require.NoError(t, d.Authorize("bank-01", schema.KindFinanceTransaction))
	next, err := d.Route("hotel-01", schema.KindServicesLodging)
	require.NoError(t, err)
	require.Equal(t, []string{submittest.HubOrg}, next)
	_, ok := d.Org(submittest.Partner)
	require.False(t, ok, "given partners replace the default one")
}

func TestWithDirectoryFile(t *testing.T) {
	hub := submittest.NewServer(t, submittest.WithDirectoryFile("../../internal/demoscheme/scheme.json"), submittest.WithOrg("central-bank"))
	_, ok := hub.Directory.Authenticate(hub.Token("bank-north-01"))
	require.True(t, ok)
	_, err := submittest.StartServer(submittest.WithDirectoryFile("no/such/file.json"))
	require.ErrorContains(t, err, "no/such/file.json")
	_, err = submittest.StartServer(submittest.WithOrg("nobody"))
	require.ErrorContains(t, err, `Org "nobody"`)
}
