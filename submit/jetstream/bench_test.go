package jetstream_test

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sicollab/sicollab/internal/cputime"
	"github.com/sicollab/sicollab/internal/natstest"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/jetstream"
)

// benchBatch is the records per Put, as a hub's batch.
const benchBatch = 500

// dirBytes returns the bytes of the files under dirs.
func dirBytes(b *testing.B, dirs ...string) int64 {
	var n int64
	for _, d := range dirs {
		err := filepath.WalkDir(d, func(_ string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.IsDir() {
				fi, err := e.Info()
				if err != nil {
					return err
				}
				n += fi.Size()
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return n
}

// benchPut puts b.N records in batches and reports records/s, CPU per
// record (the whole process: servers included) and the disk bytes the
// destination grew by per record.
func benchPut(b *testing.B, sink submit.Sink, dirs []string, nc *nats.Conn) {
	envs := make([]schema.Envelope, benchBatch)
	for i := range envs {
		envs[i] = testEnv(b, "bank-north-01")
	}
	ctx := context.Background()
	// Warm up (stream leader elected, files created), outside the count.
	if err := sink.Put(ctx, envs[:1]); err != nil {
		b.Fatal(err)
	}
	disk0, cpu0 := dirBytes(b, dirs...), cputime.Process()
	var out0 uint64
	if nc != nil {
		out0 = nc.Stats().OutBytes
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for done := 0; done < b.N; {
		k := min(benchBatch, b.N-done)
		for i := range k {
			envs[i].ID = testEnv(b, "bank-north-01").ID // a new record each time
		}
		if err := sink.Put(ctx, envs[:k]); err != nil {
			b.Fatal(err)
		}
		done += k
	}
	b.StopTimer()
	el := time.Since(start)
	b.ReportMetric(float64(b.N)/el.Seconds(), "records/s")
	b.ReportMetric(float64((cputime.Process()-cpu0).Microseconds())/float64(b.N), "cpu-µs/record")
	b.ReportMetric(float64(dirBytes(b, dirs...)-disk0)/float64(b.N), "disk-B/record")
	if nc != nil {
		b.ReportMetric(float64(nc.Stats().OutBytes-out0)/float64(b.N), "net-B/record")
	}
}

// BenchmarkPut compares the sinks a hub can have, in one run: the
// embedded bbolt Store, a JetStream stream of one replica on one server,
// and one of three replicas on a 3-node cluster (all on loopback, the
// servers in this process). disk-B/record adds every replica's files;
// net-B/record is what the hub sends its server (replication between
// servers comes on top, about (replicas-1) times that).
func BenchmarkPut(b *testing.B) {
	b.Run("store=bbolt", func(b *testing.B) {
		dir := b.TempDir()
		s, err := submit.OpenStore(filepath.Join(dir, "store.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchPut(b, s, []string{dir}, nil)
	})
	for _, n := range []int{1, 3} {
		name := "store=jetstream-R1"
		if n == 3 {
			name = "store=jetstream-R3"
		}
		b.Run(name, func(b *testing.B) {
			var c *natstest.Cluster
			if n == 1 {
				c = natstest.StartServer(b)
			} else {
				c = natstest.StartCluster(b, n)
			}
			nc := c.Connect(b)
			s, err := jetstream.New(context.Background(), nc, jetstream.Config{CreateStream: true, Replicas: n})
			if err != nil {
				b.Fatal(err)
			}
			dirs := make([]string, n)
			for i := range dirs {
				dirs[i] = c.StoreDir(i)
			}
			benchPut(b, s, dirs, nc)
		})
	}
}
