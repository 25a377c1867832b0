package submit

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSubmitAccepts(t *testing.T) {
	f := newFixture(t, nil)
	l1, id1 := f.validLine(testBank)
	resp := f.send(post{body: ndjson(l1)})
	rc := resp.receipt(t)
	require.Equal(t, Counts{Records: 1, Accepted: 1}, rc.Counts)
	require.Equal(t, id1, rc.Results[0].ID)
	_, err := f.store.Get(t.Context(), id1)
	require.NoError(t, err)
	f.assertStoreClean()
}
