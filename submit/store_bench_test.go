package submit

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkStoreCommit is one Store commit of 500 finance.transaction
// lines as a hub stores them (the bytes as validated), unsealed (983 B)
// and with one sealed hop (1,550 B), the two interleaved in one run. It
// reports the time per record of each (durable: the commit syncs) and
// the bytes of the pages each commit wrote, per record:
//
//	go test ./submit -run '^$' -bench StoreCommit -benchtime 40x
func BenchmarkStoreCommit(b *testing.B) {
	const batch = 500
	f := newFixture(b, nil)
	id, priv := fixtureKey(testBank)
	s := signer(b, id, priv)
	lines := func(sealed bool) []record {
		envs := stampedBatch(b, f, s, batch, sealed)
		recs := recordsOf(envs)
		for i := range recs {
			recs[i].raw = line(b, envs[i])
		}
		return recs
	}
	type side struct {
		name  string
		store *Store
		spent time.Duration
		pages int64
	}
	var sides [2]side
	for i, name := range []string{"unsealed", "sealed"} {
		st, err := OpenStore(fmt.Sprintf("%s/%s.db", b.TempDir(), name))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		sides[i] = side{name: name, store: st}
	}
	n := 0
	for b.Loop() {
		for k := range sides {
			sd := &sides[(k+n)%2] // alternate which side goes first
			b.StopTimer()
			recs := lines(sd.name == "sealed")
			before := pageAlloc(sd.store)
			b.StartTimer()
			start := time.Now()
			if err := sd.store.putRecords(b.Context(), recs); err != nil {
				b.Fatal(err)
			}
			sd.spent += time.Since(start)
			sd.pages += pageAlloc(sd.store) - before
		}
		n++
	}
	for _, sd := range sides {
		recs := float64(b.N * batch)
		b.ReportMetric(sd.spent.Seconds()*1e6/recs, "µs/record-"+sd.name)
		b.ReportMetric(float64(sd.pages)/recs, "page-B/record-"+sd.name)
	}
}

// pageAlloc is the bytes of the pages s's commits have written so far.
func pageAlloc(s *Store) int64 {
	st := s.db.Stats()
	return st.TxStats.GetPageAlloc()
}
