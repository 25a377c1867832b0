package jsontext_test

import (
	"fmt"

	"github.com/sicollab/sicollab/schema/internal/jsontext"
)

func ExampleTokenize() {
	var t jsontext.Tape
	ok := jsontext.Tokenize(&t, []byte(`{"kind":"finance.transaction","payload":{"a":[1,2]}}`), 8, "")
	p := t.Member(0, "payload")
	fmt.Println(ok, len(t.Tokens), string(t.Text(p)), t.Tokens[p].Len)
	// Output: true 9 {"a":[1,2]} 1
}
