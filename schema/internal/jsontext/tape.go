package jsontext

import "math"

// Kind is the kind of a token on a tape.
type Kind uint8

// Kinds of token.
const (
	Object Kind = iota + 1
	Array
	String
	Number
	True
	False
	Null
)

// Token is one value, or one object key, of a document on a tape.
type Token struct {
	// Kind says what the token is; an object key is a String.
	Kind Kind
	// Escaped is set on a string that holds escapes (see Unescape).
	Escaped bool
	// Int is set on a number written as an integer.
	Int bool
	// Start and End delimit the token's text: a string's bytes between
	// its quotes, a number's literal, a container from its opening
	// bracket to just past its closing one.
	Start, End int32
	// Next is the index of the token after this value and everything
	// it holds.
	Next int32
	// Len is a container's number of members or elements.
	Len int32
}

// MaxMembers bounds the members of an object Tokenize reads: duplicate
// keys are found by comparing every pair.
const MaxMembers = 64

// Tape is a document read by Tokenize. An object is its token, then for
// each member the key's token and the value's tokens; an array is its
// token, then each element's.
type Tape struct {
	// Data is the document.
	Data []byte
	// Tokens are its values in document order.
	Tokens []Token
	// SawKey is set when an object of the document has a member named
	// by the key Tokenize was asked to look for.
	SawKey bool

	watch string
}

// Text returns the token's text (a string's raw bytes, with escapes).
func (t *Tape) Text(i int) []byte {
	tok := &t.Tokens[i]
	return t.Data[tok.Start:tok.End]
}

// Tokenize reads data, which must hold exactly one JSON value, onto t
// (reusing its tokens' storage), with at most maxDepth levels of nesting,
// and notes in t.SawKey whether any object has a member named watch. It
// returns false for anything the parser of the schema package refuses,
// and for keys with escapes and objects of more than MaxMembers members.
func Tokenize(t *Tape, data []byte, maxDepth int, watch string) bool {
	t.Data, t.Tokens, t.SawKey, t.watch = data, t.Tokens[:0], false, watch
	if len(data) > math.MaxInt32 {
		return false // offsets are 32 bits
	}
	s := Scanner{Data: data, MaxDepth: maxDepth}
	s.Space()
	if !t.value(&s) {
		return false
	}
	s.Space()
	return s.Pos == len(data)
}

func (t *Tape) value(s *Scanner) bool {
	if s.Pos >= len(s.Data) {
		return false
	}
	i := len(t.Tokens)
	start := s.Pos
	switch c := s.Data[s.Pos]; {
	case c == '{':
		return t.object(s, i)
	case c == '[':
		return t.array(s, i)
	case c == '"':
		raw, esc, ok := s.String()
		if !ok {
			return false
		}
		t.Tokens = append(t.Tokens, Token{Kind: String, Escaped: esc, Start: int32(start + 1), End: int32(start + 1 + len(raw)), Next: int32(i + 1)})
		return true
	case c == '-' || c >= '0' && c <= '9':
		_, isInt, ok := s.Number()
		if !ok {
			return false
		}
		t.Tokens = append(t.Tokens, Token{Kind: Number, Int: isInt, Start: int32(start), End: int32(s.Pos), Next: int32(i + 1)})
		return true
	case c == 't' || c == 'f':
		v, ok := s.Literal()
		if !ok {
			return false
		}
		k := False
		if v {
			k = True
		}
		t.Tokens = append(t.Tokens, Token{Kind: k, Start: int32(start), End: int32(s.Pos), Next: int32(i + 1)})
		return true
	case c == 'n':
		if !s.Null() {
			return false
		}
		t.Tokens = append(t.Tokens, Token{Kind: Null, Start: int32(start), End: int32(s.Pos), Next: int32(i + 1)})
		return true
	}
	return false
}

func (t *Tape) object(s *Scanner, i int) bool {
	if !s.Enter() {
		return false
	}
	start := s.Pos
	s.Pos++
	t.Tokens = append(t.Tokens, Token{Kind: Object, Start: int32(start)})
	var keys [MaxMembers]int32 // token indexes of the keys
	var sigs [MaxMembers]uint32
	var seen uint64 // a bit for each key's signature
	n := 0
	if !s.Next('}') {
		for {
			s.Space()
			k := len(t.Tokens)
			kstart := s.Pos
			raw, esc, ok := s.String()
			if !ok || esc || n == MaxMembers {
				return false
			}
			// A key can repeat an earlier one only if its signature
			// does, and only if its bit is already seen.
			h := keySig(raw)
			bit := uint64(1) << (h * 0x9E3779B1 >> 26)
			if seen&bit != 0 {
				for j, k := range keys[:n] {
					if sigs[j] == h && string(t.Text(int(k))) == string(raw) {
						return false // a duplicate key
					}
				}
			}
			seen |= bit
			sigs[n] = h
			if t.watch != "" && string(raw) == t.watch {
				t.SawKey = true
			}
			keys[n] = int32(k)
			n++
			t.Tokens = append(t.Tokens, Token{Kind: String, Start: int32(kstart + 1), End: int32(kstart + 1 + len(raw)), Next: int32(k + 1)})
			if !s.Next(':') {
				return false
			}
			s.Space()
			if !t.value(s) {
				return false
			}
			if s.Next('}') {
				break
			}
			if !s.Next(',') {
				return false
			}
		}
	}
	s.Depth--
	t.Tokens[i].End, t.Tokens[i].Next, t.Tokens[i].Len = int32(s.Pos), int32(len(t.Tokens)), int32(n)
	return true
}

// keySig mixes a key's length with its first, middle and last bytes:
// keys of different signatures differ.
func keySig(key []byte) uint32 {
	n := len(key)
	if n == 0 {
		return 0
	}
	return uint32(n)<<24 ^ uint32(key[0])<<16 ^ uint32(key[n/2])<<8 ^ uint32(key[n-1])
}

func (t *Tape) array(s *Scanner, i int) bool {
	if !s.Enter() {
		return false
	}
	start := s.Pos
	s.Pos++
	t.Tokens = append(t.Tokens, Token{Kind: Array, Start: int32(start)})
	n := 0
	if !s.Next(']') {
		for {
			s.Space()
			if !t.value(s) {
				return false
			}
			n++
			if s.Next(']') {
				break
			}
			if !s.Next(',') {
				return false
			}
		}
	}
	s.Depth--
	t.Tokens[i].End, t.Tokens[i].Next, t.Tokens[i].Len = int32(s.Pos), int32(len(t.Tokens)), int32(n)
	return true
}

// Member returns the token index of the value of the member named name
// of the object at index i, or -1.
func (t *Tape) Member(i int, name string) int {
	tok := &t.Tokens[i]
	if tok.Kind != Object {
		return -1
	}
	k := i + 1
	for range tok.Len {
		if string(t.Text(k)) == name {
			return k + 1
		}
		k = int(t.Tokens[k+1].Next)
	}
	return -1
}
