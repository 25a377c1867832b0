package compile

import (
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// "At least one of these properties" is written in the schema files as
// an anyOf whose branches only list required properties. jsonschema v5
// validates every branch of an anyOf as a full schema node over the same
// object: a map of the object's properties, closures and a scope entry
// per branch, and an error tree for each branch that fails, even when
// another branch matches. On records with such an object this was about
// a fifth of all the allocations of a validation. The compiled form
// replaces such an anyOf with anyRequiredKeyword, an extension that
// checks the same thing with map lookups and builds the same error tree
// (anyOf, then one "required" cause per branch) only when it fails.
// FuzzValidate compares the compiled form with the files as written.

// anyRequiredKeyword is the extension keyword of the compiled form.
const anyRequiredKeyword = "sicollabAnyRequired"

// anyRequiredMeta checks the keyword's value when a schema is compiled.
var anyRequiredMeta = jsonschema.MustCompileString("sicollab-any-required.meta.json", `{
	"properties": {
		"`+anyRequiredKeyword+`": {
			"type": "array", "minItems": 1,
			"items": {"type": "array", "minItems": 1, "items": {"type": "string"}}
		}
	}
}`)

// anyRequiredSets returns the property sets of an anyOf whose every
// branch holds nothing but "required" (and annotations), or false.
func anyRequiredSets(anyOf any) ([]any, bool) {
	branches, ok := anyOf.([]any)
	if !ok || len(branches) == 0 {
		return nil, false
	}
	sets := make([]any, 0, len(branches))
	for _, b := range branches {
		m, ok := b.(map[string]any)
		if !ok {
			return nil, false
		}
		req, _ := m["required"].([]any)
		if len(req) == 0 || !stringList(req) {
			return nil, false
		}
		for k := range m {
			if k != "required" && !refAnnotations[k] {
				return nil, false
			}
		}
		sets = append(sets, req)
	}
	return sets, true
}

type anyRequiredCompiler struct{}

// Compile implements jsonschema.ExtCompiler.
func (anyRequiredCompiler) Compile(_ jsonschema.CompilerContext, m map[string]any) (jsonschema.ExtSchema, error) {
	raw, ok := m[anyRequiredKeyword]
	if !ok {
		return nil, nil
	}
	return anyRequiredFrom(raw), nil // the meta-schema checked the shape
}

// anyRequiredFrom reads the keyword's value, a list of lists of property
// names; nil if it is anything else or empty.
func anyRequiredFrom(v any) anyRequired {
	sets, _ := v.([]any)
	var out anyRequired
	for _, set := range sets {
		names, _ := set.([]any)
		if len(names) == 0 || !stringList(names) {
			return nil
		}
		var ss []string
		for _, n := range names {
			ss = append(ss, n.(string))
		}
		out = append(out, ss)
	}
	return out
}

// anyRequired is satisfied by an object that has every property of at
// least one of its sets.
type anyRequired [][]string

// Validate implements jsonschema.ExtSchema.
func (a anyRequired) Validate(ctx jsonschema.ValidationContext, v any) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	if a.satisfied(obj) {
		return nil
	}
	causes := make([]error, 0, len(a))
	for i, set := range a {
		var missing []string
		for _, p := range set {
			if _, ok := obj[p]; !ok {
				missing = append(missing, QuoteName(p))
			}
		}
		causes = append(causes, ctx.Error("anyOf/"+strconv.Itoa(i)+"/required", "missing properties: %s", strings.Join(missing, ", ")))
	}
	parent := ctx.Error("anyOf", "anyOf failed")
	return parent.Group(parent, causes...)
}

// satisfied tells whether obj has every property of one of the sets.
func (a anyRequired) satisfied(obj map[string]any) bool {
	for _, set := range a {
		if hasAll(obj, set) {
			return true
		}
	}
	return false
}

func hasAll(obj map[string]any, set []string) bool {
	for _, p := range set {
		if _, ok := obj[p]; !ok {
			return false
		}
	}
	return true
}

// registerAnyRequired adds the extension to a compiler.
func registerAnyRequired(c *jsonschema.Compiler) {
	c.RegisterExtension(anyRequiredKeyword, anyRequiredMeta, anyRequiredCompiler{})
}
