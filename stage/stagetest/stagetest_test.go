package stagetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// record returns synthetic finance transaction n, stamped by its source.
func record(n int) schema.Envelope {
	acct := func(k int) schema.Subject {
		return schema.Subject{Pseudonym: fmt.Sprintf("%064x", k), IDType: schema.IDAccount, KeyID: "k-test"}
	}
	at := t0.Add(time.Duration(n) * time.Minute)
	env := schema.Envelope{
		ID: fmt.Sprintf("01950a7e-3c00-7d2a-9b1e-%012d", n), Kind: schema.KindFinanceTransaction, SchemaVersion: 1,
		Source: "bank-north-01", CollectedAt: at, Purpose: schema.Purpose{RequirementID: "01950a00-0000-7000-8000-000000000001"},
		LegalBasis: "synthetic test basis", Handling: schema.HandlingAmber, RetainUntil: at.AddDate(1, 0, 0),
	}
	if err := env.SetPayload(schema.FinanceTransaction{
		Reference: fmt.Sprintf("TX-%d", n), ExecutedAt: at, Amount: schema.Money{Amount: "10.00", Currency: "EUR"},
		Type: schema.FinanceTxTransfer, Channel: schema.FinanceChannelOnline,
		Originator: &schema.FinanceAccount{Account: acct(n)}, Beneficiary: &schema.FinanceAccount{Account: acct(n + 1)},
	}); err != nil {
		panic(err)
	}
	if err := env.Stamp(env.Source, schema.StageCollection, at); err != nil {
		panic(err)
	}
	return env
}

// good emits n records and honours its context.
func good(n int) stage.Collector {
	return stage.CollectorFunc(func(ctx context.Context, emit func(schema.Envelope) error) error {
		for i := range n {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := emit(record(i)); err != nil {
				return fmt.Errorf("bank feed: %w", err)
			}
		}
		return nil
	})
}

// concurrent emits n records from four goroutines.
func concurrent(n int) stage.Collector {
	return stage.CollectorFunc(func(ctx context.Context, emit func(schema.Envelope) error) error {
		errs := make(chan error, 4)
		for w := range 4 {
			go func() {
				for i := w; i < n; i += 4 {
					if err := emit(record(i)); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		var first error
		for range 4 {
			if err := <-errs; err != nil && first == nil {
				first = err
			}
		}
		return first
	})
}

func TestGoodCollectorsPass(t *testing.T) {
	v, err := schema.NewValidator()
	require.NoError(t, err)
	TestCollector(t, func() stage.Collector { return good(40) }, CollectorOptions{Want: 40, Validator: v})
	TestCollector(t, func() stage.Collector { return concurrent(40) }, CollectorOptions{Want: 40})
	TestCollector(t, func() stage.Collector { return good(40) }, CollectorOptions{})
}

func TestEndlessCollector(t *testing.T) {
	endless := stage.CollectorFunc(func(ctx context.Context, emit func(schema.Envelope) error) error {
		for i := 0; ; i++ {
			if err := emit(record(i)); err != nil {
				return err
			}
		}
	})
	TestCollector(t, func() stage.Collector { return endless }, CollectorOptions{Endless: true})
}

// The kit must fail on collectors that break the contract; each broken
// collector is caught by the check named.
func TestKitFailsOnBrokenCollectors(t *testing.T) {
	broken := []struct {
		name string
		c    func() stage.Collector
		want []string
	}{
		{"ignores cancellation", func() stage.Collector {
			return stage.CollectorFunc(func(ctx context.Context, emit func(schema.Envelope) error) error {
				for i := range 40 {
					_ = emit(record(i)) // keeps going whatever emit says
				}
				return nil
			})
		}, []string{
			"cancelled midway: Collect returned <nil>, want an error wrapping context.Canceled",
			"cancelled midway: emit called 19 times after it returned an error",
			"cancelled before the start: emit called 39 times after it returned an error",
		}},
		{"loses records", func() stage.Collector {
			return stage.CollectorFunc(func(ctx context.Context, emit func(schema.Envelope) error) error {
				for i := 0; i < 40; i++ {
					if i%8 == 7 {
						continue // "catches up" by skipping a record
					}
					if err := emit(record(i)); err != nil {
						return err
					}
				}
				return nil
			})
		}, []string{"emitted 35 records, want 40"}},
		{"changes a record after emit", func() stage.Collector {
			return stage.CollectorFunc(func(ctx context.Context, emit func(schema.Envelope) error) error {
				env := record(0)
				for i := range 3 {
					env.ID = record(i).ID
					if err := emit(env); err != nil {
						return err
					}
					env.Payload[2] = 'X' // reuses the payload buffer
				}
				return nil
			})
		}, []string{"complete run: record 0", "changed after emit returned"}},
		{"leaks a goroutine", func() stage.Collector {
			return stage.CollectorFunc(func(ctx context.Context, emit func(schema.Envelope) error) error {
				go func() { time.Sleep(3 * time.Second) }()
				return good(5).Collect(ctx, emit)
			})
		}, []string{"goroutines still running after Collect returned"}},
		{"never returns when cancelled", func() stage.Collector {
			return stage.CollectorFunc(func(ctx context.Context, emit func(schema.Envelope) error) error {
				for i := range 10 {
					if err := emit(record(i)); err != nil {
						time.Sleep(3 * time.Second) // stuck in its source
						return err
					}
				}
				return nil
			})
		}, []string{"cancelled midway: Collect did not return within 1s of the cancellation"}},
		{"emits nothing", func() stage.Collector {
			return stage.CollectorFunc(func(ctx context.Context, emit func(schema.Envelope) error) error { return nil })
		}, []string{"complete run: emitted no record"}},
	}
	for _, b := range broken {
		t.Run(b.name, func(t *testing.T) {
			err := CheckCollector(b.c, CollectorOptions{Want: want(b.name), Timeout: time.Second})
			require.Error(t, err, "the kit must fail")
			for _, w := range b.want {
				assert.Contains(t, err.Error(), w)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				assert.True(t, strings.HasPrefix(line, "stagetest: collector: "), line)
			}
		})
	}
	time.Sleep(3 * time.Second) // let the leaked goroutine end before other tests count
}

func want(name string) int {
	if name == "loses records" || name == "ignores cancellation" {
		return 40
	}
	return 0
}

func TestProcessorKit(t *testing.T) {
	var inputs []schema.Envelope
	for i := range 30 {
		inputs = append(inputs, record(i%20)) // ten resent
	}
	TestProcessor(t, stage.Normalize, inputs, ProcessorOptions{Concurrent: true})
	TestProcessor(t, func() stage.Processor {
		d, err := stage.NewDedupe(stage.DedupeConfig{Window: 100})
		require.NoError(t, err)
		return d
	}, inputs, ProcessorOptions{Concurrent: true})
	TestProcessor(t, func() stage.Processor {
		g, err := stage.NewIntegrate(stage.IntegrateConfig{Org: "central-bank"})
		require.NoError(t, err)
		return g
	}, inputs, ProcessorOptions{})

	broken := []struct {
		name string
		p    func() stage.Processor
		want string
	}{
		{"swallows records", func() stage.Processor {
			return stage.ProcessorFunc(func(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error {
				return nil
			})
		}, "30 inputs passed but only 0 records were emitted"},
		{"drops without a reason", func() stage.Processor {
			return stage.ProcessorFunc(func(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error {
				return stage.Drop("")
			})
		}, "dropped without a reason"},
		{"emits after returning", func() stage.Processor {
			return stage.ProcessorFunc(func(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error {
				go func() { time.Sleep(5 * time.Millisecond); emit(env) }()
				return nil
			})
		}, "emit called 30 times after Process returned"},
	}
	for _, b := range broken {
		t.Run(b.name, func(t *testing.T) {
			err := CheckProcessor(b.p, inputs, ProcessorOptions{Timeout: 200 * time.Millisecond})
			require.Error(t, err)
			assert.Contains(t, err.Error(), b.want)
		})
	}
}
