package natstest_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sicollab/sicollab/internal/natstest"
)

// One JetStream server in this process, on loopback, with its store in a
// temporary directory: a stream is made on it, takes three messages, and
// drops the one published twice under the same message id.
func ExampleRun() {
	dir, err := os.MkdirTemp("", "natstest-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	c, err := natstest.Run(dir, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Shutdown()

	nc, err := nats.Connect(c.URLs())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "RECORDS", Subjects: []string{"records.>"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range []string{"a", "b", "b", "c"} {
		ack, err := js.Publish(ctx, "records.finance", []byte("record "+id), jetstream.WithMsgID(id))
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(id, "sequence", ack.Sequence, "duplicate", ack.Duplicate)
	}
	info, err := s.Info(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("messages:", info.State.Msgs, "servers:", c.Len())
	// Output:
	// a sequence 1 duplicate false
	// b sequence 2 duplicate false
	// b sequence 2 duplicate true
	// c sequence 3 duplicate false
	// messages: 3 servers: 1
}
