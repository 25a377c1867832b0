package collab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/sicollab/sicollab/schema"
)

// Tip intake errors, for errors.Is.
var (
	// ErrBadTip: TipDesk.Take of a tip that does not validate against the
	// public.tip schema; the error names the field.
	ErrBadTip = errors.New("collab: bad tip")
	// ErrTipLimit: TipDesk.Take of a tip from a reporter who has reached
	// the desk's PerReporter limit in its Window; *TipLimitError says
	// when the reporter may send again.
	ErrTipLimit = errors.New("collab: tip limit reached")
	// ErrNoTipTarget: NewTipDesk with a directory in which no specialized
	// department takes public.tip in.
	ErrNoTipTarget = errors.New("collab: no specialized department takes public tips")
)

// TipLimitError is the error of a reporter over the limit.
type TipLimitError struct {
	// Limit is the desk's PerReporter, Window its window, and RetryAt
	// when the oldest counted tip leaves the window.
	Limit   int
	Window  time.Duration
	RetryAt time.Time
}

// Error says the limit and when to send again.
func (e *TipLimitError) Error() string {
	return fmt.Sprintf("collab: tip limit reached: %d tips in %s from this reporter; send again after %s",
		e.Limit, e.Window, e.RetryAt.UTC().Format(time.RFC3339))
}

// Unwrap returns ErrTipLimit.
func (e *TipLimitError) Unwrap() error { return ErrTipLimit }

// TipDeskConfig configures a TipDesk.
type TipDeskConfig struct {
	// Directory finds the specialized department tips go to. Required.
	Directory *Directory
	// Desk is the organization running the intake (the journal's Org).
	// Required; it must be in the directory.
	Desk string
	// PerReporter is the most tips one reporter may send in Window
	// (duplicates folded into an earlier tip count too). Default 5.
	PerReporter int
	// Window is the period PerReporter counts over, and over which a
	// duplicate folds into the tip it repeats. Default 24h.
	Window time.Duration
	// MaxOpen bounds the tips the desk remembers for folding, and the
	// reporters it counts; the oldest are forgotten first. Default 10000.
	MaxOpen int
	// Journal, if set, gets an entry for each new tip routed (Kind
	// public.tip, interaction 2, Counterpart the department) and for
	// each tip folded (EntryTipFolded).
	Journal Journal
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// EntryTipFolded records a tip folded into an earlier one; Data is the
// TipReceipt.
const EntryTipFolded = "journal.tip_folded"

func (c *TipDeskConfig) defaults() {
	if c.PerReporter == 0 {
		c.PerReporter = 5
	}
	if c.Window == 0 {
		c.Window = 24 * time.Hour
	}
	if c.MaxOpen == 0 {
		c.MaxOpen = 10000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate names every field out of range, after defaults.
func (c TipDeskConfig) Validate() error {
	c.defaults()
	var errs []error
	if c.Directory == nil {
		errs = append(errs, errors.New("collab: tip desk: Directory is nil; load one with collab.LoadDirectory"))
	} else if _, ok := c.Directory.Org(c.Desk); !ok {
		errs = append(errs, fmt.Errorf("collab: tip desk: Desk %q is not in the directory", c.Desk))
	}
	if c.PerReporter < 1 {
		errs = append(errs, fmt.Errorf("collab: tip desk: PerReporter is %d; it must be at least 1", c.PerReporter))
	}
	if c.Window < time.Minute {
		errs = append(errs, fmt.Errorf("collab: tip desk: Window is %s; it must be at least 1m", c.Window))
	}
	if c.MaxOpen < 1 {
		errs = append(errs, fmt.Errorf("collab: tip desk: MaxOpen is %d; it must be at least 1", c.MaxOpen))
	}
	return errors.Join(errs...)
}

// TipReceipt is what the desk did with a tip.
type TipReceipt struct {
	// TipID is the tip's id at the desk: the first tip's when folded.
	TipID string `json:"tip_id"`
	// Folded is true when the tip repeats an open one (same category,
	// place and summary, words compared without case or punctuation).
	Folded bool `json:"folded"`
	// Reports and Reporters count the tips folded together, and the
	// distinct reporters among them.
	Reports   int `json:"reports"`
	Reporters int `json:"reporters"`
	// Priority is the triage: see TipDesk.Take.
	Priority schema.Priority `json:"priority"`
	// To is the specialized department the tip goes to.
	To string `json:"to"`
}

type openTip struct {
	id        string
	at        time.Time
	reports   int
	reporters []string
	priority  schema.Priority
}

// TipDesk takes tips from the public in (study, 4.1: the public is a
// source): it validates, limits each reporter, folds duplicates, triages
// and routes to public security. It is safe for concurrent use; its state
// is bounded by MaxOpen.
type TipDesk struct {
	cfg TipDeskConfig
	to  string

	mu        sync.Mutex
	open      map[string]*openTip // by fingerprint
	order     []string            // fingerprints, oldest first
	reporters map[string][]time.Time
	newID     func() string
}

// NewTipDesk returns a desk, or the configuration's problems; it fails
// with ErrNoTipTarget when no specialized department takes public.tip in
// (the one that does and takes in the most record kinds is chosen, then
// the first by id: public security in the scheme).
func NewTipDesk(cfg TipDeskConfig) (*TipDesk, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.defaults()
	to := ""
	best := -1
	for _, o := range cfg.Directory.ByTier(SpecializedDepartment) {
		if o.CanReceive(schema.KindPublicTip) && len(o.Receives) > best {
			to, best = o.ID, len(o.Receives)
		}
	}
	if to == "" {
		return nil, fmt.Errorf("%w (directory version %d); add %s to one's receives", ErrNoTipTarget, cfg.Directory.Version(), schema.KindPublicTip)
	}
	return &TipDesk{cfg: cfg, to: to, open: map[string]*openTip{}, reporters: map[string][]time.Time{}, newID: mintID}, nil
}

// Target is the specialized department the desk routes tips to.
func (d *TipDesk) Target() string { return d.to }

// urgentWords raise a tip to critical: what it reports may be imminent.
var urgentWords = []string{"bomb", "explosive", "detonator", "gun", "firearm", "weapon", "attack"}

// Take takes one tip in. It validates it against the public.tip schema
// (ErrBadTip naming the field); counts it against its reporter, refusing
// it past PerReporter in Window (*TipLimitError); and folds it into an
// open tip with the same fingerprint (category, location country and
// region, and the summary's words, lower case, without punctuation) taken
// within Window. The triage of a tip is:
//
//   - critical when the summary names a weapon, an explosive or an attack;
//   - otherwise high for a suspicious object or purchase, medium for
//     suspicious behaviour, a vehicle or online content, low for other;
//   - one step higher (up to critical) once three distinct reporters have
//     sent it.
//
// A new tip is journaled as a public.tip to the target; a folded one as
// EntryTipFolded.
func (d *TipDesk) Take(ctx context.Context, tip schema.PublicTip) (TipReceipt, error) {
	if err := ctx.Err(); err != nil {
		return TipReceipt{}, err
	}
	if _, err := validatePayload(schema.KindPublicTip, tip); err != nil {
		return TipReceipt{}, fmt.Errorf("%w: %w", ErrBadTip, err)
	}
	now := d.cfg.Now().UTC()
	who := tip.Reporter.KeyID + ":" + tip.Reporter.Pseudonym
	fp := fingerprintTip(tip)

	d.mu.Lock()
	d.expire(now)
	times := d.reporters[who]
	if len(times) >= d.cfg.PerReporter {
		d.mu.Unlock()
		return TipReceipt{}, &TipLimitError{Limit: d.cfg.PerReporter, Window: d.cfg.Window, RetryAt: times[0].Add(d.cfg.Window)}
	}
	d.reporters[who] = append(times, now)
	o, folded := d.open[fp]
	if !folded {
		o = &openTip{id: d.newID(), at: now, priority: triage(tip)}
		d.open[fp] = o
		d.order = append(d.order, fp)
		for len(d.order) > d.cfg.MaxOpen {
			delete(d.open, d.order[0])
			d.order = d.order[1:]
		}
	}
	o.reports++
	if !slices.Contains(o.reporters, who) {
		o.reporters = append(o.reporters, who)
		if len(o.reporters) == 3 {
			o.priority = stepUp(o.priority)
		}
	}
	rc := TipReceipt{TipID: o.id, Folded: folded, Reports: o.reports, Reporters: len(o.reporters), Priority: o.priority, To: d.to}
	d.mu.Unlock()

	if d.cfg.Journal != nil {
		var e Entry
		var err error
		if folded {
			e, err = messageEntry(EntryTipFolded, InteractionNone, now, d.cfg.Desk, d.to, rc.TipID, rc)
		} else {
			e, err = messageEntry(schema.KindPublicTip, InteractionSubmission, now, d.cfg.Desk, d.to, rc.TipID, tip)
		}
		if err == nil {
			_, err = d.cfg.Journal.Append(ctx, e)
		}
		if err != nil {
			return rc, fmt.Errorf("collab: tip %s taken but not journaled: %w", rc.TipID, err)
		}
	}
	return rc, nil
}

// MaxTipBytes is the largest tip TakeJSON reads.
const MaxTipBytes = 8 << 10

// TakeJSON decodes a tip as an intake form or app sends it (a public.tip
// payload, at most MaxTipBytes) and takes it in as Take does. Anything
// that is not a valid tip fails with ErrBadTip naming the field.
func (d *TipDesk) TakeJSON(ctx context.Context, raw []byte) (TipReceipt, error) {
	if len(raw) > MaxTipBytes {
		return TipReceipt{}, fmt.Errorf("%w: %d bytes, more than the %d a tip may have", ErrBadTip, len(raw), MaxTipBytes)
	}
	v, err := payloadValidator()
	if err != nil {
		return TipReceipt{}, err
	}
	if err := v.ValidatePayload(schema.KindPublicTip, 1, raw); err != nil {
		return TipReceipt{}, fmt.Errorf("%w: %w", ErrBadTip, err)
	}
	var tip schema.PublicTip
	if err := json.Unmarshal(raw, &tip); err != nil {
		return TipReceipt{}, fmt.Errorf("%w: %w", ErrBadTip, err)
	}
	return d.Take(ctx, tip)
}

// expire forgets tips and reporter counts older than the window, and
// bounds the reporters counted by MaxOpen. d.mu is held.
func (d *TipDesk) expire(now time.Time) {
	cut := now.Add(-d.cfg.Window)
	for len(d.order) > 0 {
		o := d.open[d.order[0]]
		if o != nil && o.at.After(cut) {
			break
		}
		delete(d.open, d.order[0])
		d.order = d.order[1:]
	}
	for who, ts := range d.reporters {
		i := 0
		for i < len(ts) && !ts[i].After(cut) {
			i++
		}
		if i == len(ts) {
			delete(d.reporters, who)
		} else if i > 0 {
			d.reporters[who] = slices.Clone(ts[i:])
		}
	}
	for who := range d.reporters {
		if len(d.reporters) <= d.cfg.MaxOpen {
			break
		}
		delete(d.reporters, who)
	}
}

// fingerprintTip is what makes two tips the same.
func fingerprintTip(t schema.PublicTip) string {
	words := strings.FieldsFunc(strings.ToLower(t.Summary), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	var place string
	if t.Location != nil {
		place = t.Location.Country + "/" + t.Location.Region
	}
	sum := sha256.Sum256([]byte(string(t.Category) + "\x00" + place + "\x00" + strings.Join(words, " ")))
	return hex.EncodeToString(sum[:])
}

// triage is a new tip's priority.
func triage(t schema.PublicTip) schema.Priority {
	s := strings.ToLower(t.Summary)
	for _, w := range urgentWords {
		if strings.Contains(s, w) {
			return schema.PriorityCritical
		}
	}
	switch t.Category {
	case schema.TipSuspiciousObject, schema.TipSuspiciousPurchase:
		return schema.PriorityHigh
	case schema.TipOther:
		return schema.PriorityLow
	}
	return schema.PriorityMedium
}

// stepUp is the next priority up, critical staying critical.
func stepUp(p schema.Priority) schema.Priority {
	switch p {
	case schema.PriorityLow:
		return schema.PriorityMedium
	case schema.PriorityMedium:
		return schema.PriorityHigh
	}
	return schema.PriorityCritical
}
