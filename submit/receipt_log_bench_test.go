package submit

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit/translog"
)

// BenchmarkHandlerLog posts batches of 500 valid records over loopback to
// two hubs in turn, one without a transparency log and one with, so both
// see the same load from the rest of the machine; it reports each one's
// records/s and the share the logged hub keeps ("kept_%").
func BenchmarkHandlerLog(b *testing.B) {
	unlimited := func(f *fixture, c *HandlerConfig) {
		oneFile(f, c) // the best hub either way: records, ids and receipt in one transaction
		c.Limits = Limits{RecordsPerSecond: 1e9, Burst: 1 << 30}
	}
	plain := newFixture(b, unlimited)
	logged := newFixture(b, func(f *fixture, c *HandlerConfig) {
		unlimited(f, c)
		withLog(b, f, c)
	})
	const batch = 500
	bodies := func(f *fixture) [][]byte {
		out := make([][]byte, b.N)
		for i := range out {
			var ls [][]byte
			for range batch {
				l, _ := f.validLine(testBank)
				ls = append(ls, l)
			}
			out[i] = ndjson(ls...)
		}
		return out
	}
	pb, lb := bodies(plain), bodies(logged)
	var tPlain, tLogged time.Duration
	var receiptBytes, logBytes int
	b.ResetTimer()
	sendPlain := func(i int) {
		s := time.Now()
		r := plain.send(post{body: pb[i]})
		tPlain += time.Since(s)
		require.Equal(b, 200, r.status)
	}
	sendLogged := func(i int) {
		s := time.Now()
		r := logged.send(post{body: lb[i]})
		tLogged += time.Since(s)
		require.Equal(b, 200, r.status)
		rc := r.receipt(b)
		lp, _ := json.Marshal(rc.Log)
		receiptBytes, logBytes = len(r.body), len(lp)
	}
	for i := range b.N { // in turn, first one then the other first, so neither gains from its place
		if i%2 == 0 {
			sendPlain(i)
			sendLogged(i)
		} else {
			sendLogged(i)
			sendPlain(i)
		}
	}
	records := float64(b.N * batch)
	b.ReportMetric(records/tPlain.Seconds(), "records/s_nolog")
	b.ReportMetric(records/tLogged.Seconds(), "records/s_log")
	b.ReportMetric(100*tPlain.Seconds()/tLogged.Seconds(), "kept_%")
	b.ReportMetric(float64(logBytes), "receipt_log_bytes")
	b.ReportMetric(float64(receiptBytes), "receipt_bytes")
}

// BenchmarkVerifyReceipt is the sender's cost of checking one receipt of
// 500 records: rebuilding the leaf from the receipt and the payload
// digests, the checkpoint's signature and the inclusion proof (the checkpoint is the verifier's last, so no
// consistency proof is fetched).
func BenchmarkVerifyReceipt(b *testing.B) {
	f, _, vkey, lc := logFixture(b)
	var ls [][]byte
	sent := map[string]string{}
	for range 500 {
		l, id := f.validLine(testBank)
		ls = append(ls, l)
		var env schema.Envelope
		require.NoError(b, json.Unmarshal(l, &env))
		d, err := schema.PayloadDigest(env.Payload)
		require.NoError(b, err)
		sent[id] = d
	}
	rc := f.send(post{body: ndjson(ls...)}).receipt(b)
	v, err := translog.NewVerifier(translog.VerifierConfig{VerifierKey: vkey, Prover: lc})
	require.NoError(b, err)
	require.NoError(b, VerifyReceipt(b.Context(), rc, v, sent))
	b.ResetTimer()
	for range b.N {
		if err := VerifyReceipt(b.Context(), rc, v, sent); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLogAppendVsStorePut compares, in turn within one run, the
// cost per batch of 500 records of the Store's Put and of the log's
// Append of that batch's leaf (digests, receipt digest and proof
// included), each with its own fsync.
func BenchmarkLogAppendVsStorePut(b *testing.B) {
	f, lg, _, _ := logFixture(b)
	type job struct {
		envs []schema.Envelope
		rc   Receipt
	}
	jobs := make([]job, b.N)
	for i := range jobs {
		rc := Receipt{SubmissionID: newID(b), IdempotencyKey: newID(b), Org: testBank, ReceivedAt: testNow.UTC(), BodyDigest: ContentDigest(nil)}
		for n := range 500 {
			env := f.envelope(testBank, schema.KindFinanceTransaction)
			jobs[i].envs = append(jobs[i].envs, env)
			rc.Results = append(rc.Results, RecordResult{Line: n + 1, ID: env.ID, Status: StatusAccepted})
			rc.Counts.add(StatusAccepted)
		}
		jobs[i].rc = rc
	}
	h := &Handler{cfg: HandlerConfig{Log: lg}}
	var tPut, tLog time.Duration
	b.ResetTimer()
	for i := range b.N {
		s := time.Now()
		require.NoError(b, f.store.Put(b.Context(), jobs[i].envs))
		tPut += time.Since(s)
		s = time.Now()
		bt := &inBatch{results: jobs[i].rc.Results, envs: make([]*schema.Envelope, 500), digests: make([]string, 500)}
		for n := range bt.envs {
			bt.envs[n] = &jobs[i].envs[n]
		}
		ds, err := payloadDigests(bt)
		require.NoError(b, err)
		require.NoError(b, h.logBatch(b.Context(), &jobs[i].rc, ds))
		tLog += time.Since(s)
	}
	b.ReportMetric(float64(tPut.Microseconds())/float64(b.N), "put_µs/batch")
	b.ReportMetric(float64(tLog.Microseconds())/float64(b.N), "log_µs/batch")
	b.ReportMetric(tLog.Seconds()/tPut.Seconds(), "log/put")
}

// withLog is a mutate of newFixture: the hub keeps a transparency log,
// in the ledger's file when the store is there too (oneFile), else in a
// file of its own.
func withLog(tb testing.TB, f *fixture, c *HandlerConfig) {
	skey, vkey, err := translog.GenerateKey("hub.bench/log")
	require.NoError(tb, err)
	cfg := translog.Config{Path: filepath.Join(f.data, "log.db"), SignerKey: skey, VerifierKey: vkey}
	var lg *translog.Log
	if f.oneFile {
		lg, err = f.ledger.OpenLog(cfg)
	} else {
		lg, err = translog.Open(cfg)
	}
	require.NoError(tb, err)
	tb.Cleanup(func() { lg.Close() })
	c.Log = lg
}
