package schema

import (
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// Checking leaves in one node.
//
// Most properties of a record are leaves: a string with a pattern, a
// length or an enum, a boolean, a small object of such leaves (an amount,
// a subject, a place) or an array of them. jsonschema v5 walks each as a schema
// node of its own, with a scope entry, three closures and a property path
// allocated for it whatever the outcome: on a typical record, more than
// half the allocations of a validation. In the compiled form, an object
// schema's simple leaves move into leavesKeyword, an extension that checks
// them in a loop over the object. It only decides that a value passes;
// a value its check does not pass is validated by the leaf's own
// compiled schema, so every violation is reported as the schema files
// as written report it. With the leaves gone from "properties", the
// extension also enforces "additionalProperties": false with the full
// list of names.
// TestCompiledFormAgrees and FuzzValidate compare the compiled form with
// the files as written.

// leavesKeyword is the extension keyword of the compiled form. Its value:
//
//	{"closed": bool, "names": [every property name],
//	 "properties": {name: the leaf's schema, ...}}
const leavesKeyword = "sicollabLeaves"

var leavesMeta = jsonschema.MustCompileString("sicollab-leaves.meta.json", `{
	"properties": {
		"`+leavesKeyword+`": {
			"type": "object",
			"required": ["closed", "names", "properties"],
			"properties": {
				"closed": {"type": "boolean"},
				"names": {"type": "array", "items": {"type": "string"}},
				"properties": {"type": "object", "additionalProperties": {"type": "object"}}
			}
		}
	}
}`)

// leafKeys are the keywords a simple string or boolean leaf may hold
// besides annotations (integers: see simpleInteger).
var leafKeys = map[string]bool{
	"type": true, "enum": true, "const": true, "pattern": true,
	"minLength": true, "maxLength": true, "format": true,
}

// simpleLeaf tells whether s is a schema the leaf check covers: a simple
// scalar; an object whose properties are all simple leaves, with
// required, "additionalProperties": false and required sets (see
// anyrequired.go); or an array of simple leaves with item counts and
// uniqueItems (on scalars).
func simpleLeaf(s any) bool {
	m, ok := s.(map[string]any)
	if !ok {
		return false
	}
	switch m["type"] {
	case "object":
		return simpleObject(m)
	case "array":
		return simpleArray(m)
	}
	return simpleScalar(s)
}

func simpleObject(m map[string]any) bool {
	props, ok := m["properties"].(map[string]any)
	if !ok {
		return false
	}
	for k, v := range m {
		switch {
		case annotations[k], k == "type":
		case k == "properties":
		case k == "additionalProperties":
			if v != false {
				return false
			}
		case k == "required":
			if !stringList(v) {
				return false
			}
		case k == anyRequiredKeyword:
			if anyRequiredFrom(v) == nil {
				return false
			}
		default:
			return false
		}
	}
	for _, p := range props {
		if !simpleLeaf(p) {
			return false
		}
	}
	return true
}

func simpleArray(m map[string]any) bool {
	items, ok := m["items"].(map[string]any)
	if !ok || !simpleLeaf(items) {
		return false
	}
	for k, v := range m {
		switch {
		case annotations[k], k == "type", k == "items":
		case k == "minItems" || k == "maxItems":
			if _, ok := nonNegative(v); !ok {
				return false
			}
		case k == "uniqueItems":
			if b, ok := v.(bool); !ok || b && !simpleScalar(items) {
				return false // uniqueness of objects is the schema's to judge
			}
		default:
			return false
		}
	}
	return true
}

func stringList(v any) bool {
	list, ok := v.([]any)
	if !ok {
		return false
	}
	for _, e := range list {
		if _, ok := e.(string); !ok {
			return false
		}
	}
	return true
}

// simpleScalar tells whether s is a string or a boolean with only the
// keywords above, enums and consts of strings, and formats jsonschema
// knows; or an integer with integer bounds and integerFormat.
func simpleScalar(s any) bool {
	m, ok := s.(map[string]any)
	if !ok || len(m) == 0 {
		return false
	}
	if m["type"] == "integer" {
		return simpleInteger(m)
	}
	constrained := false
	for k, v := range m {
		if annotations[k] {
			continue
		}
		if !leafKeys[k] {
			return false
		}
		constrained = true
		switch k {
		case "type":
			if v != "string" && v != "boolean" {
				return false
			}
		case "enum":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				return false
			}
			for _, e := range list {
				if _, ok := e.(string); !ok {
					return false
				}
			}
		case "const":
			if _, ok := v.(string); !ok {
				return false
			}
		case "pattern":
			p, ok := v.(string)
			if !ok {
				return false
			}
			if _, err := regexp.Compile(p); err != nil {
				return false
			}
		case "minLength", "maxLength":
			if _, ok := nonNegative(v); !ok {
				return false
			}
		case "format":
			f, ok := v.(string)
			if !ok || jsonschema.Formats[f] == nil {
				return false
			}
		}
	}
	return constrained
}

// simpleInteger tells whether m is "type": "integer" with the format the
// compiled form adds and bounds written as 64-bit integers, and nothing
// else but annotations.
func simpleInteger(m map[string]any) bool {
	if m["format"] != integerFormat {
		return false
	}
	for k, v := range m {
		switch {
		case annotations[k], k == "type", k == "format":
		case k == "minimum" || k == "maximum":
			if _, ok := int64Of(v); !ok {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// int64Of is v, a json.Number, as an int64 when it is written as one.
func int64Of(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok || !isPlainInteger(n) {
		return 0, false
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	return i, err == nil
}

func nonNegative(v any) (int, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(string(n))
	return i, err == nil && i >= 0
}

// gatherLeaves rewrites an object schema node in place: its simple leaves
// move from "properties" into leavesKeyword. Nodes whose properties
// another keyword looks at (patternProperties, unevaluatedProperties, an
// additionalProperties schema) are left alone.
func gatherLeaves(node map[string]any) {
	props, ok := node["properties"].(map[string]any)
	if !ok || len(props) == 0 {
		return
	}
	closed := false
	switch ap := node["additionalProperties"].(type) {
	case nil:
		if _, present := node["additionalProperties"]; present {
			return
		}
	case bool:
		closed = !ap
		if ap {
			return // true: nothing to enforce, but keep the node as written
		}
	default:
		return
	}
	if node["patternProperties"] != nil || node["unevaluatedProperties"] != nil {
		return
	}
	leaves := map[string]any{}
	for name, s := range props {
		if simpleLeaf(s) {
			leaves[name] = s
		}
	}
	if len(leaves) == 0 {
		return
	}
	names := make([]any, 0, len(props))
	for name := range props {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	rest := map[string]any{}
	for name, s := range props {
		if _, ok := leaves[name]; !ok {
			rest[name] = s
		}
	}
	node["properties"] = rest
	delete(node, "additionalProperties")
	node[leavesKeyword] = map[string]any{"closed": closed, "names": names, "properties": leaves}
}

// schemaKeywords are the keywords whose values are schemas (single),
// lists of schemas, or maps of schemas, for walking a schema document.
var (
	schemaSingle = map[string]bool{"items": true, "contains": true, "additionalProperties": true,
		"if": true, "then": true, "else": true, "not": true, "propertyNames": true}
	schemaList = map[string]bool{"allOf": true, "anyOf": true, "oneOf": true, "prefixItems": true}
	schemaMap  = map[string]bool{"properties": true, "$defs": true, "patternProperties": true, "dependentSchemas": true}
)

// gatherAllLeaves applies gatherLeaves to every schema node of doc,
// outermost first: a leaf that is an object is judged as written, and
// once moved it is compiled as written, for the violations it reports.
func gatherAllLeaves(s any) {
	m, ok := s.(map[string]any)
	if !ok {
		return
	}
	gatherLeaves(m)
	for k, v := range m {
		switch {
		case schemaSingle[k]:
			gatherAllLeaves(v)
		case schemaList[k]:
			list, _ := v.([]any)
			for _, c := range list {
				gatherAllLeaves(c)
			}
		case schemaMap[k]:
			sub, _ := v.(map[string]any)
			for _, c := range sub {
				gatherAllLeaves(c)
			}
		}
	}
}

// leaf is one simple leaf, compiled twice: for the quick check, and as a
// schema that reports violations.
type leaf struct {
	schema *jsonschema.Schema // nil for the parts of a leaf
	path   string             // keyword path of the schema, for its errors

	// Scalars.
	typ        string // "string", "boolean" or "" (any)
	enum       []string
	constant   *string
	pattern    *regexp.Regexp
	minLen     int // -1: none
	maxLen     int
	format     func(any) bool
	formatName string

	// Integers.
	integer  bool
	min, max *int64

	// Objects.
	object   bool
	props    map[string]*leaf
	required []string
	closed   bool
	anyOf    anyRequired

	// Objects, for the scan (see scan.go): property i of scanProps has
	// bit i in the masks.
	scanIndex    map[string]int
	scanProps    []*leaf
	requiredMask uint64
	anyMasks     []uint64

	// Arrays.
	array    bool
	items    *leaf
	minItems int // -1: none
	maxItems int
	unique   bool
}

// ok tells whether v certainly satisfies the leaf; false means "ask the
// schema".
func (l *leaf) ok(v any) bool {
	switch {
	case l.object:
		obj, isObj := v.(map[string]any)
		if !isObj {
			return false
		}
		if !hasAll(obj, l.required) {
			return false
		}
		if l.anyOf != nil && !l.anyOf.satisfied(obj) {
			return false
		}
		for name, val := range obj {
			p, known := l.props[name]
			if !known {
				if l.closed {
					return false
				}
				continue
			}
			if !p.ok(val) {
				return false
			}
		}
		return true
	case l.array:
		arr, isArr := v.([]any)
		if !isArr || l.minItems >= 0 && len(arr) < l.minItems || l.maxItems >= 0 && len(arr) > l.maxItems {
			return false
		}
		for i, e := range arr {
			if !l.items.ok(e) {
				return false
			}
			if l.unique && slices.Contains(arr[:i], e) { // scalars: comparable
				return false
			}
		}
		return true
	}
	if l.integer {
		// isPlainInteger is the format the compiled form adds; a value
		// past 64 bits is left to the schema.
		i, ok := int64Of(v)
		return ok && (l.min == nil || i >= *l.min) && (l.max == nil || i <= *l.max)
	}
	s, isStr := v.(string)
	_, isBool := v.(bool)
	if l.typ == "string" && !isStr || l.typ == "boolean" && !isBool {
		return false
	}
	if l.constant != nil && (!isStr || s != *l.constant) {
		return false
	}
	if l.enum != nil && (!isStr || !slices.Contains(l.enum, s)) {
		return false
	}
	if !isStr {
		return l.format == nil || l.format(v)
	}
	if l.minLen >= 0 || l.maxLen >= 0 {
		n := utf8.RuneCountInString(s)
		if l.minLen >= 0 && n < l.minLen || l.maxLen >= 0 && n > l.maxLen {
			return false
		}
	}
	if l.format != nil && !l.format(v) {
		return false
	}
	return l.pattern == nil || l.pattern.MatchString(s)
}

// rootLeaf is the quick check of a whole schema document, or nil when it
// is not a simple object. Its $defs are left out: once references are
// expanded, nothing that is still simple refers to them.
func rootLeaf(doc map[string]any) *leaf {
	m := make(map[string]any, len(doc))
	for k, v := range doc {
		switch k {
		case "$id", "$schema", "$defs":
		default:
			m[k] = v
		}
	}
	if m["type"] != "object" || !simpleObject(m) {
		return nil
	}
	return newLeaf(m)
}

// newLeaf builds the quick check of s, which simpleLeaf accepted.
func newLeaf(s map[string]any) *leaf {
	l := &leaf{minLen: -1, maxLen: -1, minItems: -1, maxItems: -1}
	switch s["type"] {
	case "object":
		l.object = true
		l.props = map[string]*leaf{}
		for name, p := range s["properties"].(map[string]any) {
			l.props[name] = newLeaf(p.(map[string]any))
		}
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				l.required = append(l.required, r.(string))
			}
		}
		l.closed = s["additionalProperties"] == false
		l.anyOf = anyRequiredFrom(s[anyRequiredKeyword])
		l.prepareScan()
		return l
	case "array":
		l.array = true
		l.items = newLeaf(s["items"].(map[string]any))
		l.minItems = nonNegativeOr(s["minItems"], -1)
		l.maxItems = nonNegativeOr(s["maxItems"], -1)
		l.unique = s["uniqueItems"] == true
		return l
	case "integer":
		l.integer = true
		if i, ok := int64Of(s["minimum"]); ok {
			l.min = &i
		}
		if i, ok := int64Of(s["maximum"]); ok {
			l.max = &i
		}
		return l
	}
	for k, v := range s {
		switch k {
		case "type":
			l.typ = v.(string)
		case "enum":
			for _, e := range v.([]any) {
				l.enum = append(l.enum, e.(string))
			}
		case "const":
			c := v.(string)
			l.constant = &c
		case "pattern":
			l.pattern = sharedRegexp(v.(string))
		case "minLength":
			l.minLen, _ = nonNegative(v)
		case "maxLength":
			l.maxLen, _ = nonNegative(v)
		case "format":
			l.formatName = v.(string)
			l.format = jsonschema.Formats[l.formatName]
		}
	}
	return l
}

// regexps holds each pattern compiled once: after inlining, a pattern
// such as utc_time's appears in hundreds of leaves, and a compiled
// regular expression is a few kilobytes the garbage collector marks at
// every cycle. A *regexp.Regexp is safe for concurrent use.
var regexps sync.Map // pattern -> *regexp.Regexp

// sharedRegexp compiles p, which simpleScalar compiled once already.
func sharedRegexp(p string) *regexp.Regexp {
	if re, ok := regexps.Load(p); ok {
		return re.(*regexp.Regexp)
	}
	re, _ := regexps.LoadOrStore(p, regexp.MustCompile(p))
	return re.(*regexp.Regexp)
}

// sharePatterns makes every pattern of the compiled schema s, and of the
// schemas it holds, the one sharedRegexp keeps for its text: jsonschema
// compiles a pattern wherever it appears.
func sharePatterns(s *jsonschema.Schema, seen map[*jsonschema.Schema]bool) {
	if s == nil || seen[s] {
		return
	}
	seen[s] = true
	if s.Pattern != nil {
		s.Pattern = sharedRegexp(s.Pattern.String())
	}
	for _, c := range []*jsonschema.Schema{s.Ref, s.RecursiveRef, s.DynamicRef, s.Not, s.If, s.Then, s.Else,
		s.PropertyNames, s.UnevaluatedProperties, s.Items2020, s.Contains, s.UnevaluatedItems, s.ContentSchema} {
		sharePatterns(c, seen)
	}
	for _, list := range [][]*jsonschema.Schema{s.AllOf, s.AnyOf, s.OneOf, s.PrefixItems} {
		for _, c := range list {
			sharePatterns(c, seen)
		}
	}
	for _, m := range []map[string]*jsonschema.Schema{s.Properties, s.DependentSchemas} {
		for _, c := range m {
			sharePatterns(c, seen)
		}
	}
	for _, c := range s.PatternProperties {
		sharePatterns(c, seen)
	}
	for _, v := range []any{s.AdditionalProperties, s.Items, s.AdditionalItems} {
		switch t := v.(type) {
		case *jsonschema.Schema:
			sharePatterns(t, seen)
		case []*jsonschema.Schema:
			for _, c := range t {
				sharePatterns(c, seen)
			}
		}
	}
	for _, v := range s.Dependencies {
		if c, ok := v.(*jsonschema.Schema); ok {
			sharePatterns(c, seen)
		}
	}
	for _, ext := range s.Extensions {
		if x, ok := ext.(*leaves); ok {
			for _, l := range x.leaves {
				sharePatterns(l.schema, seen)
			}
		}
	}
}

// nonNegativeOr is a count simpleLeaf checked, or def when absent.
func nonNegativeOr(v any, def int) int {
	if n, ok := nonNegative(v); ok {
		return n
	}
	return def
}

type leavesCompiler struct{}

// Compile implements jsonschema.ExtCompiler.
func (leavesCompiler) Compile(ctx jsonschema.CompilerContext, m map[string]any) (jsonschema.ExtSchema, error) {
	raw, ok := m[leavesKeyword].(map[string]any)
	if !ok {
		return nil, nil
	}
	x := &leaves{closed: raw["closed"] == true, names: map[string]bool{}, leaves: map[string]*leaf{}}
	for _, n := range raw["names"].([]any) {
		x.names[n.(string)] = true
	}
	for name, s := range raw["properties"].(map[string]any) {
		path := leavesKeyword + "/properties/" + pointerToken(name)
		sch, err := ctx.Compile(path, false)
		if err != nil {
			return nil, err
		}
		l := newLeaf(s.(map[string]any))
		l.schema, l.path = sch, path
		x.leaves[name] = l
	}
	return x, nil
}

// leaves is the compiled leavesKeyword.
type leaves struct {
	closed bool
	names  map[string]bool
	leaves map[string]*leaf
}

// Validate implements jsonschema.ExtSchema.
func (x *leaves) Validate(ctx jsonschema.ValidationContext, v any) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	var errs []error
	var extra []string
	for name, val := range obj {
		l, isLeaf := x.leaves[name]
		if !isLeaf {
			if x.closed && !x.names[name] {
				extra = append(extra, quoteName(name))
			}
			continue
		}
		ctx.EvaluatedProp(name)
		if l.ok(val) {
			continue
		}
		if err := ctx.Validate(l.schema, l.path, val, pointerToken(name)); err != nil {
			errs = append(errs, err)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		errs = append(errs, ctx.Error("additionalProperties", "additionalProperties %s not allowed", strings.Join(extra, ", ")))
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	parent := ctx.Error("", "validation failed")
	return parent.Group(parent, errs...)
}

// pointerToken escapes a property name as jsonschema v5 does in the
// locations it reports: RFC 6901, then URL path escaping.
func pointerToken(name string) string {
	return url.PathEscape(escapePointer(name))
}

// registerLeaves adds the extension to a compiler.
func registerLeaves(c *jsonschema.Compiler) {
	c.RegisterExtension(leavesKeyword, leavesMeta, leavesCompiler{})
}
