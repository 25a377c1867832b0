package submit

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/internal/boltdb"
)

// The outbox is one bbolt file with four buckets:
//
//	items    seq (8 bytes, big-endian) -> queued-at (8 bytes, unix ns) + record
//	inflight idempotency key (16 bytes) -> encoded batch (member seqs, ...)
//	dead     dead-letter id (8 bytes)   -> JSON DeadLetter
//	meta     counters and the format version
//
// Sequence numbers only grow, so the oldest records come first in key
// order and a batch is read by cursor. A batch's key and members are
// written in one transaction before its first send; its records are
// deleted (or moved to dead) with the batch once a receipt covers them:
// a batch the hub accepted whole is deleted in the next write
// transaction (a group commit, the next claim), with no fsync of its own,
// since the hub holds its receipt under the batch's key (see complete).
// Every write transaction also writes the counters, and the deletions
// waiting, so the counters never disagree with the items.
var (
	bucketItems    = []byte("items")
	bucketInflight = []byte("inflight")
	bucketDead     = []byte("dead")
	bucketMeta     = []byte("meta")

	metaVersion = []byte("version")
	metaCounts  = []byte("counts")
)

const (
	outboxFormat    = 1
	maxGroupReqs    = 1024   // Submit calls per group commit
	maxGroupRecords = 50_000 // records per group commit, beyond one SubmitMany
)

type outboxCounts struct {
	records  int64 // items in the outbox, in flight included
	bytes    int64 // their record bytes
	inflight int64 // items in batches
	dead     int64 // dead letters
}

type outbox struct {
	db                   *boltdb.DB // compacts in place (Client.CompactOutbox)
	maxRecords, maxBytes int64
	reqs                 chan *enqueueReq
	quit                 chan struct{}
	committerDone        chan struct{}
	onQueued             func()
	policy               gatherPolicy // read by the committer only
	commits              atomic.Uint64
	closeOnce            sync.Once

	wmu sync.Mutex // serializes write transactions and the update of the fields below

	mu       sync.Mutex // guards the fields below for readers
	n        outboxCounts
	seq      uint64 // last sequence number assigned
	deadSeq  uint64 // last dead-letter id assigned
	low      uint64 // lowest seq in items; 0 if empty
	claimed  uint64 // highest seq taken into a batch (or dead-lettered while claiming)
	nextAt   int64  // queued-at of the oldest item not in a batch; 0 if none
	space    chan struct{}
	progress chan struct{}

	resumed []*outBatch // batches in flight at open, oldest first; NewClient spreads them across the senders

	// Guarded by wmu: batches a receipt covered whose deletion waits for
	// the next write transaction (see complete), and their members.
	later []doneLater
	gone  map[uint64]struct{}

	waiters []*claimReq // guarded by mu: senders waiting for a full batch (see commit)

	testBeforeCommit func(requests int) // tests: called before each group commit
	testInWindow     func(requests int) // tests: called as a gather window starts and as each request joins it
}

func seqKey(seq uint64) []byte { return boltdb.SeqKey(seq) }

// openOutbox opens or creates the outbox file and recovers its state:
// counters, the batches in flight, and any record that a damaged batch
// entry left outside every batch.
// It starts the group committer, which commits what is waiting at once;
// onQueued is called after each commit that queued records.
func openOutbox(path string, maxRecords, maxBytes int64, onQueued func()) (*outbox, error) {
	return openOutboxWith(path, maxRecords, maxBytes, onQueued, gatherPolicy{})
}

// openOutboxWith is openOutbox with a committer that gathers by p.
func openOutboxWith(path string, maxRecords, maxBytes int64, onQueued func(), p gatherPolicy) (*outbox, error) {
	db, err := boltdb.OpenDB(path, boltdb.Options{NoFreelistSync: true}, ErrClientClosed)
	if err != nil {
		return nil, fmt.Errorf("submit: open outbox %s: %w", path, err)
	}
	o := &outbox{
		db: db, maxRecords: maxRecords, maxBytes: maxBytes,
		reqs:          make(chan *enqueueReq, maxGroupReqs),
		quit:          make(chan struct{}),
		committerDone: make(chan struct{}),
		onQueued:      onQueued,
		policy:        p,
		space:         make(chan struct{}),
		progress:      make(chan struct{}),
	}
	if err := db.Update(o.recover); err != nil {
		db.Close()
		return nil, fmt.Errorf("submit: open outbox %s: %w", path, err)
	}
	go o.runCommitter()
	return o, nil
}

func (o *outbox) recover(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketItems, bucketInflight, bucketDead, bucketMeta} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bucketMeta)
	switch v := meta.Get(metaVersion); {
	case v == nil:
		if err := meta.Put(metaVersion, []byte{outboxFormat}); err != nil {
			return err
		}
	case len(v) != 1 || v[0] != outboxFormat:
		return fmt.Errorf("outbox format %v is not %d: written by another version of the SDK", v, outboxFormat)
	}
	items, dead := tx.Bucket(bucketItems), tx.Bucket(bucketDead)
	if k, _ := items.Cursor().Last(); k != nil {
		o.seq = binary.BigEndian.Uint64(k)
	}
	if k, _ := items.Cursor().First(); k != nil {
		o.low = binary.BigEndian.Uint64(k)
	}
	if k, _ := dead.Cursor().Last(); k != nil {
		o.deadSeq = binary.BigEndian.Uint64(k)
	}
	damaged := true // counters missing or damaged: count them
	if c := meta.Get(metaCounts); len(c) == 40 {
		o.n.records = int64(binary.BigEndian.Uint64(c[0:]))
		o.n.bytes = int64(binary.BigEndian.Uint64(c[8:]))
		o.n.dead = int64(binary.BigEndian.Uint64(c[16:]))
		o.seq = max(o.seq, binary.BigEndian.Uint64(c[24:]))
		o.deadSeq = max(o.deadSeq, binary.BigEndian.Uint64(c[32:]))
		damaged = o.n.records < 0 || o.n.bytes < 0 || o.n.dead < 0 || (o.low == 0) != (o.n.records == 0)
	}

	// Batches in flight, oldest first (UUIDv7 keys sort by time).
	in := tx.Bucket(bucketInflight)
	members := map[uint64]bool{}
	var broken [][]byte
	in.ForEach(func(k, v []byte) error {
		b, err := decodeOutBatch(k, v)
		if err != nil {
			broken = append(broken, slices.Clone(k))
			return nil
		}
		for _, s := range b.seqs {
			members[s] = true
			o.claimed = max(o.claimed, s)
		}
		o.resumed = append(o.resumed, b)
		return nil
	})
	for _, k := range broken {
		damaged = true
		if err := in.Delete(k); err != nil {
			return err
		}
	}
	// Records at or below the claim line that no batch holds (a damaged
	// batch entry): send them again in a batch of their own. The hub
	// deduplicates by record id, so at worst they come back "duplicate".
	var orphans []uint64
	c := items.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		s := binary.BigEndian.Uint64(k)
		if s > o.claimed {
			break
		}
		if !members[s] {
			orphans = append(orphans, s)
		}
	}
	if len(orphans) > 0 {
		damaged = true
		b := &outBatch{key: newKey(), seqs: orphans, created: time.Now()}
		if err := in.Put(b.key[:], b.encode()); err != nil {
			return err
		}
		o.resumed = append(o.resumed, b)
	}
	for _, b := range o.resumed {
		for _, s := range b.seqs {
			if items.Get(seqKey(s)) != nil {
				o.n.inflight++
			} else {
				damaged = true // a member gone while its batch stayed: not done by this code
			}
		}
	}
	if damaged {
		// Something outside this code changed the file (or the counters
		// are lost): count once. The only full scan, and only then.
		o.n.records, o.n.bytes = 0, 0
		items.ForEach(func(_, v []byte) error {
			o.n.records++
			o.n.bytes += int64(len(v) - 8)
			return nil
		})
		o.n.dead = int64(dead.Stats().KeyN)
	}
	if k, v := items.Cursor().Seek(seqKey(o.claimed + 1)); k != nil && len(v) >= 8 {
		o.nextAt = int64(binary.BigEndian.Uint64(v))
	}
	return o.putCounts(tx, o.n, o.seq, o.deadSeq)
}

func (o *outbox) putCounts(tx *bolt.Tx, n outboxCounts, seq, deadSeq uint64) error {
	var c [40]byte
	binary.BigEndian.PutUint64(c[0:], uint64(n.records))
	binary.BigEndian.PutUint64(c[8:], uint64(n.bytes))
	binary.BigEndian.PutUint64(c[16:], uint64(n.dead))
	binary.BigEndian.PutUint64(c[24:], seq)
	binary.BigEndian.PutUint64(c[32:], deadSeq)
	return tx.Bucket(bucketMeta).Put(metaCounts, c[:])
}

func newKey() uuid.UUID {
	k, err := uuid.NewV7()
	if err != nil { // only if the system's randomness fails
		return uuid.New()
	}
	return k
}

// count returns the counters.
func (o *outbox) count() outboxCounts {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n
}

func (o *outbox) lastSeq() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.seq
}

// coveredUpTo reports whether every record up to seq has left the outbox.
func (o *outbox) coveredUpTo(seq uint64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.low == 0 || o.low > seq
}

// pending returns the records not yet in a batch and when the oldest of
// them was queued.
func (o *outbox) pending() (records int64, bytes int64, oldest time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	records = o.n.records - o.n.inflight
	if o.nextAt != 0 {
		oldest = time.Unix(0, o.nextAt)
	}
	return records, o.n.bytes, oldest
}

// spaceSignal returns a channel closed the next time records leave.
func (o *outbox) spaceSignal() <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.space
}

// progressSignal returns a channel closed the next time records leave.
func (o *outbox) progressSignal() <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.progress
}

// released wakes everyone waiting for records to leave (Flush, a
// blocked Submit). claim and complete leave it to their caller, so that
// the client's counters are up to date before anyone wakes.
func (o *outbox) released() {
	o.mu.Lock()
	defer o.mu.Unlock()
	close(o.space)
	o.space = make(chan struct{})
	close(o.progress)
	o.progress = make(chan struct{})
}

func (o *outbox) commit(group []*enqueueReq) {
	o.wmu.Lock()
	defer o.wmu.Unlock()
	o.mu.Lock()
	n, seq, wasPending := o.n, o.seq, o.n.records > o.n.inflight
	st := claimState{claimed: o.claimed, deadSeq: o.deadSeq}
	o.mu.Unlock()
	first, firstAt := uint64(0), int64(0)
	later := len(o.later) > 0
	var took []*claimReq // senders waiting that the records fill a batch for
	var low uint64
	claimedAt := time.Time{}
	err := o.db.Update(func(tx *bolt.Tx) error {
		if err := o.writeLater(tx); err != nil {
			return err
		}
		items := tx.Bucket(bucketItems)
		items.FillPercent = 1 // keys only grow: pack pages full
		for _, r := range group {
			var add int64
			for _, rec := range r.recs {
				add += int64(len(rec))
			}
			if n.records+int64(len(r.recs)) > o.maxRecords || n.bytes+add > o.maxBytes {
				r.err = fmt.Errorf("%w: %d records, %d bytes queued; bounds %d records, %d bytes; this call adds %d records, %d bytes",
					ErrOutboxFull, n.records, n.bytes, o.maxRecords, o.maxBytes, len(r.recs), add)
				continue
			}
			at := r.at.UnixNano()
			for _, rec := range r.recs {
				seq++
				if first == 0 {
					first, firstAt = seq, at
				}
				v := make([]byte, 8+len(rec))
				binary.BigEndian.PutUint64(v, uint64(at))
				copy(v[8:], rec)
				if err := items.Put(seqKey(seq), v); err != nil {
					return err
				}
			}
			n.records += int64(len(r.recs))
			n.bytes += add
		}
		if first == 0 && !later {
			return nil
		}
		// Claim, in this transaction, the batches these records fill
		// for senders waiting: no claim transaction of their own.
		if first != 0 {
			took = o.takeWaiters(n.records-n.inflight, n.bytes)
		}
		st.n = n
		claimedAt = time.Unix(0, group[0].at.UnixNano())
		for _, r := range took {
			var err error
			if r.b, r.dead, err = o.claimTx(tx, &st, r.lim, claimedAt, r.gz); err != nil {
				return err
			}
			if r.b != nil {
				st.n.inflight += int64(len(r.b.seqs))
			}
		}
		if st.dead {
			low = firstSeq(items)
		}
		return o.putCounts(tx, st.n, seq, st.deadSeq)
	})
	if err != nil {
		for _, r := range group {
			if r.err == nil {
				r.err = fmt.Errorf("submit: outbox: %w", err)
			}
		}
		for _, r := range took {
			r.b, r.dead, r.err = nil, nil, fmt.Errorf("submit: outbox: claim a batch: %w", err)
			close(r.done)
		}
		return
	}
	o.wroteLater()
	if first == 0 {
		return
	}
	o.commits.Add(1)
	o.mu.Lock()
	o.n, o.seq = st.n, seq
	if o.low == 0 {
		o.low = first
	}
	if !wasPending {
		o.nextAt = firstAt
	}
	if len(took) > 0 {
		o.claimed, o.nextAt, o.deadSeq = st.claimed, st.nextAt, st.deadSeq
		if st.dead {
			o.low = low
		}
	}
	o.mu.Unlock()
	for _, r := range took {
		close(r.done)
	}
	o.onQueued()
}

// firstSeq returns the lowest seq in items, 0 if empty.
func firstSeq(items *bolt.Bucket) uint64 {
	if k, _ := items.Cursor().First(); k != nil {
		return binary.BigEndian.Uint64(k)
	}
	return 0
}

// load reads the records of a batch that was in flight at open.
func (o *outbox) load(b *outBatch) (missing int, err error) {
	seqs := b.seqs
	b.seqs, b.offs, b.body = nil, nil, nil
	err = o.db.View(func(tx *bolt.Tx) error {
		items := tx.Bucket(bucketItems)
		for _, s := range seqs {
			v := items.Get(seqKey(s))
			if len(v) < 8 {
				missing++
				continue
			}
			b.add(s, v[8:])
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("submit: outbox: load batch %s: %w", b.key, err)
	}
	b.loaded = true
	return missing, nil
}

// complete removes a batch once a receipt (or a permanent failure)
// covers it: records with no dead letter are deleted, the others move to
// the dead letters, in one transaction with the batch entry.
// dead is indexed like b.seqs; nil entries were delivered. counted, if
// not nil, is called under the lock that publishes the new counters, so
// a Flush that sees the records gone sees what counted did too. The
// caller calls released once its counters are updated.
//
// A batch claimed by this process that the hub accepted whole (no dead
// letter) is counted out at once and deleted by the next write
// transaction, without a transaction and an fsync of its own: the hub
// holds its receipt under the batch's key, so if the process stops
// first, the next start resends it under that key and the hub answers
// with the receipt it stored.
func (o *outbox) complete(b *outBatch, dead []*DeadLetter, counted func()) error {
	o.wmu.Lock()
	defer o.wmu.Unlock()
	if b.fresh && !slices.ContainsFunc(dead, func(d *DeadLetter) bool { return d != nil }) {
		return o.completeLater(b, counted)
	}
	o.mu.Lock()
	n, deadSeq := o.n, o.deadSeq
	o.mu.Unlock()
	var low uint64
	err := o.db.Update(func(tx *bolt.Tx) error {
		if err := o.writeLater(tx); err != nil {
			return err
		}
		items, deadB := tx.Bucket(bucketItems), tx.Bucket(bucketDead)
		for i, s := range b.seqs {
			k := seqKey(s)
			v := items.Get(k)
			if v == nil {
				continue
			}
			if i < len(dead) && dead[i] != nil {
				deadSeq++
				if err := putDead(deadB, deadSeq, dead[i]); err != nil {
					return err
				}
				n.dead++
			}
			n.records--
			n.bytes -= int64(len(v) - 8)
			n.inflight--
			if err := items.Delete(k); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketInflight).Delete(b.key[:]); err != nil {
			return err
		}
		low = firstSeq(items)
		return o.putCounts(tx, n, o.seq, deadSeq)
	})
	if err != nil {
		return fmt.Errorf("submit: outbox: complete batch %s: %w", b.key, err)
	}
	o.wroteLater()
	o.mu.Lock()
	o.n, o.deadSeq, o.low = n, deadSeq, low
	if counted != nil {
		counted()
	}
	o.mu.Unlock()
	return nil
}

// split replaces b by two batches of its halves, with new keys, in one
// transaction: the halves are other bodies, and the hub refuses a key
// reused with another body.
func (o *outbox) split(b *outBatch, now time.Time) (*outBatch, *outBatch, error) {
	h := len(b.seqs) / 2
	x, y := b.slice(0, h, now), b.slice(h, len(b.seqs), now)
	o.wmu.Lock()
	defer o.wmu.Unlock()
	err := o.db.Update(func(tx *bolt.Tx) error {
		in := tx.Bucket(bucketInflight)
		if err := in.Delete(b.key[:]); err != nil {
			return err
		}
		if err := in.Put(x.key[:], x.encode()); err != nil {
			return err
		}
		return in.Put(y.key[:], y.encode())
	})
	if err != nil {
		return nil, nil, fmt.Errorf("submit: outbox: split batch %s: %w", b.key, err)
	}
	return x, y, nil
}

func putDead(b *bolt.Bucket, id uint64, dl *DeadLetter) error {
	dl.ID = id
	v, err := json.Marshal(dl)
	if err != nil {
		return err
	}
	return b.Put(seqKey(id), v)
}

// close stops the committer and closes the file. The caller has made
// sure no enqueue is waiting.
func (o *outbox) close() error {
	var err error
	o.closeOnce.Do(func() {
		close(o.quit)
		<-o.committerDone
		o.wmu.Lock()
		defer o.wmu.Unlock()
		if len(o.later) > 0 { // if this fails, the next start resends them under their keys
			o.mu.Lock()
			n := o.n
			o.mu.Unlock()
			if werr := o.db.Update(func(tx *bolt.Tx) error {
				if err := o.writeLater(tx); err != nil {
					return err
				}
				return o.putCounts(tx, n, o.seq, o.deadSeq)
			}); werr == nil {
				o.wroteLater()
			}
		}
		err = o.db.Close()
	})
	return err
}

var errBatchFormat = errors.New("submit: outbox: damaged batch entry")

// encode writes the batch entry: format, flags, formed-at, and the
// member seqs as deltas.
func (b *outBatch) encode() []byte {
	buf := make([]byte, 0, 2+2*binary.MaxVarintLen64+2*len(b.seqs))
	flags := byte(0)
	if b.gzip {
		flags |= 1
	}
	buf = append(buf, 1, flags)
	buf = binary.AppendVarint(buf, b.created.UnixNano())
	buf = binary.AppendUvarint(buf, uint64(len(b.seqs)))
	prev := uint64(0)
	for _, s := range b.seqs {
		buf = binary.AppendUvarint(buf, s-prev)
		prev = s
	}
	return buf
}

func decodeOutBatch(k, v []byte) (*outBatch, error) {
	if len(k) != 16 || len(v) < 2 || v[0] != 1 {
		return nil, errBatchFormat
	}
	b := &outBatch{gzip: v[1]&1 != 0}
	copy(b.key[:], k)
	r := bytes.NewReader(v[2:])
	created, err := binary.ReadVarint(r)
	if err != nil {
		return nil, errBatchFormat
	}
	b.created = time.Unix(0, created)
	n, err := binary.ReadUvarint(r)
	if err != nil || n == 0 || n > uint64(len(v)) {
		return nil, errBatchFormat
	}
	prev := uint64(0)
	for range n {
		d, err := binary.ReadUvarint(r)
		if err != nil || d == 0 {
			return nil, errBatchFormat
		}
		prev += d
		b.seqs = append(b.seqs, prev)
	}
	if r.Len() != 0 {
		return nil, errBatchFormat
	}
	return b, nil
}
