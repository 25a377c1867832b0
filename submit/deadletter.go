package submit

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/internal/boltdb"

	"github.com/sicollab/sicollab/schema"
)

// DeadCause says why a record left the outbox for the dead letters.
type DeadCause string

// Causes of dead letters. Only CauseRejected is the hub's judgment of the
// record itself; the others are about the batch it travelled in.
const (
	// CauseRejected: the hub rejected the record (in a receipt, or in a
	// 422 problem); Reason and Errors say why.
	CauseRejected DeadCause = "rejected"
	// CauseTooLarge: the record alone is over the hub's line or body
	// limit (found before sending, or by a 413 on a batch of one).
	CauseTooLarge DeadCause = "too_large"
	// CauseConflict: the hub answered 409, the batch's idempotency key was
	// used before with another body.
	CauseConflict DeadCause = "idempotency_conflict"
	// CauseBadRequest: the hub answered 400 (malformed, digest or key).
	CauseBadRequest DeadCause = "bad_request"
	// CauseUnsupportedMedia: the hub answered 415.
	CauseUnsupportedMedia DeadCause = "unsupported_media"
	// CauseGaveUp: RetryPolicy.MaxAttempts or MaxElapsed ran out; Detail
	// holds the last error.
	CauseGaveUp DeadCause = "gave_up"
	// CauseBadReceipt: the hub's receipt had no usable result for the
	// record, or named another idempotency key.
	CauseBadReceipt DeadCause = "bad_receipt"
)

// DeadLetter is a record that left the outbox without being delivered,
// kept with why. Records are never dropped silently: list them with
// DeadLetters, send them again with Resubmit, remove them with Discard.
type DeadLetter struct {
	// ID numbers dead letters in the order they were made.
	ID uint64 `json:"id"`
	// RecordID and Kind are read from the record.
	RecordID string `json:"record_id,omitempty"`
	Kind     string `json:"kind,omitempty"`
	// Record is the envelope as it was sent.
	Record json.RawMessage `json:"record"`
	// Cause says why the record left the outbox.
	Cause DeadCause `json:"cause"`
	// Reason and Errors are the hub's, for CauseRejected.
	Reason Reason             `json:"reason,omitempty"`
	Errors []schema.Violation `json:"errors,omitempty"`
	// Detail says what happened in words.
	Detail string `json:"detail,omitempty"`
	// Status is the HTTP status of the answer, if there was one.
	Status int `json:"status,omitempty"`
	// IdempotencyKey and SubmissionID name the request and its receipt.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	SubmissionID   string `json:"submission_id,omitempty"`
	// At is when the record was moved to the dead letters.
	At time.Time `json:"at"`

	seq uint64 // the record's outbox sequence, while the client that made it runs
}

func (dl *DeadLetter) fillFromRecord() {
	var head struct {
		ID   string `json:"id"`
		Kind string `json:"kind"`
	}
	if json.Unmarshal(dl.Record, &head) == nil {
		dl.RecordID, dl.Kind = head.ID, head.Kind
	}
}

// Default and largest page sizes of Client.DeadLetters.
const (
	DefaultDeadLetterLimit = 100
	MaxDeadLetterLimit     = 10_000
)

// DeadLetterQuery selects a page of dead letters.
type DeadLetterQuery struct {
	// Limit is the page size: DefaultDeadLetterLimit when 0; a negative
	// value or one above MaxDeadLetterLimit is an error.
	Limit int
	// Cursor continues a listing: DeadLetterPage.Next of the previous
	// page. Empty starts at the oldest.
	Cursor string
}

// DeadLetterPage is one page of dead letters, in the order they were made.
type DeadLetterPage struct {
	// DeadLetters are the page's, at most DeadLetterQuery.Limit.
	DeadLetters []DeadLetter
	// Next is the cursor of the following page; empty when the listing is
	// complete.
	Next string
}

// DeadLetters returns one page of the dead letters, oldest first. Memory
// is bounded by the page, not by the store. A cursor DeadLetters did not
// hand out yields an error wrapping ErrBadCursor.
func (c *Client) DeadLetters(ctx context.Context, q DeadLetterQuery) (DeadLetterPage, error) {
	var page DeadLetterPage
	if err := c.enter(); err != nil {
		return page, err
	}
	defer c.submits.Done()
	limit, err := boltdb.Limit("Limit", q.Limit, DefaultDeadLetterLimit, MaxDeadLetterLimit)
	if err != nil {
		return page, fmt.Errorf("submit: list dead letters: %w", err)
	}
	after := uint64(0)
	if q.Cursor != "" {
		k, err := boltdb.DecodeCursor(q.Cursor, ErrBadCursor)
		var ok bool
		if err == nil {
			if after, ok = boltdb.Seq(k); !ok {
				err = boltdb.BadCursor(ErrBadCursor, "not a dead-letter position")
			}
		}
		if err != nil {
			return page, fmt.Errorf("submit: list dead letters: %w", err)
		}
	}
	list := []DeadLetter(nil)
	err = c.ob.db.View(func(tx *bolt.Tx) error {
		cur := tx.Bucket(bucketDead).Cursor()
		for k, v := cur.Seek(seqKey(after + 1)); k != nil; k, v = cur.Next() {
			if len(list) == limit {
				page.Next = boltdb.EncodeCursor(seqKey(list[len(list)-1].ID))
				return nil
			}
			if len(list)%256 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			var dl DeadLetter
			if err := json.Unmarshal(v, &dl); err != nil {
				dl = DeadLetter{Detail: "damaged dead-letter entry: " + err.Error()}
			}
			dl.ID = binary.BigEndian.Uint64(k)
			list = append(list, dl)
		}
		return nil
	})
	if err != nil {
		return DeadLetterPage{}, fmt.Errorf("submit: list dead letters: %w", err)
	}
	page.DeadLetters = list
	return page, nil
}

// Resubmit moves the dead letters ids back to the outbox, all or nothing,
// to be sent again (after the hub's purpose or directory was corrected,
// say). Each record is validated again first; one that fails is reported
// with its id and the *schema.ValidationError, and nothing moves. It
// returns ErrNoDeadLetter for an unknown id, ErrOutboxFull if the outbox
// has no room for them, and ErrClientClosed after Close.
func (c *Client) Resubmit(ctx context.Context, ids ...uint64) error {
	if err := c.enter(); err != nil {
		return err
	}
	defer c.submits.Done()
	recs := make([][]byte, len(ids))
	err := c.ob.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDead)
		for i, id := range ids {
			v := b.Get(seqKey(id))
			if v == nil {
				return fmt.Errorf("%w: %d", ErrNoDeadLetter, id)
			}
			var dl DeadLetter
			if err := json.Unmarshal(v, &dl); err != nil {
				return fmt.Errorf("submit: dead letter %d is damaged: %w", id, err)
			}
			recs[i] = dl.Record
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, rec := range recs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, err := c.cfg.Validator.Validate(rec); err != nil {
			return fmt.Errorf("submit: dead letter %d: %w", ids[i], err)
		}
	}
	if err := c.ob.requeue(ids, recs, c.cfg.Clock()); err != nil {
		return err
	}
	c.signal()
	return nil
}

// Discard removes the dead letters ids for good, all or nothing. It
// returns ErrNoDeadLetter for an unknown id and ErrClientClosed after
// Close.
func (c *Client) Discard(ctx context.Context, ids ...uint64) error {
	if err := c.enter(); err != nil {
		return err
	}
	defer c.submits.Done()
	return c.ob.requeue(ids, nil, time.Time{})
}

// requeue deletes dead letters ids and, if recs is not nil, queues recs
// (recs[i] the record of ids[i]) as new items, in one transaction.
func (o *outbox) requeue(ids []uint64, recs [][]byte, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	ids = slices.Clone(ids)
	o.wmu.Lock()
	defer o.wmu.Unlock()
	o.mu.Lock()
	n, seq, wasPending := o.n, o.seq, o.n.records > o.n.inflight
	o.mu.Unlock()
	var add int64
	for _, r := range recs {
		add += int64(len(r))
	}
	if recs != nil && (n.records+int64(len(recs)) > o.maxRecords || n.bytes+add > o.maxBytes) {
		return fmt.Errorf("%w: %d records, %d bytes queued; resubmitting %d records, %d bytes", ErrOutboxFull, n.records, n.bytes, len(recs), add)
	}
	first := uint64(0)
	err := o.db.Update(func(tx *bolt.Tx) error {
		if err := o.writeLater(tx); err != nil { // with the counters, which no longer count them
			return err
		}
		dead, items := tx.Bucket(bucketDead), tx.Bucket(bucketItems)
		seen := map[uint64]bool{}
		for i, id := range ids {
			if seen[id] || dead.Get(seqKey(id)) == nil {
				return fmt.Errorf("%w: %d", ErrNoDeadLetter, id)
			}
			seen[id] = true
			if err := dead.Delete(seqKey(id)); err != nil {
				return err
			}
			n.dead--
			if recs == nil {
				continue
			}
			seq++
			if first == 0 {
				first = seq
			}
			v := make([]byte, 8+len(recs[i]))
			binary.BigEndian.PutUint64(v, uint64(at.UnixNano()))
			copy(v[8:], recs[i])
			if err := items.Put(seqKey(seq), v); err != nil {
				return err
			}
			n.records++
			n.bytes += int64(len(recs[i]))
		}
		return o.putCounts(tx, n, seq, o.deadSeq)
	})
	if err != nil {
		return err
	}
	o.wroteLater()
	o.mu.Lock()
	o.n, o.seq = n, seq
	if first != 0 {
		if o.low == 0 {
			o.low = first
		}
		if !wasPending {
			o.nextAt = at.UnixNano()
		}
	}
	o.mu.Unlock()
	return nil
}
