package schema

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFastDecodeCoversPayloads: every payload type has a plan, and every
// valid vector takes the fast path to the value encoding/json decodes.
func TestFastDecodeCoversPayloads(t *testing.T) {
	for key, typ := range payloadTypes {
		require.NotEqual(t, fastUnsupported, planFor(typ).kind, "%s v%d: %s", key.kind, key.version, typ)
		files, err := filepath.Glob(filepath.Join("testdata", key.kind, "v1", "valid", "*.json"))
		require.NoError(t, err)
		for _, f := range files {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			got := reflect.New(typ).Interface()
			require.True(t, fastDecode(data, got), f)
			want := reflect.New(typ).Interface()
			require.NoError(t, strictUnmarshalAlone(data, want), f)
			assert.Equal(t, want, got, f)
		}
	}
}

// TestFastDecodeDeclines: what the fast path leaves to encoding/json,
// with the value left zero; strictUnmarshal still ends as encoding/json
// does.
func TestFastDecodeDeclines(t *testing.T) {
	type inner struct {
		N int `json:"n"`
	}
	type rec struct {
		S  string     `json:"s"`
		N  int8       `json:"n,omitempty"`
		F  float64    `json:"f"`
		B  bool       `json:"b"`
		T  time.Time  `json:"t"`
		P  *inner     `json:"p"`
		L  []string   `json:"l"`
		TP *time.Time `json:"tp"`
	}
	ok := `{"s":"x","n":-5,"f":1.5e2,"b":true,"t":"2026-03-02T09:00:00Z","p":{"n":1},"l":["a","b"],"tp":"2026-03-02T09:00:00.5Z"}`
	var r rec
	require.True(t, fastDecode([]byte(ok), &r))
	var want rec
	require.NoError(t, strictUnmarshalAlone([]byte(ok), &want))
	assert.Equal(t, want, r)
	empty := `{"l":[]}`
	r = rec{}
	require.True(t, fastDecode([]byte(empty), &r))
	assert.NotNil(t, r.L, "[] is an empty slice, not nil")

	for _, c := range []struct{ name, in string }{
		{"escape", `{"s":"a\n"}`},
		{"escape in a key", `{"\u0073":"a"}`},
		{"null", `{"p":null}`},
		{"key in another case", `{"S":"a"}`},
		{"repeated key", `{"s":"a","s":"b"}`},
		{"unknown key", `{"x":1}`},
		{"fraction for an integer", `{"n":1.0}`},
		{"overflow", `{"n":300}`},
		{"leading zero", `{"n":01}`},
		{"string for a number", `{"n":"1"}`},
		{"bad time", `{"t":"2026-03-02"}`},
		{"invalid UTF-8", "{\"s\":\"\xff\"}"},
		{"trailing data", `{} {}`},
		{"truncated", `{"l":["a"`},
		{"not an object", `[]`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got rec
			assert.False(t, fastDecode([]byte(c.in), &got))
			assert.Equal(t, rec{}, got, "left zero")
			var want rec
			werr := strictUnmarshalAlone([]byte(c.in), &want)
			gerr := strictUnmarshal([]byte(c.in), &got)
			if werr != nil {
				require.Error(t, gerr)
				assert.Equal(t, werr.Error(), gerr.Error())
				return
			}
			require.NoError(t, gerr)
			assert.Equal(t, want, got)
		})
	}

	t.Run("not zero", func(t *testing.T) {
		r := rec{S: "kept"}
		assert.False(t, fastDecode([]byte(`{"n":1}`), &r), "encoding/json merges into a value that is not zero")
		assert.Equal(t, "kept", r.S)
	})
}

// TestFastDecodeLimits: past its nesting limit, for a struct of more than
// 64 fields and for a type that holds itself, the fast path declines and
// encoding/json decodes.
func TestFastDecodeLimits(t *testing.T) {
	// A type nested depth objects deep, and a document to fill it.
	nested := func(depth int) (reflect.Type, []byte) {
		typ := reflect.TypeFor[int]()
		for range depth {
			typ = reflect.StructOf([]reflect.StructField{{Name: "N", Type: typ, Tag: `json:"n"`}})
		}
		return typ, []byte(strings.Repeat(`{"n":`, depth) + `1` + strings.Repeat(`}`, depth))
	}
	typ, data := nested(fastDecodeMaxDepth)
	require.True(t, fastDecode(data, reflect.New(typ).Interface()), "at the limit")
	typ, data = nested(fastDecodeMaxDepth + 1)
	v := reflect.New(typ)
	require.False(t, fastDecode(data, v.Interface()), "past the limit")
	require.NoError(t, strictUnmarshal(data, v.Interface()), "encoding/json decodes it")

	fields := make([]reflect.StructField, 65)
	for i := range fields {
		fields[i] = reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: reflect.TypeFor[string](),
			Tag: reflect.StructTag(fmt.Sprintf(`json:"f%d"`, i))}
	}
	assert.Equal(t, fastUnsupported, planFor(reflect.StructOf(fields)).kind, "65 fields")
	assert.Equal(t, fastStruct, planFor(reflect.StructOf(fields[:64])).kind, "64 fields")

	type node struct {
		Next *node `json:"next"`
	}
	assert.Equal(t, fastUnsupported, planFor(reflect.TypeFor[node]()).kind, "a type that holds itself")
}

// FuzzFastDecode checks the fast path against encoding/json on every
// payload type: whatever it decodes, encoding/json decodes to the same
// value; whatever it declines, it leaves zero.
func FuzzFastDecode(f *testing.F) {
	seedVectors(f)
	f.Add([]byte(`{"reference":"a","reference":"b"}`))
	f.Add([]byte(`{"co_travellers":1e2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for key, typ := range payloadTypes {
			got := reflect.New(typ)
			if !fastDecode(data, got.Interface()) {
				if !got.Elem().IsZero() {
					t.Fatalf("%s: declined but left the value changed", key.kind)
				}
				continue
			}
			want := reflect.New(typ)
			if err := strictUnmarshalAlone(data, want.Interface()); err != nil {
				t.Fatalf("%s: decoded what encoding/json refuses (%v)", key.kind, err)
			}
			if !reflect.DeepEqual(want.Interface(), got.Interface()) {
				t.Fatalf("%s: decoded %+v, encoding/json %+v", key.kind, got.Elem(), want.Elem())
			}
		}
	})
}
