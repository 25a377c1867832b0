package schema

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStampNeverAliases: two copies of one envelope, stamped by two
// holders, each get their own hop, and the original keeps its provenance,
// even when its slice has spare capacity that a plain append would write
// into.
func TestStampNeverAliases(t *testing.T) {
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	orig := Envelope{Payload: []byte(`{"a":1}`)}
	require.NoError(t, orig.Stamp("bank-north-01", StageCollection, at))
	orig.Provenance = append(make([]Hop, 0, 8), orig.Provenance...) // spare capacity

	a, b := orig, orig
	require.NoError(t, a.Stamp("central-bank", StageProcessing, at.Add(time.Hour)))
	require.NoError(t, b.Stamp("customs-admin", StageProcessing, at.Add(2*time.Hour)))

	require.Len(t, orig.Provenance, 1)
	assert.Equal(t, "bank-north-01", orig.Provenance[0].Org)
	assert.Equal(t, Hop{}, orig.Provenance[:2][1], "the original's spare capacity was written into")
	require.Len(t, a.Provenance, 2)
	require.Len(t, b.Provenance, 2)
	assert.Equal(t, "central-bank", a.Provenance[1].Org)
	assert.Equal(t, "customs-admin", b.Provenance[1].Org)
	assert.NotSame(t, &orig.Provenance[0], &a.Provenance[0])
	assert.NotSame(t, &a.Provenance[0], &b.Provenance[0])
}
