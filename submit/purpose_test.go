package submit

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

func purposeEnv(t *testing.T, kind string, at time.Time, v any) schema.Envelope {
	e := schema.Envelope{ID: newID(t), Kind: kind, SchemaVersion: 1, Source: testLeader, CollectedAt: at}
	require.NoError(t, e.SetPayload(v))
	return e
}

func TestPurposeRegistry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	l, err := OpenLedger(path)
	require.NoError(t, err)
	clock := &fakeClock{now: testNow}
	p, err := NewPurposeRegistry(l, clock.Now)
	require.NoError(t, err)

	dir := testDirectory(t)
	bank, _ := dir.Org(testBank)
	bank2, _ := dir.Org(testBank2)
	payment, _ := dir.Org(testPayment)

	reqID, oldID, taskID, taskNoKinds := newID(t), newID(t), newID(t), newID(t)
	until := testNow.Add(48 * time.Hour)
	req := schema.Requirement{
		ID: reqID, Status: schema.RequirementActive, ValidUntil: &until, Supersedes: oldID,
		Scope: schema.Scope{Kinds: []string{schema.KindFinanceTransaction}, Sectors: []string{"finance"},
			Regions: []string{"CN-BJ", "CN-GD"}, Window: schema.Window{From: testNow.Add(-time.Hour), To: testNow.Add(72 * time.Hour)}},
	}
	old := req
	old.ID, old.Supersedes, old.ValidUntil = oldID, "", nil
	task := schema.Task{ID: taskID, RequirementID: reqID, Assignee: []string{"central-bank"},
		Kinds: []string{schema.KindFinanceTransaction}, Deadline: testNow.Add(24 * time.Hour)}
	analysis := task
	analysis.ID, analysis.Kinds = taskNoKinds, nil
	require.NoError(t, p.Learn(t.Context(), []schema.Envelope{
		purposeEnv(t, schema.KindRequirement, testNow, req),
		purposeEnv(t, schema.KindRequirement, testNow, old),
		purposeEnv(t, schema.KindTask, testNow, task),
		purposeEnv(t, schema.KindTask, testNow, analysis),
	}))

	rec := func(p schema.Purpose, kind string) schema.Envelope {
		return schema.Envelope{ID: newID(t), Kind: kind, Purpose: p, CollectedAt: clock.Now()}
	}
	fin := schema.KindFinanceTransaction
	for _, tc := range []struct {
		name   string
		env    schema.Envelope
		org    collab.Org
		later  time.Duration
		reason Reason
	}{
		{"requirement covers", rec(schema.Purpose{RequirementID: reqID}, fin), bank, 0, ""},
		{"other region covered", rec(schema.Purpose{RequirementID: reqID}, fin), bank2, 0, ""},
		{"region not covered", rec(schema.Purpose{RequirementID: reqID}, fin), payment, 0, ReasonPurposeNotCovered},
		{"kind not covered", rec(schema.Purpose{RequirementID: reqID}, schema.KindTransportFreight), bank, 0, ReasonPurposeNotCovered},
		{"collaboration messages are exempt", rec(schema.Purpose{RequirementID: newID(t)}, schema.KindFeedbackReport), bank, 0, ""},
		{"unknown requirement", rec(schema.Purpose{RequirementID: newID(t)}, fin), bank, 0, ReasonPurposeUnknown},
		{"superseded", rec(schema.Purpose{RequirementID: oldID}, fin), bank, 0, ReasonPurposeInactive},
		{"past valid_until", rec(schema.Purpose{RequirementID: reqID}, fin), bank, 49 * time.Hour, ReasonPurposeInactive},
		{"before the window", rec(schema.Purpose{RequirementID: reqID}, fin), bank, -2 * time.Hour, ReasonPurposeInactive},
		{"task, assignee is the supervisor", rec(schema.Purpose{TaskID: taskID}, fin), bank, 0, ""},
		{"task and its requirement", rec(schema.Purpose{TaskID: taskID, RequirementID: reqID}, fin), bank, 0, ""},
		{"task with another requirement", rec(schema.Purpose{TaskID: taskID, RequirementID: oldID}, fin), bank, 0, ReasonPurposeNotCovered},
		{"task not assigned", rec(schema.Purpose{TaskID: taskID}, fin), collab.Org{ID: "x", Region: "CN-BJ", Sectors: []collab.Sector{"finance"}}, 0, ReasonPurposeNotCovered},
		{"task without kinds", rec(schema.Purpose{TaskID: taskNoKinds}, fin), bank, 0, ReasonPurposeNotCovered},
		{"task past deadline", rec(schema.Purpose{TaskID: taskID}, fin), bank, 25 * time.Hour, ReasonPurposeInactive},
		{"unknown task", rec(schema.Purpose{TaskID: newID(t)}, fin), bank, 0, ReasonPurposeUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock.now = testNow.Add(tc.later)
			reason, ok := p.Check(tc.env, tc.org)
			require.Equal(t, tc.reason, reason)
			require.Equal(t, tc.reason == "", ok)
		})
	}
	clock.now = testNow

	// The newest message wins, whatever the order: an older "active"
	// arriving after "closed" changes nothing.
	closed := req
	closed.Status = schema.RequirementClosed
	require.NoError(t, p.Learn(t.Context(), []schema.Envelope{purposeEnv(t, schema.KindRequirement, testNow.Add(time.Minute), closed)}))
	require.NoError(t, p.Learn(t.Context(), []schema.Envelope{purposeEnv(t, schema.KindRequirement, testNow.Add(-time.Minute), req)}))
	reason, _ := p.Check(rec(schema.Purpose{RequirementID: reqID}, fin), bank)
	require.Equal(t, ReasonPurposeInactive, reason)
	// Closing the superseding requirement does not revive the one it
	// replaced.
	reason, _ = p.Check(rec(schema.Purpose{RequirementID: oldID}, fin), bank)
	require.Equal(t, ReasonPurposeInactive, reason)

	// Everything survives a reopen.
	require.NoError(t, l.Close())
	l, err = OpenLedger(path)
	require.NoError(t, err)
	defer l.Close()
	p, err = NewPurposeRegistry(l, clock.Now)
	require.NoError(t, err)
	reason, _ = p.Check(rec(schema.Purpose{RequirementID: reqID}, fin), bank)
	require.Equal(t, ReasonPurposeInactive, reason)
	reason, _ = p.Check(rec(schema.Purpose{TaskID: taskNoKinds}, fin), bank)
	require.Equal(t, ReasonPurposeNotCovered, reason)
}
