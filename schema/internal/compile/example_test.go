package compile_test

import (
	"fmt"

	"github.com/sicollab/sicollab/schema/internal/compile"
)

func Example() {
	set := compile.NewSet()
	err := set.Add("https://example.test/money.json", []byte(`{
		"type": "object",
		"properties": {
			"amount": {"type": "string", "pattern": "^(0|[1-9][0-9]{0,17})(\\.[0-9]{1,6})?$"},
			"currency": {"type": "string", "pattern": "^[A-Z]{3}$"}
		},
		"required": ["amount", "currency"],
		"additionalProperties": false
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := set.Checker("https://example.test/money.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.CheckBytes([]byte(`{"amount":"12.50","currency":"EUR"}`), 8))
	fmt.Println(c.CheckBytes([]byte(`{"amount":"12.50"}`), 8))
	fmt.Println(c.CheckBytes([]byte(`{"amount":"1","amount":"2","currency":"EUR"}`), 8))
	// Output:
	// true true
	// false true
	// false false
}
