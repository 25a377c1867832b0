package submit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

func TestSubmitAccepts(t *testing.T) {
	f := newFixture(t, nil)
	l1, id1 := f.validLine(testBank)
	resp := f.send(post{body: ndjson(l1)})
	rc := resp.receipt(t)
	require.Equal(t, Counts{Records: 1, Accepted: 1}, rc.Counts)
	require.Equal(t, id1, rc.Results[0].ID)
	require.Equal(t, testBank, rc.Org)
	require.Equal(t, testNow, rc.ReceivedAt)
	require.Equal(t, PathSubmissions+"/"+rc.SubmissionID, resp.header.Get("Location"))
	got, err := f.store.Get(t.Context(), id1)
	require.NoError(t, err)
	require.Equal(t, id1, got.ID)

	// GET returns the same bytes, for the sender only.
	again := f.send(post{method: http.MethodGet, path: PathSubmissions + "/" + rc.SubmissionID})
	require.Equal(t, http.StatusOK, again.status)
	require.Equal(t, resp.body, again.body)
	f.assertStoreClean()
}

func TestSubmitGzip(t *testing.T) {
	f := newFixture(t, nil)
	l1, _ := f.validLine(testBank)
	l2, _ := f.validLine(testBank)
	rc := f.send(post{body: gz(t, ndjson(l1, l2)), enc: "gzip"}).receipt(t)
	require.Equal(t, 2, rc.Counts.Accepted)
}

func TestMixedBatchLinesAndResults(t *testing.T) {
	f := newFixture(t, nil)
	good, goodID := f.validLine(testBank)
	forged := envLine(f, testBank2, schema.KindFinanceTransaction, nil)
	body := []byte(string(good) + "\r\n\n   \n" + "not json\n" + string(forged) + "\n" + string(good)) // no final line end
	rc := f.send(post{body: body}).receipt(t)
	require.Equal(t, Counts{Records: 4, Accepted: 1, Duplicate: 1, Rejected: 2}, rc.Counts)
	want := []struct {
		line   int
		status Status
		reason Reason
	}{{1, StatusAccepted, ""}, {4, StatusRejected, ReasonInvalid}, {5, StatusRejected, ReasonSourceMismatch}, {6, StatusDuplicate, ""}}
	require.Len(t, rc.Results, len(want))
	for i, w := range want {
		require.Equal(t, w.line, rc.Results[i].Line, "result %d", i)
		require.Equal(t, w.status, rc.Results[i].Status, "result %d", i)
		require.Equal(t, w.reason, rc.Results[i].Reason, "result %d", i)
	}
	require.Equal(t, goodID, rc.Results[3].ID)
	require.NotEmpty(t, rc.Results[2].ID, "the id of a record refused for its source is reported")
	n, err := f.store.Count()
	require.NoError(t, err)
	require.Equal(t, 4, n) // 3 purposes + 1
}

func TestReplayIsByteIdentical(t *testing.T) {
	f := newFixture(t, nil)
	l1, _ := f.validLine(testBank)
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
	}{{"accepted", ndjson(l1, []byte("bad")), 200}, {"nothing valid", ndjson([]byte("bad")), 422}} {
		t.Run(tc.name, func(t *testing.T) {
			key := newID(t)
			first := f.send(post{key: key, body: tc.body})
			require.Equal(t, tc.status, first.status, "%s", first.body)
			f.clock.Add(time.Hour)
			second := f.send(post{key: key, body: tc.body})
			require.Equal(t, tc.status, second.status)
			require.Equal(t, first.body, second.body)
			require.Equal(t, first.header.Get("Content-Type"), second.header.Get("Content-Type"))
		})
	}
	// The key is per organization: another org may use the same key.
	key := newID(t)
	l2, _ := f.validLine(testBank)
	l3, _ := f.validLine(testBank2)
	require.Equal(t, 200, f.send(post{key: key, body: ndjson(l2)}).status)
	require.Equal(t, 200, f.send(post{org: testBank2, key: key, body: ndjson(l3)}).status)
}

func TestDuplicatesAcrossSubmissions(t *testing.T) {
	f := newFixture(t, nil)
	l1, id1 := f.validLine(testBank)
	require.Equal(t, 1, f.send(post{body: ndjson(l1)}).receipt(t).Counts.Accepted)
	// Another key, the same record: a duplicate, a success.
	rc := f.send(post{body: ndjson(l1)}).receipt(t)
	require.Equal(t, Counts{Records: 1, Duplicate: 1}, rc.Counts)
	require.Equal(t, id1, rc.Results[0].ID)
	// Even once its purpose has lapsed: it was accepted when it was active.
	f.clock.Add(365 * 24 * time.Hour)
	rc = f.send(post{body: ndjson(l1)}).receipt(t)
	require.Equal(t, StatusDuplicate, rc.Results[0].Status)
}

func TestTaskPurpose(t *testing.T) {
	f := newFixture(t, nil)
	ok := envLine(f, testBank, schema.KindFinanceTransaction, func(e *schema.Envelope) { e.Purpose = schema.Purpose{TaskID: f.taskID} })
	wrongReq := envLine(f, testBank, schema.KindFinanceTransaction, func(e *schema.Envelope) {
		e.Purpose = schema.Purpose{TaskID: f.taskID, RequirementID: f.expiredID}
	})
	rc := f.send(post{body: ndjson(ok, wrongReq)}).receipt(t)
	require.Equal(t, StatusAccepted, rc.Results[0].Status)
	require.Equal(t, ReasonPurposeNotCovered, rc.Results[1].Reason)
	f.clock.Add(31 * 24 * time.Hour) // past the task's deadline
	late := envLine(f, testBank, schema.KindFinanceTransaction, func(e *schema.Envelope) { e.Purpose = schema.Purpose{TaskID: f.taskID} })
	pr := f.send(post{body: ndjson(late)}).problem(t)
	require.Equal(t, ReasonPurposeInactive, pr.Results[0].Reason)
}

func TestRateLimitRecovers(t *testing.T) {
	f := newFixture(t, func(_ *fixture, c *HandlerConfig) {
		c.Limits = Limits{MaxRecords: 4, Burst: 4, RecordsPerSecond: 2}
	})
	batch := func() []byte {
		var ls [][]byte
		for range 4 {
			l, _ := f.validLine(testBank)
			ls = append(ls, l)
		}
		return ndjson(ls...)
	}
	require.Equal(t, 200, f.send(post{body: batch()}).status)
	r := f.send(post{body: batch()})
	require.Equal(t, 429, r.status)
	require.Equal(t, "1", r.header.Get(HeaderRetryAfter)) // 1 token at 2/s
	// Other organizations have their own limiter.
	l, _ := f.validLine(testBank2)
	require.Equal(t, 200, f.send(post{org: testBank2, body: ndjson(l)}).status)
	f.clock.Add(2 * time.Second) // 4 tokens back
	require.Equal(t, 200, f.send(post{body: batch()}).status)
}

func TestRestartKeepsReceiptsAndIDs(t *testing.T) {
	f := newFixture(t, nil)
	l1, _ := f.validLine(testBank)
	key := newID(t)
	first := f.send(post{key: key, body: ndjson(l1)})
	require.Equal(t, 200, first.status)
	f.restart()
	// The replay gets the same bytes; the id is still known; purposes too.
	again := f.send(post{key: key, body: ndjson(l1)})
	require.Equal(t, first.body, again.body)
	require.Equal(t, StatusDuplicate, f.send(post{body: ndjson(l1)}).receipt(t).Results[0].Status)
	l2, _ := f.validLine(testBank)
	require.Equal(t, StatusAccepted, f.send(post{body: ndjson(l2)}).receipt(t).Results[0].Status)
	f.assertStoreClean()
}

// crashSink stores, then fails: as if the process died between the
// Sink's Put and the ledger commit.
type crashSink struct {
	inner Sink
	fail  bool
}

func (c *crashSink) Put(ctx context.Context, envs []schema.Envelope) error {
	if err := c.inner.Put(ctx, envs); err != nil {
		return err
	}
	if c.fail {
		return errors.New("crash")
	}
	return nil
}

func TestCrashBetweenSinkAndLedger(t *testing.T) {
	cs := &crashSink{}
	f := newFixture(t, func(f *fixture, c *HandlerConfig) { cs.inner = f.store; c.Sink = cs })
	l1, id1 := f.validLine(testBank)
	key := newID(t)
	cs.fail = true
	r := f.send(post{key: key, body: ndjson(l1)})
	require.Equal(t, 503, r.status)
	require.Equal(t, ProblemUnavailable, r.problem(t).Type)
	require.Equal(t, "1", r.header.Get(HeaderRetryAfter))
	_, _, seen, err := f.ledger.SeenBy(t.Context(), testBank, id1)
	require.NoError(t, err)
	require.False(t, seen)
	cs.fail = false
	rc := f.send(post{key: key, body: ndjson(l1)}).receipt(t)
	require.Equal(t, StatusAccepted, rc.Results[0].Status)
	n, err := f.store.Count()
	require.NoError(t, err)
	require.Equal(t, 4, n) // 3 purposes + the record, once
}

func TestSameKeyConcurrently(t *testing.T) {
	f := newFixture(t, func(_ *fixture, c *HandlerConfig) { c.MaxInFlight, c.MaxInFlightPerOrg = 8, 8 })
	l1, _ := f.validLine(testBank)
	key := newID(t)
	const n = 8
	bodies := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := f.request(post{key: key, body: ndjson(l1)})
			resp, err := f.srv.Client().Do(r)
			if err != nil {
				return
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			bodies[i] = b.Bytes()
		})
	}
	wg.Wait()
	for i := range n {
		require.Equal(t, bodies[0], bodies[i])
	}
	rs, err := f.ledger.Receipts(t.Context(), ReceiptQuery{Org: testBank})
	require.NoError(t, err)
	require.Len(t, rs.Receipts, 1)
	require.Empty(t, rs.Next)
}

func TestConcurrentOrgs(t *testing.T) {
	f := newFixture(t, nil)
	orgs := []string{testBank, testBank2, testBank, testBank2}
	const perOrg, batches = 20, 5
	var wg sync.WaitGroup
	errs := make(chan error, len(orgs)*batches)
	for _, org := range orgs {
		wg.Go(func() {
			for range batches {
				var ls [][]byte
				for range perOrg {
					l, _ := f.validLine(org)
					ls = append(ls, l)
				}
				r := f.request(post{org: org, body: ndjson(ls...)})
				resp, err := f.srv.Client().Do(r)
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("%s: status %d", org, resp.StatusCode)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	n, err := f.store.Count()
	require.NoError(t, err)
	require.Equal(t, 3+len(orgs)*batches*perOrg, n)
	f.assertStoreClean()
}

// memJournal is an in-memory collab.Journal.
type memJournal struct {
	mu      sync.Mutex
	entries []collab.Entry
}

func (j *memJournal) Append(_ context.Context, e collab.Entry) (uint64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	e.Seq = uint64(len(j.entries) + 1)
	j.entries = append(j.entries, e)
	return e.Seq, nil
}

func (j *memJournal) Entries(context.Context, uint64) iter.Seq2[collab.Entry, error] {
	return func(func(collab.Entry, error) bool) {}
}

func TestJournalGetsOutcomes(t *testing.T) {
	j := &memJournal{}
	f := newFixture(t, func(_ *fixture, c *HandlerConfig) { c.Journal = j })
	l1, _ := f.validLine(testBank)
	key := newID(t)
	rc := f.send(post{key: key, body: ndjson(l1, []byte("x"))}).receipt(t)
	f.send(post{key: key, body: ndjson(l1, []byte("x"))}) // a replay is not journalled
	require.Len(t, j.entries, 2)                          // the seed and this one
	// The seed, requirements and a task from the leading group, is
	// tasking going down (interaction 1), not a submission.
	seed := j.entries[0]
	require.Equal(t, collab.InteractionTask, seed.Interaction)
	require.Equal(t, testLeader, seed.Org)
	var seeded collab.RecordsOutcome
	require.NoError(t, json.Unmarshal(seed.Data, &seeded))
	require.Equal(t, collab.RecordsOutcome{Submitted: 3, Accepted: 3}, seeded)
	e := j.entries[1]
	require.Equal(t, collab.EntryRecordsOutcome, e.Kind)
	require.Equal(t, collab.InteractionSubmission, e.Interaction)
	require.Equal(t, testBank, e.Org)
	require.Equal(t, testHub, e.Counterpart)
	require.Equal(t, rc.SubmissionID, e.Ref)
	var out collab.RecordsOutcome
	require.NoError(t, json.Unmarshal(e.Data, &out))
	require.Equal(t, collab.RecordsOutcome{Submitted: 2, Accepted: 1, Rejected: 1}, out)
}

// TestJournalInteractionsByKind: a batch mixing kinds is journaled as
// one outcome per interaction: an expert request by secondment as 3,
// entry feedback as none.
func TestJournalInteractionsByKind(t *testing.T) {
	j := &memJournal{}
	f := newFixture(t, func(_ *fixture, c *HandlerConfig) { c.Journal = j })
	msg := func(kind, path string) []byte {
		env := schema.Envelope{
			ID: newID(t), Kind: kind, SchemaVersion: 1, Source: "public-security", CollectedAt: testNow.Add(-time.Hour),
			Purpose: schema.Purpose{RequirementID: f.reqID}, LegalBasis: "Synthetic Counter-Terrorism Act, art. 43",
			Handling: schema.HandlingAmber, RetainUntil: testNow.AddDate(1, 0, 0), Payload: readPayload(t, path),
		}
		f.valid[env.ID] = true
		return line(t, env)
	}
	rc := f.send(post{org: "public-security", body: ndjson(
		msg(schema.KindExpertRequest, "collab.expert_request/v1/valid/secondment_finance.json"),
		msg(schema.KindEntryFeedback, "collab.entry_feedback/v1/valid/confirmed_minimal.json"),
		msg(schema.KindEntryFeedback, "collab.entry_feedback/v1/valid/false_positive_with_note.json"),
	)}).receipt(t)
	require.Equal(t, 3, rc.Counts.Accepted, "%+v", rc.Results)
	require.Len(t, j.entries, 3) // the seed and two
	got := map[collab.Interaction]collab.RecordsOutcome{}
	for _, e := range j.entries[1:] {
		require.Equal(t, "public-security", e.Org)
		require.Equal(t, rc.SubmissionID, e.Ref)
		var o collab.RecordsOutcome
		require.NoError(t, json.Unmarshal(e.Data, &o))
		got[e.Interaction] = o
	}
	require.Equal(t, map[collab.Interaction]collab.RecordsOutcome{
		collab.InteractionNone:       {Submitted: 2, Accepted: 2},
		collab.InteractionSecondment: {Submitted: 1, Accepted: 1},
	}, got)
}

func TestLimitsEndpoint(t *testing.T) {
	f := newFixture(t, nil)
	r := f.send(post{method: http.MethodGet, path: PathLimits, noAuth: true})
	require.Equal(t, 200, r.status)
	var l Limits
	require.NoError(t, json.Unmarshal(r.body, &l))
	require.Equal(t, DefaultLimits(), l)
}

func TestHandlerConfigValidate(t *testing.T) {
	dir := testDirectory(t)
	v, err := schema.NewValidator(schema.WithMaxBytes(100))
	require.NoError(t, err)
	err = HandlerConfig{
		Org: "nobody", Directory: dir, Validator: v, MaxInFlight: -1, RetryAfter: -time.Second,
		Limits: Limits{MaxBodyBytes: 10, MaxDecompressedBytes: 5, MaxRecords: 10, Burst: 5, MaxDepth: 4, RecordsPerSecond: -1},
	}.Validate()
	require.Error(t, err)
	for _, want := range []string{
		`Org "nobody"`, "Sink is nil", "Ledger is nil", "MaxDecompressedBytes is 5", "MaxDepth is 4",
		"RecordsPerSecond is -1", "Burst is 5", "Validator.MaxBytes() is 100", "MaxInFlight is -1", "RetryAfter is -1s",
	} {
		require.Contains(t, err.Error(), want)
	}
	require.ErrorContains(t, HandlerConfig{}.Validate(), "Directory is nil")
	var none *Ledger
	require.ErrorContains(t, HandlerConfig{Ledger: none}.Validate(), "Ledger is nil")
	require.ErrorContains(t, HandlerConfig{Ledger: otherLedger{}}.Validate(), "Purposes is nil with a Ledger of type submit.otherLedger")
	_, err = NewHandler(HandlerConfig{})
	require.Error(t, err)
}

// otherLedger is a LedgerStore that is not a *Ledger, for Validate.
type otherLedger struct{ LedgerStore }

func TestEachLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want []string // "!" marks too long
	}{
		{"", 10, nil},
		{"\n", 10, []string{""}},
		{"a\nb", 10, []string{"a", "b"}},
		{"a\r\nb\n", 10, []string{"a", "b"}},
		{"0123456789\n", 10, []string{"0123456789"}},
		{"0123456789x\nok", 10, []string{"!", "ok"}},
		{strings.Repeat("x", 200000) + "\nok\n", 100, []string{"!", "ok"}},
		{strings.Repeat("x", 70000) + "\n", 80000, []string{strings.Repeat("x", 70000)}},
	} {
		var got []string
		err := eachLine(strings.NewReader(tc.in), tc.max, func(n int, line []byte, tooLong bool) error {
			require.Equal(t, len(got)+1, n)
			if tooLong {
				got = append(got, "!")
			} else {
				got = append(got, string(line))
			}
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, tc.want, got, "input %.20q", tc.in)
	}
}
