package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sicollab/sicollab/schema"
)

func main() {
	out := flag.String("out", "", "folder to write the bundles into (required)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "genbundle: -out is required")
		os.Exit(2)
	}
	files, err := render(schema.FS(), schema.Kinds())
	if err == nil {
		err = write(*out, files)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genbundle:", err)
		os.Exit(1)
	}
}

// write replaces the .schema.json files of dir by files.
func write(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.schema.json"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if _, keep := files[filepath.Base(f)]; !keep {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// bundleBase is the $id prefix of the bundles.
const bundleBase = schema.BaseURI + "bundle/"

// identityHandlings are the labels under which a payload may hold a clear
// identity (schema.Handling.AllowsIdentity).
var identityHandlings = func() []string {
	var hs []string
	for _, h := range []schema.Handling{schema.HandlingClear, schema.HandlingGreen, schema.HandlingAmber, schema.HandlingAmberStrict, schema.HandlingRed} {
		if h.AllowsIdentity() {
			hs = append(hs, string(h))
		}
	}
	return hs
}()

// render returns the bundle files by name: <kind>.schema.json for each
// kind and envelope.schema.json for any kind.
func render(fsys fs.FS, kinds []schema.KindInfo) (map[string][]byte, error) {
	if len(kinds) == 0 {
		return nil, fmt.Errorf("no kinds: the embedded schemas did not compile")
	}
	read := func(path string) (json.RawMessage, error) {
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return buf.Bytes(), nil
	}
	shared := map[string]json.RawMessage{}
	for _, name := range []string{"common", "envelope"} {
		b, err := read(name + "/v1.schema.json")
		if err != nil {
			return nil, err
		}
		shared[name+"-v1"] = b
	}
	files := map[string][]byte{}
	all := bundle{
		Schema: "https://json-schema.org/draft/2020-12/schema", ID: bundleBase + "envelope.schema.json",
		Title:       "envelope of any kind (self-contained)",
		Description: "The whole envelope: the envelope schema, the payload's schema chosen by kind and schema_version, and the clear-identity rule. Generated from schema/jsonschema by genbundle; do not edit.",
		Defs:        map[string]json.RawMessage{},
	}
	var kindNames []any
	for _, k := range kinds {
		one := bundle{
			Schema: all.Schema, ID: bundleBase + k.Kind + ".schema.json",
			Title:       k.Kind + " envelope (self-contained)",
			Description: "An envelope of kind " + k.Kind + ": " + k.Description + " Generated from schema/jsonschema by genbundle; do not edit.",
			Defs:        map[string]json.RawMessage{},
		}
		versions := make([]any, len(k.Versions))
		var dispatch []any
		for i, v := range k.Versions {
			versions[i] = v
			b, err := read(fmt.Sprintf("%s/v%d.schema.json", k.Kind, v))
			if err != nil {
				return nil, err
			}
			def := fmt.Sprintf("%s-v%d", k.Kind, v)
			one.Defs[def], all.Defs[def] = b, b
			dispatch = append(dispatch, obj{
				"if":   obj{"properties": obj{"schema_version": obj{"const": v}}, "required": []string{"schema_version"}},
				"then": obj{"properties": obj{"payload": obj{"$ref": schema.SchemaURI(k.Kind, v)}}},
			})
		}
		kindNames = append(kindNames, k.Kind)
		one.Properties = obj{"kind": obj{"const": k.Kind}, "schema_version": obj{"enum": versions}}
		one.AllOf = append(dispatch, identityRule())
		all.AllOf = append(all.AllOf, obj{
			"if": obj{"properties": obj{"kind": obj{"const": k.Kind}}, "required": []string{"kind"}},
			"then": obj{
				"properties": obj{"schema_version": obj{"enum": versions}},
				"allOf":      dispatch,
			},
		})
		b, err := one.encode(shared)
		if err != nil {
			return nil, err
		}
		files[k.Kind+".schema.json"] = b
	}
	all.Properties = obj{"kind": obj{"enum": kindNames}}
	all.AllOf = append(all.AllOf, identityRule())
	b, err := all.encode(shared)
	if err != nil {
		return nil, err
	}
	files["envelope.schema.json"] = b
	return files, nil
}

type obj = map[string]any

// identityRule: under a handling that does not allow a clear identity, no
// object anywhere in the payload has an "identity" property.
func identityRule() obj {
	return obj{
		"if":   obj{"properties": obj{"handling": obj{"enum": identityHandlings}}, "required": []string{"handling"}},
		"else": obj{"properties": obj{"payload": obj{"$ref": "#/$defs/no_identity"}}},
	}
}

// noIdentity is the recursive schema identityRule refers to.
var noIdentity = obj{
	"description":          "No clear identity at any depth: a clear identity needs handling AMBER+STRICT or RED.",
	"not":                  obj{"type": "object", "required": []string{"identity"}},
	"additionalProperties": obj{"$ref": "#/$defs/no_identity"},
	"items":                obj{"$ref": "#/$defs/no_identity"},
}

type bundle struct {
	Schema      string                     `json:"$schema"`
	ID          string                     `json:"$id"`
	Title       string                     `json:"title"`
	Description string                     `json:"description"`
	Ref         string                     `json:"$ref"`
	Properties  obj                        `json:"properties"`
	AllOf       []any                      `json:"allOf"`
	Defs        map[string]json.RawMessage `json:"$defs"`
}

// encode adds the shared resources and the identity rule's definition and
// writes b indented; encoding/json sorts map keys, so the output is stable.
func (b bundle) encode(shared map[string]json.RawMessage) ([]byte, error) {
	b.Ref = schema.BaseURI + "envelope/v1.schema.json"
	for k, v := range shared {
		b.Defs[k] = v
	}
	ni, err := json.Marshal(noIdentity)
	if err != nil {
		return nil, err
	}
	b.Defs["no_identity"] = ni
	raw, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}
