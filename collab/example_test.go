package collab_test

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/demoscheme"
	"github.com/sicollab/sicollab/schema"
)

func ExampleLoadDirectory() {
	f := bytes.NewReader(demoscheme.JSON()) // or an *os.File
	dir, err := collab.LoadDirectory(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, tier := range collab.Tiers() {
		fmt.Printf("%s (%s): %d\n", tier, tier.Layer(), len(dir.ByTier(tier)))
	}
	// Output:
	// leading_group (leadership): 1
	// specialized_department (execution): 3
	// general_business_department (execution): 4
	// social_force (execution): 16
}

func ExampleDirectory_Route() {
	dir := mustLoad()
	// A bank's transaction goes to the central bank, its supervisor...
	next, _ := dir.Route("bank-north-01", schema.KindFinanceTransaction)
	fmt.Println(next)
	// ...which forwards it to the specialized departments that take it in.
	next, _ = dir.Route("central-bank", schema.KindFinanceTransaction)
	fmt.Println(next)
	// A hotel has no supervisor: lodging goes straight to public security.
	next, _ = dir.Route("hotel-north-01", schema.KindServicesLodging)
	fmt.Println(next)
	// A department's work report also goes up to the leading group.
	next, _ = dir.Route("central-bank", schema.KindFeedbackReport)
	fmt.Println(next)
	// Output:
	// [central-bank]
	// [public-security state-security]
	// [public-security]
	// [leading-group public-security]
}

func ExampleDirectory_Authorize() {
	dir := mustLoad()
	fmt.Println(dir.Authorize("hotel-north-01", schema.KindServicesLodging))
	err := dir.Authorize("hotel-north-01", schema.KindFinanceTransaction)
	fmt.Println(err)
	fmt.Println(errors.Is(err, collab.ErrKindNotAllowed))
	// Output:
	// <nil>
	// collab: kind not allowed: "hotel-north-01" (social_force) may not submit "finance.transaction"; it may submit collab.expert_offer, collab.feedback_report, collab.task_status, services.lodging
	// true
}

func ExampleDirectory_Authenticate() {
	dir := mustLoad()
	// The fixture's tokens are "token-<org id>"; real ones are random.
	org, ok := dir.Authenticate("token-hospital-east-02")
	fmt.Println(org.ID, org.Tier, org.Supervisor, ok)
	_, ok = dir.Authenticate("token-guessed")
	fmt.Println(ok)
	// Output:
	// hospital-east-02 social_force customs true
	// false
}

func ExampleDirectoryError() {
	_, err := collab.ParseDirectory([]byte(`{
	  "version": 1,
	  "updated_at": "2026-03-01T00:00:00Z",
	  "orgs": [
	    {"id": "bank-north-01", "name": "Northern Bank", "tier": "social_force",
	     "sectors": ["finance"], "region": "CN-BJ", "supervisor": "central-bank",
	     "submits": ["finance.transaction"]}
	  ]
	}`))
	fmt.Println(errors.Is(err, collab.ErrInconsistentDirectory))
	var de *collab.DirectoryError
	if errors.As(err, &de) {
		for _, p := range de.Problems {
			fmt.Printf("%s: %s\n", p.Pointer, p.Message)
		}
	}
	// Output:
	// true
	// /orgs: no organization has tier leading_group; the scheme has exactly one
	// /orgs/0/supervisor: supervisor "central-bank" is not in the directory
	// /orgs/0/submits/0: record kind "finance.transaction" is submitted (by bank-north-01) but no specialized department receives it; every record ends at a specialized department
}

// mustLoad loads the synthetic scheme for the examples.
func mustLoad() *collab.Directory {
	dir, err := collab.LoadDirectory(bytes.NewReader(demoscheme.JSON()))
	if err != nil {
		panic(err)
	}
	return dir
}
