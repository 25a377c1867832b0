package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	js "github.com/nats-io/nats.go/jetstream"

	"github.com/sicollab/sicollab/examples/internal/sector"
	"github.com/sicollab/sicollab/internal/natstest"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/jetstream"
)

// sharedHubs, when -nats set it, is applied to the scheme before its
// hubs start (newWorld): every hub keeps its ledger and purposes on the
// cluster and puts what it accepts in the cluster's stream before its
// own store.
var sharedHubs func(*sector.Scheme)

// natsStream is the one stream of the demo: every hub's records, under
// sicollab.<hub>.<kind>.<source>.
const natsStream = "SICOLLAB_SCHEME"

// natsCluster is the embedded cluster of -nats: three JetStream servers
// routed into one cluster on loopback (natstest.Run: cluster ports below
// the system's ephemeral range, tried again elsewhere if one was taken),
// each server's store under the data folder's nats/.
type natsCluster struct {
	servers *natstest.Cluster
	nc      *nats.Conn
	js      js.JetStream
	hubs    []string // the hubs that went over it, in start order
}

// startNATS starts the cluster and the stream, and sets sharedHubs.
func startNATS(ctx context.Context, data string, hubs []string) (*natsCluster, error) {
	c := &natsCluster{}
	var err error
	if c.servers, err = natstest.Run(filepath.Join(data, "nats"), 3); err == nil {
		err = c.connect(ctx, hubs)
	}
	if err != nil {
		c.close()
		return nil, fmt.Errorf("-nats: %w", err)
	}
	sharedHubs = func(s *sector.Scheme) { s.Shared = c.shared }
	return c, nil
}

// connect connects, waits for JetStream through the cluster and makes
// the stream with every hub's subjects, three replicas.
func (c *natsCluster) connect(ctx context.Context, hubs []string) error {
	nc, err := nats.Connect(c.servers.URLs(), nats.MaxReconnects(-1), nats.Name("sicollab scheme"))
	if err != nil {
		return err
	}
	c.nc = nc
	if c.js, err = js.New(nc); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		actx, acancel := context.WithTimeout(ctx, 2*time.Second)
		_, err = c.js.AccountInfo(actx)
		acancel()
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("jetstream not ready: %w", errors.Join(ctx.Err(), err))
		case <-time.After(50 * time.Millisecond):
		}
	}
	cfg := jetstream.Config{Stream: natsStream, Replicas: 3}.StreamConfig()
	cfg.Subjects = nil
	for _, h := range hubs {
		cfg.Subjects = append(cfg.Subjects, hubPrefix(h)+".>")
	}
	cfg.Description = "sicollab scheme demo: the records every hub accepted"
	_, err = c.js.CreateOrUpdateStream(ctx, cfg)
	return err
}

// hubPrefix is the subject prefix of a hub's records.
func hubPrefix(org string) string { return "sicollab." + strings.ReplaceAll(org, ".", "_") }

// shared is the sector.Scheme.Shared of the cluster: the stream before
// the hub's own sink, and a ledger and purposes bucket of the hub's own
// (hubs of different departments see the same records relayed, so they
// do not share one).
func (c *natsCluster) shared(org string, local submit.Sink) (submit.Sink, submit.LedgerStore, submit.Purposes, func() error, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := jetstream.New(ctx, c.nc, jetstream.Config{Stream: natsStream, SubjectPrefix: hubPrefix(org), Replicas: 3})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	bucket := strings.ReplaceAll(org, ".", "_")
	ledger, err := jetstream.NewLedger(ctx, c.nc, jetstream.LedgerConfig{Bucket: "ledger_" + bucket, Replicas: 3})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	purposes, err := jetstream.NewPurposes(ctx, c.nc, submit.NewMemoryPurposeRegistry(nil), jetstream.PurposesConfig{Bucket: "purposes_" + bucket, Replicas: 3})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	c.hubs = append(c.hubs, org)
	return both{stream, local}, ledger, purposes, purposes.Close, nil
}

// both puts records on the cluster, then in the hub's own sink (which
// the demo's analysis reads); each is idempotent by record id, so a
// retry after a failure of the second stores nothing twice.
type both [2]submit.Sink

func (b both) Put(ctx context.Context, envs []schema.Envelope) error {
	if err := b[0].Put(ctx, envs); err != nil {
		return err
	}
	return b[1].Put(ctx, envs)
}

// report writes what the cluster holds: records per hub in the stream,
// and the entries of the ledger buckets.
func (c *natsCluster) report(ctx context.Context, w io.Writer) error {
	s, err := c.js.Stream(ctx, natsStream)
	if err != nil {
		return err
	}
	info, err := s.Info(ctx, js.WithSubjectFilter("sicollab.>"))
	if err != nil {
		return err
	}
	per := map[string]uint64{}
	for subj, n := range info.State.Subjects {
		per[strings.SplitN(subj, ".", 3)[1]] += n
	}
	fmt.Fprintf(w, "\nnats: a 3-node cluster on loopback held %d records in stream %s (3 replicas)\n", info.State.Msgs, natsStream)
	for _, h := range c.hubs {
		kv, err := c.js.KeyValue(ctx, "ledger_"+strings.ReplaceAll(h, ".", "_"))
		if err != nil {
			return err
		}
		st, err := kv.Status(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-20s %8d records  %8d ledger entries (keys, receipts, accepted ids)\n", h, per[strings.ReplaceAll(h, ".", "_")], st.Values())
	}
	return nil
}

// close closes the connection, stops the servers and unsets sharedHubs.
func (c *natsCluster) close() {
	sharedHubs = nil
	if c.nc != nil {
		c.nc.Close()
	}
	if c.servers != nil {
		c.servers.Shutdown()
	}
}
