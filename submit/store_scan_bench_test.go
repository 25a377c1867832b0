package submit

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// BenchmarkStoreScan reads a store of 20,000 records of one kind from 20
// sources, collected over the same hours, in pages of 100: the time and
// allocations per record read.
//
//	go test ./submit -run '^$' -bench StoreScan -benchtime 20x
func BenchmarkStoreScan(b *testing.B) {
	const sources, perSource = 20, 1000
	s, err := OpenStore(filepath.Join(b.TempDir(), "store.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	kind := schema.KindFinanceTransaction
	for i := range perSource {
		envs := make([]schema.Envelope, 0, sources)
		for j := range sources {
			e := bulkEnv(i*sources+j, testNow.AddDate(1, 0, 0))
			e.Source = fmt.Sprintf("org-%02d", j)
			e.CollectedAt = testNow.Add(time.Duration(i)*time.Minute + time.Duration(j)*time.Second)
			envs = append(envs, e)
		}
		if err := s.Put(b.Context(), envs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	read := 0
	for b.Loop() {
		q := ScanQuery{Kind: kind, Limit: 100}
		for {
			page, err := s.Scan(b.Context(), q)
			if err != nil {
				b.Fatal(err)
			}
			read += len(page.Records)
			if page.Next == "" {
				break
			}
			q.Cursor = page.Next
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(read), "ns/record")
}
