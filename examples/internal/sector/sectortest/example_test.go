package sectortest_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/sicollab/sicollab/examples/internal/sector"
	"github.com/sicollab/sicollab/examples/internal/sector/sectortest"
	"github.com/sicollab/sicollab/schema"
)

// A social force's program runs standalone (its hub in-process on
// loopback) and its summary line is read back as counts, the way the
// programs' tests check that nothing was lost on the way.
func ExampleParseSummary() {
	hotel := sector.Force{Org: "hotel-north-01", Kinds: []string{schema.KindServicesLodging}}
	var out strings.Builder
	if code := hotel.Main([]string{"-records", "20", "-seed", "1"}, &out, os.Stderr); code != 0 {
		fmt.Println("exit", code)
		return
	}
	s, err := sectortest.ParseSummary(out.String())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("collected:", s["collected"])
	fmt.Println("lost:", s["collected"]-s["dropped"]-s["held"])
	// Output:
	// collected: 20
	// lost: 0
}
