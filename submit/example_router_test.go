package submit_test

import (
	"context"
	"fmt"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/demoscheme"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
)

// printer stands in for the submit.Client towards one hub.
type printer string

func (p printer) Submit(_ context.Context, env schema.Envelope) error {
	fmt.Printf("%s queued for %s\n", env.ID, p)
	return nil
}

// The central bank, a general business department, relays a transaction
// to every specialized department the directory routes the kind to. In a
// program, Hop returns the department's submit.Client for that hub.
func ExampleRouter() {
	dir, err := collab.ParseDirectory(demoscheme.JSON())
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := submit.NewRouter(submit.RouterConfig{
		Org: "central-bank", Routes: dir,
		Hop: func(to string) (submit.Submitter, error) { return printer(to), nil },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	env := schema.Envelope{ID: "tx-1", Kind: schema.KindFinanceTransaction}
	if err := r.Submit(context.Background(), env); err != nil {
		fmt.Println(err)
	}
	// Output:
	// tx-1 queued for public-security
	// tx-1 queued for state-security
}
