package collab_test

import (
	"fmt"

	"github.com/sicollab/sicollab/schema"
)

func ExampleDirectory_AuthorizeRead() {
	dir := mustLoad()
	fin := schema.ListAbnormalFinancialActivity
	// Public security holds the central bank's list. Who may read it?
	for _, c := range []struct {
		reader string
		label  schema.Handling
	}{
		{"state-security", schema.HandlingAmber},       // need to know
		{"transport-ministry", schema.HandlingAmber},   // not its sector
		{"transport-ministry", schema.HandlingGreen},   // the authorities
		{"bank-north-01", schema.HandlingGreen},        // a social force
		{"bank-north-01", schema.HandlingClear},        // everyone
		{"state-security", schema.HandlingAmberStrict}, // stays where it is
	} {
		err := dir.AuthorizeRead(c.reader, fin, c.label, "central-bank", "public-security")
		fmt.Println(c.reader, c.label, err == nil)
	}
	// Output:
	// state-security AMBER true
	// transport-ministry AMBER false
	// transport-ministry GREEN true
	// bank-north-01 GREEN false
	// bank-north-01 CLEAR true
	// state-security AMBER+STRICT false
}
