package sector_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/sicollab/sicollab/examples/internal/sector"
)

// A program starts the hub of a department on loopback, and the leading
// group announces its requirement to it, over the real protocol.
func ExampleScheme() {
	data, _ := os.MkdirTemp("", "sector-example-")
	defer os.RemoveAll(data)
	s := sector.NewScheme(data, 1000)
	defer s.Close(context.Background())

	if _, err := s.StartHub("central-bank", nil); err != nil {
		fmt.Println(err)
		return
	}
	req, err := sector.Requirement(s.Dir, time.Now())
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	if err := s.Announce(ctx, req, "central-bank"); err != nil {
		fmt.Println(err)
		return
	}
	if err := s.Flush(ctx, "leading-group"); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("delivered:", s.Stats("leading-group").Delivered)
	// Output:
	// delivered: 1
}
