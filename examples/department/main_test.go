package main

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/examples/internal/sector"
	"github.com/sicollab/sicollab/examples/internal/sector/sectortest"
	"github.com/sicollab/sicollab/examples/internal/synth"
	"github.com/sicollab/sicollab/schema"
)

const records = 60

func TestDepartmentLinksThePlantedSubject(t *testing.T) {
	out, s := sectortest.Run(t, run, "-records", strconv.Itoa(records), "-seed", "3")

	// The generator's truth, made again here: the same seed gives the same
	// people, whatever the purpose.
	_, truth, err := sector.Generate(records, 3, schema.Purpose{RequirementID: sector.NewID()}, nil, synth.PatternPrecursor)
	require.NoError(t, err)
	require.Len(t, truth, 1)
	buyer := truth[0].Subjects[0].Pseudonym
	assert.Contains(t, out, "linked: "+buyer, "the planted buyer is linked across sectors:\n%s", out)
	assert.Equal(t, 1, s["found"])
	assert.Equal(t, s["linked"], s["found"], "nobody else is linked")
	assert.Positive(t, s["catalog"], "the catalog answers for the linked subject")

	assert.Equal(t, 1, s["expert_assigned"], out)
	assert.Regexp(t, `expert: assigned, chemistry expert from miit`, out, "a secondment from the ministry of the domain")

	held := regexp.MustCompile(`collab\.escalation\s+(\d+)`).FindStringSubmatch(out)
	require.NotNil(t, held, out)
	n, _ := strconv.Atoi(held[1])
	assert.Equal(t, n, s["escalations"], "every escalation the hub holds is listed")
	assert.LessOrEqual(t, s["escalated"], s["escalations"])
	assert.GreaterOrEqual(t, s["escalations"], 0)
}

func TestDepartmentWithoutOffers(t *testing.T) {
	start := time.Now()
	out, s := sectortest.Run(t, run, "-records", "20", "-decline")
	assert.Zero(t, s["expert_assigned"])
	assert.Regexp(t, `expert: no_expert_available: \S+`, out, "the outcome says why")
	t.Logf("run in %s", time.Since(start))
}

func TestDepartmentFlags(t *testing.T) {
	assert.Equal(t, 2, run([]string{"-org", "miit"}, &nopWriter{}, &nopWriter{}))
}

type nopWriter struct{}

func (*nopWriter) Write(p []byte) (int, error) { return len(p), nil }
