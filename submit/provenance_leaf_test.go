package submit

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sicollab/sicollab/schema"
)

// TestLeafFastPath: the leaf encoders write what encoding/json and
// schema.Canonical write, take the fast path for the common record, and
// fall back for anything else.
func TestLeafFastPath(t *testing.T) {
	f := newFixture(t, nil)
	base := f.envelope(testBank, schema.KindFinanceTransaction)
	require.NoError(t, base.Stamp(testBank, schema.StageCollection, testNow.Add(123456789)))
	require.True(t, fastHop && fastEnvelope, "the types have the fields the fast encoders know")
	_, ok := fastRecordHead(&base)
	require.True(t, ok, "the common record takes the fast path")
	cet := time.FixedZone("CET", 3600)
	for name, mut := range map[string]func(e *schema.Envelope){
		"as made":          func(*schema.Envelope) {},
		"task only":        func(e *schema.Envelope) { e.Purpose = schema.Purpose{TaskID: e.Purpose.RequirementID} },
		"both purposes":    func(e *schema.Envelope) { e.Purpose.TaskID = e.Purpose.RequirementID },
		"no purpose":       func(e *schema.Envelope) { e.Purpose = schema.Purpose{} },
		"supersedes":       func(e *schema.Envelope) { e.Supersedes = e.ID },
		"html in basis":    func(e *schema.Envelope) { e.LegalBasis = "a < b & c > d" },
		"unicode basis":    func(e *schema.Envelope) { e.LegalBasis = "Grundlage § 3 – ärztlich\u2028" },
		"quotes in basis":  func(e *schema.Envelope) { e.LegalBasis = `a "b" \ c` + "\t\x01" },
		"local time":       func(e *schema.Envelope) { e.CollectedAt = e.CollectedAt.In(cet) },
		"zero times":       func(e *schema.Envelope) { e.CollectedAt, e.RetainUntil = time.Time{}, time.Time{} },
		"hop in local":     func(e *schema.Envelope) { e.Provenance[0].At = e.Provenance[0].At.In(cet) },
		"hop odd stage":    func(e *schema.Envelope) { e.Provenance[0].Stage = "x<\"y\">é" },
		"hop with a trace": func(e *schema.Envelope) { e.Provenance[0].TraceID = "4bf92f3577b34da6a3ce929d0e0e4736" },
		"odd trace":        func(e *schema.Envelope) { e.Provenance[0].TraceID = "<é>" },
		"hop with a seal":  func(e *schema.Envelope) { e.Provenance[0].Seal = &schema.HopSeal{KeyID: "k"} },
		"version 1000":     func(e *schema.Envelope) { e.SchemaVersion = 1000 },
		"year 10000 (err)": func(e *schema.Envelope) { e.RetainUntil = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
	} {
		t.Run(name, func(t *testing.T) {
			e := base
			e.Provenance = []schema.Hop{base.Provenance[0]}
			mut(&e)
			want, werr := slowRecordHead(&e)
			got, gerr := recordHead(&e)
			if werr != nil {
				require.Error(t, gerr)
			} else {
				require.NoError(t, gerr)
				assert.Equal(t, string(want), string(got))
			}
			h := e.Provenance[0]
			h.Seal = nil
			raw, err := json.Marshal(h)
			require.NoError(t, err)
			wantHop, err := schema.Canonical(raw)
			require.NoError(t, err)
			gotHop, err := hopJSON(e.Provenance[0])
			require.NoError(t, err)
			assert.Equal(t, string(wantHop), string(gotHop))
			// chainLeaves hashes each leaf as tlog.RecordHash(HopLeaf).
			e.Provenance = append(e.Provenance, schema.Hop{Org: testHub, Stage: schema.StageProcessing, At: testNow, Digest: h.Digest})
			leaves, err := chainLeaves(&e)
			if werr != nil {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			var prev tlog.Hash
			for i := range e.Provenance {
				leaf, err := HopLeaf(&e, i, prev)
				require.NoError(t, err)
				prev = tlog.RecordHash(leaf)
				assert.Equal(t, prev, leaves[i], "hop %d", i)
			}
		})
	}
}
