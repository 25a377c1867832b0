package demoscheme_test

import (
	"encoding/json"
	"fmt"

	"github.com/sicollab/sicollab/internal/demoscheme"
)

func ExampleJSON() {
	var doc struct {
		Orgs []struct {
			ID   string `json:"id"`
			Tier string `json:"tier"`
		} `json:"orgs"`
	}
	if err := json.Unmarshal(demoscheme.JSON(), &doc); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(doc.Orgs), "organizations; the first:", doc.Orgs[0].ID, doc.Orgs[0].Tier)
	// Output:
	// 24 organizations; the first: leading-group leading_group
}
