package compile

// Property names found without hashing the whole name.
//
// An object's member is matched to its property schema for every member
// of every record. A map costs a hash of the key and a probe; the names
// of one schema's properties are few and fixed, so they are placed
// instead in a table indexed by a mix of the key's length, its first and
// last bytes and one more, with that byte's place and a multiplier chosen
// when the schema is compiled so that no two names share a slot. A lookup is that mix and
// one comparison. A set of names that no multiplier separates keeps the
// map.

// nameTable numbers a fixed set of names.
type nameTable struct {
	slots []slot
	mul   uint32
	shift uint8
	at    int            // the place of the third byte looked at
	index map[string]int // when no table separates the names
}

// slot is one place of a table: a name and its number, or num -1.
type slot struct {
	name string
	num  int
}

// sig mixes the bytes of key a table looks at: its length, its first
// and last bytes and the one at place at (or its last).
func sig[T string | []byte](key T, at int) uint32 {
	n := len(key)
	if n == 0 {
		return 0
	}
	return uint32(n)<<24 ^ uint32(key[0])<<16 ^ uint32(key[min(at, n-1)])<<8 ^ uint32(key[n-1])
}

// maxAt bounds the places newNameTable tries for the third byte.
const maxAt = 24

// multipliers are the odd constants newNameTable tries.
var multipliers = [...]uint32{0x9E3779B1, 0x85EBCA6B, 0xC2B2AE35, 0x27D4EB2F, 0x165667B1, 0xD3A2646C | 1, 0xFD7046C5, 0xB55A4F09}

// newNameTable numbers names: names[i] is number i.
func newNameTable(names []string) *nameTable {
	index := make(map[string]int, len(names))
	for i, name := range names {
		index[name] = i
	}
	bitsNeeded := uint8(1)
	for 1<<bitsNeeded < len(names) {
		bitsNeeded++
	}
	for b := bitsNeeded; b <= bitsNeeded+3 && b <= 16; b++ {
		for at := 1; at <= maxAt; at++ {
			for _, m := range multipliers {
				if t := tryNameTable(names, m, b, at); t != nil {
					return t
				}
			}
		}
	}
	return &nameTable{index: index}
}

// tryNameTable places names in a table of 1<<b slots by multiplier m
// and third place at, or returns nil if two of them share a slot.
func tryNameTable(names []string, m uint32, b uint8, at int) *nameTable {
	t := &nameTable{slots: make([]slot, 1<<b), mul: m, shift: 32 - b, at: at}
	for i := range t.slots {
		t.slots[i].num = -1
	}
	for i, name := range names {
		s := &t.slots[t.place(name)]
		if s.num >= 0 {
			return nil
		}
		s.name, s.num = name, i
	}
	return t
}

// place is the slot of key.
func (t *nameTable) place(key string) uint32 {
	return sig(key, t.at) * t.mul >> t.shift
}

// lookup returns the number of the name key, or -1.
func (t *nameTable) lookup(key []byte) int {
	if t.index != nil {
		if i, ok := t.index[string(key)]; ok {
			return i
		}
		return -1
	}
	s := &t.slots[sig(key, t.at)*t.mul>>t.shift]
	if s.num >= 0 && s.name == string(key) {
		return s.num
	}
	return -1
}
