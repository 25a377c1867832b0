package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/jetstream"
	"github.com/sicollab/sicollab/submit/translog"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the program; it returns the exit code: 0 after a clean
// shutdown, 1 on a runtime failure, 2 on bad usage.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && adminCommands[args[0]] {
		return runAdmin(args[0], args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "restore" {
		return runRestore(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("hub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8480", "address to serve on")
	dirFile := fs.String("directory", "", "collab.directory file (required)")
	data := fs.String("data", "", "data directory: store.db and ledger.db live here (required)")
	org := fs.String("org", "", "the hub's own organization id in the directory (required)")
	upstream := fs.String("upstream", "", "URL of the hub to relay accepted records to (optional)")
	tokenFile := fs.String("token-file", "", "file holding this hub's bearer token for -upstream")
	logKey := fs.String("log-key", "", "transparency log key file, made if missing; with it the hub keeps log.db and serves /v1/log/ (optional)")
	shutdown := fs.Duration("shutdown-timeout", 10*time.Second, "how long requests in progress may take to finish on shutdown")
	opsListen := fs.String("ops-listen", "", "address of a plain-HTTP listener for /metrics, /healthz and /readyz only (default: served beside the protocol)")
	drain := fs.Duration("drain", 0, "on SIGTERM, how long /readyz answers 503 while the hub still serves, before it stops accepting (a second signal ends it)")
	var id identityFlags
	id.register(fs)
	purposes := fs.String("purposes", "", "NDJSON file of collab.requirement and collab.task envelopes to learn at start (optional)")
	logLevel := fs.String("log-level", "info", "least level logged: debug, info, warn or error")
	logFormat := fs.String("log-format", "text", "log format on stderr: text or json")
	version := fs.Bool("version", false, "print the version and exit")
	nf := addNATSFlags(fs)
	configFile := fs.String("config", "", "JSON file of settings named as these flags (also "+envName("config")+"); each setting may also come from "+envPrefix+"<FLAG>, flags first, then the environment, then the file")
	var rf retentionFlags
	rf.register(fs)
	withTAXII := fs.Bool("taxii", false, "also serve the hub's products over TAXII 2.1 at /taxii2/ (catalog.db and journal.db in -data); received products land in the catalog")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *version {
		fmt.Fprintln(stdout, versionLine())
		return 0
	}
	// Every problem is named, not only the first (errors joined).
	var problems []string
	bad := func(msg string) { problems = append(problems, msg) }
	settingsErr := applySettings(fs, *configFile, os.LookupEnv)
	if settingsErr != nil {
		problems = append(problems, strings.Split(settingsErr.Error(), "\n")...)
	}
	if fs.NArg() > 0 {
		bad(fmt.Sprintf("unexpected arguments %q", fs.Args()))
	}
	for _, req := range []struct{ name, v string }{{"directory", *dirFile}, {"data", *data}, {"org", *org}} {
		if req.v == "" && !(req.name == "directory" && nf.sharedDir) {
			bad(fmt.Sprintf("-%s is required (or %s, or %q in the config file)", req.name, envName(req.name), req.name))
		}
	}
	switch {
	case *upstream == "" && (*tokenFile != "" || id.hasUpstreamCredentials()):
		bad("-token-file, -upstream-ca and -signing-key need -upstream")
	case *upstream != "" && *tokenFile == "" && !id.hasUpstreamCredentials():
		bad(fmt.Sprintf("-upstream needs -token-file, or -upstream-ca or -signing-key: a way to authenticate at %q", *upstream))
	}
	if msg := nf.check(); msg != "" {
		bad(msg)
	}
	if msg := id.check(); msg != "" {
		bad(msg)
	}
	if msg := rf.check(); msg != "" {
		bad(msg)
	}
	token := ""
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			bad(fmt.Sprintf("-token-file %q: %v", *tokenFile, err))
		}
		token = strings.TrimSpace(string(b))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		bad(fmt.Sprintf("-log-level %q: want debug, info, warn or error", *logLevel))
	}
	opts := &slog.HandlerOptions{Level: level}
	var log *slog.Logger
	switch *logFormat {
	case "text":
		log = slog.New(slog.NewTextHandler(stderr, opts))
	case "json":
		log = slog.New(slog.NewJSONHandler(stderr, opts))
	default:
		bad(fmt.Sprintf("-log-format %q: want text or json", *logFormat))
	}
	if settingsErr == nil && (*drain < 0 || *shutdown <= 0) { // (a value refused above reads as 0)
		bad(fmt.Sprintf("-drain %s and -shutdown-timeout %s: the drain may not be negative, the timeout must be positive", *drain, *shutdown))
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, "hub:", p)
		}
		fs.Usage()
		return 2
	}
	if err := serve(*listen, *dirFile, *data, *org, *upstream, token, *purposes, *logKey, *opsListen, *shutdown, *drain, nf, *withTAXII, id, rf, stdout, log); err != nil {
		log.Error("hub stopped", "err", err)
		return 1
	}
	return 0
}

func serve(listen, dirFile, data, org, upstream, token, purposesFile, logKey, opsListen string, shutdownTimeout, drain time.Duration, nf *natsFlags, withTAXII bool, id identityFlags, rf retentionFlags, stdout io.Writer, log *slog.Logger) (err error) {
	// The directory: the file's, or with -shared-directory the cluster's
	// (after publishing the file there), below once NATS is connected.
	var dirs submit.DirectorySource
	var file *collab.DirectoryFile
	var shared *jetstream.SharedDirectory
	var dir *collab.Directory
	publishDir := func() {}
	if dirFile != "" && !nf.sharedDir {
		if file, err = id.openDirectory(dirFile, org, log); err != nil {
			return err
		}
		dirs, dir = file, file.Directory()
		// Before any file is made: a hub for an organization the directory
		// does not know would refuse everyone.
		if _, ok := dir.Org(org); !ok {
			return fmt.Errorf("-org %q is not in the directory %s (version %d); give the id of this hub's own organization", org, dirFile, dir.Version())
		}
	}
	auth, tlsConfig, err := id.build()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	reg := newRegistry()
	hl := &health{checks: []check{{name: "directory", fn: func() error {
		if dirs == nil || dirs.Directory() == nil {
			return errors.New("not loaded")
		}
		return nil
	}}}}
	var store submit.Sink
	pc := submit.PurgerConfig{Retention: rf.receipts, JournalRetention: rf.journal, ProductRetention: rf.products, Every: rf.every, Logger: log}
	var files []maintained // what the admin commands compact and back up
	if nf.url != "" {
		sink, closeNATS, err := nf.open(context.Background(), log)
		if err != nil {
			return err
		}
		defer closeNATS()
		store = sink
		if nf.sharedDir {
			rules, err := id.directoryRules(org)
			if err != nil {
				return err
			}
			d, republish, stop, err := nf.sharedDirectory(context.Background(), dirFile, rules, log)
			if err != nil {
				return err
			}
			defer stop()
			shared, dirs, dir, publishDir = d, d, d.Directory(), republish
		}
		hl.checks = append(hl.checks, check{name: "nats", fn: func() error {
			if !nf.nc.IsConnected() {
				return fmt.Errorf("not connected (%s)", nf.nc.Status())
			}
			return nil
		}})
	} else {
		s, err := submit.OpenStore(filepath.Join(data, "store.db"))
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, s.Close()) }()
		store, pc.Store = s, s
		files = append(files, maintained{"store.db", s.Compact, s.Backup})
		hl.checks = append(hl.checks, openCheck("store", func() error { _, err := s.Count(); return err }, submit.ErrStoreClosed))
	}
	ledger, err := nf.ledger(context.Background(), log)
	if err != nil {
		return err
	}
	if ledger == nil {
		l, err := submit.OpenLedger(filepath.Join(data, "ledger.db"))
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, l.Close()) }()
		hl.checks = append(hl.checks, openCheck("ledger", func() error {
			if _, err := l.Receipt(context.Background(), org, "-"); !errors.Is(err, submit.ErrReceiptNotFound) {
				return err
			}
			return nil
		}, submit.ErrLedgerClosed))
		ledger, pc.Ledger = l, l
		files = append(files, maintained{"ledger.db", l.Compact, l.Backup})
	}
	var sink submit.Sink = store
	if upstream != "" {
		// Relay: keep every record here, forward it upward through a
		// client whose outbox lives beside the store. Close, deferred
		// after the server stops, sends what it can; the rest stays.
		cc := submit.ClientConfig{
			Endpoint: upstream, Org: org, Token: token, Relay: true,
			OutboxPath: filepath.Join(data, "outbox.db"), Logger: log, DeadLetterRetention: rf.deadLetters, Metrics: reg,
		}
		if err := id.upstreamCredentials(&cc); err != nil {
			return err
		}
		client, err := submit.NewClient(cc)
		if err != nil {
			return err
		}
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			defer cancel()
			if cerr := client.Close(cctx); cerr != nil {
				log.Warn("upstream outbox not drained; it is sent at next start", "err", cerr)
			}
		}()
		if sink, err = submit.NewRelay(store, client, org, nil); err != nil {
			return err
		}
		pc.Outbox = client
		files = append(files, maintained{"outbox.db", client.CompactOutbox, client.BackupOutbox})
	}
	purposes, stopPurposes, err := nf.purposes(context.Background(), log)
	if err != nil {
		return err
	}
	defer stopPurposes()
	if purposes == nil {
		if purposes, err = submit.NewPurposeRegistry(ledger.(*submit.Ledger), nil); err != nil {
			return err
		}
	}
	if purposesFile != "" {
		learner, ok := purposes.(submit.Learner)
		if !ok {
			return fmt.Errorf("-purposes: this hub's purposes (%T) do not learn", purposes)
		}
		n, err := seedPurposes(context.Background(), purposesFile, learner)
		if err != nil {
			return err
		}
		log.Info("purposes learnt from file", "file", purposesFile, "envelopes", n)
	}
	var read http.Handler
	if withTAXII {
		var closeTAXII func() error
		var cat *collab.BoltCatalog
		var journal *collab.BoltJournal
		if sink, read, cat, journal, closeTAXII, err = mountTAXII(dir, org, data, sink, log); err != nil {
			return err
		}
		pc.Catalog, pc.Journal = cat, journal
		files = append(files, maintained{"catalog.db", cat.Compact, cat.Backup}, maintained{"journal.db", journal.Compact, journal.Backup})
		defer func() { err = errors.Join(err, closeTAXII()) }()
	}
	var tlog *translog.Log
	if logKey != "" {
		skey, vkey, err := loadLogKey(logKey, org+".hub/log")
		if err != nil {
			return err
		}
		if tlog, err = translog.Open(translog.Config{Path: filepath.Join(data, "log.db"), SignerKey: skey, VerifierKey: vkey, Logger: log}); err != nil {
			return err
		}
		defer func() { err = errors.Join(err, tlog.Close()) }()
		var doc []byte // the bytes the directory leaf digests
		if shared != nil {
			doc = shared.Document()
		} else if doc, err = os.ReadFile(dirFile); err != nil {
			return err
		}
		if _, err := tlog.Append(context.Background(), translog.DirectoryLeafOf(dir, doc, time.Now())); err != nil {
			return err
		}
		log.Info("transparency log open", "size", tlog.Checkpoint().Size, "verifier_key", vkey)
		pc.Log = tlog
		files = append(files, maintained{"log.db", tlog.Compact, tlog.Backup})
	}
	hops, err := id.hopVerifier()
	if err != nil {
		return err
	}
	h, err := submit.NewHandler(submit.HandlerConfig{Org: org, DirectorySource: dirs, Authenticator: auth, Sink: sink, Ledger: ledger, Purposes: purposes, Log: tlog, Logger: log, Retention: rf.receipts, Metrics: reg, HopVerifier: hops})
	if err != nil {
		return err
	}
	// With -nats and nothing kept here, JetStream expires records and
	// ledger entries itself (max age, per-key TTL): no purger.
	var purger *submit.Purger
	if pc.Store != nil || pc.Ledger != nil || pc.Outbox != nil || pc.Journal != nil || pc.Catalog != nil {
		if purger, err = submit.NewPurger(pc); err != nil {
			return err
		}
	}
	stopAdmin, err := serveAdmin(data, &admin{purger: purger, files: files, log: log})
	if err != nil {
		return err
	}
	defer stopAdmin() // before the files close
	var handler http.Handler = h
	if tlog != nil || read != nil {
		mux := http.NewServeMux()
		if tlog != nil {
			mux.Handle("/v1/log/", tlog.Handler())
		}
		if read != nil {
			mux.Handle(taxiiPrefix, read)
		}
		mux.Handle("/", h)
		handler = mux
	}
	if opsListen == "" {
		handler = opsMux(hl, reg, log, handler)
	} else {
		// Probes and scrapers that hold no client certificate reach the
		// operator's endpoints here, and nothing else.
		oln, err := net.Listen("tcp", opsListen)
		if err != nil {
			return fmt.Errorf("-ops-listen: %w", err)
		}
		ops := &http.Server{Handler: accessLog(log, opsMux(hl, reg, log, http.NotFoundHandler())),
			ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		go ops.Serve(oln) //nolint:errcheck // ErrServerClosed once Close runs
		defer ops.Close() // after the protocol's server: /readyz says 503 through the drain and the shutdown
		log.Info("ops endpoints", "addr", oln.Addr().String())
	}
	handler = accessLog(log, handler)

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		TLSConfig:         tlsConfig,
	}
	ctx, stopCtx := context.WithCancel(context.Background())
	defer stopCtx()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	watching := make(chan struct{})
	wctx, stopWatch := context.WithCancel(ctx)
	go func() {
		defer close(watching)
		if file != nil {
			file.Watch(wctx, hup)
			return
		}
		for { // the shared directory follows its bucket; SIGHUP publishes the file again
			select {
			case <-wctx.Done():
				return
			case <-hup:
				publishDir()
			}
		}
	}()
	defer func() { stopWatch(); <-watching }()
	served := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			served <- srv.ServeTLS(ln, "", "")
			return
		}
		served <- srv.Serve(ln)
	}()
	pctx, pcancel := context.WithCancel(ctx)
	pruned := make(chan struct{})
	go func() { //nolint:errcheck // Run returns ctx's error at shutdown
		if purger != nil {
			purger.Run(pctx)
		}
		close(pruned)
	}()
	defer func() { pcancel(); <-pruned }() // before the files close
	log.Info("hub started", "org", org, "addr", ln.Addr().String(), "data", data, "directory_version", dir.Version(),
		"tls", tlsConfig != nil, "client_certificates", id.clientCA != "", "signatures", id.requireSigs, "tokens", !id.refuseTokens)
	hl.ready.Store(true)
	fmt.Fprintf(stdout, "listening on %s\n", ln.Addr())

	select {
	case err := <-served:
		return err
	case <-sigs:
	}
	hl.ready.Store(false)
	if drain > 0 {
		log.Info("draining: /readyz answers 503, requests are still served", "drain", drain)
		t := time.NewTimer(drain)
		select {
		case <-t.C:
		case <-sigs:
			log.Info("second signal: drain ended")
		}
		t.Stop()
	}
	stopCtx()
	log.Info("shutting down", "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("hub stopped cleanly")
	return nil
}

// versionLine names the program, the module version it was built from
// ("(devel)" in a work tree) and the Go toolchain.
func versionLine() string {
	v, goVersion := "(unknown)", runtime.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		v = bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " " + s.Value[:12]
			}
		}
	}
	return fmt.Sprintf("sicollab hub %s %s", v, goVersion)
}
