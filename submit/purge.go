package submit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/submit/translog"
)

// The stores a purge leaf names (translog.PurgeLeaf.Store).
const (
	PurgeStoreRecords     = "store"               // records past retain_until (Store)
	PurgeStoreReceipts    = "ledger.receipts"     // receipts and idempotency keys past Retention (Ledger)
	PurgeStoreRecordIDs   = "ledger.records"      // accepted record ids past retain_until (Ledger)
	PurgeStoreDeadLetters = "outbox.dead_letters" // dead letters past DeadLetterRetention (Client)
	PurgeStoreJournal     = "journal"             // journal payloads past JournalRetention (collab.BoltJournal)
	PurgeStoreCatalog     = "catalog"             // products past ProductRetention (collab.BoltCatalog)
)

// OperatorSchedule is the operator a scheduled purge (Purger.Run,
// Handler.RunPruner) names in its log leaves.
const OperatorSchedule = "schedule"

// PurgerConfig says what a Purger purges, after how long, and where it
// logs what it did. Every store is optional; at least one is required.
// Validate says what is wrong.
type PurgerConfig struct {
	// Store loses its records whose retain_until has passed.
	Store *Store
	// Ledger loses its receipts and idempotency keys older than
	// Retention, and its accepted record ids whose retain_until passed.
	Ledger *Ledger
	// Retention is how long receipts and idempotency keys are kept; 0:
	// DefaultRetention (use the Handler's HandlerConfig.Retention).
	Retention time.Duration
	// Outbox, a client of this program (a relay's upstream client), loses
	// its dead letters older than its ClientConfig.DeadLetterRetention.
	Outbox *Client
	// Journal loses the payloads of its entries older than
	// JournalRetention (collab.BoltJournal.PurgeData); 0:
	// collab.DefaultJournalRetention.
	Journal          *collab.BoltJournal
	JournalRetention time.Duration
	// Catalog loses its products produced before ProductRetention ago;
	// 0: collab.DefaultProductRetention.
	Catalog          *collab.BoltCatalog
	ProductRetention time.Duration
	// Log, if set, gets one translog.LeafPurge leaf per write
	// transaction of a purge, appended before the transaction deletes
	// anything: what was deleted is always in the log.
	Log *translog.Log
	// Every is Run's period; 0: DefaultPruneEvery.
	Every time.Duration
	// Clock gives the time retention is judged at; nil: time.Now.
	Clock func() time.Time
	// Logger gets one line per purge that removed something, and errors.
	// Nil: silent.
	Logger *slog.Logger

	newTicker func(time.Duration) (<-chan time.Time, func()) // tests
}

// Validate reports every problem of c, naming the field and value,
// joined.
func (c PurgerConfig) Validate() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Retention", c.Retention}, {"JournalRetention", c.JournalRetention}, {"ProductRetention", c.ProductRetention}, {"Every", c.Every}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("submit: PurgerConfig.%s = %v: must not be negative (0 takes the default)", d.name, d.v))
		}
	}
	if c.Store == nil && c.Ledger == nil && c.Outbox == nil && c.Journal == nil && c.Catalog == nil {
		errs = append(errs, errors.New("submit: PurgerConfig: nothing to purge; set at least one of Store, Ledger, Outbox, Journal, Catalog"))
	}
	return errors.Join(errs...)
}

// PurgeReport says what one purge removed.
type PurgeReport struct {
	At       time.Time // when, on the Purger's clock
	Operator string    // who ordered it
	// Items removed, by store.
	Records        int // Store: records
	Receipts       int // Ledger: receipts, with their idempotency keys
	RecordIDs      int // Ledger: accepted record ids
	DeadLetters    int // Outbox: dead letters
	JournalEntries int // Journal: entries that lost their payload
	Products       int // Catalog: products
	// Leaves is how many purge leaves went into the log.
	Leaves int
}

// Total is how many items the purge removed, all stores together.
func (r PurgeReport) Total() int {
	return r.Records + r.Receipts + r.RecordIDs + r.DeadLetters + r.JournalEntries + r.Products
}

// Purger deletes what retention no longer allows a hub to keep, on a
// schedule (Run) and on its operator's demand (Purge). It is the hub
// operator's tool: nothing of it is served to partners. Purges are
// serialized. A Purger is safe for concurrent use.
type Purger struct {
	cfg PurgerConfig
	log *slog.Logger
	mu  sync.Mutex // one purge at a time
}

// NewPurger checks cfg, fills its defaults and returns the Purger.
func NewPurger(cfg PurgerConfig) (*Purger, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	setDefault(&cfg.Retention, DefaultRetention)
	setDefault(&cfg.JournalRetention, collab.DefaultJournalRetention)
	setDefault(&cfg.ProductRetention, collab.DefaultProductRetention)
	setDefault(&cfg.Every, DefaultPruneEvery)
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.newTicker == nil {
		cfg.newTicker = realTicker
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	return &Purger{cfg: cfg, log: lg}, nil
}

// Purge removes now what retention allows, store by store, and returns
// what it removed. operator names who ordered it in the log leaves (the
// hub's own operator; OperatorSchedule for Run). A store's error stops
// the purge there, with what was removed so far reported: each write
// transaction is whole, and logged before it deleted.
func (p *Purger) Purge(ctx context.Context, operator string) (PurgeReport, error) {
	operator = strings.TrimSpace(operator)
	if operator == "" {
		return PurgeReport{}, errors.New("submit: purge: operator is empty; name who orders the purge")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.cfg.Clock().UTC()
	rep := PurgeReport{At: now, Operator: operator}
	hook := func(store string, before time.Time) collab.PurgeHook {
		return leafHook(p.cfg.Log, store, operator, now, before, &rep.Leaves)
	}
	var err error
	if c := p.cfg; c.Store != nil {
		rep.Records, err = c.Store.purge(ctx, now, hook(PurgeStoreRecords, now))
	}
	if c := p.cfg; err == nil && c.Ledger != nil {
		before := now.Add(-c.Retention)
		var st PruneStats
		st, err = c.Ledger.prune(ctx, before, now, hook(PurgeStoreReceipts, before), hook(PurgeStoreRecordIDs, now))
		rep.Receipts, rep.RecordIDs = st.Receipts, st.Records
	}
	if c := p.cfg; err == nil && c.Outbox != nil {
		before := now.Add(-c.Outbox.cfg.DeadLetterRetention)
		rep.DeadLetters, err = c.Outbox.purgeDeadLetters(ctx, before, hook(PurgeStoreDeadLetters, before))
	}
	if c := p.cfg; err == nil && c.Journal != nil {
		before := now.Add(-c.JournalRetention)
		rep.JournalEntries, err = c.Journal.PurgeData(ctx, before, hook(PurgeStoreJournal, before))
	}
	if c := p.cfg; err == nil && c.Catalog != nil {
		before := now.Add(-c.ProductRetention)
		rep.Products, err = c.Catalog.PurgeProducts(ctx, before, hook(PurgeStoreCatalog, before))
	}
	if err != nil {
		p.log.Error("purge stopped; what it removed so far is logged, run it again", "operator", operator, "removed", rep.Total(), "err", err)
		return rep, err
	}
	if rep.Total() > 0 {
		p.log.Info("purged", "operator", operator, "records", rep.Records, "receipts", rep.Receipts, "record_ids", rep.RecordIDs,
			"dead_letters", rep.DeadLetters, "journal_entries", rep.JournalEntries, "products", rep.Products, "leaves", rep.Leaves)
	}
	return rep, nil
}

// Run purges every PurgerConfig.Every, as OperatorSchedule, until ctx
// ends, and returns ctx's error. A failed purge is logged; the next tick
// tries again. A hub runs it in the background: go p.Run(ctx).
func (p *Purger) Run(ctx context.Context) error {
	tick, stop := p.cfg.newTicker(p.cfg.Every)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick:
		}
		p.Purge(ctx, OperatorSchedule) //nolint:errcheck // logged by Purge
	}
}

// leafHook returns the hook that appends a purge leaf of store to log
// (nil when log is nil), counting the leaves in *leaves if set.
func leafHook(log *translog.Log, store, operator string, at, before time.Time, leaves *int) collab.PurgeHook {
	if log == nil {
		return nil
	}
	return func(ctx context.Context, ids []string) error {
		leaf := translog.Leaf{V: translog.LeafVersion, Type: translog.LeafPurge, At: at.UTC(), Purge: &translog.PurgeLeaf{
			Store: store, Before: before.UTC(), Count: len(ids), IDsDigest: translog.DigestIDs(ids), Operator: operator,
		}}
		if _, err := log.Append(ctx, leaf); err != nil {
			return fmt.Errorf("submit: purge %s: log the purge: %w; nothing of this batch was deleted", store, err)
		}
		if leaves != nil {
			*leaves++
		}
		return nil
	}
}
