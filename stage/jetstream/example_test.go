package jetstream_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	js "github.com/nats-io/nats.go/jetstream"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
	"github.com/sicollab/sicollab/stage/jetstream"
)

// A department's analysis reads what its hubs put in the stream through
// a durable consumer; each record is acknowledged once the pipeline's
// sink took it. (The server here is in-process, on loopback, for the
// example.)
func Example() {
	dir, _ := os.MkdirTemp("", "example-")
	defer os.RemoveAll(dir)
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true})
	if err != nil {
		panic(err)
	}
	go srv.Start()
	defer srv.Shutdown()
	if !srv.ReadyForConnections(30 * time.Second) {
		panic("server not ready")
	}
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		panic(err)
	}
	defer nc.Close()
	ctx := context.Background()

	// What a hub's sink (package submit/jetstream) would have published.
	j, _ := js.New(nc)
	if _, err := j.CreateStream(ctx, js.StreamConfig{Name: jetstream.DefaultStream, Subjects: []string{"sicollab.records.>"}}); err != nil {
		panic(err)
	}
	for _, id := range []string{"01950a7e-3c00-7d2a-9b1e-4f6a8c0d2e47", "01950a7e-3c00-7d2a-9b1e-4f6a8c0d2e48"} {
		env := schema.Envelope{ID: id, Kind: schema.KindFinanceTransaction, SchemaVersion: 1, Source: "bank-north-01"}
		data, _ := env.AppendJSON(nil)
		if _, err := j.Publish(ctx, "sicollab.records.finance.transaction.bank-north-01", data); err != nil {
			panic(err)
		}
	}

	c, err := jetstream.New(ctx, nc, jetstream.Config{CreateConsumer: true, StopWhenIdle: true, FetchWait: 100 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	sink := stage.SubmitterFunc(func(ctx context.Context, env schema.Envelope) error {
		fmt.Println("analysed", env.Kind, "from", env.Source)
		return nil
	})
	if _, err := stage.Run(ctx, c.Pipeline(stage.Config{Sink: sink})); err != nil {
		panic(err)
	}
	st := c.Stats()
	fmt.Println("emitted:", st.Emitted, "acknowledged:", st.Acked)
	// Output:
	// analysed finance.transaction from bank-north-01
	// analysed finance.transaction from bank-north-01
	// emitted: 2 acknowledged: 2
}
