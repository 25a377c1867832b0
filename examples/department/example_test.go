package main

import (
	"fmt"
	"os"
	"strings"
)

// A small run of public security's hub: the social forces' 10 records,
// and the planted pattern's, through the ministries, the planted buyer
// linked across sectors, an expert seconded. The lines kept are those that stay the same from run
// to run (the others name loopback ports, ids and today's date).
func Example() {
	var out strings.Builder
	if code := run([]string{"-records", "10", "-seed", "3"}, &out, os.Stderr); code != 0 {
		fmt.Println("exit", code)
		return
	}
	for line := range strings.Lines(out.String()) {
		for _, p := range []string{"sources:", "analysis:", "truth:", "summary:"} {
			if strings.HasPrefix(line, p) {
				fmt.Print(line)
			}
		}
	}
	// Output:
	// sources: 14 records collected by the social forces, 14 submitted; the ministries processed and relayed them
	// analysis: 1 products (cross_sector_link) in the catalog, 1 subjects linked
	// truth: precursor_purchase by 82a16b341d438a3f47ff9445bd435c7c4c11bf7ef32ccccf10c2dba94006ab74: linked=true
	// summary: held=14 products=1 linked=1 planted=1 found=1 expert_assigned=1 escalations=23 escalated=7 catalog=16
}
