package main

import (
	"fmt"
	"os"
	"strings"
)

// The central bank's hub with its sector's 40 records: processed, listed,
// relayed to the specialized departments. The lines kept are those that
// stay the same from run to run (the first names a loopback port).
func Example() {
	var out strings.Builder
	if code := run([]string{"-org", "central-bank", "-records", "40", "-seed", "1"}, &out, os.Stderr); code != 0 {
		fmt.Println("exit", code)
		return
	}
	for line := range strings.Lines(out.String()) {
		for _, p := range []string{"sector ", "abnormal financial activity", "decisions:", "summary:"} {
			if strings.HasPrefix(line, p) {
				fmt.Print(line)
			}
		}
	}
	// Output:
	// sector [bank-north-01 bank-south-02 payment-east-01]: 40 records collected, 40 submitted
	// decisions: 0 escalated, 24 handled here
	// summary: received=40 relayed=40 dropped=0 accepted=120 rejected=0 realtime=1 daily=7 escalated=0 handled=24 held=40
}
