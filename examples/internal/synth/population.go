package synth

import (
	"fmt"
	"math/bits"
	"strconv"

	"github.com/sicollab/sicollab/schema"
)

// The synthetic population. Person i is derived from the seed and i alone
// (never from the order records are made in), so that the same person has
// the same identifiers, and the same pseudonyms, in every record and every
// run with the seed. Identifiers are unique by construction (a bijection of
// i) and deliberately unlike any real person's:
//
//	passport     SP + 8 digits
//	national id  SN + 16 digits
//	phone        +999 + 9 digits (999 is an unassigned ITU country code)
//	email        p + 9 digits @ mail.example.org/.net/.com (RFC 2606)
//	account      SA + 2-digit institution + 14 digits
//	platform     U + 11 digits (the account id on a platform)
//
// A tenth of the background is foreign; a fiftieth is "flaggable": only
// they are reported by platforms in the background, and they never buy
// hazardous substances or travel on a ticket bought by phone number, so
// that background noise cannot link a flagged account to a purchase or a
// trip (see the pattern rules in doc.go).

// flaggableEvery: one background person in flaggableEvery is flaggable.
const flaggableEvery = 50

// idKind is one identifier of a person.
type idKind uint8

const (
	idPassport idKind = iota
	idNational
	idPhone
	idEmail
	idPlatform
	idAccount0 // idAccount0+j is the person's j-th account, j < maxAccounts
	numIDKinds = idAccount0 + maxAccounts
)

const maxAccounts = 3

var idTypes = [numIDKinds]schema.IDType{
	schema.IDPassport, schema.IDNationalID, schema.IDPhone, schema.IDEmail, schema.IDAccount,
	schema.IDAccount, schema.IDAccount, schema.IDAccount,
}

// person is one synthetic person.
type person struct {
	idx       int
	nat       string // ISO 3166-1 nationality
	home      int    // index in cities
	birth     [3]int // year, month, day
	nAcct     int    // accounts held, 1..maxAccounts
	acctInst  [maxAccounts]int
	flaggable bool
	h         uint64 // further attributes
}

func (p *person) foreign() bool { return p.nat != "CN" }

// splitmix64 is the SplitMix64 finalizer: a fast, well-mixed hash of x.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// perm is the bijection x -> (a*x + b) mod m on [0, m), a coprime to m.
type perm struct{ a, b, m uint64 }

func newPerm(seed uint64, salt uint64, m uint64) perm {
	h := splitmix64(seed ^ salt)
	a := (h % m) | 1
	for a%5 == 0 || a >= m {
		a = (a + 2) % m
	}
	return perm{a: a, b: splitmix64(h) % m, m: m}
}

func (p perm) at(x uint64) uint64 {
	hi, lo := bits.Mul64(p.a, x%p.m)
	return (bits.Rem64(hi, lo, p.m) + p.b) % p.m
}

// population holds the per-person derivation and the pseudonym cache.
type population struct {
	seed   uint64
	size   int // background people: 0..size-1; actors come after
	actors []person
	perms  [numIDKinds]perm
	pseudo *schema.Pseudonymizer
	// cache holds each person's pseudonyms once made (hex, 64 bytes
	// each); nil until first use.
	cache     []*[numIDKinds]string
	identity  bool
	acctOrgs  []string // institutions accounts are held at (org ids)
	acctCodes []int    // their 2-digit codes
}

func newPopulation(seed uint64, size int, ps *schema.Pseudonymizer, identity bool, acctOrgs []string) *population {
	p := &population{seed: seed, size: size, pseudo: ps, identity: identity, acctOrgs: acctOrgs}
	mods := [numIDKinds]uint64{1e8, 1e16, 1e9, 1e9, 1e11, 1e14, 1e14, 1e14}
	for k := range p.perms {
		p.perms[k] = newPerm(seed, uint64(k+1)*0x51ed27, mods[k])
	}
	for i := range acctOrgs {
		p.acctCodes = append(p.acctCodes, 10+i)
	}
	p.cache = make([]*[numIDKinds]string, size)
	return p
}

// get returns person i (background if i < size, else an actor).
func (p *population) get(i int) person {
	if i >= p.size {
		return p.actors[i-p.size]
	}
	return p.derive(i)
}

// derive computes background person i from the seed.
func (p *population) derive(i int) person {
	h := splitmix64(p.seed ^ splitmix64(uint64(i)+0x5eed))
	q := person{idx: i, h: h, nat: "CN"}
	if h%10 == 0 {
		q.nat = foreignNationalities[(h>>8)%uint64(len(foreignNationalities))]
	}
	q.home = int((h >> 16) % uint64(len(cities)))
	q.birth = [3]int{1950 + int((h>>24)%56), 1 + int((h>>32)%12), 1 + int((h>>36)%28)}
	q.flaggable = i%flaggableEvery == flaggableEvery/7
	if n := len(p.acctOrgs); n > 0 {
		q.nAcct = 1 + int((h>>46)%uint64(min(n, maxAccounts)))
		first := int((h >> 50) % uint64(n))
		for j := range q.nAcct {
			q.acctInst[j] = (first + j) % n
		}
	}
	return q
}

// newActor adds a person for a planted pattern, derived like the
// background from an index past it, then adjusted by fix.
func (p *population) newActor(fix func(*person)) person {
	i := p.size + len(p.actors)
	q := p.derive(i)
	q.flaggable = false
	if fix != nil {
		fix(&q)
	}
	p.actors = append(p.actors, q)
	p.cache = append(p.cache, nil)
	return q
}

// identifier returns the raw identifier k of person q.
func (p *population) identifier(q *person, k idKind) string {
	x := uint64(q.idx)
	if k >= idAccount0 {
		x = x*maxAccounts + uint64(k-idAccount0)
	}
	v := p.perms[k].at(x)
	switch k {
	case idPassport:
		return "SP" + pad(v, 8)
	case idNational:
		return "SN" + pad(v, 16)
	case idPhone:
		return "+999" + pad(v, 9)
	case idEmail:
		return "p" + pad(v, 9) + "@mail.example." + [...]string{"org", "net", "com"}[v%3]
	case idPlatform:
		return "U" + pad(v, 11)
	}
	code := 99
	if j := int(k - idAccount0); j < q.nAcct {
		code = p.acctCodes[q.acctInst[j]]
	}
	return "SA" + strconv.Itoa(code) + pad(v, 14)
}

// pad writes v in decimal with leading zeros to width digits.
func pad(v uint64, width int) string {
	var b [20]byte
	i := len(b)
	for v > 0 || i > len(b)-width {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}

// subject returns identifier k of person q as a Subject, with clear
// identity when the population was made with it.
func (p *population) subject(q *person, k idKind) schema.Subject {
	c := p.cache[q.idx]
	if c == nil {
		c = new([numIDKinds]string)
		p.cache[q.idx] = c
	}
	if c[k] == "" {
		s, err := p.pseudo.Pseudonym(idTypes[k], p.identifier(q, k))
		if err != nil {
			panic(fmt.Sprintf("synth: bug: generated identifier refused: %v", err))
		}
		c[k] = s.Pseudonym
	}
	s := schema.Subject{Pseudonym: c[k], IDType: idTypes[k], KeyID: p.pseudo.KeyID()}
	if p.identity {
		norm, _ := schema.Normalize(idTypes[k], p.identifier(q, k))
		s.Identity = &schema.Identity{
			Name:        givenNames[(q.h>>8)%uint64(len(givenNames))] + " " + familyNames[(q.h>>13)%uint64(len(familyNames))],
			Identifier:  norm,
			BirthDate:   fmt.Sprintf("%04d-%02d-%02d", q.birth[0], q.birth[1], q.birth[2]),
			Nationality: q.nat,
		}
	}
	return s
}

// account returns the j-th account of q: its subject and the institution.
func (p *population) account(q *person, j int) (schema.Subject, string) {
	if q.nAcct == 0 {
		return p.subject(q, idAccount0), ""
	}
	j %= q.nAcct
	return p.subject(q, idAccount0+idKind(j)), p.acctOrgs[q.acctInst[j]]
}

// accountAt returns q's account at institution inst (index in acctOrgs),
// if q has one.
func (p *population) accountAt(q *person, inst int) (schema.Subject, bool) {
	for j := range q.nAcct {
		if q.acctInst[j] == inst {
			return p.subject(q, idAccount0+idKind(j)), true
		}
	}
	return schema.Subject{}, false
}

// docID returns the identifier a person shows on a document: the national
// id card for nationals, the passport for foreigners.
func docID(q *person) idKind {
	if q.foreign() {
		return idPassport
	}
	return idNational
}
