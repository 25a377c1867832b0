package compile

import (
	"math/bits"
	"regexp"
	"strconv"
)

// Patterns as byte matchers.
//
// The schemas' patterns are anchored sequences of ASCII character classes
// with counts, and optional or repeated groups of them:
// ^[A-Z]{2}-[A-Z0-9]{1,3}$, ^(0|[1-9][0-9]{0,17})(\.[0-9]{1,6})?$. Such a
// pattern is matched here over the string's bytes by following the set of
// positions the pattern can have reached after each part, held as the
// bits of one word: no backtracking, no allocation, and the same answer
// as regexp for every input (FuzzPattern compares them). A pattern of any
// other form, and a string longer than 63 bytes, goes to regexp.
//
// Most of the schemas' patterns are linear besides: a flat sequence of
// classes, each repeated a fixed or bounded number of times, where a
// repetition of varying count is the last part or is followed by a part
// that needs at least one byte of a class disjoint from its own
// (^[a-z]+\.[a-z_]+$, ^sha-256:[0-9a-f]{64}$). Such a pattern has at most
// one way to match, found in one pass by taking each varying repetition
// as far as its class goes: a byte of its class cannot start the next
// part. It is matched so at any length, with no position set; so is a
// pattern whose every choice the next byte decides (pattern_det.go).
// The position set takes the rest.

// pattern is a compiled pattern: the byte matcher when the pattern has
// the form above, and always the regular expression.
type pattern struct {
	re      *regexp.Regexp
	root    *rnode // nil: regexp only
	linear  bool   // steps is the pattern
	steps   []step
	decided bool   // det is matched by rnode.next (pattern_det.go)
	det     *rnode // root, fused
}

// step is one part of a linear pattern: min to max bytes of one class.
type step struct {
	class    [2]uint64
	min, max int // max -1 for no bound
}

// rnode is one part of a pattern.
type rnode struct {
	op       rop
	class    [2]uint64 // opClass: the ASCII bytes it matches
	subs     []*rnode  // opSeq, opAlt, opRepeat (one)
	min, max int       // opRepeat; max -1 for no bound

	first    [2]uint64 // the bytes a match can start with
	nullable bool      // it matches the empty string
	last     [2]uint64 // opRun: the bytes it can end with
}

type rop uint8

const (
	opClass rop = iota
	opSeq
	opAlt
	opRepeat
	opRun // in the fused tree of a decided pattern only (pattern_det.go)
)

// newPattern compiles p, which regexp compiles.
func newPattern(p string, re *regexp.Regexp) *pattern {
	pt := &pattern{re: re}
	if len(p) >= 2 && p[0] == '^' && p[len(p)-1] == '$' && (len(p) < 3 || p[len(p)-2] != '\\') {
		r := &reparser{src: p[1 : len(p)-1]}
		// A top-level | would bind the anchors to its branches.
		if n, ok := r.alt(); ok && r.pos == len(r.src) && n.op != opAlt {
			pt.root = n
			pt.steps, pt.linear = linearSteps(n)
			pt.det = fused(n)
			pt.det.firsts()
			pt.decided = pt.det.decided([2]uint64{})
		}
	}
	return pt
}

// linearSteps returns the steps of n when n is a linear pattern.
func linearSteps(n *rnode) ([]step, bool) {
	var steps []step
	var flatten func(n *rnode) bool
	flatten = func(n *rnode) bool {
		switch {
		case n.op == opClass:
			steps = append(steps, step{class: n.class, min: 1, max: 1})
		case n.op == opRepeat && n.subs[0].op == opClass:
			steps = append(steps, step{class: n.subs[0].class, min: n.min, max: n.max})
		case n.op == opSeq:
			for _, s := range n.subs {
				if !flatten(s) {
					return false
				}
			}
		default:
			return false
		}
		return true
	}
	if !flatten(n) {
		return nil, false
	}
	for i, s := range steps[:max(len(steps)-1, 0)] {
		next := steps[i+1]
		if s.min != s.max && (next.min < 1 || s.class[0]&next.class[0] != 0 || s.class[1]&next.class[1] != 0) {
			return nil, false
		}
	}
	return steps, true
}

// in tells whether c is in class.
func in(class *[2]uint64, c byte) bool {
	return c < 0x80 && class[c>>6]&(1<<(c&63)) != 0
}

// match tells whether b matches.
func (p *pattern) match(b []byte) bool {
	switch {
	case p.linear:
		return p.matchLinear(b)
	case p.decided:
		return p.matchDecided(b)
	}
	return p.matchSet(b)
}

// matchLinear matches b against the steps of a linear pattern.
func (p *pattern) matchLinear(b []byte) bool {
	at := 0
	for i := range p.steps {
		s := &p.steps[i]
		if s.min == s.max {
			if len(b)-at < s.min {
				return false
			}
			for _, c := range b[at : at+s.min] {
				if !in(&s.class, c) {
					return false
				}
			}
			at += s.min
			continue
		}
		// As far as the class goes: the next part cannot start on a
		// byte of it, and the last part must reach the end.
		q := at
		for q < len(b) && in(&s.class, b[q]) {
			q++
		}
		if n := q - at; n < s.min || s.max >= 0 && n > s.max {
			return false
		}
		at = q
	}
	return at == len(b)
}

// matchSet matches b by following the set of positions the pattern can
// have reached; regexp decides when the pattern has no byte matcher or b
// has more than 63 bytes.
func (p *pattern) matchSet(b []byte) bool {
	if p.root == nil || len(b) > 63 {
		return p.re.Match(b)
	}
	for _, c := range b {
		if c >= 0x80 {
			return false // every part matches ASCII bytes only, and the pattern is anchored
		}
	}
	return p.root.run(b, 1)&(1<<len(b)) != 0
}

// run returns the positions reachable from the set at after this part.
func (n *rnode) run(b []byte, at uint64) uint64 {
	switch n.op {
	case opClass:
		var out uint64
		for set := at; set != 0; set &= set - 1 {
			p := bits.TrailingZeros64(set)
			if p < len(b) && n.class[b[p]>>6]&(1<<(b[p]&63)) != 0 {
				out |= 1 << (p + 1)
			}
		}
		return out
	case opSeq:
		for _, s := range n.subs {
			if at == 0 {
				return 0
			}
			at = s.run(b, at)
		}
		return at
	case opAlt:
		var out uint64
		for _, s := range n.subs {
			out |= s.run(b, at)
		}
		return out
	}
	// opRepeat
	if n.subs[0].op == opClass && at&(at-1) == 0 {
		// One class from one position: count its bytes, and every
		// count from min to there is a position reached.
		if at == 0 {
			return 0
		}
		p := bits.TrailingZeros64(at)
		q := p
		for q < len(b) && (n.max < 0 || q-p < n.max) && in(&n.subs[0].class, b[q]) {
			q++
		}
		if q-p < n.min {
			return 0
		}
		return (1<<(q+1) - 1) &^ (1<<(p+n.min) - 1)
	}
	cur := at
	for range n.min {
		cur = n.subs[0].run(b, cur)
		if cur == 0 {
			return 0
		}
	}
	out := cur
	for i := n.min; n.max < 0 || i < n.max; i++ {
		cur = n.subs[0].run(b, cur)
		if cur&^out == 0 {
			break // nothing new: more repetitions reach nothing more
		}
		out |= cur
	}
	return out
}

// reparser reads the pattern syntax the byte matcher handles; anything
// else makes it fail, and the pattern is left to regexp.
type reparser struct {
	src string
	pos int
}

func (r *reparser) alt() (*rnode, bool) {
	var branches []*rnode
	for {
		s, ok := r.seq()
		if !ok {
			return nil, false
		}
		branches = append(branches, s)
		if r.pos < len(r.src) && r.src[r.pos] == '|' {
			r.pos++
			continue
		}
		break
	}
	if len(branches) == 1 {
		return branches[0], true
	}
	return &rnode{op: opAlt, subs: branches}, true
}

func (r *reparser) seq() (*rnode, bool) {
	n := &rnode{op: opSeq}
	for r.pos < len(r.src) && r.src[r.pos] != '|' && r.src[r.pos] != ')' {
		a, ok := r.atom()
		if !ok {
			return nil, false
		}
		if a, ok = r.quantified(a); !ok {
			return nil, false
		}
		n.subs = append(n.subs, a)
	}
	return n, true
}

func (r *reparser) atom() (*rnode, bool) {
	c := r.src[r.pos]
	switch c {
	case '(':
		r.pos++
		if len(r.src)-r.pos >= 2 && r.src[r.pos:r.pos+2] == "?:" {
			r.pos += 2
		} else if r.pos < len(r.src) && r.src[r.pos] == '?' {
			return nil, false // flags, named groups
		}
		n, ok := r.alt()
		if !ok || r.pos >= len(r.src) || r.src[r.pos] != ')' {
			return nil, false
		}
		r.pos++
		return n, true
	case '[':
		return r.class()
	case '\\':
		r.pos++
		if r.pos >= len(r.src) {
			return nil, false
		}
		e := r.src[r.pos]
		r.pos++
		n := &rnode{op: opClass}
		switch {
		case e == 'd':
			n.addRange('0', '9')
		case isPunct(e):
			n.addRange(e, e)
		default:
			return nil, false
		}
		return n, true
	case '.', '*', '+', '?', '{', '}', ']', '^', '$':
		return nil, false
	}
	if c >= 0x80 || c < 0x20 {
		return nil, false
	}
	r.pos++
	n := &rnode{op: opClass}
	n.addRange(c, c)
	return n, true
}

// isPunct: the ASCII punctuation whose escape means itself.
func isPunct(c byte) bool {
	switch c {
	case '.', '-', '/', '\\', '+', '*', '?', '(', ')', '[', ']', '{', '}', '|', '^', '$', ':', '_', '!', '#', '&', ',', '<', '>', '=', '@', '~', '%', '"', '\'', ';', '`':
		return true
	}
	return false
}

func (r *reparser) class() (*rnode, bool) {
	r.pos++ // '['
	n := &rnode{op: opClass}
	if r.pos < len(r.src) && r.src[r.pos] == '^' {
		return nil, false // negated: beyond ASCII, regexp's
	}
	first := true
	for r.pos < len(r.src) {
		c := r.src[r.pos]
		if c == ']' && !first {
			r.pos++
			return n, true
		}
		first = false
		lo, ok := r.classChar()
		if !ok {
			return nil, false
		}
		hi := lo
		if len(r.src)-r.pos >= 2 && r.src[r.pos] == '-' && r.src[r.pos+1] != ']' {
			r.pos++
			if hi, ok = r.classChar(); !ok || hi < lo {
				return nil, false
			}
		}
		n.addRange(lo, hi)
	}
	return nil, false
}

// classChar reads one byte of a class, a literal or an escaped
// punctuation mark.
func (r *reparser) classChar() (byte, bool) {
	c := r.src[r.pos]
	r.pos++
	switch {
	case c == '\\':
		if r.pos >= len(r.src) || !isPunct(r.src[r.pos]) {
			return 0, false
		}
		c = r.src[r.pos]
		r.pos++
		return c, true
	case c == '[' || c >= 0x80 || c < 0x20:
		return 0, false // [:alpha:] and friends, or not ASCII
	}
	return c, true
}

func (n *rnode) addRange(lo, hi byte) {
	for c := int(lo); c <= int(hi); c++ {
		n.class[c>>6] |= 1 << (c & 63)
	}
}

// quantified reads a quantifier after a, if any. Lazy and possessive
// forms are left to regexp.
func (r *reparser) quantified(a *rnode) (*rnode, bool) {
	if r.pos >= len(r.src) {
		return a, true
	}
	min, max := 0, 0
	switch r.src[r.pos] {
	case '?':
		min, max = 0, 1
		r.pos++
	case '*':
		min, max = 0, -1
		r.pos++
	case '+':
		min, max = 1, -1
		r.pos++
	case '{':
		end := r.pos + 1
		for end < len(r.src) && r.src[end] != '}' {
			end++
		}
		if end >= len(r.src) {
			return nil, false
		}
		body := r.src[r.pos+1 : end]
		lo, hi, comma := body, body, false
		for i := 0; i < len(body); i++ {
			if body[i] == ',' {
				lo, hi, comma = body[:i], body[i+1:], true
				break
			}
		}
		var err error
		if min, err = strconv.Atoi(lo); err != nil || min < 0 || min > 1000 {
			return nil, false
		}
		switch {
		case !comma:
			max = min
		case hi == "":
			max = -1
		default:
			if max, err = strconv.Atoi(hi); err != nil || max < min || max > 1000 {
				return nil, false
			}
		}
		r.pos = end + 1
	default:
		return a, true
	}
	if r.pos < len(r.src) {
		switch r.src[r.pos] {
		case '?', '+', '*', '{':
			return nil, false // lazy, or a quantifier of a quantifier
		}
	}
	return &rnode{op: opRepeat, subs: []*rnode{a}, min: min, max: max}, true
}
