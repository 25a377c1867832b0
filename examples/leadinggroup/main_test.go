package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/examples/internal/sector/sectortest"
	"github.com/sicollab/sicollab/schema"
)

func TestLeadingGroup(t *testing.T) {
	out, s := sectortest.Run(t, run)

	assert.Contains(t, out, "refused: public-security's wider plan: collab: scope widened: kinds: services.lodging not among", out)
	assert.Contains(t, out, "widened dimensions: kinds, window.to")
	assert.Equal(t, 1, s["refused"])
	assert.Equal(t, 2, s["tasks"])
	assert.Equal(t, 7+s["plans"]+s["tasks"], s["sent"], "the requirement to each of the 7 hubs, each plan to its department, each task to its assignee, all accepted:\n%s", out)

	// The report as printed validates against the collab.feedback_report schema.
	i := strings.Index(out, "report:\n")
	require.GreaterOrEqual(t, i, 0, out)
	var raw json.RawMessage
	require.NoError(t, json.NewDecoder(strings.NewReader(out[i+len("report:\n"):])).Decode(&raw))
	v, err := schema.NewValidator()
	require.NoError(t, err)
	require.NoError(t, v.ValidatePayload(schema.KindFeedbackReport, 1, raw))
	var rep schema.FeedbackReport
	require.NoError(t, json.Unmarshal(raw, &rep))
	assert.Equal(t, "public-security", rep.Reporter)
	assert.Equal(t, schema.FeedbackMonthly, rep.Type)
	assert.Equal(t, 1, rep.Counts.TasksDone, "the task walked to done")
	assert.Zero(t, rep.Counts.TasksLate)
	assert.Equal(t, 1, s["done"])
}

func TestLeadingGroupFlags(t *testing.T) {
	assert.Equal(t, 2, run([]string{"-records", "1"}, &strings.Builder{}, &strings.Builder{}))
}
