package submit

import (
	"sync"

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

// inclusionMemo holds the verified nodes of one manifest's tree.
type inclusionMemo struct {
	mu    sync.Mutex
	nodes map[span]tlog.Hash
}

func newInclusionMemo() *inclusionMemo {
	return &inclusionMemo{nodes: map[span]tlog.Hash{}}
}

// check reports whether proof proves leaf at index i of the tree of n
// leaves whose head is root, as tlog.CheckRecord would, and remembers
// what it proved.
func (m *inclusionMemo) check(proof tlog.RecordProof, n, i int64, leaf, root tlog.Hash) bool {
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
	m.mu.Lock()
	defer m.mu.Unlock()
	for j := range L {
		lv := levels[L-1-j]
		if lv.left {
			h = tlog.NodeHash(h, proof[j])
		} else {
			h = tlog.NodeHash(proof[j], h)
		}
		up[j] = h
		known, ok := m.nodes[lv.parent]
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
		if s, ok := m.nodes[levels[L-1-j].sib]; !ok || s != proof[j] {
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
		m.nodes[levels[L-1].node] = leaf
	}
	for j := range up {
		lv := levels[L-1-j]
		m.nodes[lv.parent] = up[j]
		m.nodes[lv.sib] = proof[j]
	}
}
