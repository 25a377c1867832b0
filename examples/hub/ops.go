package main

// What an operator watches: /metrics (Prometheus), /healthz (the
// process serves), /readyz (its files are open and its directory loaded,
// and it is not shutting down), and an access log of every read and
// every refused identity.

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Paths of the operator's endpoints, beside the protocol's.
const (
	pathMetrics = "/metrics"
	pathHealthz = "/healthz"
	pathReadyz  = "/readyz"
)

// newRegistry is the hub's own registry: the SDK's metrics are added to
// it through HandlerConfig.Metrics and ClientConfig.Metrics, with the Go
// runtime's and the process's.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// check is one readiness condition: nil when it holds.
type check struct {
	name string
	fn   func() error
}

// health answers /healthz and /readyz.
type health struct {
	ready  atomic.Bool // set once serving, cleared when shutdown starts
	checks []check
}

func (h *health) healthz(w http.ResponseWriter, _ *http.Request) {
	plain(w, http.StatusOK, "ok\n")
}

// readyz is 200 "ready" when every check holds and the hub is not
// shutting down; otherwise 503 with one line per reason.
func (h *health) readyz(w http.ResponseWriter, _ *http.Request) {
	var bad []string
	if !h.ready.Load() {
		bad = append(bad, "hub: not serving (starting or shutting down)")
	}
	for _, c := range h.checks {
		if err := c.fn(); err != nil {
			bad = append(bad, c.name+": "+err.Error())
		}
	}
	if len(bad) > 0 {
		plain(w, http.StatusServiceUnavailable, "not ready\n"+strings.Join(bad, "\n")+"\n")
		return
	}
	plain(w, http.StatusOK, "ready\n")
}

func plain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

// opsMux serves the operator's endpoints and hands everything else to
// next.
func opsMux(h *health, reg *prometheus.Registry, log *slog.Logger, next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathHealthz, h.healthz)
	mux.HandleFunc("GET "+pathReadyz, h.readyz)
	mux.Handle("GET "+pathMetrics, promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn), Registry: reg,
	}))
	mux.Handle("/", next)
	return mux
}

// accessLog logs every read (GET, HEAD: receipts, TAXII, log proofs,
// limits) at info and every 401 or 403 at warn, with the client's
// address; probes of the operator's endpoints at debug.
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rw, r)
		read := r.Method == http.MethodGet || r.Method == http.MethodHead
		refused := rw.status == http.StatusUnauthorized || rw.status == http.StatusForbidden
		if !read && !refused {
			return // a submission: the handler logs its outcome
		}
		level, msg := slog.LevelInfo, "read"
		switch {
		case refused:
			level, msg = slog.LevelWarn, "refused"
		case r.URL.Path == pathHealthz || r.URL.Path == pathReadyz || r.URL.Path == pathMetrics:
			level, msg = slog.LevelDebug, "probe"
		}
		log.Log(r.Context(), level, msg, "method", r.Method, "path", r.URL.Path, "status", rw.status,
			"bytes", rw.bytes, "addr", r.RemoteAddr, "duration", time.Since(start))
	})
}

// statusWriter remembers the status and counts the bytes of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wrote = true
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (the
// handler sets read deadlines through it).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// openCheck turns a probe of a file into a readiness check: closed is
// the error a closed file returns.
func openCheck(name string, probe func() error, closed error) check {
	return check{name: name, fn: func() error {
		if err := probe(); errors.Is(err, closed) {
			return errors.New("closed")
		} else if err != nil {
			return err
		}
		return nil
	}}
}
