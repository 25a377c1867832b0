package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sicollab/sicollab/collab"
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
	sharedDir                  bool

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
	fs.BoolVar(&n.sharedDir, "shared-directory", false, "with -nats, follow the directory kept in the cluster's directory bucket; -directory, if given, is published there when the bucket is empty or older (and again on SIGHUP)")
	return n
}

// check reports a usage error in the flags, or "".
func (n *natsFlags) check() string {
	if n.url == "" && n.creds != "" {
		return "-nats-creds needs -nats"
	}
	if n.url == "" && n.sharedDir {
		return "-shared-directory needs -nats"
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
	// The connection's callbacks run on its own goroutine, after Close or
	// Drain returned; waiting for the last one (closed) keeps them from
	// logging after the hub stopped.
	closed := make(chan struct{})
	waitClosed := func() {
		select {
		case <-closed:
		case <-time.After(natsCloseWait):
		}
	}
	opts := []nats.Option{
		nats.Name("sicollab hub"), nats.MaxReconnects(-1),
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }),
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
		waitClosed()
		return nil, nil, err
	}
	log.Info("records go to jetstream", "stream", n.stream, "replicas", n.replicas, "server", nc.ConnectedUrlRedacted())
	n.nc = nc
	return sink, func() {
		if err := nc.Drain(); err != nil {
			nc.Close()
		}
		waitClosed()
	}, nil
}

// natsCloseWait bounds the wait for a closed connection's last callback:
// a drain ends by nats.go's drain timeout (30 s by default).
const natsCloseWait = 35 * time.Second

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

// sharedDirectory follows the cluster's directory bucket under rules,
// after publishing the directory file at path (if any: "" publishes
// nothing) when the bucket holds none or an older one. It returns the
// shared directory, a function that publishes the file again (for
// SIGHUP), and one that stops following the bucket.
func (n *natsFlags) sharedDirectory(ctx context.Context, path string, rules collab.DirectoryRules, log *slog.Logger) (*jetstream.SharedDirectory, func(), func(), error) {
	d, err := jetstream.NewDirectory(ctx, n.nc, jetstream.DirectoryConfig{Replicas: n.replicas, Rules: rules, Logger: log})
	if err != nil {
		return nil, nil, nil, err
	}
	publish := func() {
		if path == "" {
			return
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			log.Error("directory file not published", "path", path, "err", err)
			return
		}
		sig, err := os.ReadFile(path + ".sig")
		if errors.Is(err, os.ErrNotExist) {
			sig, err = nil, nil
		}
		if err != nil {
			log.Error("directory signature not published", "path", path+".sig", "err", err)
			return
		}
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		rev, err := d.Publish(pctx, raw, sig)
		switch {
		case errors.Is(err, collab.ErrDirectoryRollback):
			log.Info("the shared directory is as new as the file or newer; following it", "path", path, "err", err)
			return
		case err != nil:
			log.Error("directory file not published; following the shared directory", "path", path, "err", err)
			return
		case rev == 0:
			return // the bucket holds this document
		}
		log.Info("directory file published to the shared directory", "path", path, "revision", rev)
		for d.Revision() < rev && pctx.Err() == nil { // the watch delivers it soon
			time.Sleep(20 * time.Millisecond)
		}
	}
	publish()
	if d.Directory() == nil {
		d.Close()
		return nil, nil, nil, errors.New("the shared directory bucket holds no directory this hub takes; give -directory (signed as -directory-key requires) to publish the first")
	}
	return d, publish, func() { d.Close() }, nil
}
