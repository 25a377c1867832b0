package natstest

import (
	"net"
	"testing"
	"time"
)

// TestLaunchRetriesTakenPort: a cluster port taken by another process
// before the server binds it (the server then never gets ready) costs a
// second attempt on another port, not the test.
func TestLaunchRetriesTakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	taken := ln.Addr().(*net.TCPAddr).Port
	c := newCluster(t, "", 3, true)
	t.Cleanup(c.Shutdown)
	c.ready = 5 * time.Second // enough for one server on a loaded machine; the taken port never gets ready
	first := true
	c.pickPort = func() (int, error) {
		if first {
			first = false
			return taken, nil
		}
		return freePort()
	}
	if err := c.launch(); err != nil {
		t.Fatal(err)
	}
	if c.attempts != 2 {
		t.Fatalf("%d attempts, want 2", c.attempts)
	}
	if got := c.opts[0].Cluster.Port; got == taken {
		t.Fatalf("cluster port %d is the taken one", got)
	}
}

// TestFreePortBelowEphemeral: on a system that names its ephemeral range,
// freePort chooses below it.
func TestFreePortBelowEphemeral(t *testing.T) {
	low := ephemeralLow()
	if low <= 2048 {
		t.Skip("the system does not say its ephemeral port range")
	}
	for range 20 {
		p, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		if p >= low || p < 1024 {
			t.Fatalf("port %d is outside [1024, %d)", p, low)
		}
	}
}

// TestStartClusterOfOne: a cluster of one is a server JetStream answers
// on (clustered, it would never elect a meta leader).
func TestStartClusterOfOne(t *testing.T) {
	c := StartCluster(t, 1)
	if c.name != "" {
		t.Fatalf("a cluster of one is clustered as %q", c.name)
	}
}
