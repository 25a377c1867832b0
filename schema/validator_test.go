package schema_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
)

// envelopeJSON is a valid envelope around an empty-bodied payload of an
// unknown kind; the decoder cases below only need its outer shape.
const envelopeHead = `{"id":"01936f4e-8b2a-7c3d-9e4f-0a1b2c3d4e5f","kind":"x.unknown","schema_version":1,` +
	`"source":"bank-north-01","collected_at":"2026-03-01T08:00:00Z","purpose":{"task_id":"01936f4e-0000-7000-8000-000000000001"},` +
	`"legal_basis":"synthetic","handling":"GREEN","retain_until":"2027-03-01T00:00:00Z","payload":`

func TestValidateRefusesBeforeSchema(t *testing.T) {
	v, err := schema.NewValidator(schema.WithMaxBytes(4096), schema.WithMaxDepth(16))
	require.NoError(t, err)
	cases := []struct {
		name    string
		in      string
		cause   error
		pointer string
		keyword string
	}{
		{"empty", ``, schema.ErrSyntax, "", "syntax"},
		{"not json", `hello`, schema.ErrSyntax, "", "syntax"},
		{"truncated", envelopeHead + `{"a":`, schema.ErrSyntax, "/payload/a", "syntax"},
		{"trailing data", envelopeHead + `{}} {}`, schema.ErrTrailingData, "", "syntax"},
		{"second document", `{} {}`, schema.ErrTrailingData, "", "syntax"},
		{"duplicate top key", `{"id":"a","id":"b"}`, schema.ErrDuplicateKey, "/id", "duplicate-key"},
		{"duplicate nested key", envelopeHead + `{"a":{"b":1,"b":2}}}`, schema.ErrDuplicateKey, "/payload/a/b", "duplicate-key"},
		{"duplicate after escape", `{"kind":"a","\u006bind":"b"}`, schema.ErrDuplicateKey, "/kind", "duplicate-key"},
		{"too deep", envelopeHead + strings.Repeat(`{"a":`, 20) + `1` + strings.Repeat(`}`, 21), schema.ErrTooDeep, "/payload/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a", "depth"},
		{"deep arrays", strings.Repeat(`[`, 3000), schema.ErrTooDeep, "/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0", "depth"},
		{"too large", `{"x":"` + strings.Repeat("a", 5000) + `"}`, schema.ErrTooLarge, "", "size"},
		{"invalid utf-8", `{"a":"` + "\xff\xfe" + `"}`, schema.ErrSyntax, "/a", "syntax"},
		{"lone surrogate", `{"a":"\ud800"}`, schema.ErrSyntax, "/a", "syntax"},
		{"bad escape", `{"a":"\q"}`, schema.ErrSyntax, "/a", "syntax"},
		{"control char", "{\"a\":\"\x01\"}", schema.ErrSyntax, "/a", "syntax"},
		{"leading zero", `{"a":01}`, schema.ErrSyntax, "/a", "syntax"},
		{"bare minus", `{"a":-}`, schema.ErrSyntax, "/a", "syntax"},
		{"exponent without digits", `{"a":1e}`, schema.ErrSyntax, "/a", "syntax"},
		{"single quotes", `{'a':1}`, schema.ErrSyntax, "", "syntax"},
		{"trailing comma", `{"a":1,}`, schema.ErrSyntax, "", "syntax"},
		{"array trailing comma", `{"a":[1,]}`, schema.ErrSyntax, "/a/1", "syntax"},
		{"not an object", `[1,2]`, schema.ErrInvalid, "", "type"},
		{"unknown kind", envelopeHead + `{}}`, schema.ErrUnknownKind, "/kind", "kind"},
		{"escaped key pointer", `{"a/b~c":{"x":1,"x":2}}`, schema.ErrDuplicateKey, "/a~1b~0c/x", "duplicate-key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Validate([]byte(tc.in))
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.cause)
			var ve *schema.ValidationError
			require.ErrorAs(t, err, &ve)
			require.NotEmpty(t, ve.Violations)
			assert.Equal(t, tc.pointer, ve.Violations[0].Pointer)
			assert.Equal(t, tc.keyword, ve.Violations[0].Keyword)
			assert.True(t, strings.HasPrefix(err.Error(), "schema: "), err.Error())
		})
	}
}

func TestValidatorOptions(t *testing.T) {
	_, err := schema.NewValidator(schema.WithMaxBytes(0))
	assert.ErrorContains(t, err, "max bytes")
	_, err = schema.NewValidator(schema.WithMaxDepth(3))
	assert.ErrorContains(t, err, "max depth")
	v, err := schema.NewValidator()
	require.NoError(t, err)
	assert.Equal(t, schema.DefaultMaxBytes, v.MaxBytes())
	assert.Equal(t, schema.DefaultMaxDepth, v.MaxDepth())
}

func TestValidateEnvelopeViolations(t *testing.T) {
	v, err := schema.NewValidator()
	require.NoError(t, err)
	// Every problem is listed, each at its own pointer, sorted.
	in := `{"id":"not-a-uuid","kind":"finance.transaction","schema_version":0,"source":"Bank North",` +
		`"collected_at":"2026-03-01T08:00:00+08:00","purpose":{},"legal_basis":"x","handling":"AMBER-STRICT",` +
		`"payload":{},"religion":"x"}`
	_, err = v.Validate([]byte(in))
	var ve *schema.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.ErrorIs(t, err, schema.ErrInvalid)
	var got []string
	for _, x := range ve.Violations {
		got = append(got, x.Pointer+" "+x.Keyword)
	}
	for _, want := range []string{
		"/id format", "/schema_version minimum", "/source pattern", "/collected_at pattern",
		"/purpose minProperties", "/handling enum", "/retain_until required", "/religion additionalProperties",
	} {
		assert.Contains(t, got, want)
	}
	assert.IsIncreasing(t, sortKeys(ve.Violations), "violations sorted by pointer")
}

func sortKeys(vs []schema.Violation) []string {
	out := make([]string, 0, len(vs))
	seen := map[string]bool{}
	for _, v := range vs {
		if !seen[v.Pointer] {
			out = append(out, v.Pointer)
			seen[v.Pointer] = true
		}
	}
	return out
}

func TestValidationErrorMessage(t *testing.T) {
	v, err := schema.NewValidator()
	require.NoError(t, err)
	_, err = v.Validate([]byte(`{"a":1,"a":2}`))
	require.Error(t, err)
	assert.Equal(t, `schema: duplicate object key at byte 7: /a: duplicate object key "a"`, err.Error())
	assert.False(t, errors.Is(err, schema.ErrInvalid))
}

func TestPayloadDigestIsCanonical(t *testing.T) {
	a, err := schema.PayloadDigest([]byte(`{"b":1,"a":"x"}`))
	require.NoError(t, err)
	b, err := schema.PayloadDigest([]byte("{ \"a\" : \"\\u0078\",\n\"b\":1.0 }"))
	require.NoError(t, err)
	assert.Equal(t, a, b, "digest must not depend on key order, spacing, escapes or number spelling")
	// sha-256 of the canonical form {"a":"x","b":1}, computed independently
	// with: printf '%s' '{"a":"x","b":1}' | sha256sum
	assert.Equal(t, "sha-256:"+"cdab067e9f3beb32d1252cfd63e492592fecbf591b0d08cadb24bb17f3864246", a)
	_, err = schema.PayloadDigest([]byte(`{`))
	assert.Error(t, err)
	assert.True(t, bytes.HasPrefix([]byte(a), []byte("sha-256:")))
}

// TestUTCTimeIsStrict: every time the schemas accept, time.Parse reads and
// re-encodes to the same text, so digests survive a decode and encode.
func TestUTCTimeIsStrict(t *testing.T) {
	v, err := schema.NewValidator()
	require.NoError(t, err)
	for _, tc := range []struct {
		at string
		ok bool
	}{
		{"2026-03-01T08:15:00Z", true},
		{"2026-03-01T08:15:00.5Z", true},
		{"2026-03-01T08:15:00.123456789Z", true},
		{"2026-03-01t08:15:00Z", false},
		{"2026-03-01T08:15:00z", false},
		{"2026-03-01T23:59:60Z", false},
		{"2026-03-01T08:15:00.500Z", false},
		{"2026-03-01T08:15:00.Z", false},
		{"2026-03-01T08:15:00+00:00", false},
		{"2026-03-01 08:15:00Z", false},
		{"2026-02-30T08:15:00Z", false},
	} {
		in := strings.Replace(envelopeHead, "2026-03-01T08:00:00Z", tc.at, 1) + `{}}`
		_, err := v.Validate([]byte(in))
		if tc.ok {
			assert.ErrorIs(t, err, schema.ErrUnknownKind, tc.at) // the time passed; the kind is unknown
			continue
		}
		var ve *schema.ValidationError
		if assert.ErrorAs(t, err, &ve, tc.at) {
			assert.Equal(t, "/collected_at", ve.Violations[0].Pointer, tc.at)
		}
	}
}

// TestIntegersAreDigits: JSON Schema counts 1.0 as an integer, but a Go
// int will not decode it, so the validator refuses it where the schema
// says integer.
func TestIntegersAreDigits(t *testing.T) {
	v, err := schema.NewValidator()
	require.NoError(t, err)
	for _, n := range []string{"1.0", "1e0", "10E-1"} {
		in := strings.Replace(envelopeHead, `"schema_version":1`, `"schema_version":`+n, 1) + `{}}`
		_, err := v.Validate([]byte(in))
		var ve *schema.ValidationError
		require.ErrorAs(t, err, &ve, n)
		assert.Equal(t, "/schema_version", ve.Violations[0].Pointer, n)
		assert.Equal(t, "must be an integer written as digits (3, not 3.0 or 3e0)", ve.Violations[0].Message, n)
	}
}
