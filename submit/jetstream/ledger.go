package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	js "github.com/nats-io/nats.go/jetstream"

	"github.com/sicollab/sicollab/submit"
)

// Defaults of LedgerConfig.
const (
	// DefaultLedgerBucket is the key-value bucket Ledger keeps keys,
	// receipts and accepted ids in.
	DefaultLedgerBucket = "sicollab_ledger"
	// DefaultClaimLease is how long an idempotency key may stay claimed
	// by a request that has not committed before another hub takes it
	// over (the first hub crashed, or lost the cluster).
	DefaultClaimLease = 30 * time.Second
	// DefaultLedgerInFlight bounds the lookups and claims one call has
	// outstanding at once.
	DefaultLedgerInFlight = 256
	// ledgerAckTimeout bounds the wait for one entry's acknowledgement.
	ledgerAckTimeout = 5 * time.Second
	// markerTTL is how long the bucket keeps the marker of an expired
	// key (required for keys with a time to live).
	markerTTL = time.Minute
)

// LedgerConfig configures a Ledger.
type LedgerConfig struct {
	// Bucket is the key-value bucket; "": DefaultLedgerBucket.
	Bucket string
	// Replicas of the bucket when NewLedger creates it; 0: 1 (3 in a
	// cluster).
	Replicas int
	// ClaimLease is how long a claimed key may stay pending; 0:
	// DefaultClaimLease. It must exceed the longest Commit.
	ClaimLease time.Duration
	// MaxInFlight bounds the lookups and claims of one call at once; 0:
	// DefaultLedgerInFlight.
	MaxInFlight int
	// Clock judges leases and times to live; nil: time.Now. Give the
	// Handler's.
	Clock func() time.Time
	// Logger gets takeovers of stale claims. Nil: silent.
	Logger *slog.Logger
}

// Validate reports every problem of c, each naming the field and the
// value found, joined with errors.Join.
func (c LedgerConfig) Validate() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("jetstream: LedgerConfig."+format, a...))
	}
	if c.Bucket != "" && !validBucket(c.Bucket) {
		bad("Bucket is %q; a bucket name is letters, digits, '-' and '_'", c.Bucket)
	}
	if c.Replicas < 0 || c.Replicas > 5 {
		bad("Replicas is %d; JetStream takes 1 to 5 (3 in a cluster)", c.Replicas)
	}
	if c.ClaimLease < 0 {
		bad("ClaimLease is %s; it must not be negative", c.ClaimLease)
	}
	if c.MaxInFlight < 0 {
		bad("MaxInFlight is %d; it must not be negative", c.MaxInFlight)
	}
	return errors.Join(errs...)
}

func validBucket(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Ledger is a submit.LedgerStore in a JetStream key-value bucket, so
// that any number of hubs behind one address give the same answers: a
// key sent to one hub and replayed to another returns the receipt the
// first issued, a record accepted through one is a duplicate through
// another, and a hub started with no files answers as before.
//
// The bucket holds, each under a key of its own and with a time to live
// (so Prune has nothing to do):
//
//	l.<org>.<idempotency key>  held while one request works on the key (ClaimLease)
//	k.<org>.<idempotency key>  the body digest and submission id; pending until committed (Retention)
//	r.<org>.<submission id>    the answer, as sent (Retention)
//	s.<source>.<record id>     the record as submit.EncodeSeen writes it (until its retain_until)
//
// Lock holds l.<org>.<key> while a request works, so that a second
// request with the key, at any hub, waits and then finds the answer, as
// with one hub's submit.Ledger. Races it does not prevent (a lock held
// past its lease) are settled by the bucket's compare-and-set: a Commit first
// creates the key's entry as pending (only one request can), then
// creates each accepted record's entry (only one submission can; a
// record another holds is given to finish as seen, and finish runs
// again), writes the answer, and marks the key committed with the
// revision it created. A request that finds the key pending waits for
// the answer; one that finds it pending past ClaimLease takes it over,
// and the records the stale claim created count as its own.
//
// A Ledger is safe for concurrent use. It does not own the connection.
type Ledger struct {
	cfg LedgerConfig
	nc  *nats.Conn
	js  js.JetStream
	kv  js.KeyValue
	pre string // subject prefix of the bucket's keys

	keys submit.KeyLocks // this process's holders of org \x00 key
}

// A *Ledger is a submit.LedgerStore.
var _ submit.LedgerStore = (*Ledger)(nil)

// NewLedger opens, or creates, the bucket of cfg over nc.
func NewLedger(ctx context.Context, nc *nats.Conn, cfg LedgerConfig) (*Ledger, error) {
	if nc == nil {
		return nil, errors.New("jetstream: NewLedger: nil connection; connect with nats.Connect")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultLedgerBucket
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	if cfg.ClaimLease == 0 {
		cfg.ClaimLease = DefaultClaimLease
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = DefaultLedgerInFlight
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	j, err := js.New(nc, js.WithPublishAsyncMaxPending(cfg.MaxInFlight), js.WithPublishAsyncTimeout(ledgerAckTimeout))
	if err != nil {
		return nil, fmt.Errorf("jetstream: NewLedger: %w", err)
	}
	kv, err := j.CreateOrUpdateKeyValue(ctx, js.KeyValueConfig{Bucket: cfg.Bucket, Description: "sicollab: idempotency keys, receipts, accepted ids",
		History: 1, Storage: js.FileStorage, Replicas: cfg.Replicas, LimitMarkerTTL: markerTTL})
	if err != nil {
		return nil, fmt.Errorf("jetstream: NewLedger: bucket %s: %w", cfg.Bucket, err)
	}
	return &Ledger{cfg: cfg, nc: nc, js: j, kv: kv, pre: "$KV." + cfg.Bucket + "."}, nil
}

// claim states of an idempotency key.
const (
	statePending = "pending"
	stateDone    = "done"
)

// keyEntry is the value of k.<org>.<key>.
type keyEntry struct {
	State      string    `json:"state"`
	Digest     string    `json:"digest"`
	Submission string    `json:"submission"`
	At         time.Time `json:"at"` // when it was claimed, on the claiming hub's clock
}

// Lock serializes the requests with one key, in this process and
// across hubs: after the process's own turn it creates l.<org>.<key> in
// the bucket, with ClaimLease as its time to live (a hub that dies
// holding it holds it no longer than that), and waits while another hub
// holds it. unlock purges it.
func (l *Ledger) Lock(ctx context.Context, org, key string) (func(), error) {
	unlock, err := l.lockLocal(ctx, org, key)
	if err != nil {
		return nil, err
	}
	lk := "l." + token(org) + "." + token(key)
	wait := firstPoll
	for {
		_, err := l.kv.Create(ctx, lk, []byte(l.cfg.Clock().UTC().Format(time.RFC3339Nano)), js.KeyTTL(ttlOf(l.cfg.ClaimLease)))
		if err == nil {
			break
		}
		// Another hub holds the key, or took it between Create's two
		// tries (over a purge marker, a replicated stream answers 10164).
		if !errors.Is(err, js.ErrKeyExists) && !errors.Is(err, js.ErrKeyRevisionMismatch) && !isWrongSequence(err) {
			unlock()
			return nil, fmt.Errorf("jetstream: ledger: lock idempotency key %s: %w", key, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			unlock()
			return nil, fmt.Errorf("jetstream: ledger: waiting for idempotency key %s held by another hub: %w", key, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, maxPoll)
	}
	return func() {
		// Not the request's context: it may have ended, and the lock
		// must go (else it holds until its time to live).
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := l.kv.Purge(ctx, lk, js.PurgeTTL(markerTTL)); err != nil {
			l.cfg.Logger.Warn("jetstream: ledger: unlock failed; the key is free when its lock expires", "org", org, "key", key, "err", err)
		}
		unlock()
	}, nil
}

// lockLocal serializes the requests of this process with one key.
func (l *Ledger) lockLocal(ctx context.Context, org, key string) (func(), error) {
	return l.keys.Lock(ctx, org+"\x00"+key)
}

// Idempotent returns the committed answer of org's key. A key claimed
// and not committed is not found: the hub that claimed it died, or holds
// the lock past ClaimLease, and Commit settles which answer stands.
func (l *Ledger) Idempotent(ctx context.Context, org, key string) (string, *submit.LedgerAnswer, bool, error) {
	e, _, err := l.keyEntry(ctx, org, key)
	if errors.Is(err, js.ErrKeyNotFound) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, err
	}
	if e.State != stateDone {
		return "", nil, false, nil // a claim not committed: Commit waits for it or takes it over
	}
	a, err := l.answer(ctx, org, e.Submission)
	if err != nil {
		return "", nil, false, err
	}
	return e.Digest, a, true, nil
}

// Seen looks the records up in batches of multiGetMax, each one
// direct-get request to the bucket's stream for the last value of every
// key (any replica answers; one that lags only lets a record through to
// Commit, whose claim then finds it).
func (l *Ledger) Seen(ctx context.Context, keys []submit.RecordKey) (map[submit.RecordKey]submit.SeenRecord, error) {
	out := map[submit.RecordKey]submit.SeenRecord{}
	for lo := 0; lo < len(keys); lo += multiGetMax {
		chunk := keys[lo:min(lo+multiGetMax, len(keys))]
		subjects := make([]string, len(chunk))
		by := make(map[string]submit.RecordKey, len(chunk))
		for i, k := range chunk {
			subjects[i] = l.pre + seenKey(k)
			by[subjects[i]] = k
		}
		vals, err := l.lastValues(ctx, subjects)
		if err != nil {
			return nil, fmt.Errorf("jetstream: ledger: look up %d records: %w", len(chunk), err)
		}
		for subj, v := range vals {
			out[by[subj]] = submit.DecodeSeen(v)
		}
	}
	return out, nil
}

// multiGetMax is the most subjects one direct get asks for (the server
// answers at most 1024 messages).
const multiGetMax = 1000

// lastValues asks the bucket's stream for the last message of each
// subject, in one request, and returns the values of those that hold a
// value (not a delete, purge or expiry marker).
func (l *Ledger) lastValues(ctx context.Context, subjects []string) (map[string][]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	req, err := json.Marshal(struct {
		MultiLast []string `json:"multi_last"`
	}{subjects})
	if err != nil {
		return nil, err
	}
	inbox := l.nc.NewRespInbox()
	sub, err := l.nc.SubscribeSync(inbox)
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe() //nolint:errcheck // nothing to do about it
	if err := l.nc.PublishRequest("$JS.API.DIRECT.GET.KV_"+l.cfg.Bucket, inbox, req); err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			return nil, err
		}
		switch st := m.Header.Get("Status"); st {
		case "":
		case "204": // end of batch
			return out, nil
		case "404": // none of the subjects holds a message
			return out, nil
		default:
			return nil, fmt.Errorf("direct get: status %s %s", st, m.Header.Get("Description"))
		}
		if op := m.Header.Get("KV-Operation"); op == "DEL" || op == "PURGE" || m.Header.Get("Nats-Marker-Reason") != "" {
			continue
		}
		out[m.Header.Get("Nats-Subject")] = m.Data
	}
}

// ReceiptBytes returns the receipt of submission id if org sent it.
func (l *Ledger) ReceiptBytes(ctx context.Context, org, id string) ([]byte, error) {
	a, err := l.answer(ctx, org, id)
	if err != nil {
		return nil, err
	}
	return a.Receipt, nil
}

// Prune does nothing: every entry has its own time to live.
func (l *Ledger) Prune(ctx context.Context, receivedBefore, now time.Time) (submit.PruneStats, error) {
	return submit.PruneStats{}, ctx.Err()
}

// answer reads r.<org>.<sub>.
func (l *Ledger) answer(ctx context.Context, org, sub string) (*submit.LedgerAnswer, error) {
	e, err := l.kv.Get(ctx, "r."+token(org)+"."+token(sub))
	if errors.Is(err, js.ErrKeyNotFound) {
		return nil, fmt.Errorf("jetstream: ledger: receipt %q: %w", sub, submit.ErrReceiptNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("jetstream: ledger: receipt %q: %w", sub, err)
	}
	var a submit.LedgerAnswer
	if err := json.Unmarshal(e.Value(), &a); err != nil {
		return nil, fmt.Errorf("jetstream: ledger: decode receipt %q: %w", sub, err)
	}
	return &a, nil
}

// keyEntry reads k.<org>.<key> and its revision.
func (l *Ledger) keyEntry(ctx context.Context, org, key string) (keyEntry, uint64, error) {
	var e keyEntry
	kv, err := l.kv.Get(ctx, idemKey(org, key))
	if err != nil {
		if errors.Is(err, js.ErrKeyNotFound) {
			return e, 0, err
		}
		return e, 0, fmt.Errorf("jetstream: ledger: idempotency key %s: %w", key, err)
	}
	if err := json.Unmarshal(kv.Value(), &e); err != nil {
		return e, 0, fmt.Errorf("jetstream: ledger: decode idempotency key %s: %w", key, err)
	}
	return e, kv.Revision(), nil
}

// set publishes value under key if the key's last revision is rev (0:
// the key does not exist), with a time to live, and returns the new
// revision. A failed expectation wraps js.ErrKeyExists.
func (l *Ledger) set(ctx context.Context, key string, value []byte, rev uint64, ttl time.Duration) (uint64, error) {
	m := &nats.Msg{Subject: l.pre + key, Data: value}
	pa, err := l.js.PublishMsg(ctx, m, js.WithExpectLastSequencePerSubject(rev), js.WithMsgTTL(ttlOf(ttl)))
	if err != nil {
		if wrongLast(err) {
			return 0, fmt.Errorf("%w: %w", js.ErrKeyExists, err)
		}
		return 0, err
	}
	return pa.Sequence, nil
}

// wrongLast reports a failed compare-and-set.
func wrongLast(err error) bool {
	var ae *js.APIError
	return errors.As(err, &ae) && (ae.ErrorCode == js.JSErrCodeStreamWrongLastSequence || ae.ErrorCode == js.JSErrCodeStreamWrongLastSequenceConstant)
}

// ttlOf rounds a time to live up to whole seconds, at least one.
func ttlOf(d time.Duration) time.Duration {
	return max(time.Second, (d+time.Second-1)/time.Second*time.Second)
}

// idemKey is k.<org>.<key>; seenKey s.<source>.<id>.
func idemKey(org, key string) string { return "k." + token(org) + "." + token(key) }
func seenKey(k submit.RecordKey) string {
	return "s." + token(k.Source) + "." + token(k.ID)
}

// token writes s as one key token: bytes other than letters, digits,
// '-' and '_' as "=XX", the empty string as "=".
func token(s string) string {
	if s == "" {
		return "="
	}
	clean := true
	for i := 0; i < len(s) && clean; i++ {
		c := s[i]
		clean = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
	}
	if clean {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('=')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
