package schema_test

import (
	"fmt"

	"github.com/sicollab/sicollab/schema"
)

func ExamplePseudonymizer() {
	// In production the key comes from a secret store shared by every
	// party that must link records under key id "test-2026-01"; it is
	// never written in source code.
	key := []byte("sicollab-test-key-0123456789abcd")
	p, err := schema.NewPseudonymizer("test-2026-01", key)
	if err != nil {
		panic(err)
	}
	clear(key) // the Pseudonymizer keeps its own copy

	// Two spellings of one phone number give one pseudonym.
	a, _ := p.Pseudonym(schema.IDPhone, "+86 138-0000-0000")
	b, _ := p.Pseudonym(schema.IDPhone, "0086 (138) 0000 0000")
	fmt.Println(a.Pseudonym)
	fmt.Println(a == b, a.IDType, a.KeyID)

	// A national number without country code is refused, without echoing it.
	_, err = p.Pseudonym(schema.IDPhone, "138 0000 0000")
	fmt.Println(err)
	// Output:
	// 195c30777612bfafd34fa321d1ddc5aaeafbf0464aaefd095e4e88905b6e5d9f
	// true phone test-2026-01
	// schema: phone identifier (13 bytes) is not in E.164 form; give it with its country code, starting with '+' or '00' (national prefixes are not guessed)
}
