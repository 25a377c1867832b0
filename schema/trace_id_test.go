package schema

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHopTraceID: a hop's optional trace_id is 32 lower-case hex digits,
// not all zero; the struct path and the bytes path agree on every case,
// and a valid one survives AppendJSON and Validate.
func TestHopTraceID(t *testing.T) {
	v, err := NewValidator()
	require.NoError(t, err)
	require.NotNil(t, v.reg.quick.envelope, "the envelope schema compiles to the fast path")
	payload, err := os.ReadFile(filepath.Join("testdata", KindFinanceTransaction, "v1", "valid", "card_payment_merchant.json"))
	require.NoError(t, err)
	tests := []struct {
		name, traceID string
		valid         bool
	}{
		{"absent", "", true},
		{"w3c example", "4bf92f3577b34da6a3ce929d0e0e4736", true},
		{"upper case", "4BF92F3577B34DA6A3CE929D0E0E4736", false},
		{"31 digits", "4bf92f3577b34da6a3ce929d0e0e473", false},
		{"33 digits", "4bf92f3577b34da6a3ce929d0e0e47361", false},
		{"not hex", "4bf92f3577b34da6a3ce929d0e0e473g", false},
		{"all zero", strings.Repeat("0", 32), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var env Envelope
			require.NoError(t, json.Unmarshal(wrapForFuzz(KindFinanceTransaction, payload), &env))
			env.Provenance = nil
			require.NoError(t, env.Stamp("bank-north-01", StageCollection, time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)))
			env.Provenance[0].TraceID = tt.traceID
			sameOutcome(t, v, env, tt.name)
			raw, err := env.AppendJSON(nil)
			require.NoError(t, err)
			_, quick := v.quickValidate(raw)
			assert.Equal(t, tt.valid, quick, "the fast path takes a valid trace_id and only a valid one")
			got, err := v.Validate(raw)
			if !tt.valid {
				var ve *ValidationError
				require.ErrorAs(t, err, &ve)
				assert.Equal(t, "/provenance/0/trace_id", ve.Violations[0].Pointer, "the violation names the field")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.traceID, got.Provenance[0].TraceID, "trace_id round-trips")
			assert.Equal(t, tt.traceID != "", strings.Contains(string(raw), `"trace_id"`), "omitted when empty")
		})
	}
}
