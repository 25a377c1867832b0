package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/sicollab/sicollab/submit/translog"
)

// Hub is one log the auditor watches: where it is served and the key its
// checkpoints must be signed with.
type Hub struct {
	URL string
	Key string // note verifier key
}

// ParseHubs reads a hubs file: one hub a line, "<url> <verifier key>";
// blank lines and lines starting with # are skipped.
func ParseHubs(r io.Reader) ([]Hub, error) {
	var hubs []Hub
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("hubs file line %d: want \"<url> <verifier key>\", got %d fields", n, len(f))
		}
		hubs = append(hubs, Hub{URL: f[0], Key: f[1]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("hubs file: %w", err)
	}
	if len(hubs) == 0 {
		return nil, errors.New("hubs file: no hub listed")
	}
	return hubs, nil
}

// Status is the outcome of one poll of one hub.
type Status string

// The statuses a Report has.
const (
	StatusOK       Status = "ok"        // checkpoint consistent with the last, sampled proofs hold
	StatusFork     Status = "fork"      // two histories: evidence holds both signed checkpoints
	StatusRollback Status = "rollback"  // a smaller tree than before: evidence holds both
	StatusBadProof Status = "bad-proof" // a sampled inclusion proof or leaf failed
	StatusBadKey   Status = "bad-key"   // checkpoint not signed by the hub's key, or malformed
	StatusError    Status = "error"     // the hub could not be read (down, refused)
)

// Evidence is what proves a fork or a rollback to anyone with the hub's
// key: two checkpoints the hub signed that cannot both be honest.
type Evidence struct {
	Before string `json:"before"` // signed note seen earlier (or at the same size)
	After  string `json:"after"`  // signed note seen now
}

// Report is one line of the auditor's output.
type Report struct {
	Time     time.Time `json:"time"`
	Hub      string    `json:"hub"`
	Status   Status    `json:"status"`
	Size     int64     `json:"size,omitempty"`
	Root     string    `json:"root,omitempty"`
	Sampled  int       `json:"sampled,omitempty"` // inclusion proofs checked
	Detail   string    `json:"detail,omitempty"`
	Evidence *Evidence `json:"evidence,omitempty"`
}

// Config configures an Auditor.
type Config struct {
	Hubs     []Hub
	StateDir string       // one file per hub keeps its last checkpoint; required
	Sample   int          // inclusion proofs checked per hub and poll
	Client   *http.Client // nil: a client of its own
	Rand     *rand.Rand   // nil: seeded from the clock
	Clock    func() time.Time
}

// Auditor polls the logs of a list of hubs.
type Auditor struct {
	cfg  Config
	hubs []*watched
}

type watched struct {
	hub Hub
	c   *translog.Client
	v   *translog.Verifier
}

// New returns an auditor with each hub's last checkpoint read back from
// cfg.StateDir.
func New(cfg Config) (*Auditor, error) {
	if cfg.StateDir == "" {
		return nil, errors.New("auditor: Config.StateDir: missing")
	}
	if cfg.Sample < 0 {
		return nil, fmt.Errorf("auditor: Config.Sample %d: must not be negative", cfg.Sample)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	a := &Auditor{cfg: cfg}
	for _, h := range cfg.Hubs {
		c, err := translog.NewClient(h.URL, cfg.Client)
		if err != nil {
			return nil, fmt.Errorf("auditor: hub %s: %w", h.URL, err)
		}
		sum := sha256.Sum256([]byte(h.URL + "\n" + h.Key))
		v, err := translog.NewVerifier(translog.VerifierConfig{
			VerifierKey: h.Key, Prover: c,
			StatePath: filepath.Join(cfg.StateDir, "checkpoint-"+hex.EncodeToString(sum[:8])),
		})
		if err != nil {
			return nil, fmt.Errorf("auditor: hub %s: %w", h.URL, err)
		}
		a.hubs = append(a.hubs, &watched{hub: h, c: c, v: v})
	}
	return a, nil
}

// Poll checks every hub once and returns one report per hub, in the
// order of Config.Hubs.
func (a *Auditor) Poll(ctx context.Context) []Report {
	out := make([]Report, 0, len(a.hubs))
	for _, w := range a.hubs {
		out = append(out, a.poll(ctx, w))
	}
	return out
}

func (a *Auditor) poll(ctx context.Context, w *watched) Report {
	r := Report{Time: a.cfg.Clock().UTC(), Hub: w.hub.URL}
	msg, err := w.c.Checkpoint(ctx)
	if err != nil {
		r.Status, r.Detail = StatusError, err.Error()
		return r
	}
	cp, err := w.v.Observe(ctx, msg)
	r.Size, r.Root = cp.Size, cp.Hash.String()
	var fork *translog.ForkError
	var rb *translog.RollbackError
	switch {
	case errors.As(err, &fork):
		r.Status, r.Detail = StatusFork, fork.Reason
		r.Evidence = &Evidence{Before: string(fork.Old.Note), After: string(fork.New.Note)}
		return r
	case errors.As(err, &rb):
		r.Status, r.Detail = StatusRollback, fmt.Sprintf("size %d after size %d", rb.Got.Size, rb.Last.Size)
		r.Evidence = &Evidence{Before: string(rb.Last.Note), After: string(rb.Got.Note)}
		return r
	case errors.Is(err, translog.ErrUnknownKey), errors.Is(err, translog.ErrBadCheckpoint):
		r.Status, r.Detail = StatusBadKey, err.Error()
		return r
	case err != nil:
		r.Status, r.Detail = StatusError, err.Error()
		return r
	}
	for i := 0; i < a.cfg.Sample && cp.Size > 0; i++ {
		idx := a.cfg.Rand.Int64N(cp.Size)
		if err := a.checkLeaf(ctx, w, cp, idx); err != nil {
			r.Status, r.Detail = StatusBadProof, err.Error()
			return r
		}
		r.Sampled++
	}
	r.Status = StatusOK
	return r
}

// checkLeaf fetches leaf idx and its inclusion proof at cp and checks
// both.
func (a *Auditor) checkLeaf(ctx context.Context, w *watched, cp translog.Checkpoint, idx int64) error {
	leaf, err := w.c.Leaf(ctx, idx)
	if err != nil {
		return err
	}
	if _, err := translog.DecodeLeaf(leaf); err != nil {
		return fmt.Errorf("leaf %d: %w", idx, err)
	}
	p, err := w.c.Inclusion(ctx, idx, cp.Size)
	if err != nil {
		return err
	}
	return translog.CheckInclusion(leaf, idx, p, cp)
}
