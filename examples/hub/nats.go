package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/jetstream"
)

// natsFlags are the flags of the JetStream sink: with -nats, accepted
// records go to a stream instead of store.db, and the ledger (keys,
// receipts, accepted ids) and learnt purposes live in key-value buckets
// shared with the other hubs on the cluster: the hub is stateless.
type natsFlags struct {
	url, creds, stream, prefix string
	replicas                   int
	duplicates, maxAge         time.Duration
	maxBytes                   int64
	maxInFlight                int

	nc *nats.Conn // set by open
}

// addNATSFlags registers the flags on fs.
func addNATSFlags(fs *flag.FlagSet) *natsFlags {
	n := &natsFlags{}
	fs.StringVar(&n.url, "nats", "", "NATS server URLs, comma-separated: keep accepted records in a JetStream stream instead of store.db")
	fs.StringVar(&n.creds, "nats-creds", "", "NATS credentials file (user JWT and seed) for -nats")
	fs.StringVar(&n.stream, "stream", jetstream.DefaultStream, "JetStream stream for -nats (created or updated to these flags)")
	fs.StringVar(&n.prefix, "subject-prefix", jetstream.DefaultSubjectPrefix, "subject prefix of records for -nats: <prefix>.<kind>.<source>")
	fs.IntVar(&n.replicas, "replicas", 3, "stream replicas for -nats (3 in a cluster, 1 on a lone server)")
	fs.DurationVar(&n.duplicates, "dup-window", jetstream.DefaultDuplicates, "stream duplicate window for -nats: a record sent again within it is stored once")
	fs.DurationVar(&n.maxAge, "max-age", 0, "how long the stream keeps records for -nats (0: no limit)")
	fs.Int64Var(&n.maxBytes, "max-bytes", 0, "stream size limit in bytes for -nats; when full, records are refused, never dropped (0: no limit)")
	fs.IntVar(&n.maxInFlight, "max-in-flight", jetstream.DefaultMaxInFlight, "records awaiting the stream's acknowledgement at once, for -nats")
	return n
}

// check reports a usage error in the flags, or "".
func (n *natsFlags) check() string {
	if n.url == "" && n.creds != "" {
		return "-nats-creds needs -nats"
	}
	if n.url == "" {
		return ""
	}
	if err := n.config().Validate(); err != nil {
		return err.Error()
	}
	return ""
}

// config is the Sink's configuration from the flags.
func (n *natsFlags) config() jetstream.Config {
	return jetstream.Config{
		Stream: n.stream, SubjectPrefix: n.prefix, Replicas: n.replicas, Duplicates: n.duplicates,
		MaxAge: n.maxAge, MaxBytes: n.maxBytes, MaxInFlight: n.maxInFlight, CreateStream: true,
	}
}

// open connects and returns the Sink, and a function that drains and
// closes the connection (after the server stopped: nothing is in flight
// by then).
func (n *natsFlags) open(ctx context.Context, log *slog.Logger) (*jetstream.Sink, func(), error) {
	opts := []nats.Option{
		nats.Name("sicollab hub"), nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("nats: disconnected", "err", err) }),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("nats: reconnected", "server", c.ConnectedUrlRedacted()) }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			log.Warn("nats: asynchronous error", "subject", subject, "err", err)
		}),
	}
	if n.creds != "" {
		opts = append(opts, nats.UserCredentials(n.creds))
	}
	nc, err := nats.Connect(n.url, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to nats %s: %w", n.url, err)
	}
	cfg := n.config()
	cfg.Logger = log
	sink, err := jetstream.New(ctx, nc, cfg)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	log.Info("records go to jetstream", "stream", n.stream, "replicas", n.replicas, "server", nc.ConnectedUrlRedacted())
	n.nc = nc
	return sink, func() {
		if err := nc.Drain(); err != nil {
			nc.Close()
		}
	}, nil
}

// ledger returns the hub's LedgerStore with -nats: keys, receipts and
// accepted ids in the cluster's ledger bucket, shared with every other
// hub, so that the hub keeps no ledger.db; nil without -nats.
func (n *natsFlags) ledger(ctx context.Context, log *slog.Logger) (submit.LedgerStore, error) {
	if n.nc == nil {
		return nil, nil
	}
	return jetstream.NewLedger(ctx, n.nc, jetstream.LedgerConfig{Replicas: n.replicas, Logger: log})
}

// purposes returns the hub's Purposes with -nats: a registry in memory,
// loaded from and shared with every other hub through the purposes
// bucket, and a function that stops following the bucket. Without -nats
// it returns nil (the Handler's default registry, in ledger.db).
func (n *natsFlags) purposes(ctx context.Context, log *slog.Logger) (submit.Purposes, func(), error) {
	if n.nc == nil {
		return nil, func() {}, nil
	}
	shared, err := jetstream.NewPurposes(ctx, n.nc, submit.NewMemoryPurposeRegistry(nil), jetstream.PurposesConfig{Replicas: n.replicas, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	return shared, func() { shared.Close() }, nil
}
