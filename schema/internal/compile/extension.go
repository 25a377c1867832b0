package compile

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// The extension keywords of the compiled form, as jsonschema compiles
// and runs them, and the sharing of compiled patterns.

// mustRegexp is the shared compiled form of p (see sharedRegexp), which
// simpleScalar compiled once already.
func mustRegexp(p string) *regexp.Regexp {
	re, err := sharedRegexp(p)
	if err != nil {
		panic(err)
	}
	return re
}

// SharePatterns makes every pattern of the compiled schema s, and of the
// schemas it holds, the one mustRegexp keeps for its text: jsonschema
// compiles a pattern wherever it appears.
func SharePatterns(s *jsonschema.Schema, seen map[*jsonschema.Schema]bool) {
	if s == nil || seen[s] {
		return
	}
	seen[s] = true
	if s.Pattern != nil {
		s.Pattern = mustRegexp(s.Pattern.String())
	}
	for _, c := range []*jsonschema.Schema{s.Ref, s.RecursiveRef, s.DynamicRef, s.Not, s.If, s.Then, s.Else,
		s.PropertyNames, s.UnevaluatedProperties, s.Items2020, s.Contains, s.UnevaluatedItems, s.ContentSchema} {
		SharePatterns(c, seen)
	}
	for _, list := range [][]*jsonschema.Schema{s.AllOf, s.AnyOf, s.OneOf, s.PrefixItems} {
		for _, c := range list {
			SharePatterns(c, seen)
		}
	}
	for _, m := range []map[string]*jsonschema.Schema{s.Properties, s.DependentSchemas} {
		for _, c := range m {
			SharePatterns(c, seen)
		}
	}
	for _, c := range s.PatternProperties {
		SharePatterns(c, seen)
	}
	for _, v := range []any{s.AdditionalProperties, s.Items, s.AdditionalItems} {
		switch t := v.(type) {
		case *jsonschema.Schema:
			SharePatterns(t, seen)
		case []*jsonschema.Schema:
			for _, c := range t {
				SharePatterns(c, seen)
			}
		}
	}
	for _, v := range s.Dependencies {
		if c, ok := v.(*jsonschema.Schema); ok {
			SharePatterns(c, seen)
		}
	}
	for _, ext := range s.Extensions {
		if x, ok := ext.(*leaves); ok {
			for _, l := range x.leaves {
				SharePatterns(l.schema, seen)
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
	x := &leaves{closed: raw["closed"] == true, names: map[string]bool{}, leaves: map[string]*Leaf{}}
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
	leaves map[string]*Leaf
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
				extra = append(extra, QuoteName(name))
			}
			continue
		}
		ctx.EvaluatedProp(name)
		if l.OK(val) {
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
	return url.PathEscape(escape(name))
}

// RegisterExtensions adds the keywords of the compiled form to c: the
// leaves, the "at least one of" sets and IntegerFormat.
func RegisterExtensions(c *jsonschema.Compiler) {
	registerAnyRequired(c)
	c.Formats[IntegerFormat] = IsPlainInteger
	c.RegisterExtension(leavesKeyword, leavesMeta, leavesCompiler{})
}

// QuoteName quotes a property name the way jsonschema v5 does in messages.
func QuoteName(s string) string {
	s = strconv.Quote(s)
	s = strings.ReplaceAll(s, `\"`, `"`)
	s = strings.ReplaceAll(s, `'`, `\'`)
	return "'" + s[1:len(s)-1] + "'"
}
