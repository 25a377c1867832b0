package boltdb_test

import (
	"errors"
	"fmt"

	"github.com/sicollab/sicollab/internal/boltdb"
)

func ExampleLimit() {
	n, _ := boltdb.Limit("Limit", 0, 100, 10000)
	fmt.Println(n)
	_, err := boltdb.Limit("Limit", 20000, 100, 10000)
	fmt.Println(err)
	// Output:
	// 100
	// Limit 20000 is outside 1..10000 (0 means 100); ask for at most 10000 and follow Next
}

func ExampleDecodeCursor() {
	errBad := errors.New("mypkg: bad cursor")
	pos, _ := boltdb.DecodeCursor(boltdb.EncodeCursor([]byte("key-42")), errBad)
	fmt.Println(string(pos))
	_, err := boltdb.DecodeCursor("not base64!", errBad)
	fmt.Println(err)
	// Output:
	// key-42
	// mypkg: bad cursor: not base64url, so not a cursor this package handed out; start again without a cursor
}
