package submit

import (
	"math/bits"
	"sync/atomic"

	"golang.org/x/mod/sumdb/tlog"
)

// Inclusion paths checked against what earlier records of the manifest proved.
//
// The records of one manifest share the upper part of their inclusion
// paths. Once a record's path has been checked to the signed root, every
// node on it and every sibling it carries are hashes of the manifest's
// tree: an inclusionMemo keeps them by the leaf range they cover. A later
// record hashes up from its leaf only until it reaches a node the memo
// holds; it verifies if that node's hash is the memo's and every sibling
// above is the memo's too (byte comparisons), which is what checking its
// path to the root would establish. Anything else (a node or a sibling
// the memo lacks, a mismatch) goes to tlog.CheckRecord, which decides.
// A manifest of 256 leaves then costs about one hash per record in place
// of eight. The tree's shape is RFC 6962's, as tlog builds it: a range
// splits at the largest power of two below its width.

// span is a range [lo, hi) of a manifest's leaves: a node of its tree.
type span struct{ lo, hi int64 }

// pathLevel is one level of a leaf's path, from the root down: the node
// split at this level, the child holding the leaf and its sibling.
type pathLevel struct {
	parent, node, sib span
	left              bool // node is the left child
}

// pathOf appends to out the levels of leaf i's path in a tree of n
// leaves, from the root down: one per hash of its inclusion proof.
func pathOf(out []pathLevel, n, i int64) []pathLevel {
	lo, hi := int64(0), n
	for hi-lo > 1 {
		k := int64(1)
		for k<<1 < hi-lo {
			k <<= 1
		}
		mid := lo + k
		lv := pathLevel{parent: span{lo, hi}}
		if i < mid {
			lv.node, lv.sib, lv.left = span{lo, mid}, span{mid, hi}, true
		} else {
			lv.node, lv.sib = span{mid, hi}, span{lo, mid}
		}
		out = append(out, lv)
		lo, hi = lv.node.lo, lv.node.hi
	}
	return out
}

// inclusionMemo holds the verified nodes of one manifest's tree, one
// slot per node, read and written without a lock: the records of a
// batch are checked in parallel. A slot is written once (its state goes
// from empty to writing to known); only verified hashes are written, so
// two writers of one slot would write the same hash, and the one that
// loses the race skips it.
type inclusionMemo struct {
	size  int64
	level []int // level[l]: the slot of the first node of level l
	slots []memoSlot
}

// memoSlot is one node: state 0 empty, 1 being written, 2 known.
type memoSlot struct {
	state atomic.Uint32
	h     tlog.Hash
}

// newInclusionMemo returns the memo of a tree of size leaves (size >= 1).
func newInclusionMemo(size int64) *inclusionMemo {
	m := &inclusionMemo{size: max(size, 1)}
	n := 0
	for w := m.size; ; w = (w + 1) / 2 {
		m.level = append(m.level, n)
		n += int(w)
		if w == 1 {
			break
		}
	}
	m.slots = make([]memoSlot, n)
	return m
}

// slot returns the slot of the node s. A node of an RFC 6962 tree is a
// complete subtree [lo, lo+2^l) with lo a multiple of 2^l, or a node on
// the right edge [lo, size) whose width is above 2^(l-1) and below 2^l,
// lo again a multiple of 2^l: (l, lo>>l) names each node once.
func (m *inclusionMemo) slot(s span) *memoSlot {
	l := bits.Len64(uint64(s.hi - s.lo - 1))
	return &m.slots[m.level[l]+int(s.lo>>l)]
}

func (m *inclusionMemo) get(s span) (tlog.Hash, bool) {
	sl := m.slot(s)
	if sl.state.Load() != 2 {
		return tlog.Hash{}, false
	}
	return sl.h, true
}

func (m *inclusionMemo) put(s span, h tlog.Hash) {
	sl := m.slot(s)
	if sl.state.CompareAndSwap(0, 1) {
		sl.h = h
		sl.state.Store(2)
	}
}

// check reports whether proof proves leaf at index i of the tree of n
// leaves whose head is root, as tlog.CheckRecord would, and remembers
// what it proved.
func (m *inclusionMemo) check(proof tlog.RecordProof, n, i int64, leaf, root tlog.Hash) bool {
	if n != m.size {
		return tlog.CheckRecord(proof, n, root, i, leaf) == nil
	}
	if i < 0 || i >= n {
		return false
	}
	var buf [maxPath]pathLevel
	levels := pathOf(buf[:0], n, i)
	if len(levels) != len(proof) {
		return false
	}
	var up [maxPath]tlog.Hash // up[j]: the hash of levels[L-1-j].parent
	L := len(levels)
	h := leaf
	for j := range L {
		lv := levels[L-1-j]
		if lv.left {
			h = tlog.NodeHash(h, proof[j])
		} else {
			h = tlog.NodeHash(proof[j], h)
		}
		up[j] = h
		known, ok := m.get(lv.parent)
		if !ok {
			continue
		}
		if known != h || !m.siblingsKnown(levels, proof, j+1) {
			return tlog.CheckRecord(proof, n, root, i, leaf) == nil
		}
		m.remember(levels, proof, up[:j+1], leaf)
		return true
	}
	if h != root {
		return false
	}
	m.remember(levels, proof, up[:L], leaf)
	return true
}

// siblingsKnown reports whether the siblings of proof from index j up
// (deepest first) are the memo's.
func (m *inclusionMemo) siblingsKnown(levels []pathLevel, proof tlog.RecordProof, j int) bool {
	L := len(levels)
	for ; j < L; j++ {
		if s, ok := m.get(levels[L-1-j].sib); !ok || s != proof[j] {
			return false
		}
	}
	return true
}

// remember keeps the leaf, the nodes up[j] its path proved (deepest
// first) and the siblings of those levels.
func (m *inclusionMemo) remember(levels []pathLevel, proof tlog.RecordProof, up []tlog.Hash, leaf tlog.Hash) {
	L := len(levels)
	if L > 0 {
		m.put(levels[L-1].node, leaf)
	}
	for j := range up {
		lv := levels[L-1-j]
		m.put(lv.parent, up[j])
		m.put(lv.sib, proof[j])
	}
}
