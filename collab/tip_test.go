package collab_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

func tipFrom(n int, cat schema.TipCategory, summary string) schema.PublicTip {
	return schema.PublicTip{
		Reporter: schema.Subject{Pseudonym: strings.Repeat(fmt.Sprintf("%02x", n), 32), IDType: schema.IDPhone, KeyID: "k1"},
		Category: cat, Summary: summary, Channel: schema.TipHotline, ReportedAt: day(time.March, 1),
		Location: &schema.Place{Country: "CN", Region: "CN-XJ"},
	}
}

func TestTipDesk(t *testing.T) {
	ctx := t.Context()
	now := day(time.March, 1)
	j := collab.NewMemJournal()
	desk, err := collab.NewTipDesk(collab.TipDeskConfig{Directory: loadScheme(t), Desk: "public-security", PerReporter: 3, Window: time.Hour,
		Journal: j, Now: func() time.Time { return now }})
	require.NoError(t, err)
	assert.Equal(t, "public-security", desk.Target())

	// Triage by category and words.
	for _, c := range []struct {
		cat     schema.TipCategory
		summary string
		want    schema.Priority
	}{
		{schema.TipSuspiciousObject, "A rucksack left by the ticket hall.", schema.PriorityHigh},
		{schema.TipSuspiciousBehaviour, "Two men filming the gates for hours.", schema.PriorityMedium},
		{schema.TipOther, "Loud arguments in the flat upstairs.", schema.PriorityLow},
		{schema.TipOther, "He said he has a GUN in the car.", schema.PriorityCritical},
	} {
		rc, err := desk.Take(ctx, tipFrom(0x10+len(c.summary), c.cat, c.summary))
		require.NoError(t, err)
		assert.Equal(t, c.want, rc.Priority, c.summary)
		assert.False(t, rc.Folded)
		assert.Equal(t, "public-security", rc.To)
	}

	// Duplicates fold, whatever the case and punctuation; three reporters
	// raise the priority one step.
	first, err := desk.Take(ctx, tipFrom(1, schema.TipSuspiciousBehaviour, "Man photographing the bridge supports."))
	require.NoError(t, err)
	again, err := desk.Take(ctx, tipFrom(1, schema.TipSuspiciousBehaviour, "man photographing the bridge supports"))
	require.NoError(t, err)
	assert.True(t, again.Folded)
	assert.Equal(t, first.TipID, again.TipID)
	assert.Equal(t, 2, again.Reports)
	assert.Equal(t, 1, again.Reporters, "the same reporter twice is no corroboration")
	_, err = desk.Take(ctx, tipFrom(2, schema.TipSuspiciousBehaviour, "Man, photographing the bridge supports!"))
	require.NoError(t, err)
	third, err := desk.Take(ctx, tipFrom(3, schema.TipSuspiciousBehaviour, "MAN PHOTOGRAPHING THE BRIDGE SUPPORTS"))
	require.NoError(t, err)
	assert.Equal(t, 3, third.Reporters)
	assert.Equal(t, schema.PriorityHigh, third.Priority, "medium raised by three reporters")
	other := tipFrom(4, schema.TipSuspiciousBehaviour, "Man photographing the bridge supports.")
	other.Location.Region = "CN-BJ"
	elsewhere, err := desk.Take(ctx, other)
	require.NoError(t, err)
	assert.False(t, elsewhere.Folded, "another place is another tip")

	// Per-reporter limit: reporter 1 has sent 2; a third passes, a fourth
	// is refused until the window moves on.
	_, err = desk.Take(ctx, tipFrom(1, schema.TipOther, "Something else entirely, a van parked."))
	require.NoError(t, err)
	_, err = desk.Take(ctx, tipFrom(1, schema.TipOther, "Yet another thing, a drone overhead."))
	var le *collab.TipLimitError
	require.ErrorAs(t, err, &le)
	assert.ErrorIs(t, err, collab.ErrTipLimit)
	assert.Equal(t, now.Add(time.Hour), le.RetryAt)
	now = now.Add(time.Hour + time.Second)
	rc, err := desk.Take(ctx, tipFrom(1, schema.TipSuspiciousBehaviour, "Man photographing the bridge supports."))
	require.NoError(t, err)
	assert.False(t, rc.Folded, "the open tip left the window")

	// Bad input names the field; a special category cannot be added.
	bad := tipFrom(9, schema.TipOther, "short")
	_, err = desk.Take(ctx, bad)
	assert.ErrorIs(t, err, collab.ErrBadTip)
	assert.ErrorContains(t, err, "/summary")
	bad = tipFrom(9, "rumour", "A long enough summary here.")
	_, err = desk.Take(ctx, bad)
	assert.ErrorContains(t, err, "/category")
	bad = tipFrom(9, schema.TipOther, "A long enough summary here.")
	bad.Reporter.Identity = &schema.Identity{Name: "A Person"}
	_, err = desk.Take(ctx, bad)
	assert.ErrorContains(t, err, "/reporter")
	bad = tipFrom(9, schema.TipOther, strings.Repeat("x", schema.MaxTipSummary+1))
	_, err = desk.Take(ctx, bad)
	assert.ErrorContains(t, err, "/summary")

	// The journal: new tips routed as submissions, folds recorded.
	kinds := map[string]int{}
	for e, err := range j.Entries(ctx, 0) {
		require.NoError(t, err)
		kinds[e.Kind]++
		if e.Kind == schema.KindPublicTip {
			assert.Equal(t, collab.InteractionSubmission, e.Interaction)
			assert.Equal(t, "public-security", e.Counterpart)
		}
	}
	assert.Equal(t, map[string]int{schema.KindPublicTip: 8, collab.EntryTipFolded: 3}, kinds)
}

func TestTipDeskConfig(t *testing.T) {
	err := collab.TipDeskConfig{PerReporter: -1, Window: time.Second, MaxOpen: -1}.Validate()
	for _, s := range []string{"Directory is nil", "PerReporter is -1", "Window is 1s", "MaxOpen is -1"} {
		assert.ErrorContains(t, err, s)
	}
	dir := loadScheme(t)
	assert.ErrorContains(t, collab.TipDeskConfig{Directory: dir, Desk: "nobody"}.Validate(), `Desk "nobody" is not in the directory`)
	// A scheme in which no one takes tips in.
	_, err = collab.NewTipDesk(collab.TipDeskConfig{Directory: targetScheme(t, true), Desk: "leading-group"})
	assert.ErrorIs(t, err, collab.ErrNoTipTarget)
}

// TestTipDeskBounded: the desk remembers at most MaxOpen tips; the oldest
// is forgotten first.
func TestTipDeskBounded(t *testing.T) {
	now := day(time.March, 1)
	desk, err := collab.NewTipDesk(collab.TipDeskConfig{Directory: loadScheme(t), Desk: "public-security", MaxOpen: 2,
		Now: func() time.Time { return now }})
	require.NoError(t, err)
	for i, s := range []string{"First thing seen at the port.", "Second thing seen at the port.", "Third thing seen at the port."} {
		_, err := desk.Take(t.Context(), tipFrom(0x20+i, schema.TipOther, s))
		require.NoError(t, err)
	}
	rc, err := desk.Take(t.Context(), tipFrom(0x30, schema.TipOther, "Third thing seen at the port."))
	require.NoError(t, err)
	assert.True(t, rc.Folded, "a recent tip is remembered")
	rc, err = desk.Take(t.Context(), tipFrom(0x31, schema.TipOther, "First thing seen at the port."))
	require.NoError(t, err)
	assert.False(t, rc.Folded, "the oldest was forgotten")
}
