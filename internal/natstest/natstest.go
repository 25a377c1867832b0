package natstest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// readyWait bounds how long a server may take to accept connections, and
// a cluster to elect its JetStream meta leader. Generous: the machine is
// shared and tests run under -race.
const readyWait = 60 * time.Second

// Cluster is a set of in-process NATS servers with JetStream, routed to
// each other on loopback. Servers are numbered from 0 in the order they
// were started. Its methods are safe for concurrent use.
type Cluster struct {
	t    testing.TB // nil when Run started it
	dir  string     // Run's directory of the stores
	name string

	ready    time.Duration       // how long start waits for a server: readyWait, shorter in tests
	pickPort func() (int, error) // freePort; tests replace it
	attempts int                 // launchOnce calls so far

	mu      sync.Mutex
	servers []*server.Server // nil while killed
	opts    []*server.Options
}

// StartServer starts one JetStream server (no cluster) for t and stops it
// with t.Cleanup. Streams on it have one replica.
func StartServer(t testing.TB) *Cluster {
	t.Helper()
	c := newCluster(t, "", 1, false)
	t.Cleanup(c.Shutdown) // after the store's t.TempDir, so it runs before its removal
	if err := c.launch(); err != nil {
		t.Fatal(err)
	}
	return c
}

// StartCluster starts n JetStream servers routed into one cluster for t,
// waits until JetStream answers through the cluster, and stops every
// server with t.Cleanup. n is at least 1; 3 gives replicated streams a
// quorum that survives the loss of one server. With n 1 it is
// StartServer's one server without a cluster (a JetStream cluster of one
// never elects its meta leader).
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("natstest: StartCluster: n is %d; it must be at least 1", n)
	}
	c := newCluster(t, "", n, n > 1)
	// After the stores' t.TempDir: cleanups run last first, so the
	// servers stop before their stores are removed.
	t.Cleanup(c.Shutdown)
	if err := c.launch(); err != nil {
		t.Fatal(err)
	}
	return c
}

// Run starts JetStream servers for a program or an Example, which has no
// testing.TB: one server (no cluster) as StartServer does when n is 1, a
// cluster of n as StartCluster does when n is more. Server i keeps its
// store in dir/n<i>. The caller stops them with Shutdown, then may remove
// dir. On an error, what was started is stopped.
func Run(dir string, n int) (*Cluster, error) {
	if n < 1 {
		return nil, fmt.Errorf("natstest: Run: n is %d; it must be at least 1", n)
	}
	if dir == "" {
		return nil, errors.New("natstest: Run: no directory for the stores; give one, e.g. from os.MkdirTemp")
	}
	c := newCluster(nil, dir, n, n > 1)
	if err := c.launch(); err != nil {
		c.Shutdown()
		return nil, err
	}
	return c, nil
}

// newCluster returns the cluster of n servers, none started, with their
// options: their stores in t.TempDir(), or under dir when t is nil.
func newCluster(t testing.TB, dir string, n int, clustered bool) *Cluster {
	c := &Cluster{t: t, dir: dir, ready: readyWait, pickPort: freePort}
	if clustered {
		c.name = "natstest"
	}
	for i := range n {
		c.opts = append(c.opts, c.options(i))
		c.servers = append(c.servers, nil)
	}
	return c
}

// launch starts every server of c and waits until JetStream answers.
// A cluster port can be taken by another process between freePort
// choosing it and the server binding it; the server then never gets
// ready. launch then stops what started and tries again on other ports
// and fresh stores, up to launchAttempts times.
func (c *Cluster) launch() error {
	var err error
	for attempt := range launchAttempts {
		if attempt > 0 {
			c.Shutdown()
			c.mu.Lock()
			for i := range c.opts {
				if c.t == nil {
					os.RemoveAll(c.storeDir(i)) //nolint:errcheck // a store left by the failed attempt; the server makes it anew
				}
				c.opts[i].StoreDir = c.storeDir(i)
			}
			c.mu.Unlock()
		}
		c.attempts++
		if err = c.launchOnce(); err == nil {
			return nil
		}
	}
	return err
}

// launchAttempts is how many times launch tries to start a cluster.
const launchAttempts = 3

// launchOnce starts every server of c, once, and waits until JetStream
// answers.
func (c *Cluster) launchOnce() error {
	n := len(c.opts)
	if c.name != "" {
		// Cluster ports are taken from the system first (see freePort),
		// so that every server can be given the whole route list, its own
		// included, as JetStream clustering requires. The ports are kept,
		// so a restarted server comes back where its peers look for it.
		for i := range n {
			p, err := c.pickPort()
			if err != nil {
				return err
			}
			c.mu.Lock()
			c.opts[i].Cluster.Port = p
			c.mu.Unlock()
		}
	}
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- c.start(i) }()
	}
	var err error
	for range n {
		err = errors.Join(err, <-errs)
	}
	if err != nil {
		return err
	}
	return c.WaitJetStream(context.Background())
}

// options returns the options of server i.
func (c *Cluster) options(i int) *server.Options {
	o := &server.Options{
		ServerName: "n" + strconv.Itoa(i),
		Host:       "127.0.0.1",
		Port:       server.RANDOM_PORT,
		NoLog:      true,
		NoSigs:     true,
		JetStream:  true,
		StoreDir:   c.storeDir(i),
		// Small limits: tests write megabytes, not gigabytes.
		JetStreamMaxMemory: 256 << 20,
		JetStreamMaxStore:  4 << 30,
	}
	if c.name != "" { // clustered: launchOnce chooses the port
		o.Cluster = server.ClusterOpts{Name: c.name, Host: "127.0.0.1", Port: server.RANDOM_PORT}
	}
	return o
}

// storeDir returns a new directory for the store of server i.
func (c *Cluster) storeDir(i int) string {
	if c.t != nil {
		return c.t.TempDir()
	}
	return filepath.Join(c.dir, "n"+strconv.Itoa(i))
}

// start starts server i with routes to every server of the cluster.
func (c *Cluster) start(i int) error {
	c.mu.Lock()
	o := *c.opts[i]
	if o.Cluster.Port != 0 {
		o.Routes = nil
		for _, p := range c.opts {
			if p.Cluster.Port > 0 {
				o.Routes = append(o.Routes, &url.URL{Scheme: "nats-route", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(p.Cluster.Port))})
			}
		}
	}
	c.mu.Unlock()
	s, err := server.NewServer(&o)
	if err != nil {
		return fmt.Errorf("natstest: server %d: %w", i, err)
	}
	go s.Start()
	if !s.ReadyForConnections(c.ready) {
		s.Shutdown()
		return fmt.Errorf("natstest: server %d: not ready for connections after %s (is its cluster port %d taken?)", i, c.ready, o.Cluster.Port)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.servers[i] = s
	// Keep the ports the system chose, for a restart.
	if a, ok := s.Addr().(*net.TCPAddr); ok {
		c.opts[i].Port = a.Port
	}
	if o.Cluster.Port != 0 {
		if a := s.ClusterAddr(); a != nil {
			c.opts[i].Cluster.Port = a.Port
		}
	}
	return nil
}

// StoreDir returns the directory server i keeps its JetStream store in.
func (c *Cluster) StoreDir(i int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opts[i].StoreDir
}

// Len returns the number of servers, running or killed.
func (c *Cluster) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.servers)
}

// Server returns server i, or nil while it is killed.
func (c *Cluster) Server(i int) *server.Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.servers[i]
}

// URL returns the client URL of server i (kept across a restart).
func (c *Cluster) URL(i int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return "nats://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(c.opts[i].Port))
}

// URLs returns the client URLs of every server, comma-separated, as
// nats.Connect takes them: a client connected with it fails over to
// another server when its own is killed.
func (c *Cluster) URLs() string {
	urls := make([]string, c.Len())
	for i := range urls {
		urls[i] = c.URL(i)
	}
	return strings.Join(urls, ",")
}

// Index returns the number of the server named name ("n0", "n1", ...),
// as stream and consumer infos name their leaders, or -1.
func (c *Cluster) Index(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, o := range c.opts {
		if o.ServerName == name {
			return i
		}
	}
	return -1
}

// Kill shuts server i down (its store stays for Restart). Its clients
// are disconnected and reconnect to another server of their URL list.
func (c *Cluster) Kill(i int) {
	c.mu.Lock()
	s := c.servers[i]
	c.servers[i] = nil
	c.mu.Unlock()
	if s != nil {
		s.Shutdown()
		s.WaitForShutdown()
	}
}

// Restart starts server i again, on its former ports and over its former
// store, after Kill.
func (c *Cluster) Restart(i int) error {
	if c.Server(i) != nil {
		return fmt.Errorf("natstest: Restart: server %d is running; Kill it first", i)
	}
	return c.start(i)
}

// Shutdown stops every server; t.Cleanup calls it.
func (c *Cluster) Shutdown() {
	for i := range c.Len() {
		c.Kill(i)
	}
}

// Connect returns a client connected to every server of c (closed with
// t.Cleanup) that reconnects without end while the test runs.
func (c *Cluster) Connect(t testing.TB, opts ...nats.Option) *nats.Conn {
	t.Helper()
	opts = append([]nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(50 * time.Millisecond), nats.Name(t.Name()),
		// Asynchronous errors (a write to a killed server) are expected
		// in these tests; the client's default prints them to stderr.
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {})}, opts...)
	nc, err := nats.Connect(c.URLs(), opts...)
	if err != nil {
		t.Fatalf("natstest: connect %s: %v", c.URLs(), err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// WaitJetStream waits until JetStream answers account requests through
// the cluster (its meta leader is elected), or ctx ends, or readyWait
// passes.
func (c *Cluster) WaitJetStream(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyWait)
	defer cancel()
	nc, err := nats.Connect(c.URLs(), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("natstest: connect %s: %w", c.URLs(), err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("natstest: %w", err)
	}
	var last error
	for {
		actx, acancel := context.WithTimeout(ctx, 2*time.Second)
		_, last = js.AccountInfo(actx)
		acancel()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("natstest: JetStream not ready: %w", errors.Join(ctx.Err(), last))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// StreamLeader returns the number of the server leading stream, as
// js reports it.
func (c *Cluster) StreamLeader(ctx context.Context, js jetstream.JetStream, stream string) (int, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return -1, fmt.Errorf("natstest: stream %s: %w", stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return -1, fmt.Errorf("natstest: stream %s: %w", stream, err)
	}
	if info.Cluster == nil || info.Cluster.Leader == "" {
		return -1, fmt.Errorf("natstest: stream %s has no leader now", stream)
	}
	i := c.Index(info.Cluster.Leader)
	if i < 0 {
		return -1, fmt.Errorf("natstest: stream %s: leader %q is none of the servers", stream, info.Cluster.Leader)
	}
	return i, nil
}

// freePort returns a loopback TCP port that is free now, for a server's
// cluster listener. It is chosen below the system's range of ephemeral
// ports where the system says what that range is (Linux), so that the
// ports other tests' sockets are given (port 0) cannot take it before
// the server binds it; elsewhere the system chooses it.
func freePort() (int, error) {
	if low := ephemeralLow(); low > 2048 {
		base := max(1024, low-12000)
		for range 100 {
			p := base + rand.IntN(low-base)
			if ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p))); err == nil {
				ln.Close()
				return p, nil
			}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("natstest: find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// ephemeralLow returns the lowest port of the system's ephemeral range,
// or 0 if it cannot say.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 1 {
		return 0
	}
	low, err := strconv.Atoi(f[0])
	if err != nil {
		return 0
	}
	return low
}
