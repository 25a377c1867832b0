package compile

// Patterns that one byte of lookahead decides.
//
// A pattern with groups, alternatives or optional parts is matched in
// one pass as well when every choice it makes is decided by the next
// byte alone: the branches of an alternative start with disjoint sets of
// bytes and none matches the empty string, and a part repeated a varying
// number of times matches no empty string and starts with no byte that
// can follow it (^(0|[1-9][0-9]{0,17})(\.[0-9]{1,6})?$). Every choice is
// then forced, as in an LL(1) parser: the byte either starts one more
// repetition or the branch it names, or it starts nothing that could
// match. Other patterns keep the position set.
//
// Before that test, a varying repetition of a class followed by one
// class within it (the fraction of a time, [0-9]{0,8}[1-9]) is read as
// one part: a run of the first class, its length in bounds, its last
// byte in the second. Taken as far as the class goes, such a run is
// exact when no byte of the class can follow it.

// fused returns a copy of n in which each varying repetition of a class
// followed by a class within it is one opRun.
func fused(n *rnode) *rnode {
	c := *n
	c.subs = nil
	for i := 0; i < len(n.subs); i++ {
		s := n.subs[i]
		if n.op == opSeq && i+1 < len(n.subs) && s.op == opRepeat && s.min != s.max && s.subs[0].op == opClass {
			if d := n.subs[i+1]; d.op == opClass && d.class[0]&^s.subs[0].class[0] == 0 && d.class[1]&^s.subs[0].class[1] == 0 {
				max := s.max
				if max >= 0 {
					max++
				}
				c.subs = append(c.subs, &rnode{op: opRun, class: s.subs[0].class, last: d.class, min: s.min + 1, max: max})
				i++
				continue
			}
		}
		c.subs = append(c.subs, fused(s))
	}
	return &c
}

// firsts sets n.first and n.nullable, and those of its parts.
func (n *rnode) firsts() {
	switch n.op {
	case opClass, opRun:
		n.first, n.nullable = n.class, false
	case opSeq:
		n.nullable = true
		for _, s := range n.subs {
			s.firsts()
			if n.nullable {
				n.first = union(n.first, s.first)
				n.nullable = s.nullable
			}
		}
	case opAlt:
		for _, s := range n.subs {
			s.firsts()
			n.first = union(n.first, s.first)
			n.nullable = n.nullable || s.nullable
		}
	case opRepeat:
		s := n.subs[0]
		s.firsts()
		n.first, n.nullable = s.first, s.nullable || n.min == 0
	}
}

// decided tells whether the next byte decides every choice of n, given
// the bytes that may follow it (the end of the string always may).
func (n *rnode) decided(follow [2]uint64) bool {
	switch n.op {
	case opRun:
		return !overlap(n.class, follow)
	case opSeq:
		for i := len(n.subs) - 1; i >= 0; i-- {
			s := n.subs[i]
			if !s.decided(follow) {
				return false
			}
			if s.nullable {
				follow = union(s.first, follow)
			} else {
				follow = s.first
			}
		}
	case opAlt:
		var seen [2]uint64
		for _, s := range n.subs {
			if s.nullable || overlap(seen, s.first) || !s.decided(follow) {
				return false
			}
			seen = union(seen, s.first)
		}
	case opRepeat:
		s := n.subs[0]
		if s.nullable || n.min != n.max && overlap(s.first, follow) {
			return false
		}
		if n.max != 1 {
			follow = union(follow, s.first)
		}
		return s.decided(follow)
	}
	return true
}

func union(a, b [2]uint64) [2]uint64 { return [2]uint64{a[0] | b[0], a[1] | b[1]} }

func overlap(a, b [2]uint64) bool { return a[0]&b[0] != 0 || a[1]&b[1] != 0 }

// next matches n at b[at:], each choice made by the next byte, and
// returns where it ends.
func (n *rnode) next(b []byte, at int) (int, bool) {
	switch n.op {
	case opClass:
		if at < len(b) && in(&n.class, b[at]) {
			return at + 1, true
		}
		return at, false
	case opSeq:
		for _, s := range n.subs {
			var ok bool
			if at, ok = s.next(b, at); !ok {
				return at, false
			}
		}
		return at, true
	case opRun:
		q := at
		for q < len(b) && in(&n.class, b[q]) {
			q++
		}
		l := q - at
		return q, l >= n.min && (n.max < 0 || l <= n.max) && l > 0 && in(&n.last, b[q-1])
	case opAlt:
		if at < len(b) {
			for _, s := range n.subs {
				if in(&s.first, b[at]) {
					return s.next(b, at)
				}
			}
		}
		return at, false
	}
	// opRepeat
	s := n.subs[0]
	if s.op == opClass {
		// Each byte of the class is one more repetition.
		q := at
		for q < len(b) && (n.max < 0 || q-at < n.max) && in(&s.class, b[q]) {
			q++
		}
		return q, q-at >= n.min
	}
	for i := 0; n.max < 0 || i < n.max; i++ {
		if i >= n.min && (at >= len(b) || !in(&s.first, b[at])) {
			break
		}
		var ok bool
		if at, ok = s.next(b, at); !ok {
			return at, false
		}
	}
	return at, true
}

// matchDecided matches b against a pattern the next byte decides.
func (p *pattern) matchDecided(b []byte) bool {
	at, ok := p.det.next(b, 0)
	return ok && at == len(b)
}
