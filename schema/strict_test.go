package schema

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStrictUnmarshalPooled decodes payloads of every kind, good and bad,
// one after another through the pooled decoders, and checks each outcome
// (value or error text) against a decoder of its own.
func TestStrictUnmarshalPooled(t *testing.T) {
	var inputs []struct {
		kind string
		data []byte
	}
	add := func(kind string, data []byte) {
		inputs = append(inputs, struct {
			kind string
			data []byte
		}{kind, data})
	}
	for _, k := range Kinds() {
		files, _ := filepath.Glob(filepath.Join("testdata", k.Kind, "v1", "*", "*.json"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			add(k.Kind, data)
		}
	}
	for _, odd := range []string{
		``, `   `, `{`, `{"reference":`, `{}`, `{} `, "{}\n\t", `{} {}`, `{}x`, `{}}`, `[]`, `123`, `"x"`, `null`,
		`{"no_such_field":1}`, `{"reference":5}`, `{"reference":"a"} {"reference":"b"}`,
	} {
		add(KindFinanceTransaction, []byte(odd))
	}
	require.Greater(t, len(inputs), 300)
	for round := range 3 { // decoders come back from the pool in the later rounds
		for i, in := range inputs {
			name := fmt.Sprintf("round %d, input %d (%s): %.60q", round, i, in.kind, in.data)
			want, err := NewPayload(in.kind, 1)
			require.NoError(t, err)
			got, _ := NewPayload(in.kind, 1)
			werr := strictUnmarshalAlone(in.data, want)
			gerr := strictUnmarshal(in.data, got)
			if werr != nil {
				require.Error(t, gerr, name)
				assert.Equal(t, werr.Error(), gerr.Error(), name)
				continue
			}
			require.NoError(t, gerr, name)
			assert.True(t, reflect.DeepEqual(want, got), name)
		}
	}
}

// BenchmarkStrictUnmarshal: a record into its Go type in one pass (see
// fastdecode.go), through the pooled decoders and through a decoder of
// its own.
//
//	go test ./schema -run '^$' -bench StrictUnmarshal -benchmem
func BenchmarkStrictUnmarshal(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join("testdata", KindTransportPassenger, "v1", "valid", "*.json"))
	data, err := os.ReadFile(files[0])
	require.NoError(b, err)
	for _, c := range []struct {
		name string
		fn   func([]byte, any) error
	}{{"fast", strictUnmarshal}, {"pooled", strictUnmarshalPooled}, {"alone", strictUnmarshalAlone}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v, _ := NewPayload(KindTransportPassenger, 1)
				if err := c.fn(data, v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
