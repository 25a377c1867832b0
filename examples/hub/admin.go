package main

// The operator's side of a running hub: an HTTP endpoint on a Unix
// socket in the data directory (admin.sock, mode 0600 in a 0700
// directory), so only the hub's own operator on its own machine reaches
// it; no partner listener serves any of it. The subcommands purge,
// compact and backup talk to it; restore works on a stopped hub.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/boltdb"
	"github.com/sicollab/sicollab/submit"
)

// adminSocket is the admin endpoint's socket in the data directory.
const adminSocket = "admin.sock"

// maintained is one file of the hub that compacts and backs up.
type maintained struct {
	file    string // name in the data directory
	compact func(context.Context) (submit.CompactStats, error)
	backup  func(ctx context.Context, path string) (int64, error)
}

// admin serves the operator's commands.
type admin struct {
	purger *submit.Purger
	files  []maintained
	log    *slog.Logger
}

// FileResult is what compact and backup say of one file.
type FileResult struct {
	File   string `json:"file"`
	Before int64  `json:"before_bytes,omitempty"` // compact
	After  int64  `json:"after_bytes,omitempty"`  // compact
	Bytes  int64  `json:"bytes,omitempty"`        // backup
}

func (a *admin) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /purge", func(w http.ResponseWriter, r *http.Request) {
		if a.purger == nil {
			a.answer(w, "purge", nil, errors.New("nothing to purge at this hub: with -nats, JetStream expires records and ledger entries itself"))
			return
		}
		op := r.URL.Query().Get("operator")
		rep, err := a.purger.Purge(r.Context(), op)
		a.answer(w, "purge", rep, err)
	})
	mux.HandleFunc("POST /compact", func(w http.ResponseWriter, r *http.Request) {
		var out []FileResult
		var err error
		for _, f := range a.files {
			var st submit.CompactStats
			if st, err = f.compact(r.Context()); err != nil {
				err = fmt.Errorf("%s: %w", f.file, err)
				break
			}
			out = append(out, FileResult{File: f.file, Before: st.Before, After: st.After})
		}
		a.answer(w, "compact", out, err)
	})
	mux.HandleFunc("POST /backup", func(w http.ResponseWriter, r *http.Request) {
		dir := r.URL.Query().Get("dir")
		out, err := a.backup(r.Context(), dir)
		a.answer(w, "backup", out, err)
	})
	return mux
}

// backup copies every file into dir, a new or empty directory.
func (a *admin) backup(ctx context.Context, dir string) ([]FileResult, error) {
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("backup directory %q: give an absolute path", dir)
	}
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("backup directory %s is not empty; name a new one", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var out []FileResult
	for _, f := range a.files {
		n, err := f.backup(ctx, filepath.Join(dir, f.file))
		if err != nil {
			return out, fmt.Errorf("%s: %w", f.file, err)
		}
		out = append(out, FileResult{File: f.file, Bytes: n})
	}
	return out, nil
}

func (a *admin) answer(w http.ResponseWriter, what string, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		a.log.Error("admin "+what+" failed", "err", err)
		w.WriteHeader(http.StatusInternalServerError)
		json.NewEncoder(w).Encode(map[string]any{"error": err.Error(), "done": v})
		return
	}
	a.log.Info("admin " + what + " done")
	json.NewEncoder(w).Encode(v)
}

// serveAdmin listens on the socket in data and serves a; stop closes it.
func serveAdmin(data string, a *admin) (stop func(), err error) {
	path := filepath.Join(data, adminSocket)
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return nil, fmt.Errorf("%s: another hub answers there; stop it, or use another -data", path)
	}
	os.Remove(path) // a stale socket of a hub that did not stop cleanly
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	srv := &http.Server{Handler: a.handler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }() //nolint:errcheck // ErrServerClosed at stop
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx) //nolint:errcheck // a command cut short is reported to its caller
		<-done
	}, nil
}

// adminCommands are the subcommands that talk to a running hub.
var adminCommands = map[string]bool{"purge": true, "compact": true, "backup": true}

// runAdmin is "hub purge|compact|backup -data DIR ...": it asks the hub
// running on DIR to do it, and prints the answer (JSON) on stdout.
func runAdmin(cmd string, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("hub "+cmd, stderr)
	data := fs.String("data", "", "the running hub's data directory (required)")
	operator := fs.String("operator", os.Getenv("USER"), "purge: who orders it, named in the log's purge leaves")
	to := fs.String("to", "", "backup: a new directory to write the copies in (required)")
	timeout := fs.Duration("timeout", 30*time.Minute, "how long to wait for the hub")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	q := url.Values{}
	switch {
	case *data == "":
		fmt.Fprintln(stderr, "hub "+cmd+": -data is required")
		return 2
	case cmd == "backup" && *to == "":
		fmt.Fprintln(stderr, "hub backup: -to is required")
		return 2
	case cmd == "backup":
		abs, err := filepath.Abs(*to)
		if err != nil {
			fmt.Fprintln(stderr, "hub backup:", err)
			return 2
		}
		q.Set("dir", abs)
	case cmd == "purge":
		if *operator == "" {
			*operator = "operator"
		}
		q.Set("operator", *operator)
	}
	sock := filepath.Join(*data, adminSocket)
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://hub/"+cmd+"?"+q.Encode(), nil)
	resp, err := hc.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "hub %s: %v; is a hub running with -data %s?\n", cmd, err, *data)
		return 1
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		fmt.Fprintf(stderr, "hub %s: %v\n", cmd, err)
		return 1
	}
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "hub %s failed: %s\n", cmd, body)
		return 1
	}
	stdout.Write(body)
	return 0
}

// runRestore is "hub restore -from BACKUP -data DIR", for a stopped hub:
// it checks that no hub runs on DIR and that every file of BACKUP opens as
// a bbolt file, moves the files of DIR it replaces into
// DIR/pre-restore-<time>/, and copies BACKUP's files in.
func runRestore(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("hub restore", stderr)
	data := fs.String("data", "", "the stopped hub's data directory (required)")
	from := fs.String("from", "", "a directory hub backup wrote (required)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *data == "" || *from == "" {
		fmt.Fprintln(stderr, "hub restore: -data and -from are required")
		return 2
	}
	if err := restore(*data, *from, stdout); err != nil {
		fmt.Fprintln(stderr, "hub restore:", err)
		return 1
	}
	return 0
}

func restore(data, from string, stdout io.Writer) error {
	if c, err := net.Dial("unix", filepath.Join(data, adminSocket)); err == nil {
		c.Close()
		return fmt.Errorf("a hub is running on %s; stop it first", data)
	}
	files, err := filepath.Glob(filepath.Join(from, "*.db"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%s holds no .db file; give a directory hub backup wrote", from)
	}
	for _, f := range files {
		if err := checkBolt(f); err != nil {
			return fmt.Errorf("%s: %w; nothing was restored", f, err)
		}
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	aside := filepath.Join(data, "pre-restore-"+time.Now().UTC().Format("20060102T150405Z"))
	for _, f := range files {
		dst := filepath.Join(data, filepath.Base(f))
		if _, err := os.Stat(dst); err == nil {
			if err := checkUnlocked(dst); err != nil {
				return err
			}
			if err := os.MkdirAll(aside, 0o700); err != nil {
				return err
			}
			if err := os.Rename(dst, filepath.Join(aside, filepath.Base(f))); err != nil {
				return err
			}
		}
		if err := copyFile(f, dst); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "restored %s\n", dst)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".part"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	err = errors.Join(err, out.Close())
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// checkBolt opens path read-only and checks every page of it.
func checkBolt(path string) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

// checkUnlocked fails if a process holds the file open; a file that is
// not a database is not held, and is moved aside like the others.
func checkUnlocked(path string) error {
	db, err := boltdb.Open(path, boltdb.Options{LockTimeout: 200 * time.Millisecond})
	if errors.Is(err, boltdb.ErrLocked) {
		return err
	}
	if err != nil {
		return nil
	}
	return db.Close()
}

// retentionFlags are the hub's purge schedule and retention periods.
type retentionFlags struct {
	every, receipts, deadLetters, journal, products time.Duration
}

func (r *retentionFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&r.every, "purge-every", submit.DefaultPruneEvery, "how often the scheduled purge runs")
	fs.DurationVar(&r.receipts, "receipt-retention", submit.DefaultRetention, "how long receipts and idempotency keys are kept")
	fs.DurationVar(&r.deadLetters, "dead-letter-retention", submit.DefaultDeadLetterRetention, "how long the upstream outbox keeps dead letters (with -upstream)")
	fs.DurationVar(&r.journal, "journal-retention", collab.DefaultJournalRetention, "how long journal entries keep their payload (with -taxii)")
	fs.DurationVar(&r.products, "product-retention", collab.DefaultProductRetention, "how long the catalog keeps a product after it was produced (with -taxii)")
}

func (r *retentionFlags) check() string {
	for name, d := range map[string]time.Duration{"-purge-every": r.every, "-receipt-retention": r.receipts,
		"-dead-letter-retention": r.deadLetters, "-journal-retention": r.journal, "-product-retention": r.products} {
		if d <= 0 {
			return fmt.Sprintf("%s %v: must be positive", name, d)
		}
	}
	return ""
}
