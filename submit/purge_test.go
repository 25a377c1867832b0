package submit

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit/translog"
)

// sendExpiring sends n valid records from testBank that expire at
// retain, and returns the receipt and the payload digests sent.
func sendExpiring(t *testing.T, f *fixture, n int, retain time.Time) (Receipt, map[string]string) {
	t.Helper()
	var lines [][]byte
	sent := map[string]string{}
	for range n {
		env := f.envelope(testBank, schema.KindFinanceTransaction)
		env.RetainUntil = retain
		d, err := schema.PayloadDigest(env.Payload)
		require.NoError(t, err)
		sent[env.ID] = d
		lines = append(lines, line(t, env))
	}
	rc := f.send(post{body: ndjson(lines...), key: newID(t)}).receipt(t)
	require.Equal(t, n, rc.Counts.Accepted)
	return rc, sent
}

// purgeLeaves decodes the log's leaves from index from on.
func purgeLeaves(t *testing.T, lg *translog.Log, from int64) []translog.PurgeLeaf {
	t.Helper()
	var out []translog.PurgeLeaf
	for i := from; i < lg.Checkpoint().Size; i++ {
		raw, err := lg.Leaf(t.Context(), i)
		require.NoError(t, err)
		l, err := translog.DecodeLeaf(raw)
		require.NoError(t, err)
		require.Equal(t, translog.LeafPurge, l.Type, "leaf %d", i)
		out = append(out, *l.Purge)
	}
	return out
}

// TestPurgeOnFakeClock: on the hub's fake clock, a purge removes nothing
// before retention ends; then records past retain_until leave the store
// and the ledger, then receipts and keys past Retention; each store's
// transaction is a purge leaf naming the ids removed; a receipt's proof
// issued before the purge still verifies after it, against the old
// checkpoint and against a new proof of the grown log.
func TestPurgeOnFakeClock(t *testing.T) {
	f, lg, vkey, lc := logFixture(t)
	ctx := t.Context()
	seeded, err := f.store.Count() // the fixture's purposes
	require.NoError(t, err)
	short, sentShort := sendExpiring(t, f, 3, testNow.Add(time.Hour))
	long, _ := sendExpiring(t, f, 2, testNow.AddDate(1, 0, 0))
	p, err := NewPurger(PurgerConfig{Store: f.store, Ledger: f.ledger, Retention: 24 * time.Hour, Log: lg, Clock: f.clock.Now})
	require.NoError(t, err)

	rep, err := p.Purge(ctx, "alice")
	require.NoError(t, err)
	assert.Zero(t, rep.Total(), "nothing is past retention yet")
	assert.Zero(t, rep.Leaves)
	size := lg.Checkpoint().Size

	f.clock.Add(2 * time.Hour)
	rep, err = p.Purge(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, PurgeReport{At: f.clock.Now(), Operator: "alice", Records: 3, RecordIDs: 3, Leaves: 2}, rep)
	n, err := f.store.Count()
	require.NoError(t, err)
	assert.Equal(t, seeded+2, n)
	var shortIDs []string
	for id := range sentShort {
		shortIDs = append(shortIDs, id)
		_, err := f.store.GetFrom(ctx, testBank, id)
		require.ErrorIs(t, err, ErrRecordNotFound)
		_, _, seen, err := f.ledger.SeenBy(ctx, testBank, id)
		require.NoError(t, err)
		assert.False(t, seen, "the ledger forgot %s", id)
	}
	page, err := f.store.Scan(ctx, ScanQuery{Kind: schema.KindFinanceTransaction})
	require.NoError(t, err)
	assert.Len(t, page.Records, 2, "the index holds only what is left of the kind")
	for _, r := range long.Results {
		_, err := f.store.GetFrom(ctx, testBank, r.ID)
		require.NoError(t, err)
	}
	slices.Sort(shortIDs)
	leaves := purgeLeaves(t, lg, size)
	require.Len(t, leaves, 2)
	for i, store := range []string{PurgeStoreRecords, PurgeStoreRecordIDs} {
		assert.Equal(t, translog.PurgeLeaf{Store: store, Before: f.clock.Now(), Count: 3, IDsDigest: translog.DigestIDs(shortIDs), Operator: "alice"}, leaves[i])
	}

	// The proof given before the purge still verifies: against its own
	// checkpoint, then the verifier moves on to the grown log (a
	// consistency proof), and a new proof of the same leaf checks
	// against the new checkpoint.
	v, err := translog.NewVerifier(translog.VerifierConfig{VerifierKey: vkey, Prover: lc, StatePath: filepath.Join(t.TempDir(), "state")})
	require.NoError(t, err)
	require.NoError(t, VerifyReceipt(ctx, short, v, sentShort))
	cp, err := v.Observe(ctx, lg.Checkpoint().Note)
	require.NoError(t, err)
	leaf, err := ReceiptLeaf(short, sentShort)
	require.NoError(t, err)
	proof, err := lc.Inclusion(ctx, short.Log.Index, cp.Size)
	require.NoError(t, err)
	require.NoError(t, tlog.CheckRecord(proof, cp.Size, cp.Hash, short.Log.Index, tlog.RecordHash(leaf)))
	require.NoError(t, lg.Verify(ctx))

	// A day on: the receipts and their keys go too.
	size = lg.Checkpoint().Size
	f.clock.Add(24 * time.Hour)
	rep, err = p.Purge(ctx, OperatorSchedule)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, rep.Receipts, 2, "ours and the fixture's")
	assert.Equal(t, 1, rep.Leaves)
	for _, rc := range []Receipt{short, long} {
		_, err = f.ledger.Receipt(ctx, testBank, rc.SubmissionID)
		require.ErrorIs(t, err, ErrReceiptNotFound)
	}
	leaves = purgeLeaves(t, lg, size)
	require.Len(t, leaves, 1)
	assert.Equal(t, PurgeStoreReceipts, leaves[0].Store)
	assert.Equal(t, rep.Receipts, leaves[0].Count)
	assert.Equal(t, f.clock.Now().Add(-24*time.Hour), leaves[0].Before)

	rep, err = p.Purge(ctx, "alice")
	require.NoError(t, err)
	assert.Zero(t, rep.Total(), "a second purge finds nothing")
	_, err = p.Purge(ctx, " ")
	assert.ErrorContains(t, err, "operator is empty")
}

// TestPurgerRun: the scheduled purge runs on each tick of the injected
// ticker, as OperatorSchedule.
func TestPurgerRun(t *testing.T) {
	f := newFixture(t, nil)
	seeded, err := f.store.Count()
	require.NoError(t, err)
	sendExpiring(t, f, 2, testNow.Add(time.Minute))
	f.clock.Add(time.Hour)
	tick := make(chan time.Time)
	p, err := NewPurger(PurgerConfig{Store: f.store, Clock: f.clock.Now})
	require.NoError(t, err)
	p.cfg.newTicker = func(time.Duration) (<-chan time.Time, func()) { return tick, func() {} }
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	tick <- time.Time{}
	tick <- time.Time{} // the first purge has finished once the second tick is taken
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	n, err := f.store.Count()
	require.NoError(t, err)
	assert.Equal(t, seeded, n)
}

func TestPurgerConfigValidate(t *testing.T) {
	err := PurgerConfig{}.Validate()
	assert.ErrorContains(t, err, "nothing to purge")
	err = PurgerConfig{Store: &Store{}, Retention: -1, Every: -time.Second}.Validate()
	assert.ErrorContains(t, err, "PurgerConfig.Retention = -1ns")
	assert.ErrorContains(t, err, "PurgerConfig.Every = -1s")
}

// bulkEnv is a record of about 1 KB for the store alone (which does not
// validate payloads).
func bulkEnv(i int, retain time.Time) schema.Envelope {
	return schema.Envelope{
		ID: fmt.Sprintf("rec-%06d", i), Kind: schema.KindFinanceTransaction, SchemaVersion: 1, Source: testBank,
		CollectedAt: testNow.Add(time.Duration(i) * time.Second), Purpose: schema.Purpose{RequirementID: "req"},
		LegalBasis: "synthetic", Handling: schema.HandlingAmber, RetainUntil: retain,
		Payload: json.RawMessage(fmt.Sprintf(`{"pad":%q}`, strings.Repeat("x", 1000))),
	}
}

// TestPurgeThenCompactShrinks: a purge frees pages but the file keeps
// its size; Compact gives them back, and what is left is all there.
func TestPurgeThenCompactShrinks(t *testing.T) {
	ctx := t.Context()
	s, err := OpenStore(filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	defer s.Close()
	for b := range 6 {
		envs := make([]schema.Envelope, 500)
		for i := range envs {
			retain := testNow.Add(time.Hour)
			if b == 5 && i >= 400 {
				retain = testNow.AddDate(1, 0, 0)
			}
			envs[i] = bulkEnv(b*500+i, retain)
		}
		require.NoError(t, s.Put(ctx, envs))
	}
	n, err := s.PurgeRecords(ctx, testNow.Add(2*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 2900, n)
	st, err := s.Compact(ctx)
	require.NoError(t, err)
	t.Logf("store file: %d bytes before compaction, %d after", st.Before, st.After)
	assert.Less(t, st.After, st.Before/4, "disk use falls after purge and compaction")
	left, err := s.Count()
	require.NoError(t, err)
	assert.Equal(t, 100, left)
	got, err := s.GetFrom(ctx, testBank, "rec-002999")
	require.NoError(t, err)
	assert.Equal(t, "rec-002999", got.ID)
	require.NoError(t, s.Put(ctx, []schema.Envelope{bulkEnv(9999, testNow.AddDate(1, 0, 0))}), "the store goes on after compaction")
}

// TestStoreBackupDuringWrites: Put goes on while Backup runs; the copy
// opens as a store and holds every record acknowledged before Backup
// began.
func TestStoreBackupDuringWrites(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s, err := OpenStore(filepath.Join(dir, "store.db"))
	require.NoError(t, err)
	defer s.Close()
	var acked atomic.Int64
	stop, going := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer once.Do(func() { close(going) })
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := s.Put(ctx, []schema.Envelope{bulkEnv(i, testNow.AddDate(1, 0, 0))}); err != nil {
				t.Error(err)
				return
			}
			acked.Store(int64(i + 1))
			if i == 50 {
				once.Do(func() { close(going) }) // writes are under way
			}
		}
	}()
	<-going
	before := acked.Load()
	_, err = s.Backup(ctx, filepath.Join(dir, "backup.db"))
	close(stop)
	wg.Wait()
	require.NoError(t, err)
	b, err := OpenStore(filepath.Join(dir, "backup.db"))
	require.NoError(t, err)
	defer b.Close()
	for i := range before {
		_, err := b.GetFrom(ctx, testBank, fmt.Sprintf("rec-%06d", i))
		require.NoError(t, err, "record %d was acknowledged before the backup began", i)
	}
	_, err = s.Backup(ctx, filepath.Join(dir, "store.db"))
	assert.ErrorContains(t, err, "the database itself")
}

// TestStoreRetainIndexBuiltAtOpen: a store file from before the
// retention index gets it at open, so its old records are purged too.
func TestStoreRetainIndexBuiltAtOpen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := OpenStore(path)
	require.NoError(t, err)
	require.NoError(t, s.Put(ctx, []schema.Envelope{bulkEnv(1, testNow), bulkEnv(2, testNow.AddDate(1, 0, 0))}))
	require.NoError(t, s.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketByRetain) }))
	require.NoError(t, s.Close())
	s, err = OpenStore(path)
	require.NoError(t, err)
	defer s.Close()
	n, err := s.PurgeRecords(ctx, testNow)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

// TestStoreRetainIndexFromBefore: a store file whose retention index is
// the one of before by_retain2 (retain_until, id and source as the key)
// gets by_retain2 at open, keyed by day and arrival, and loses the old
// bucket; its records are purged as their retain_until says.
func TestStoreRetainIndexFromBefore(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := OpenStore(path)
	require.NoError(t, err)
	envs := []schema.Envelope{bulkEnv(1, testNow), bulkEnv(2, testNow.AddDate(1, 0, 0)), bulkEnv(3, testNow.Add(-time.Hour))}
	require.NoError(t, s.Put(ctx, envs))
	require.NoError(t, s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketByRetain); err != nil {
			return err
		}
		old, err := tx.CreateBucket(bucketByRetainOld)
		if err != nil {
			return err
		}
		for _, e := range envs {
			if err := old.Put(retainKey(e.RetainUntil, orgKey(e.ID, e.Source)), nil); err != nil {
				return err
			}
		}
		return nil
	}))
	require.NoError(t, s.Close())
	s, err = OpenStore(path)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		assert.Nil(t, tx.Bucket(bucketByRetainOld), "the index of before is dropped")
		assert.Equal(t, 3, tx.Bucket(bucketByRetain).Stats().KeyN)
		return nil
	}))
	n, err := s.PurgeRecords(ctx, testNow)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	_, err = s.GetFrom(ctx, testBank, "rec-000002")
	assert.NoError(t, err)
}

// TestPurgeWithinTheSpan: the retention index is keyed by week, but a
// purge deletes only the records of that week whose retain_until is not
// after now, whatever order they arrived in.
func TestPurgeWithinTheSpan(t *testing.T) {
	ctx := t.Context()
	s, err := OpenStore(filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	defer s.Close()
	day := testNow.Truncate(24 * time.Hour)
	week := testNow.Truncate(retainSpan)
	retains := []time.Time{day.Add(23 * time.Hour), day, testNow.Add(time.Nanosecond), testNow, week.Add(-time.Nanosecond), day.Add(24 * time.Hour), week, week.Add(retainSpan)}
	for i, r := range retains { // one batch each: arrival order is the slice's
		require.NoError(t, s.Put(ctx, []schema.Envelope{bulkEnv(i, r)}))
	}
	n, err := s.PurgeRecords(ctx, testNow)
	require.NoError(t, err)
	assert.Equal(t, 4, n, "day, testNow, week and the week before")
	for i, r := range retains {
		_, err := s.GetFrom(ctx, testBank, fmt.Sprintf("rec-%06d", i))
		if r.After(testNow) {
			assert.NoError(t, err, "retain_until %s", r)
		} else {
			assert.ErrorIs(t, err, ErrRecordNotFound, "retain_until %s", r)
		}
	}
	n, err = s.PurgeRecords(ctx, testNow)
	require.NoError(t, err)
	assert.Zero(t, n)
	n, err = s.PurgeRecords(ctx, day.Add(24*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	n, err = s.PurgeRecords(ctx, week.Add(retainSpan))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

// TestPurgeDeadLetters: on the client's fake clock, dead letters stay
// until DeadLetterRetention has passed since they were made, then go,
// and the counters follow.
func TestPurgeDeadLetters(t *testing.T) {
	hub := newClientHub(t)
	hub.Reject = func(string) Reason { return ReasonPurposeUnknown }
	clk := newClientClock(true)
	cfg := clientConfig(t, hub.srv.URL, t.TempDir())
	cfg.Clock, cfg.NewTimer = clk.Now, clk.NewTimer
	cfg.DeadLetterRetention = 48 * time.Hour
	c := clientNew(t, cfg)
	require.NoError(t, c.SubmitMany(t.Context(), clientEnvs(t, 3)))
	clientFlushRefused(t, c, CauseRejected, 3)

	n, err := c.PurgeDeadLetters(t.Context())
	require.NoError(t, err)
	assert.Zero(t, n)
	clk.Advance(49 * time.Hour)
	var logged []string
	n, err = c.purgeDeadLetters(t.Context(), clk.Now().Add(-cfg.DeadLetterRetention), func(_ context.Context, ids []string) error {
		logged = append(logged, ids...)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.Len(t, logged, 3)
	assert.True(t, slices.IsSorted(logged))
	page, err := c.DeadLetters(t.Context(), DeadLetterQuery{})
	require.NoError(t, err)
	assert.Empty(t, page.DeadLetters)
	assert.Zero(t, c.ob.count().dead)
	st, err := c.CompactOutbox(t.Context())
	require.NoError(t, err)
	assert.Positive(t, st.After)
	require.NoError(t, c.SubmitMany(t.Context(), clientEnvs(t, 1)), "the outbox goes on after compaction")
}

// TestPurgerJournalAndCatalog: on the Purger's fake clock, journal
// entries past JournalRetention lose their payload and products past
// ProductRetention go; each is a purge leaf; the journal leaves logged
// before the purge are still the leaves of the purged entries, and their
// inclusion proofs still check.
func TestPurgerJournalAndCatalog(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	skey, vkey, err := translog.GenerateKey("hub.test/log")
	require.NoError(t, err)
	lg, err := translog.Open(translog.Config{Path: filepath.Join(dir, "log.db"), SignerKey: skey, VerifierKey: vkey})
	require.NoError(t, err)
	defer lg.Close()
	j, err := collab.OpenBoltJournal(filepath.Join(dir, "journal.db"))
	require.NoError(t, err)
	defer j.Close()
	cat, err := collab.OpenBoltCatalog(filepath.Join(dir, "catalog.db"))
	require.NoError(t, err)
	defer cat.Close()
	clock := &fakeClock{now: testNow}

	lj := collab.LoggedJournal(j, lg)
	for i, at := range []time.Time{testNow, testNow.Add(48 * time.Hour)} {
		_, err := lj.Append(ctx, collab.Entry{At: at, Kind: collab.EntryRecordsOutcome, Org: testBank, Counterpart: testHub,
			Interaction: collab.InteractionSubmission, Ref: fmt.Sprint(i), Data: json.RawMessage(`{"submitted":1,"accepted":1,"rejected":0,"duplicate":0}`)})
		require.NoError(t, err)
	}
	for i, at := range []time.Time{testNow, testNow.Add(48 * time.Hour)} {
		require.NoError(t, cat.Put(ctx, schema.Product{
			ID: fmt.Sprintf("01960000-0000-7000-8000-00000000000%d", i), ListType: schema.ListAbnormalFinancialActivity,
			Frequency: schema.FrequencyDaily, Producer: testHub, RequirementID: "01960000-0000-7000-8000-000000000100",
			Period: schema.Window{From: at.Add(-24 * time.Hour), To: at}, ProducedAt: at,
		}))
	}
	cp := lg.Checkpoint()
	proofs := map[int64]tlog.RecordProof{}
	for i := range cp.Size {
		proofs[i], err = lg.ProveInclusion(ctx, i, cp.Size)
		require.NoError(t, err)
	}

	p, err := NewPurger(PurgerConfig{Journal: j, JournalRetention: 24 * time.Hour, Catalog: cat, ProductRetention: 24 * time.Hour, Log: lg, Clock: clock.Now})
	require.NoError(t, err)
	clock.Add(25 * time.Hour)
	rep, err := p.Purge(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.JournalEntries)
	assert.Equal(t, 1, rep.Products)
	assert.Equal(t, 2, rep.Leaves)
	leaves := purgeLeaves(t, lg, cp.Size)
	require.Len(t, leaves, 2)
	assert.Equal(t, PurgeStoreJournal, leaves[0].Store)
	assert.Equal(t, translog.DigestIDs([]string{"1"}), leaves[0].IDsDigest)
	assert.Equal(t, PurgeStoreCatalog, leaves[1].Store)

	var entries []collab.Entry
	for e, err := range j.Entries(ctx, 0) {
		require.NoError(t, err)
		entries = append(entries, e)
	}
	require.Len(t, entries, 2)
	assert.True(t, entries[0].Purged())
	assert.False(t, entries[1].Purged())
	for i, e := range entries {
		leaf, err := translog.JournalLeafOf(e)
		require.NoError(t, err)
		raw, err := leaf.Encode()
		require.NoError(t, err)
		require.NoError(t, tlog.CheckRecord(proofs[int64(i)], cp.Size, cp.Hash, int64(i), tlog.RecordHash(raw)),
			"entry %d, purged or not, is the leaf the old proof covers", e.Seq)
	}
	_, err = cat.Get(ctx, "01960000-0000-7000-8000-000000000000")
	require.ErrorIs(t, err, collab.ErrNotFound)
	_, err = cat.Get(ctx, "01960000-0000-7000-8000-000000000001")
	require.NoError(t, err)
}

// TestHandlerPruneLogs: the Handler's own prune of the ledger is logged
// as purge leaves too, as OperatorSchedule.
func TestHandlerPruneLogs(t *testing.T) {
	f, lg, _, _ := logFixture(t)
	sendExpiring(t, f, 2, testNow.Add(time.Hour))
	size := lg.Checkpoint().Size
	f.clock.Add(2 * time.Hour)
	st, err := f.h.Prune(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 2, st.Records)
	leaves := purgeLeaves(t, lg, size)
	require.Len(t, leaves, 1)
	assert.Equal(t, PurgeStoreRecordIDs, leaves[0].Store)
	assert.Equal(t, OperatorSchedule, leaves[0].Operator)
	assert.Equal(t, 2, leaves[0].Count)
}

// TestPurgeAcrossTransactions: a purge of more records than one
// transaction deletes goes on after the last key it took, past the
// entries of the same week not yet due, and leaves every one of those.
func TestPurgeAcrossTransactions(t *testing.T) {
	ctx := t.Context()
	s, err := OpenStore(filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	defer s.Close()
	const n = 2*pruneBatch + 500
	envs := make([]schema.Envelope, n)
	for i := range envs {
		r := testNow.Add(-time.Second)
		if i%2 == 1 {
			r = testNow.Add(time.Hour)
		}
		envs[i] = bulkEnv(i, r)
	}
	require.NoError(t, s.Put(ctx, envs))
	got, err := s.PurgeRecords(ctx, testNow)
	require.NoError(t, err)
	assert.Equal(t, n/2, got)
	left, err := s.Count()
	require.NoError(t, err)
	assert.Equal(t, n/2, left)
	for i := 1; i < n; i += 2 {
		if _, err := s.GetFrom(ctx, testBank, envs[i].ID); err != nil {
			t.Fatalf("record %d, not due, is gone: %v", i, err)
		}
	}
}
