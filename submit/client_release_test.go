package submit

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
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

// TestClientCloseDropsIdleConnections: Close closes the idle connections
// of the HTTP client NewClient made, so the hub sees them closed (a
// server's Shutdown would wait for an idle one dialed but never used).
func TestClientCloseDropsIdleConnections(t *testing.T) {
	hub := &clientHub{tb: t, limits: DefaultLimits(), receipts: map[string]clientHubEntry{}, ids: map[uuid.UUID]int{}}
	closed := make(chan struct{}, 16)
	hub.srv = httptest.NewUnstartedServer(hub)
	hub.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateClosed {
			closed <- struct{}{}
		}
	}
	hub.srv.Start()
	t.Cleanup(hub.srv.Close)
	c, err := NewClient(clientConfig(t, hub.srv.URL, t.TempDir()))
	require.NoError(t, err)
	ctx := t.Context()
	require.NoError(t, c.Submit(ctx, clientEnv(t, clientTestOrg, 1)))
	require.NoError(t, c.Flush(ctx))
	select {
	case <-closed:
		t.Fatal("a connection closed before Close")
	default:
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, c.Close(cctx))
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the client's idle connection is still open 10 s after Close")
	}
}
