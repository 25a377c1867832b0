package stage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// Defaults of an IntegrateConfig.
const (
	DefaultIntegrateWindow   = 10 * time.Minute
	DefaultIntegrateMaxGroup = 16
	DefaultIntegrateMaxOpen  = 10_000
)

// MergeInfo describes one merged record Integrate emitted.
type MergeInfo struct {
	// ID is the id of the merged record: the first record's.
	ID string
	// Key is the event key the records shared.
	Key string
	// MergedIDs are the ids of the other records, in arrival order; each
	// was dropped under ReasonMerged.
	MergedIDs []string
	// Sources are the sources of every record of the group, first one
	// first, each once.
	Sources []string
}

// IntegrateConfig configures NewIntegrate.
type IntegrateConfig struct {
	// Org is the integrating organization, which stamps every merged
	// record with a processing hop; required.
	Org string
	// Key returns the event key records are merged by (nil means
	// EventKey). Records without a key pass straight through.
	Key KeyFunc
	// Window is how long, in collected_at time, a group stays open after
	// its first record (0 means DefaultIntegrateWindow).
	Window time.Duration
	// MaxGroup closes a group when it has this many records (0 means
	// DefaultIntegrateMaxGroup; 1 disables merging).
	MaxGroup int
	// MaxOpen bounds the open groups, and so memory: when one more would
	// open, the oldest is closed early (0 means DefaultIntegrateMaxOpen).
	MaxOpen int
	// Now gives the time of the stamp (nil means time.Now).
	Now func() time.Time
	// OnMerge, if set, is called with every merged record emitted, under
	// Integrate's lock: keep it short.
	OnMerge func(MergeInfo)
}

// Validate reports every problem of c, joined.
func (c IntegrateConfig) Validate() error {
	var errs []error
	if c.Org == "" {
		errs = append(errs, errors.New("stage: integrate config: Org: required, got \"\""))
	}
	if c.Window < 0 {
		errs = append(errs, fmt.Errorf("stage: integrate config: Window: must be at least 0 (0 means %v), got %v", DefaultIntegrateWindow, c.Window))
	}
	if c.MaxGroup < 0 {
		errs = append(errs, fmt.Errorf("stage: integrate config: MaxGroup: must be at least 0 (0 means %d), got %d", DefaultIntegrateMaxGroup, c.MaxGroup))
	}
	if c.MaxOpen < 0 {
		errs = append(errs, fmt.Errorf("stage: integrate config: MaxOpen: must be at least 0 (0 means %d), got %d", DefaultIntegrateMaxOpen, c.MaxOpen))
	}
	return errors.Join(errs...)
}

// Integrate is a processor that merges submissions about the same event
// from different regions or enterprises into one record with combined
// provenance (the scheme's "integrating submissions").
//
// The key: records with the same event key (EventKey by default: the same
// trip of the same traveller, the same waybill, ...) form a group,
// whoever sent them. The window: a group opens with its first record and
// stays open while the newest collected_at Integrate has seen is less than
// Window past the first record's collected_at; groups close in the order
// they opened, so a group opened by a late record may close after its
// window, never before. A group also closes when it reaches MaxGroup
// records, when MaxOpen groups are open and it is the oldest, and on
// Flush. A record arriving after its group closed opens a new one; one
// already Window older than the newest collected_at passes at once.
//
// The merge: the first record is kept whole (id, payload, source,
// purpose); the others are dropped under ReasonMerged as they arrive and
// contribute their provenance hops (each distinct hop once, in arrival
// order) and their ids (MergeInfo, OnMerge). The merged record takes the
// most restrictive handling of the group and the earliest retain_until,
// and gets a last hop: Org, stage processing, the digest of the kept
// payload. A group of one is emitted unchanged. Payload fields are never
// combined: a merge that must combine them is a processor of its own.
//
// Integrate holds records back, so it is a Flusher and a Holder. It is safe
// for concurrent use but gains nothing from Concurrency above 1; in
// Ordered mode, groups close in a deterministic order.
type Integrate struct {
	cfg IntegrateConfig

	mu        sync.Mutex
	groups    map[string]*group
	order     []*group // by opening; closed groups are skipped
	watermark time.Time
}

type group struct {
	key     string
	env     schema.Envelope
	opened  time.Time
	merged  []string
	sources []string
	hops    map[schema.Hop]bool
	closed  bool
}

// NewIntegrate returns an Integrate with no open group.
func NewIntegrate(cfg IntegrateConfig) (*Integrate, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Key == nil {
		cfg.Key = EventKey
	}
	if cfg.Window == 0 {
		cfg.Window = DefaultIntegrateWindow
	}
	if cfg.MaxGroup == 0 {
		cfg.MaxGroup = DefaultIntegrateMaxGroup
	}
	if cfg.MaxOpen == 0 {
		cfg.MaxOpen = DefaultIntegrateMaxOpen
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Integrate{cfg: cfg, groups: map[string]*group{}}, nil
}

// Process adds env to its group, emitting the groups it closes.
func (g *Integrate) Process(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error {
	key, ok, err := g.cfg.Key(env)
	if err != nil {
		return fmt.Errorf("stage: integrate %s: key: %w", env.ID, err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if env.CollectedAt.After(g.watermark) {
		g.watermark = env.CollectedAt
	}
	var res error
	switch gr := g.groups[key]; {
	case !ok || g.cfg.MaxGroup == 1 || (gr == nil && g.watermark.Sub(env.CollectedAt) >= g.cfg.Window):
		emit(env) // no key, no merging, or too late for any group
	case gr == nil:
		if len(g.groups) >= g.cfg.MaxOpen {
			g.closeOldest(emit)
		}
		gr = &group{key: key, env: env, opened: env.CollectedAt, sources: []string{env.Source}, hops: map[schema.Hop]bool{}}
		for _, h := range env.Provenance {
			gr.hops[h] = true
		}
		g.groups[key] = gr
		g.order = append(g.order, gr)
	default:
		gr.merged = append(gr.merged, env.ID)
		if !slices.Contains(gr.sources, env.Source) {
			gr.sources = append(gr.sources, env.Source)
		}
		gr.env.Provenance = slices.Clip(gr.env.Provenance)
		for _, h := range env.Provenance {
			if !gr.hops[h] {
				gr.hops[h] = true
				gr.env.Provenance = append(gr.env.Provenance, h)
			}
		}
		if stricter(env.Handling, gr.env.Handling) {
			gr.env.Handling = env.Handling
		}
		if env.RetainUntil.Before(gr.env.RetainUntil) {
			gr.env.RetainUntil = env.RetainUntil
		}
		res = DropWith(ReasonMerged, fmt.Errorf("merged into %s", gr.env.ID))
		if 1+len(gr.merged) >= g.cfg.MaxGroup {
			if err := g.close(gr, emit); err != nil {
				return err
			}
		}
	}
	if err := g.expire(emit); err != nil {
		return err
	}
	return res
}

// expire closes, in opening order, every group the watermark has passed.
func (g *Integrate) expire(emit func(schema.Envelope)) error {
	n := 0
	for _, gr := range g.order {
		if !gr.closed {
			if g.watermark.Sub(gr.opened) < g.cfg.Window {
				break
			}
			if err := g.close(gr, emit); err != nil {
				return err
			}
		}
		n++
	}
	g.order = g.order[n:]
	return nil
}

func (g *Integrate) closeOldest(emit func(schema.Envelope)) {
	for i, gr := range g.order {
		if !gr.closed {
			_ = g.close(gr, emit) // a failed stamp leaves the group for Flush to report
			g.order = g.order[i+1:]
			return
		}
	}
}

// close emits gr's record, merged if the group has more than one.
func (g *Integrate) close(gr *group, emit func(schema.Envelope)) error {
	if len(gr.merged) > 0 {
		env := gr.env
		if err := env.Stamp(g.cfg.Org, schema.StageProcessing, g.cfg.Now()); err != nil {
			return fmt.Errorf("stage: integrate %s: %w", env.ID, err)
		}
		env.TraceLastHop("") // the merged record stays in its first source's trace
		gr.env = env
		if g.cfg.OnMerge != nil {
			g.cfg.OnMerge(MergeInfo{ID: env.ID, Key: gr.key, MergedIDs: slices.Clone(gr.merged), Sources: slices.Clone(gr.sources)})
		}
	}
	gr.closed = true
	delete(g.groups, gr.key)
	emit(gr.env)
	return nil
}

// Flush closes every open group, oldest first.
func (g *Integrate) Flush(ctx context.Context, emit func(schema.Envelope)) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	var errs []error
	for _, gr := range g.order {
		if !gr.closed {
			if err := g.close(gr, emit); err != nil {
				errs = append(errs, err)
			}
		}
	}
	g.order = nil
	return errors.Join(errs...)
}

// Held returns the number of open groups: each holds one record back.
func (g *Integrate) Held() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.groups)
}

var handlingRank = map[schema.Handling]int{
	schema.HandlingClear: 0, schema.HandlingGreen: 1, schema.HandlingAmber: 2,
	schema.HandlingAmberStrict: 3, schema.HandlingRed: 4,
}

// stricter reports whether a restricts more than b. An unknown label counts
// as the most restrictive.
func stricter(a, b schema.Handling) bool {
	ra, ok := handlingRank[a]
	if !ok {
		ra = 5
	}
	rb, ok := handlingRank[b]
	if !ok {
		rb = 5
	}
	return ra > rb
}
