package synth_test

import (
	"encoding/json"
	"fmt"

	"github.com/sicollab/sicollab/examples/internal/synth"
	"github.com/sicollab/sicollab/schema"
)

// A scenario: background records of every kind with one planted
// structuring instance, each envelope valid, the truth kept aside.
func Example() {
	g, err := synth.New(synth.Config{
		Seed:    1,
		Purpose: schema.Purpose{RequirementID: "019c9a00-0000-7000-8000-000000000001"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	records, truth, err := g.Scenario(2000, synth.PatternStructuring)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := schema.NewValidator()
	if err != nil {
		fmt.Println(err)
		return
	}
	kinds := map[string]int{}
	for env := range records {
		raw, _ := json.Marshal(env)
		if _, err := v.Validate(raw); err != nil {
			fmt.Println(err)
			return
		}
		kinds[env.Kind]++
	}
	for _, k := range synth.Kinds() {
		fmt.Printf("%-25s %4d\n", k, kinds[k])
	}
	fmt.Printf("planted %s: %d records\n", truth[0].Pattern, len(truth[0].Records))
	fmt.Println(truth[0].Description)
	// Output:
	// commerce.hazmat_purchase    63
	// customs.entry_exit         204
	// customs.inspection          91
	// finance.transaction        599
	// health.infectious_source    32
	// services.lodging           288
	// telecom.account_report      76
	// transport.freight          105
	// transport.passenger        551
	// planted structuring: 9 records
	// 9 cash deposits totalling 429960.00 CNY, each 45000-49990 CNY, at 2 banks within 3 days
}

// Scoring a detector's findings against the truth.
func ExampleEvaluate() {
	g, _ := synth.New(synth.Config{Seed: 1, Purpose: schema.Purpose{TaskID: "019c9a00-0000-7000-8000-000000000002"}})
	_, truth, _ := g.Scenario(0, synth.PatternEntryExit, synth.PatternEntryExit)
	findings := []synth.Finding{
		{Pattern: synth.PatternEntryExit, Subjects: []string{truth[0].Subjects[0].Pseudonym}},
		{Pattern: synth.PatternEntryExit, Subjects: []string{"a pseudonym of someone else"}},
	}
	for _, s := range synth.Evaluate(truth, findings) {
		fmt.Printf("%s: recall %.2f precision %.2f\n", s.Pattern, s.Recall, s.Precision)
	}
	// Output:
	// abnormal_entry_exit: recall 0.50 precision 0.50
}
