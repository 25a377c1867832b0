package main

import (
	"fmt"
	"os"
	"strings"
)

// The leading group plans and assigns over the departments' hubs run in
// process. The lines kept are those that stay the same from run to run:
// the others carry today's date or fresh ids.
func Example() {
	var out strings.Builder
	if code := run(nil, &out, os.Stderr); code != 0 {
		fmt.Println("exit", code)
		return
	}
	for line := range strings.Lines(out.String()) {
		for _, p := range []string{"plan of ", "task to ", "sent:", "summary:"} {
			if strings.HasPrefix(line, p) {
				fmt.Print(line)
			}
		}
	}
	// Output:
	// plan of armed-police: transport.passenger
	// plan of public-security: commerce.hazmat_purchase, finance.transaction, telecom.account_report, transport.passenger
	// plan of state-security: finance.transaction, telecom.account_report
	// plan of central-bank: finance.transaction
	// plan of customs: none, it takes in no kind of the requirement
	// plan of miit: commerce.hazmat_purchase, telecom.account_report
	// plan of transport-ministry: transport.passenger
	// task to public-security: "Link precursor purchases to flagged accounts"
	// task to miit: "Report precursor sales in full"
	// sent: requirement to 7 hubs, 6 plans, 2 tasks; accepted 15, rejected 0
	// summary: plans=6 refused=1 tasks=2 sent=15 done=1
}
