package compile

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Inlining shared definitions.
//
// The schema files refer to common/v1.schema.json with $ref, which keeps
// them short and the rules in one place. jsonschema walks a reference as
// one more schema node, with its own allocations, and most fields of a
// record are a reference to a one-line definition; expanding them before
// compiling removes about a third of the work per record. The expansion
// is exact: a reference is replaced by its definition's keywords and its
// siblings' together, only when no keyword is in both and no two keywords
// that read each other (additionalProperties and properties, ...) would
// come from different sides; otherwise it stays a reference.
// FuzzValidate checks the result against the files as written.
//
// The compiled form is also stricter in one way: JSON Schema counts 1.0
// and 1e0 as integers, but encoding/json will not decode them into a Go
// int, so a record the schema accepts would fail to decode into its Go
// type. Every "type": "integer" gets the format IntegerFormat, which
// accepts only integers written as digits.

// refAnnotations may stand beside a $ref without changing what it
// validates.
var refAnnotations = map[string]bool{
	"description": true, "title": true, "$comment": true, "examples": true,
	"deprecated": true, "readOnly": true, "writeOnly": true, "default": true,
}

// CommonDefs reads the $defs of the common schema file raw.
func CommonDefs(raw []byte) (map[string]any, error) {
	var doc map[string]any
	if err := DecodeNumbers(raw, &doc); err != nil {
		return nil, err
	}
	defs, _ := doc["$defs"].(map[string]any)
	return defs, nil
}

// DecodeNumbers decodes raw into v with numbers as json.Number.
func DecodeNumbers(raw []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	return dec.Decode(v)
}

// CommonFile is how the schema files refer to the shared definitions.
const CommonFile = "../common/v1.schema.json"

// Inline rewrites the schema file raw into its compiled form: references
// expanded, leaves gathered, "at least one of" sets as an extension
// (register them with RegisterExtensions). common are the shared
// definitions (CommonDefs), and isCommon tells whether raw is their file.
// When the whole expanded schema is a simple leaf (see leaves.go), it
// also returns its quick check.
func Inline(raw []byte, common map[string]any, isCommon bool) ([]byte, *Leaf, error) {
	var doc map[string]any
	if err := DecodeNumbers(raw, &doc); err != nil {
		return nil, nil, err
	}
	own, _ := doc["$defs"].(map[string]any)
	if isCommon {
		own = common
	}
	out, err := inlineNode(doc, own, common, 0)
	if err != nil {
		return nil, nil, err
	}
	root := rootLeaf(out.(map[string]any)) // before gathering rewrites the nodes
	gatherAllLeaves(out)                   // see leaves.go
	b, err := json.Marshal(out)
	return b, root, err
}

// inlineNode returns n with every expandable reference expanded. local
// are the $defs that "#/$defs/x" refers to in the current document.
func inlineNode(n any, local, common map[string]any, depth int) (any, error) {
	if depth > 64 {
		return nil, fmt.Errorf("references nest deeper than 64")
	}
	switch t := n.(type) {
	case []any:
		out := make([]any, len(t))
		for i, c := range t {
			v, err := inlineNode(c, local, common, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case map[string]any:
		if ref, ok := t["$ref"].(string); ok {
			target, targetDefs, ok := lookupDef(ref, local, common)
			if ok {
				expanded, err := inlineNode(target, targetDefs, common, depth+1)
				if err != nil {
					return nil, err
				}
				site := t
				if !onlyAnnotations(t) {
					// Keywords beside the reference are expanded as a node
					// of their own, then merged when no keyword is in both.
					rest := make(map[string]any, len(t))
					for k, v := range t {
						if k != "$ref" {
							rest[k] = v
						}
					}
					r, err := inlineNode(rest, local, common, depth+1)
					if err != nil {
						return nil, err
					}
					site = r.(map[string]any)
				}
				if merged, ok := mergeDisjoint(expanded.(map[string]any), site); ok {
					return merged, nil
				}
			}
		}
		out := make(map[string]any, len(t))
		if t["type"] == "integer" && t["format"] == nil {
			out["format"] = IntegerFormat
		}
		for k, c := range t {
			if k == "anyOf" {
				if sets, ok := anyRequiredSets(c); ok {
					out[anyRequiredKeyword] = sets // see anyrequired.go
					continue
				}
			}
			if k == "const" || k == "enum" || k == "examples" || k == "default" {
				out[k] = c // values, not schemas
				continue
			}
			v, err := inlineNode(c, local, common, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	}
	return n, nil
}

// mergeDisjoint returns the keywords of the expanded definition def and
// of the node site that referred to it, in one node, and false when a
// keyword other than an annotation is in both. In 2020-12, a $ref beside
// other keywords applies both: with no keyword in common, one node
// holding all of them says the same. Where both annotate, the site's word
// wins, as it would for a reader.
func mergeDisjoint(def, site map[string]any) (map[string]any, bool) {
	for _, group := range adjacentKeywords {
		if hasAny(def, group) && hasAny(site, group) {
			return nil, false
		}
	}
	merged := make(map[string]any, len(def)+len(site))
	for k, v := range def {
		merged[k] = v
	}
	for k, v := range site {
		if k == "$ref" {
			continue
		}
		if _, both := def[k]; both && !refAnnotations[k] {
			return nil, false
		}
		merged[k] = v
	}
	return merged, true
}

// adjacentKeywords are the groups of keywords that read each other in the
// same node: spread over a definition and the site that refers to it,
// they would change meaning once in one node. Unevaluated* keywords read
// every keyword, so they keep a reference as written.
var adjacentKeywords = [][]string{
	{"properties", "patternProperties", "additionalProperties", "unevaluatedProperties"},
	{"prefixItems", "items", "unevaluatedItems"},
	{"contains", "minContains", "maxContains"},
	{"if", "then", "else"},
	{"unevaluatedProperties", "unevaluatedItems", "$ref", "$dynamicRef", "allOf", "anyOf", "oneOf", "not",
		"dependentSchemas"},
}

func hasAny(m map[string]any, keys []string) bool {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

func onlyAnnotations(m map[string]any) bool {
	for k := range m {
		if k != "$ref" && !refAnnotations[k] {
			return false
		}
	}
	return true
}

// lookupDef finds the definition a reference names, and the $defs its own
// references resolve in.
func lookupDef(ref string, local, common map[string]any) (map[string]any, map[string]any, bool) {
	doc, name, ok := strings.Cut(ref, "#/$defs/")
	if !ok || strings.Contains(name, "/") {
		return nil, nil, false
	}
	defs := local
	switch doc {
	case "":
	case CommonFile:
		defs = common
	default:
		return nil, nil, false
	}
	def, ok := defs[name].(map[string]any)
	return def, defs, ok
}

// PatternHints maps each pattern of a shared definition (defs, from
// CommonDefs) to words a developer can act on: the definition's name and
// description, which say what the pattern means ("UUID version 7,
// lower-case hex") where the pattern itself only shows how.
func PatternHints(defs map[string]any) map[string]string {
	out := map[string]string{}
	for name, d := range defs {
		m, _ := d.(map[string]any)
		p, _ := m["pattern"].(string)
		desc, _ := m["description"].(string)
		if p != "" && desc != "" {
			out[p] = "must be " + name + ": " + strings.TrimSuffix(desc, ".")
		}
	}
	return out
}

// IntegerFormat is the format added to every integer in the compiled form.
const IntegerFormat = "sicollab-integer"

// IsPlainInteger accepts a JSON number written as an integer: an optional
// minus and digits, nothing else.
func IsPlainInteger(v any) bool {
	n, ok := v.(json.Number)
	if !ok {
		return true // formats apply to their own type only
	}
	s := string(n)
	if strings.HasPrefix(s, "-") {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// CollectNames adds to names every property name, enum value and const
// string of a schema file: the strings records repeat most, which the
// parser then shares instead of allocating per record.
func CollectNames(raw []byte, names map[string]string) error {
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return err
	}
	var walk func(n any, values bool)
	walk = func(n any, values bool) {
		switch t := n.(type) {
		case string:
			if values {
				names[t] = t
			}
		case []any:
			for _, c := range t {
				walk(c, values)
			}
		case map[string]any:
			for k, c := range t {
				switch k {
				case "properties":
					if props, ok := c.(map[string]any); ok {
						for name, sub := range props {
							names[name] = name
							walk(sub, false)
						}
					}
				case "enum", "const":
					walk(c, true)
				default:
					walk(c, false)
				}
			}
		}
	}
	walk(doc, false)
	return nil
}
