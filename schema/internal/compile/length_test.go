package compile

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestStringLengths: minLength and maxLength count characters, not bytes,
// also where the byte length alone would decide them one way or the
// other (ASCII, two-, three- and four-byte characters around the bounds).
func TestStringLengths(t *testing.T) {
	const id = "https://sicollab.github.io/schema/test/length.schema.json"
	for _, b := range []struct{ min, max int }{{3, 3}, {2, 5}, {4, 8}, {1, 12}, {9, 40}} {
		set := NewSet()
		doc := fmt.Sprintf(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","minLength":%d,"maxLength":%d}`, b.min, b.max)
		if err := set.Add(id, []byte(doc)); err != nil {
			t.Fatal(err)
		}
		c, err := set.Checker(id)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range []string{"a", "é", "€", "😀"} {
			for n := 0; n <= 3*b.max; n++ {
				s := strings.Repeat(ch, n)
				raw, _ := json.Marshal(s)
				valid, sure := c.CheckBytes(raw, 4)
				if !sure {
					t.Fatalf("min %d max %d: not sure of %q", b.min, b.max, s)
				}
				if want := utf8.RuneCountInString(s) >= b.min && utf8.RuneCountInString(s) <= b.max; valid != want {
					t.Fatalf("min %d max %d: %q (%d bytes) valid=%v, want %v", b.min, b.max, s, len(s), valid, want)
				}
			}
		}
	}
}
