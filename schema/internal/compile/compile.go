package compile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/sicollab/sicollab/schema/internal/jsontext"
)

// Set holds schema documents by their $id and compiles checks from them.
// Add every document before asking for checkers; a Set is not safe for
// concurrent use while it compiles, and its Checkers are immutable and
// safe for concurrent use.
type Set struct {
	docs     map[string]any
	nodes    map[string]*node
	patterns map[string]*pattern
}

// NewSet returns an empty Set.
func NewSet() *Set {
	return &Set{docs: map[string]any{}, nodes: map[string]*node{}, patterns: map[string]*pattern{}}
}

// ErrUnknownDocument is returned by Checker for an id no document has.
var ErrUnknownDocument = errors.New("compile: no document with this $id")

// Add adds the schema document raw under id, its $id.
func (s *Set) Add(id string, raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("compile: read %s: %w", id, err)
	}
	s.docs[id] = doc
	return nil
}

// Checker compiles the checks of the document id, with every document
// it refers to.
func (s *Set) Checker(id string) (*Checker, error) {
	doc, ok := s.docs[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownDocument, id)
	}
	return &Checker{root: s.node(id, "", doc)}, nil
}

// Types, as bits of node.types.
const (
	tNull uint8 = 1 << iota
	tBoolean
	tObject
	tArray
	tNumber
	tString
	tInteger
)

var typeBits = map[string]uint8{
	"null": tNull, "boolean": tBoolean, "object": tObject, "array": tArray,
	"number": tNumber, "string": tString, "integer": tInteger,
}

// node is one compiled schema.
type node struct {
	never       bool // the schema false
	unsupported bool // a keyword it does not implement: never sure

	types uint8 // 0: any

	// Strings.
	enum           []string
	constant       *string
	minLen, maxLen int // -1: none
	pattern        *pattern
	format         func([]byte) bool

	// Numbers: integral bounds.
	min, max *int64

	// Objects. names numbers the names of properties and required;
	// props[i] is nil for a name only required.
	objects            bool // any object keyword
	names              *nameTable
	props              []*node
	additional         *node
	required           uint64
	minProps, maxProps int

	// Arrays.
	arrays             bool
	items, contains    *node
	minItems, maxItems int
	unique             bool

	// Applicators; a $ref is one more allOf.
	allOf, anyOf, oneOf []*node
	not, ifn, then, els *node
}

// annotations and keywords that do not assert.
var annotations = map[string]bool{
	"$schema": true, "$defs": true, "$comment": true, "description": true, "title": true,
	"examples": true, "default": true, "deprecated": true, "readOnly": true, "writeOnly": true,
}

// node compiles v, the schema at ptr (a JSON pointer) in the document
// base, once.
func (s *Set) node(base, ptr string, v any) *node {
	key := base + "#" + ptr
	if n, ok := s.nodes[key]; ok {
		return n
	}
	n := &node{minLen: -1, maxLen: -1, minProps: -1, maxProps: -1, minItems: -1, maxItems: -1}
	s.nodes[key] = n // before the children: references may loop
	switch t := v.(type) {
	case bool:
		n.never = !t
		return n
	case map[string]any:
		if err := s.fill(n, base, ptr, t); err != nil {
			*n = node{unsupported: true}
		}
		return n
	}
	n.unsupported = true
	return n
}

var errUnsupported = errors.New("compile: unsupported")

func (s *Set) fill(n *node, base, ptr string, m map[string]any) error {
	var required []string
	props := map[string]*node{}
	child := func(kw string, v any) *node { return s.node(base, ptr+"/"+kw, v) }
	list := func(kw string, v any) ([]*node, error) {
		l, ok := v.([]any)
		if !ok || len(l) == 0 {
			return nil, errUnsupported
		}
		out := make([]*node, len(l))
		for i, c := range l {
			out[i] = child(kw+"/"+strconv.Itoa(i), c)
		}
		return out, nil
	}
	for k, v := range m {
		var err error
		switch k {
		case "$id":
			if ptr != "" {
				return errUnsupported // a new base inside a document
			}
		case "type":
			n.types, err = typesOf(v)
		case "enum":
			l, ok := v.([]any)
			if !ok || len(l) == 0 {
				return errUnsupported
			}
			for _, e := range l {
				str, ok := e.(string)
				if !ok {
					return errUnsupported
				}
				n.enum = append(n.enum, str)
			}
		case "const":
			str, ok := v.(string)
			if !ok {
				return errUnsupported
			}
			n.constant = &str
		case "minLength":
			n.minLen, err = count(v)
		case "maxLength":
			n.maxLen, err = count(v)
		case "pattern":
			p, ok := v.(string)
			if !ok {
				return errUnsupported
			}
			if n.pattern, err = s.compilePattern(p); err != nil {
				return err
			}
		case "format":
			f, ok := v.(string)
			if !ok {
				return errUnsupported
			}
			if n.format = formatCheck(f); n.format == nil {
				return errUnsupported
			}
		case "minimum":
			n.min, err = bound(v)
		case "maximum":
			n.max, err = bound(v)
		case "properties":
			pm, ok := v.(map[string]any)
			if !ok {
				return errUnsupported
			}
			for name, ps := range pm {
				props[name] = child("properties/"+escape(name), ps)
			}
			n.objects = true
		case "required":
			l, ok := v.([]any)
			if !ok {
				return errUnsupported
			}
			for _, r := range l {
				str, ok := r.(string)
				if !ok {
					return errUnsupported
				}
				required = append(required, str)
			}
			n.objects = true
		case "additionalProperties":
			n.additional, n.objects = child(k, v), true
		case "minProperties":
			n.minProps, err = count(v)
			n.objects = true
		case "maxProperties":
			n.maxProps, err = count(v)
			n.objects = true
		case "items":
			n.items, n.arrays = child(k, v), true
		case "contains":
			n.contains, n.arrays = child(k, v), true
		case "minItems":
			n.minItems, err = count(v)
			n.arrays = true
		case "maxItems":
			n.maxItems, err = count(v)
			n.arrays = true
		case "uniqueItems":
			b, ok := v.(bool)
			if !ok {
				return errUnsupported
			}
			n.unique, n.arrays = b, n.arrays || b
		case "allOf":
			var l []*node
			l, err = list(k, v)
			n.allOf = append(n.allOf, l...)
		case "anyOf":
			n.anyOf, err = list(k, v)
		case "oneOf":
			n.oneOf, err = list(k, v)
		case "not":
			n.not = child(k, v)
		case "if":
			n.ifn = child(k, v)
		case "then":
			n.then = child(k, v)
		case "else":
			n.els = child(k, v)
		case "$ref":
			ref, ok := v.(string)
			if !ok {
				return errUnsupported
			}
			target, err := s.resolve(base, ref)
			if err != nil {
				return err
			}
			n.allOf = append(n.allOf, target)
		default:
			if !annotations[k] {
				return errUnsupported
			}
		}
		if err != nil {
			return err
		}
	}
	if n.objects {
		index := map[string]int{}
		var names []string
		add := func(name string) {
			if _, ok := index[name]; !ok {
				index[name] = len(n.props)
				names = append(names, name)
				n.props = append(n.props, nil)
			}
		}
		for name, p := range props {
			add(name)
			n.props[index[name]] = p
		}
		for _, r := range required {
			add(r)
			n.required |= 1 << index[r]
		}
		if len(n.props) > 64 {
			return errUnsupported
		}
		n.names = newNameTable(names)
	}
	return nil
}

func typesOf(v any) (uint8, error) {
	var names []any
	switch t := v.(type) {
	case string:
		names = []any{t}
	case []any:
		names = t
	default:
		return 0, errUnsupported
	}
	var out uint8
	for _, name := range names {
		str, _ := name.(string)
		b, ok := typeBits[str]
		if !ok {
			return 0, errUnsupported
		}
		out |= b
	}
	return out, nil
}

// count reads a non-negative integer keyword.
func count(v any) (int, error) {
	num, ok := v.(json.Number)
	if !ok {
		return 0, errUnsupported
	}
	i, err := strconv.Atoi(string(num))
	if err != nil || i < 0 {
		return 0, errUnsupported
	}
	return i, nil
}

// bound reads minimum or maximum: only integers within 2^53, which a
// float64 holds exactly, so that a comparison in floating point cannot
// round across them.
func bound(v any) (*int64, error) {
	num, ok := v.(json.Number)
	if !ok {
		return nil, errUnsupported
	}
	i, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil || i > 1<<53 || i < -(1<<53) {
		return nil, errUnsupported
	}
	return &i, nil
}

// escape escapes a JSON pointer token.
func escape(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// resolve compiles the schema ref names, relative to the document base.
func (s *Set) resolve(base, ref string) (*node, error) {
	b, err := url.Parse(base)
	if err != nil {
		return nil, errUnsupported
	}
	r, err := url.Parse(ref)
	if err != nil {
		return nil, errUnsupported
	}
	abs := b.ResolveReference(r)
	frag := abs.Fragment
	abs.Fragment, abs.RawFragment = "", ""
	docID := abs.String()
	doc, ok := s.docs[docID]
	if !ok || frag != "" && frag[0] != '/' {
		return nil, errUnsupported // another document, or an anchor
	}
	v := doc
	if frag != "" {
		for _, tok := range strings.Split(frag[1:], "/") {
			tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
			switch t := v.(type) {
			case map[string]any:
				if v, ok = t[tok]; !ok {
					return nil, errUnsupported
				}
			case []any:
				i, err := strconv.Atoi(tok)
				if err != nil || i < 0 || i >= len(t) {
					return nil, errUnsupported
				}
				v = t[i]
			default:
				return nil, errUnsupported
			}
		}
	}
	return s.node(docID, frag, v), nil
}

func (s *Set) compilePattern(p string) (*pattern, error) {
	if pt, ok := s.patterns[p]; ok {
		return pt, nil
	}
	re, err := sharedRegexp(p)
	if err != nil {
		return nil, errUnsupported
	}
	pt := newPattern(p, re)
	s.patterns[p] = pt
	return pt, nil
}

// regexps holds each pattern compiled once for the process.
var regexps sync.Map // string -> *regexp.Regexp

func sharedRegexp(p string) (*regexp.Regexp, error) {
	if re, ok := regexps.Load(p); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	got, _ := regexps.LoadOrStore(p, re)
	return got.(*regexp.Regexp), nil
}

// formatCheck returns the check of a format: jsonschema's own, after a
// quick check of the common case for the formats records use most.
func formatCheck(name string) func([]byte) bool {
	f := jsonschema.Formats[name]
	if f == nil {
		return nil
	}
	slow := func(b []byte) bool { return f(string(b)) }
	switch name {
	case "date-time":
		return func(b []byte) bool { return jsontext.DateTime(b) || slow(b) }
	case "date":
		return func(b []byte) bool { return jsontext.Date(b) || slow(b) }
	case "uuid":
		return func(b []byte) bool { return jsontext.UUID(b) || slow(b) }
	}
	return slow
}
