package submit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
)

// A hub's operator purges what retention no longer allows it to keep:
// here two records whose retain_until has passed leave the store, the
// third stays; then the file is compacted. A Purger with Log set makes
// each transaction of the purge a leaf of the hub's transparency log
// first; Run does the same on a schedule.
func ExamplePurger() {
	dir, _ := os.MkdirTemp("", "purge")
	defer os.RemoveAll(dir)
	store, err := submit.OpenStore(filepath.Join(dir, "store.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	var envs []schema.Envelope
	for i, retain := range []time.Time{now.Add(-time.Hour), now, now.AddDate(1, 0, 0)} {
		envs = append(envs, schema.Envelope{
			ID: fmt.Sprintf("0195f000-0000-7000-8000-00000000000%d", i), Kind: schema.KindFinanceTransaction, SchemaVersion: 1,
			Source: "bank-north-01", CollectedAt: now.AddDate(0, -1, 0), RetainUntil: retain,
			Purpose: schema.Purpose{RequirementID: "req"}, LegalBasis: "synthetic", Handling: schema.HandlingAmber,
			Payload: []byte(`{}`),
		})
	}
	if err := store.Put(context.Background(), envs); err != nil {
		fmt.Println(err)
		return
	}

	p, err := submit.NewPurger(submit.PurgerConfig{Store: store, Clock: func() time.Time { return now }})
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := p.Purge(context.Background(), "alice")
	if err != nil {
		fmt.Println(err)
		return
	}
	left, _ := store.Count()
	fmt.Printf("%s purged %d records; %d left\n", rep.Operator, rep.Records, left)
	if _, err := store.Compact(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("compacted")
	// Output:
	// alice purged 2 records; 1 left
	// compacted
}
