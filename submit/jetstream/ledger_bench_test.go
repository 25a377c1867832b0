package jetstream_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/sicollab/sicollab/internal/cputime"
	"github.com/sicollab/sicollab/internal/natstest"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/jetstream"
)

// BenchmarkLedger compares the ledgers a hub can have, in one run, doing
// what a Handler does per 500-record batch (Lock, Idempotent, Seen,
// Commit of every record, unlock): the bbolt Ledger of one hub, and the
// JetStream Ledger on a 3-node cluster at R3 that hubs share (servers in
// this process). cpu-µs/record is the whole process; disk-B/record adds
// every replica's files; net-B/record is what the hub sends.
func BenchmarkLedger(b *testing.B) {
	b.Run("ledger=bbolt", func(b *testing.B) {
		dir := b.TempDir()
		l, err := submit.OpenLedger(filepath.Join(dir, "ledger.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		benchLedger(b, l, []string{dir}, nil)
	})
	b.Run("ledger=jetstream-R3", func(b *testing.B) {
		c := natstest.StartCluster(b, 3)
		nc := c.Connect(b)
		l, err := jetstream.NewLedger(context.Background(), nc, jetstream.LedgerConfig{Replicas: 3})
		if err != nil {
			b.Fatal(err)
		}
		benchLedger(b, l, []string{c.StoreDir(0), c.StoreDir(1), c.StoreDir(2)}, nc)
	})
}

func benchLedger(b *testing.B, l submit.LedgerStore, dirs []string, nc *nats.Conn) {
	ctx := context.Background()
	retain := time.Now().AddDate(1, 0, 0)
	one := func(n int) {
		sub, key := uuid.Must(uuid.NewV7()).String(), uuid.Must(uuid.NewV7()).String()
		unlock, err := l.Lock(ctx, "bank-north-01", key)
		if err != nil {
			b.Fatal(err)
		}
		defer unlock()
		if _, _, found, err := l.Idempotent(ctx, "bank-north-01", key); err != nil || found {
			b.Fatal(found, err)
		}
		keys := make([]submit.RecordKey, n)
		acc := make([]submit.AcceptedRecord, n)
		rc := &submit.Receipt{SubmissionID: sub, IdempotencyKey: key, Org: "bank-north-01"}
		for i := range keys {
			keys[i] = submit.RecordKey{Source: "bank-north-01", ID: uuid.Must(uuid.NewV7()).String()}
			acc[i] = submit.AcceptedRecord{Key: keys[i], Seen: submit.SeenRecord{Org: "bank-north-01", Submission: sub,
				Digest: "sha-256:" + strings.Repeat("5a", 32), Handling: "AMBER", RetainUntil: retain}}
			rc.Results = append(rc.Results, submit.RecordResult{Line: i + 1, ID: keys[i].ID, Status: submit.StatusAccepted})
		}
		if seen, err := l.Seen(ctx, keys); err != nil || len(seen) != 0 {
			b.Fatal(len(seen), err)
		}
		_, err = l.Commit(ctx, submit.CommitRequest{Org: "bank-north-01", Key: key, Digest: "sha-256=:" + key + ":", SubmissionID: sub, At: time.Now(), Retention: time.Hour},
			func(func(submit.RecordKey) (submit.SeenRecord, bool)) (*submit.Receipt, int, []byte, []submit.AcceptedRecord, error) {
				return rc, http.StatusOK, nil, acc, nil
			})
		if err != nil {
			b.Fatal(err)
		}
	}
	one(1) // warm up: bucket leader elected, files made
	disk0, cpu0 := dirBytes(b, dirs...), cputime.Process()
	var out0 uint64
	if nc != nil {
		out0 = nc.Stats().OutBytes
	}
	b.ResetTimer()
	start := time.Now()
	for done := 0; done < b.N; done += benchBatch {
		one(min(benchBatch, b.N-done))
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	b.ReportMetric(float64((cputime.Process()-cpu0).Microseconds())/float64(b.N), "cpu-µs/record")
	b.ReportMetric(float64(dirBytes(b, dirs...)-disk0)/float64(b.N), "disk-B/record")
	if nc != nil {
		b.ReportMetric(float64(nc.Stats().OutBytes-out0)/float64(b.N), "net-B/record")
	}
}
