package submit

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestClientReleaseMemory: releasing the outbox's pages between records
// loses none, and after Close it says the client is closed.
func TestClientReleaseMemory(t *testing.T) {
	hub := newClientHub(t)
	c := clientNew(t, clientConfig(t, hub.srv.URL, t.TempDir()))
	ctx := t.Context()
	for i := range 20 {
		require.NoError(t, c.Submit(ctx, clientEnv(t, clientTestOrg, i)))
		require.NoError(t, c.ReleaseMemory())
	}
	require.NoError(t, c.Flush(ctx))
	require.Equal(t, uint64(20), c.Stats().Delivered)
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	require.NoError(t, c.Close(cctx))
	require.ErrorIs(t, c.ReleaseMemory(), ErrClientClosed)
}
