package jetstream_test

import (
	"fmt"
	"time"

	"github.com/sicollab/sicollab/submit/jetstream"
)

// A hub's records go to a stream with three replicas; each record's
// subject names its kind and source, and its message id makes a second
// copy within the duplicate window a no-op.
func Example() {
	cfg := jetstream.Config{Replicas: 3, Duplicates: 10 * time.Minute, CreateStream: true}
	if err := cfg.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	sc := cfg.StreamConfig()
	fmt.Println(sc.Name, sc.Subjects, sc.Replicas, sc.Duplicates)
	fmt.Println(jetstream.Subject(jetstream.DefaultSubjectPrefix, "finance.transaction", "bank-north-01"))
	fmt.Println(jetstream.MsgID("bank-north-01", "01950a7e-3c00-7d2a-9b1e-4f6a8c0d2e47"))
	// Output:
	// SICOLLAB_RECORDS [sicollab.records.>] 3 10m0s
	// sicollab.records.finance.transaction.bank-north-01
	// bank-north-01/01950a7e-3c00-7d2a-9b1e-4f6a8c0d2e47
}

// Hubs that share one address share a Ledger: its configuration names
// the bucket, its replicas and how long a claim of a key may stay
// pending before another hub takes it over.
func ExampleLedgerConfig_Validate() {
	fmt.Println(jetstream.LedgerConfig{Replicas: 3, ClaimLease: 20 * time.Second}.Validate())
	fmt.Println(jetstream.LedgerConfig{Bucket: "ledger.one", Replicas: 7}.Validate())
	// Output:
	// <nil>
	// jetstream: LedgerConfig.Bucket is "ledger.one"; a bucket name is letters, digits, '-' and '_'
	// jetstream: LedgerConfig.Replicas is 7; JetStream takes 1 to 5 (3 in a cluster)
}
