package natstest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sicollab/sicollab/internal/natstest"
)

// TestClusterSurvivesLeaderLoss: a 3-replica stream keeps taking
// messages when its leader is killed, and the killed server comes back
// over its own store.
func TestClusterSurvivesLeaderLoss(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	nc := c.Connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	sent := 0
	publish := func(n int) {
		t.Helper()
		for i := range n {
			for {
				// One attempt at a time: a request lost while the
				// leader moves must not wait out the whole test.
				actx, acancel := context.WithTimeout(ctx, 2*time.Second)
				_, err := js.Publish(actx, "t.x", []byte{byte(i)}, jetstream.WithMsgID(fmt.Sprint("m", sent+i)))
				acancel()
				if err == nil {
					break
				} else if ctx.Err() != nil {
					t.Fatal(err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		sent += n
	}
	publish(10)
	leader, err := c.StreamLeader(ctx, js, "T")
	if err != nil {
		t.Fatal(err)
	}
	c.Kill(leader)
	if c.Server(leader) != nil {
		t.Fatal("killed server still listed")
	}
	publish(10)
	if err := c.Restart(leader); err != nil {
		t.Fatal(err)
	}
	if err := c.Restart(leader); err == nil {
		t.Fatal("Restart of a running server: no error")
	}
	s, err := js.Stream(ctx, "T")
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 20 {
		t.Fatalf("stream holds %d messages, want 20", info.State.Msgs)
	}
	if got := c.Index("n1"); got != 1 {
		t.Fatalf("Index(n1) = %d", got)
	}
	if got := c.Index("nope"); got != -1 {
		t.Fatalf("Index(nope) = %d", got)
	}
}

// TestStartServer: a lone server takes one-replica streams.
func TestStartServer(t *testing.T) {
	c := natstest.StartServer(t)
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "t.x", []byte("x")); err != nil {
		t.Fatal(err)
	}
}
