package submit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sicollab/sicollab/submit/translog"
)

// ErrReceiptLog: a receipt has no log part, or the leaf cannot be rebuilt
// from it (a payload digest is missing). Returned wrapped by
// VerifyReceipt and ReceiptLeaf.
var ErrReceiptLog = errors.New("submit: receipt does not match its log leaf")

// ReceiptDigest returns the digest a batch leaf holds of rc: sha-256 over
// the RFC 8785 canonical JSON of rc without its Log part.
func ReceiptDigest(rc Receipt) (string, error) {
	rc.Log = nil
	raw, err := json.Marshal(rc)
	if err != nil {
		return "", fmt.Errorf("submit: encode receipt %s: %w", rc.SubmissionID, err)
	}
	c, err := translog.Canonical(raw)
	if err != nil {
		return "", fmt.Errorf("submit: canonicalize receipt %s: %w", rc.SubmissionID, err)
	}
	return translog.Digest(c), nil
}

// payloadDigests returns, by record id, the payload digest of every
// record of b accepted so far (schema.PayloadDigest's value): the one the
// record checks computed, else through translog.Canonical, in parallel.
func payloadDigests(b *inBatch) (map[string]string, error) {
	out := make([]string, len(b.results))
	errs := make([]error, len(b.results))
	parallel(len(b.results), func(i int) {
		if e := b.envs[i]; e != nil && b.results[i].Status == StatusAccepted {
			if i < len(b.digests) && b.digests[i] != "" { // computed by the record checks
				out[i] = b.digests[i]
				return
			}
			c, err := translog.Canonical(e.Payload)
			if err != nil {
				errs[i] = fmt.Errorf("submit: canonicalize payload of %s: %w", e.ID, err)
				return
			}
			out[i] = translog.Digest(c)
		}
	})
	m := make(map[string]string, len(out))
	for i, d := range out {
		if d != "" {
			m[b.results[i].ID] = d
		}
	}
	return m, errors.Join(errs...)
}

// batchLeaf returns the leaf of receipt rc; digest(i) is the payload
// digest of the record of rc.Results[i], an accepted one.
func batchLeaf(rc Receipt, digest func(i int) (string, bool)) (translog.Leaf, error) {
	leaf := translog.Leaf{V: translog.LeafVersion, Type: translog.LeafBatch, At: rc.ReceivedAt.UTC(), Batch: &translog.BatchLeaf{
		Submitter: rc.Org, IdempotencyKey: rc.IdempotencyKey, SubmissionID: rc.SubmissionID, Records: []translog.RecordDigest{},
	}}
	for i, res := range rc.Results {
		if res.Status == StatusAccepted {
			d, ok := digest(i)
			if !ok {
				return leaf, fmt.Errorf("%w: receipt %s: no payload digest for record %s (line %d)", ErrReceiptLog, rc.SubmissionID, res.ID, res.Line)
			}
			leaf.Batch.Records = append(leaf.Batch.Records, translog.RecordDigest{ID: res.ID, Digest: d})
		}
	}
	d, err := ReceiptDigest(rc)
	if err != nil {
		return leaf, err
	}
	leaf.Batch.ReceiptDigest = d
	return leaf, nil
}

// ReceiptLeaf rebuilds, from receipt rc and the payload digest of each
// record the sender sent (record id -> schema.PayloadDigest), the encoded
// leaf the hub logged for it: the bytes whose inclusion rc.Log proves.
func ReceiptLeaf(rc Receipt, digests map[string]string) ([]byte, error) {
	leaf, err := batchLeaf(rc, func(i int) (string, bool) { d, ok := digests[rc.Results[i].ID]; return d, ok })
	if err != nil {
		return nil, err
	}
	return leaf.Encode()
}

// preLog is what startLog did ahead of the ledger's commit: the payload
// digests, and, if the batch had anything to answer 200 for, the leaf of
// the receipt as it stood then (counts) and its proof.
type preLog struct {
	digests map[string]string // accepted record id -> payload digest
	counts  Counts
	proof   *translog.InclusionProof
}

// startLog, when the hub keeps a log, digests b's accepted payloads and
// appends the leaf of the receipt b would get, on a goroutine of its own,
// so that the log's fsync overlaps the Sink's; the function it returns
// waits for that. b must not change until the wait returned. The leaf is
// durable before the ledger commits the receipt (attachLog); if the
// request fails in between, the leaf stays, naming a receipt never given
// (docs/decisions.md).
func (h *Handler) startLog(ctx context.Context, b *inBatch, org, key, bodyDigest, sub string, now time.Time) func() (*preLog, error) {
	if h.cfg.Log == nil || h.logInLedger() { // a log in the ledger's file is appended in the commit (inLedgerLog)
		return func() (*preLog, error) { return nil, nil }
	}
	var pre preLog
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		if pre.digests, err = payloadDigests(b); err != nil {
			return
		}
		// The receipt as finish will make it, unless the commit finds an
		// accepted record accepted meanwhile (then attachLog logs again).
		rc := Receipt{SubmissionID: sub, IdempotencyKey: key, Org: org, ReceivedAt: now.UTC(), BodyDigest: bodyDigest}
		for _, res := range b.results {
			rc.Counts.add(res.Status)
		}
		rc.Results, rc.Refused = h.summarize(slices.Clone(b.results))
		pre.counts = rc.Counts
		if rc.Counts.Accepted+rc.Counts.Duplicate == 0 {
			return // a 422: nothing to log
		}
		if err = h.logBatch(ctx, &rc, pre.digests); err == nil {
			pre.proof = rc.Log
		}
	}()
	return func() (*preLog, error) {
		<-done
		return &pre, err
	}
}

// attachLog sets rc.Log, inside the ledger's commit: the proof startLog
// got if rc is the receipt it logged (the same counts: the only change the
// commit makes is an accepted record turned duplicate), else a new leaf,
// appended now.
func (h *Handler) attachLog(ctx context.Context, rc *Receipt, pre *preLog) error {
	if pre == nil {
		return nil
	}
	if pre.proof != nil && pre.counts == rc.Counts {
		rc.Log = pre.proof
		return nil
	}
	return h.logBatch(ctx, rc, pre.digests)
}

// logBatch appends rc's leaf to the log and sets rc.Log. digests are
// payloadDigests of the batch rc's results come from, by record id.
func (h *Handler) logBatch(ctx context.Context, rc *Receipt, digests map[string]string) error {
	leaf, err := batchLeaf(*rc, func(i int) (string, bool) { d, ok := digests[rc.Results[i].ID]; return d, ok })
	if err != nil {
		return err
	}
	a, err := h.cfg.Log.Append(ctx, leaf)
	if err != nil {
		return err
	}
	p, err := h.cfg.Log.ProveInclusion(ctx, a.First, a.Checkpoint.Size)
	if err != nil {
		return err
	}
	rc.Log = &translog.InclusionProof{Index: a.First, Size: a.Checkpoint.Size, Proof: p, Checkpoint: string(a.Checkpoint.Note)}
	return nil
}

// VerifyReceipt checks that the hub logged receipt rc as it should: the
// leaf rebuilt from rc and the sender's payload digests (ReceiptLeaf;
// every accepted record's must be there, else ErrReceiptLog) is the one
// rc.Log proves included, and v accepts the proof and its checkpoint
// (translog.ErrBadProof, translog.ErrUnknownKey, a *translog.ForkError,
// ...). A receipt edited after the hub signed for it fails the proof, as
// does one whose records or digests are not those the hub logged.
func VerifyReceipt(ctx context.Context, rc Receipt, v *translog.Verifier, digests map[string]string) error {
	if rc.Log == nil {
		return fmt.Errorf("%w: receipt %s has no log part (does the hub keep a log?)", ErrReceiptLog, rc.SubmissionID)
	}
	leaf, err := ReceiptLeaf(rc, digests)
	if err != nil {
		return err
	}
	if _, err := v.VerifyInclusion(ctx, leaf, *rc.Log); err != nil {
		return fmt.Errorf("submit: receipt %s: %w", rc.SubmissionID, err)
	}
	return nil
}
