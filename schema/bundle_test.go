package schema_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
)

// bundleVector is one whole envelope with the Go validator's verdict, as
// the independent validators read it (schema/testdata/ajv/check.cjs).
type bundleVector struct {
	Name string `json:"name"`
	// Bundles are the files of schema/bundle that must give Valid.
	Bundles []string `json:"bundles"`
	Doc     string   `json:"doc"`
	Valid   bool     `json:"valid"`
	// CannotSay names the rule JSON Schema cannot express that the Go
	// validator refused the document by; such vectors are counted, not compared.
	CannotSay string `json:"cannot_say,omitempty"`
}

// cannotSay are the Go validator's keywords for rules no JSON Schema can
// state (docs/schemas.md lists them).
var cannotSay = map[string]string{
	"syntax":        "not JSON",
	"duplicate-key": "duplicate keys",
	"depth":         "nesting depth",
	"size":          "document size",
}

var handlingRe = regexp.MustCompile(`"handling"\s*:\s*"[A-Z+]*"`)

// bundleVectors gathers every conformance vector as a whole envelope:
// each kind's payload vectors wrapped under AMBER, GREEN and RED (the
// identity rule turns on the label), and the envelope vectors, as they
// are and under every label.
func bundleVectors(t *testing.T) []bundleVector {
	t.Helper()
	v, err := schema.NewValidator()
	require.NoError(t, err)
	var out []bundleVector
	add := func(name string, bundles []string, doc []byte) {
		bv := bundleVector{Name: name, Bundles: bundles, Doc: string(doc)}
		_, err := v.Validate(doc)
		bv.Valid = err == nil
		var ve *schema.ValidationError
		if errors.As(err, &ve) {
			why := ""
			for _, x := range ve.Violations {
				c, ok := cannotSay[x.Keyword]
				if x.Keyword == "format" && strings.Contains(x.Message, "sicollab-integer") {
					c, ok = "integers written with a fraction or exponent (1.0, 1e0)", true
				}
				if !ok {
					why = ""
					break
				}
				why = c
			}
			bv.CannotSay = why
		}
		out = append(out, bv)
	}
	for _, k := range schema.Kinds() {
		for _, version := range k.Versions {
			dir := filepath.Join("testdata", k.Kind, "v"+itoa(version))
			bundles := []string{k.Kind + ".schema.json", "envelope.schema.json"}
			for _, sub := range []string{"valid", "invalid"} {
				for _, name := range jsonFiles(t, filepath.Join(dir, sub)) {
					raw, err := os.ReadFile(name)
					require.NoError(t, err)
					if !json.Valid(raw) {
						continue // not a payload a JSON Schema can be given
					}
					for _, h := range []string{"AMBER", "GREEN", "RED"} {
						doc := wrap(t, k.Kind, version, raw)
						doc = bytes.Replace(doc, []byte(`"handling":"AMBER"`), []byte(`"handling":"`+h+`"`), 1)
						add(fmt.Sprintf("%s/%s/%s", filepath.ToSlash(name), h, k.Kind), bundles, doc)
					}
				}
			}
		}
	}
	for _, sub := range []string{"valid", "invalid"} {
		for _, name := range jsonFiles(t, filepath.Join("testdata", "envelope", "v1", sub)) {
			raw, err := os.ReadFile(name)
			require.NoError(t, err)
			add(filepath.ToSlash(name), []string{"envelope.schema.json"}, raw)
			// The same envelope under every label: the identity rule turns on it.
			if loc := handlingRe.FindIndex(raw); loc != nil {
				for _, h := range []string{"CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"} {
					doc := slices.Concat(raw[:loc[0]], []byte(`"handling": "`+h+`"`), raw[loc[1]:])
					add(filepath.ToSlash(name)+"/"+h, []string{"envelope.schema.json"}, doc)
				}
			}
		}
	}
	return out
}

// compileBundles compiles schema/bundle with jsonschema as published,
// none of the Validator's additions, and nothing loaded from outside.
func compileBundles(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("bundle", "*.schema.json"))
	require.NoError(t, err)
	require.Len(t, files, len(schema.Kinds())+1, "one bundle per kind and one for any kind: run go generate ./schema")
	out := map[string]*jsonschema.Schema{}
	for _, f := range files {
		c := jsonschema.NewCompiler()
		c.Draft = jsonschema.Draft2020
		c.AssertFormat = true
		c.LoadURL = func(s string) (_ io.ReadCloser, err error) {
			return nil, fmt.Errorf("bundle %s refers outside itself: %s", f, s)
		}
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		url := "file:///bundle/" + filepath.Base(f)
		require.NoError(t, c.AddResource(url, bytes.NewReader(b)))
		s, err := c.Compile(url)
		require.NoError(t, err, f)
		out[filepath.Base(f)] = s
	}
	return out
}

// TestBundlesAgree checks that the self-contained bundles, read by plain
// jsonschema, give the Go validator's verdict on every vector.
func TestBundlesAgree(t *testing.T) {
	bundles := compileBundles(t)
	vectors := bundleVectors(t)
	agreed, skipped := 0, 0
	for _, bv := range vectors {
		if bv.CannotSay != "" {
			skipped++
			continue
		}
		var doc any
		d := json.NewDecoder(strings.NewReader(bv.Doc))
		d.UseNumber()
		require.NoError(t, d.Decode(&doc), bv.Name)
		for _, b := range bv.Bundles {
			err := bundles[b].Validate(doc)
			if assert.Equal(t, bv.Valid, err == nil, "%s with %s: Go says valid=%v, the bundle says %v", bv.Name, b, bv.Valid, err) {
				agreed++
			}
		}
	}
	assert.Greater(t, agreed, 1000)
	t.Logf("bundles: %d verdicts agree with the Go validator over %d vectors; %d vectors refused by rules JSON Schema cannot say", agreed, len(vectors), skipped)
}

// TestBundlesWithAjv runs the vectors through ajv, an independent
// JSON Schema 2020-12 implementation, when SICOLLAB_AJV names a folder
// where `npm install ajv ajv-formats` was run (.ci/run does that).
func TestBundlesWithAjv(t *testing.T) {
	dir := os.Getenv("SICOLLAB_AJV")
	if dir == "" {
		t.Skip("SICOLLAB_AJV is not set: no ajv to compare with (.ci/run installs it)")
	}
	node, err := exec.LookPath("node")
	require.NoError(t, err, "SICOLLAB_AJV is set but node is not on PATH")
	vf := filepath.Join(t.TempDir(), "vectors.json")
	b, err := json.Marshal(bundleVectors(t))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(vf, b, 0o644))
	bundleDir, err := filepath.Abs("bundle")
	require.NoError(t, err)
	cmd := exec.Command(node, filepath.Join("testdata", "ajv", "check.cjs"), bundleDir, vf)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"))
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	require.NoError(t, err, "ajv disagrees with the Go validator")
	fmt.Print(string(out)) // the count belongs in CI's output
}
