package main

import (
	"fmt"
	"os"
	"strings"
)

// The program collects 30 synthetic records and submits them to the hub
// it starts on loopback. The lines kept are the hub's holdings and the
// summary; the requirement's id and the number of batches the client sent
// change from run to run.
func Example() {
	var out strings.Builder
	if code := run([]string{"-records", "30", "-seed", "1"}, &out, os.Stderr); code != 0 {
		fmt.Println("exit", code)
		return
	}
	s := out.String()
	fmt.Print(s[strings.Index(s, "\nhub ")+1:])
	// Output:
	// hub public-security holds:
	//   collab.requirement              1
	//   services.lodging               30
	// summary: collected=30 dropped=0 submitted=30 accepted=30 duplicate=0 rejected=0 held=30
}
