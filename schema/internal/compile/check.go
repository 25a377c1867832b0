package compile

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/sicollab/sicollab/schema/internal/jsontext"
)

// Checker is the compiled check of one schema document.
type Checker struct {
	root *node
}

// maxEval bounds the nesting of schemas evaluated on one value (a
// reference that refers to itself would otherwise never end).
const maxEval = 256

// Check tells whether the value at token i of t satisfies the schema,
// and whether it is sure of that. Only an answer it is sure of is the
// schema's; when unsure, ask jsonschema.
func (c *Checker) Check(t *jsontext.Tape, i int) (valid, sure bool) {
	st := state{t: t}
	ok := c.root.eval(&st, i)
	return ok && !st.unsure, !st.unsure
}

// CheckBytes tokenizes data (see jsontext.Tokenize) and checks it. It is
// not sure of a document Tokenize refuses.
func (c *Checker) CheckBytes(data []byte, maxDepth int) (valid, sure bool) {
	var t jsontext.Tape
	if !jsontext.Tokenize(&t, data, maxDepth, "") {
		return false, false
	}
	return c.Check(&t, 0)
}

// state is one evaluation.
type state struct {
	t      *jsontext.Tape
	unsure bool
	depth  int
}

// doubt notes that the answer is not certain and returns false.
func (st *state) doubt() bool {
	st.unsure = true
	return false
}

// eval tells whether the value at token i satisfies n. A false may be
// a doubt (st.unsure), which the caller checks once at the end.
func (n *node) eval(st *state, i int) bool {
	if n.unsupported {
		return st.doubt()
	}
	if n.never {
		return false
	}
	if st.depth++; st.depth > maxEval {
		return st.doubt()
	}
	ok := n.evalAt(st, i)
	st.depth--
	return ok
}

// evalAt is eval within the bound of nesting.
func (n *node) evalAt(st *state, i int) bool {
	tok := &st.t.Tokens[i]
	if n.types != 0 && !n.typeOK(st, tok) {
		return false
	}
	switch tok.Kind {
	case jsontext.String:
		if !n.evalString(st, i) {
			return false
		}
	case jsontext.Number:
		if !n.evalNumber(st, i) {
			return false
		}
	case jsontext.Object:
		if n.objects && !n.evalObject(st, i) {
			return false
		}
	case jsontext.Array:
		if n.arrays && !n.evalArray(st, i) {
			return false
		}
	}
	if tok.Kind != jsontext.String && (n.enum != nil || n.constant != nil) {
		return false // enums and consts of strings only
	}
	for _, s := range n.allOf {
		if !s.eval(st, i) {
			return false
		}
	}
	if n.anyOf != nil {
		matched := false
		for _, s := range n.anyOf {
			if s.eval(st, i) {
				matched = true
				break
			}
		}
		if !matched {
			return false
		}
	}
	if n.oneOf != nil {
		matched := 0
		for _, s := range n.oneOf {
			if s.eval(st, i) {
				matched++
			}
		}
		if matched != 1 {
			return false
		}
	}
	if n.not != nil && n.not.eval(st, i) {
		return false
	}
	if n.ifn != nil {
		if n.ifn.eval(st, i) {
			if n.then != nil && !n.then.eval(st, i) {
				return false
			}
		} else if n.els != nil && !n.els.eval(st, i) {
			return false
		}
	}
	return true
}

func (n *node) typeOK(st *state, tok *jsontext.Token) bool {
	switch tok.Kind {
	case jsontext.Object:
		return n.types&tObject != 0
	case jsontext.Array:
		return n.types&tArray != 0
	case jsontext.String:
		return n.types&tString != 0
	case jsontext.True, jsontext.False:
		return n.types&tBoolean != 0
	case jsontext.Null:
		return n.types&tNull != 0
	}
	if n.types&tNumber != 0 || n.types&tInteger != 0 && tok.Int {
		return true
	}
	if n.types&tInteger != 0 {
		// 1.0 is an integer to JSON Schema and not to the schema
		// package, which leaves it to its own compiled form.
		return st.doubt()
	}
	return false
}

// text is the string at token i, unescaped.
func (st *state) text(i int) []byte {
	raw := st.t.Text(i)
	if !st.t.Tokens[i].Escaped {
		return raw
	}
	b, _ := jsontext.Unescape(nil, raw) // Tokenize checked it
	return b
}

func (n *node) evalString(st *state, i int) bool {
	if n.enum == nil && n.constant == nil && n.minLen < 0 && n.maxLen < 0 && n.pattern == nil && n.format == nil {
		return true
	}
	b := st.text(i)
	if n.constant != nil && string(b) != *n.constant {
		return false
	}
	if n.enum != nil && !slices.Contains(n.enum, string(b)) {
		return false
	}
	// A string of len(b) bytes has len(b)/4 to len(b) characters (one
	// per byte of invalid UTF-8): they are counted only when the bounds
	// fall in that range.
	if n.minLen >= 0 && n.minLen > len(b)/4 || n.maxLen >= 0 && n.maxLen < len(b) {
		c := utf8.RuneCount(b)
		if n.minLen >= 0 && c < n.minLen || n.maxLen >= 0 && c > n.maxLen {
			return false
		}
	}
	if n.format != nil && !n.format(b) {
		return false
	}
	return n.pattern == nil || n.pattern.match(b)
}

func (n *node) evalNumber(st *state, i int) bool {
	if n.min == nil && n.max == nil {
		return true
	}
	tok := &st.t.Tokens[i]
	lit := st.t.Text(i)
	if tok.Int {
		if v, ok := jsontext.PlainInt(lit); ok {
			return (n.min == nil || v >= *n.min) && (n.max == nil || v <= *n.max)
		}
	}
	// The bounds are integers a float64 holds exactly, and rounding is
	// monotonic: a value that parses strictly inside (or outside) them
	// is inside (or outside). On a bound itself, it may have rounded.
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil && f == 0 {
		return st.doubt()
	}
	if n.min != nil {
		m := float64(*n.min)
		switch {
		case f < m:
			return false
		case f == m:
			return st.doubt()
		}
	}
	if n.max != nil {
		m := float64(*n.max)
		switch {
		case f > m:
			return false
		case f == m:
			return st.doubt()
		}
	}
	return true
}

func (n *node) evalObject(st *state, i int) bool {
	tok := &st.t.Tokens[i]
	size := int(tok.Len)
	if n.minProps >= 0 && size < n.minProps || n.maxProps >= 0 && size > n.maxProps {
		return false
	}
	var have uint64
	k := i + 1
	for range size {
		v := k + 1
		var p *node
		if idx := n.names.lookup(st.t.Text(k)); idx >= 0 {
			have |= 1 << idx
			p = n.props[idx]
		}
		if p == nil {
			p = n.additional
		}
		if p != nil && !p.eval(st, v) {
			return false
		}
		k = int(st.t.Tokens[v].Next)
	}
	return have&n.required == n.required
}

func (n *node) evalArray(st *state, i int) bool {
	tok := &st.t.Tokens[i]
	size := int(tok.Len)
	if n.minItems >= 0 && size < n.minItems || n.maxItems >= 0 && size > n.maxItems {
		return false
	}
	var starts [64]int
	var items []int
	if n.unique && size <= len(starts) {
		items = starts[:0]
	} else if n.unique {
		items = make([]int, 0, size)
	}
	contained := false
	e := i + 1
	for range size {
		if n.items != nil && !n.items.eval(st, e) {
			return false
		}
		if n.contains != nil && !contained && n.contains.eval(st, e) {
			contained = true
		}
		if n.unique {
			for _, o := range items {
				if st.equal(o, e) {
					return false
				}
			}
			items = append(items, e)
		}
		e = int(st.t.Tokens[e].Next)
	}
	return n.contains == nil || contained
}

// equal tells whether the values at tokens a and b are equal as JSON
// Schema compares them (numbers by value, objects whatever the order of
// their members); a doubt where it cannot tell.
func (st *state) equal(a, b int) bool {
	ta, tb := &st.t.Tokens[a], &st.t.Tokens[b]
	if ta.Kind != tb.Kind {
		return false
	}
	switch ta.Kind {
	case jsontext.String:
		return string(st.text(a)) == string(st.text(b))
	case jsontext.Number:
		la, lb := st.t.Text(a), st.t.Text(b)
		if string(la) == string(lb) {
			return true
		}
		if ta.Int && tb.Int {
			x, okx := jsontext.PlainInt(la)
			y, oky := jsontext.PlainInt(lb)
			if okx && oky {
				return x == y
			}
		}
		return st.doubt()
	case jsontext.Array:
		if ta.Len != tb.Len {
			return false
		}
		x, y := a+1, b+1
		for range ta.Len {
			if !st.equal(x, y) {
				return false
			}
			x, y = int(st.t.Tokens[x].Next), int(st.t.Tokens[y].Next)
		}
		return true
	case jsontext.Object:
		if ta.Len != tb.Len {
			return false
		}
		k := a + 1
		for range ta.Len {
			w := st.t.Member(b, string(st.t.Text(k)))
			if w < 0 || !st.equal(k+1, w) {
				return false
			}
			k = int(st.t.Tokens[k+1].Next)
		}
		return true
	}
	return true // true, false, null: the kind is the value
}
