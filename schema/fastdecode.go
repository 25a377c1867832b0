package schema

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sicollab/sicollab/schema/internal/jsontext"
)

// Decoding payloads in one pass.
//
// Every processing step that reads a record decodes its payload into the
// kind's Go type, and with encoding/json that was the costliest part of a
// pipeline: the decoder scans each value twice and allocates every string
// on its own. The payload types use a handful of shapes (structs with
// tagged fields, strings, integers, booleans, a float, time.Time, pointers
// and slices), so a decoder for those shapes alone is small. It reads the
// bytes once, and shares the strings the schemas name (enum values, codes)
// instead of allocating them. It only decides the common case: anything it
// does not handle exactly as encoding/json would (escapes, null, a key
// that matches a field only case-insensitively, a repeated key, a number
// with a fraction for an integer, a type with its own UnmarshalJSON, ...)
// resets the value and goes to encoding/json, which decodes it or reports
// the error. FuzzFastDecode compares the two.

// fastKind is the shape of a Go type the fast decoder reads.
type fastKind uint8

const (
	fastUnsupported fastKind = iota
	fastString
	fastBool
	fastInt
	fastFloat
	fastTime
	fastPointer
	fastSlice
	fastStruct
)

// fastPlan says how to decode into one Go type.
type fastPlan struct {
	kind   fastKind
	elem   *fastPlan            // pointers and slices
	fields map[string]fastField // structs, by JSON name
}

type fastField struct {
	index int // in the struct
	bit   int // in the bit set of fields seen
	plan  *fastPlan
}

var (
	fastPlans         sync.Map // reflect.Type -> *fastPlan
	timeType          = reflect.TypeFor[time.Time]()
	jsonUnmarshalType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// planFor returns the plan of t, built once. A type the decoder does not
// handle gets a plan of kind fastUnsupported, and so does every type
// holding one.
func planFor(t reflect.Type) *fastPlan {
	if p, ok := fastPlans.Load(t); ok {
		return p.(*fastPlan)
	}
	p := buildPlan(t, map[reflect.Type]*fastPlan{})
	fastPlans.Store(t, p)
	return p
}

// buildPlan builds t's plan; built holds the plans of this build, nil
// for a type still being built.
func buildPlan(t reflect.Type, built map[reflect.Type]*fastPlan) *fastPlan {
	if p, ok := built[t]; ok {
		if p == nil {
			return &fastPlan{} // a type that holds itself: encoding/json's
		}
		return p
	}
	built[t] = nil
	p := &fastPlan{}
	defer func() { built[t] = p }()
	if t == timeType {
		p.kind = fastTime
		return p
	}
	if t.Kind() != reflect.Pointer && (reflect.PointerTo(t).Implements(jsonUnmarshalType) ||
		reflect.PointerTo(t).Implements(textUnmarshalType)) {
		return p // its own decoding: encoding/json's to call
	}
	switch t.Kind() {
	case reflect.String:
		p.kind = fastString
	case reflect.Bool:
		p.kind = fastBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		p.kind = fastInt
	case reflect.Float64:
		p.kind = fastFloat
	case reflect.Pointer, reflect.Slice:
		p.elem = buildPlan(t.Elem(), built)
		if p.elem.kind != fastUnsupported {
			p.kind = map[reflect.Kind]fastKind{reflect.Pointer: fastPointer, reflect.Slice: fastSlice}[t.Kind()]
		}
	case reflect.Struct:
		if fields, ok := structPlan(t, built); ok {
			p.kind, p.fields = fastStruct, fields
		}
	}
	return p
}

// structPlan maps the JSON names of t's fields to them, as encoding/json
// names them; false for what this decoder leaves to encoding/json:
// embedded fields, the ",string" option, two fields with one name, more
// than 64 fields, a field it cannot decode.
func structPlan(t reflect.Type, built map[reflect.Type]*fastPlan) (map[string]fastField, bool) {
	fields := map[string]fastField{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			return nil, false
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		for o := range strings.SplitSeq(opts, ",") {
			if o == "string" {
				return nil, false
			}
		}
		if _, dup := fields[name]; dup || len(fields) == 64 {
			return nil, false
		}
		fp := buildPlan(f.Type, built)
		if fp.kind == fastUnsupported {
			return nil, false
		}
		fields[name] = fastField{index: i, bit: len(fields), plan: fp}
	}
	return fields, true
}

// fastDecoder reads one payload, with the lexer every reader of JSON
// text in this package shares (internal/jsontext).
type fastDecoder struct {
	jsontext.Scanner
	intern map[string]string
}

// fastDecodeMaxDepth bounds nesting; payloads nest a few levels.
const fastDecodeMaxDepth = 64

// fastDecode decodes data into v, a pointer to a zero value, and reports
// whether it did. On false, v is left as it was.
func fastDecode(data []byte, v any) bool {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false
	}
	target := rv.Elem()
	p := planFor(target.Type())
	if p.kind == fastUnsupported || !target.IsZero() {
		return false // encoding/json merges into a value that is not zero
	}
	var intern map[string]string
	if reg, err := compiled(); err == nil {
		intern = reg.intern
	}
	d := fastDecoder{Scanner: jsontext.Scanner{Data: data, MaxDepth: fastDecodeMaxDepth}, intern: intern}
	d.Space()
	ok := d.value(target, p)
	d.Space()
	if !ok || d.Pos != len(d.Data) {
		target.SetZero()
		return false
	}
	return true
}

// value decodes the value at d.Pos into v, which is zero.
func (d *fastDecoder) value(v reflect.Value, p *fastPlan) bool {
	if d.Pos >= len(d.Data) {
		return false
	}
	switch p.kind {
	case fastString:
		s, ok := d.str()
		if ok {
			v.SetString(s)
		}
		return ok
	case fastBool:
		b, ok := d.Literal()
		if ok {
			v.SetBool(b)
		}
		return ok
	case fastInt:
		lit, isInt, ok := d.Number()
		if !ok || !isInt {
			return false
		}
		n, ok := jsontext.PlainInt(lit)
		if !ok || v.OverflowInt(n) {
			return false
		}
		v.SetInt(n)
		return true
	case fastFloat:
		lit, _, ok := d.Number()
		if !ok {
			return false
		}
		f, err := strconv.ParseFloat(string(lit), v.Type().Bits())
		if err != nil || v.OverflowFloat(f) {
			return false
		}
		v.SetFloat(f)
		return true
	case fastTime:
		start := d.Pos
		if _, ok := d.Scanner.Str(); !ok {
			return false
		}
		// What encoding/json does: hand the quoted bytes to the method.
		return v.Addr().Interface().(*time.Time).UnmarshalJSON(d.Data[start:d.Pos]) == nil
	case fastPointer:
		if d.Data[d.Pos] == 'n' {
			return false // null
		}
		e := reflect.New(v.Type().Elem())
		if !d.value(e.Elem(), p.elem) {
			return false
		}
		v.Set(e)
		return true
	case fastSlice:
		return d.slice(v, p)
	case fastStruct:
		return d.object(v, p)
	}
	return false
}

func (d *fastDecoder) slice(v reflect.Value, p *fastPlan) bool {
	if !d.Next('[') || !d.Enter() {
		return false
	}
	s := reflect.MakeSlice(v.Type(), 0, 0) // [] is an empty slice, not nil, as in encoding/json
	if !d.Next(']') {
		for n := 0; ; n++ {
			if n == s.Cap() {
				grown := reflect.MakeSlice(v.Type(), n, max(4, 2*n))
				reflect.Copy(grown, s)
				s = grown
			}
			s = s.Slice(0, n+1)
			d.Space()
			if !d.value(s.Index(n), p.elem) {
				return false
			}
			if d.Next(']') {
				break
			}
			if !d.Next(',') {
				return false
			}
		}
	}
	d.Depth--
	v.Set(s)
	return true
}

func (d *fastDecoder) object(v reflect.Value, p *fastPlan) bool {
	if !d.Next('{') || !d.Enter() {
		return false
	}
	var seen uint64
	if !d.Next('}') {
		for {
			key, ok := d.Scanner.Str()
			if !ok {
				return false
			}
			f, known := p.fields[string(key)]
			if !known || seen&(1<<f.bit) != 0 {
				// Unknown (or known only case-insensitively), or repeated:
				// encoding/json's rules.
				return false
			}
			seen |= 1 << f.bit
			if !d.Next(':') {
				return false
			}
			d.Space()
			if !d.value(v.Field(f.index), f.plan) {
				return false
			}
			if d.Next('}') {
				break
			}
			if !d.Next(',') {
				return false
			}
		}
	}
	d.Depth--
	return true
}

// str reads a string that needs no decoding (see jsontext.Scanner.Str): shared
// when the schemas name it (an enum value, a code), else allocated for
// itself, which on a record costs fewer bytes than a copy of the whole
// payload.
func (d *fastDecoder) str() (string, bool) {
	raw, ok := d.Scanner.Str()
	if !ok {
		return "", false
	}
	if s, ok := d.intern[string(raw)]; ok { // no allocation for the lookup
		return s, true
	}
	return string(raw), true
}
