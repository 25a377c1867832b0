package sector

import (
	"context"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/sicollab/sicollab/examples/internal/synth"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// Force is what is a social force's own in its integration: which
// organization it is, what its systems export, and how it judges the
// value of what it collected. A program is a Force and its Main.
type Force struct {
	// Org is the organization's id in the directory.
	Org string
	// Kinds are the record kinds its systems export; Main checks that the
	// directory lets Org submit each before it collects anything. Empty:
	// every record kind the directory lets it submit.
	Kinds []string
	// Rules assess each record; with none every record is submitted (what
	// the law makes the organization report, it reports whole).
	Rules []stage.Rule
	// Threshold drops records that score below it (stage.ReasonLowValue).
	Threshold float64
}

// RepeatEvery: the synthetic source system exports every RepeatEvery-th
// record a second time under a new id, as an export job restarted after
// a crash does; Dedupe recognises the copy by its content.
const RepeatEvery = 50

// Records returns n synthetic records of org collected under purpose,
// over the last Days days, of kinds (all it submits when empty); with
// repeats every RepeatEvery-th comes twice.
func Records(org string, kinds []string, n int, seed uint64, purpose schema.Purpose, repeats bool) (iter.Seq[schema.Envelope], error) {
	var weights map[string]int
	if len(kinds) > 0 {
		weights = map[string]int{}
		for _, k := range kinds {
			weights[k] = synth.DefaultWeights()[k]
		}
	}
	g, err := synth.New(synth.Config{
		Seed: seed, Sources: []string{org}, Purpose: purpose, Population: 2000, Weights: weights,
		Start: synth.StartBefore(time.Now(), Days), Days: Days,
	})
	if err != nil {
		return nil, err
	}
	return func(yield func(schema.Envelope) bool) {
		i := 0
		for env := range g.Records(n) {
			if !yield(env) {
				return
			}
			if i++; repeats && i%RepeatEvery == 0 {
				again := env
				again.ID = uuid.Must(uuid.NewV7()).String()
				if !yield(again) {
					return
				}
			}
		}
	}, nil
}

// Process is the organization's collection and first processing: each
// record is normalized, checked for duplicates and assessed, then
// submitted through a client to hub (or, when hub is "", to the hubs the
// directory routes its kind to), which validates it once as it stamps it
// (a record it refuses is dropped as invalid). Submit returns once the record
// is durable in the client's outbox; flush the clients to see receipts.
func (f Force) Process(ctx context.Context, s *Scheme, records iter.Seq[schema.Envelope], hub string) (stage.Stats, error) {
	dedupe, err := stage.NewDedupe(stage.DedupeConfig{Window: 10_000})
	if err != nil {
		return stage.Stats{}, err
	}
	// No validate step: the client validates each record once, as it
	// stamps it, and a record it refuses is dropped as "invalid" (see
	// ValidatedBySink).
	steps := []stage.Step{
		{Name: "normalize", Processor: stage.Normalize(), OnError: stage.PolicyDrop, DropReason: "malformed"},
		{Name: "dedupe", Processor: dedupe},
	}
	if len(f.Rules) > 0 {
		assess, err := stage.NewAssessor(stage.AssessConfig{Rules: f.Rules, Threshold: f.Threshold})
		if err != nil {
			return stage.Stats{}, err
		}
		steps = append(steps, stage.Step{Name: "assess", Processor: assess, Concurrency: 2})
	}
	// The records go to the hub named, or else wherever the directory
	// routes them.
	var sink stage.Submitter
	if hub != "" {
		c, err := s.Client(f.Org, hub, false)
		if err != nil {
			return stage.Stats{}, err
		}
		sink = c
	} else {
		r, err := s.Router(f.Org, false)
		if err != nil {
			return stage.Stats{}, err
		}
		sink = r
	}
	return stage.Run(ctx, stage.Config{
		Collector: stage.CollectorFunc(func(ctx context.Context, emit func(schema.Envelope) error) error {
			for env := range records {
				if err := emit(env); err != nil {
					return err
				}
			}
			return nil
		}),
		Steps:           steps,
		Sink:            ValidatedBySink(sink),
		SinkConcurrency: 16, // concurrent Submits share one outbox commit
	})
}

// Exit runs a program with the process's arguments and exits with its
// status: the whole of a main function.
func Exit(run func(args []string, stdout, stderr io.Writer) int) {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Main is a social force's program: flags, collection, processing,
// submission, receipts. It starts the hubs the directory routes the
// organization's records to when -hub is not given.
func (f Force) Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(f.Org, flag.ContinueOnError)
	fs.SetOutput(stderr)
	hub := fs.String("hub", "", "URL of the hub to submit to (default: start the hub the directory routes to, in this process, on loopback)")
	reqID := fs.String("requirement", "", "id of the requirement the records are collected under (required with -hub)")
	records := fs.Int("records", 2000, "synthetic records to collect")
	seed := fs.Uint64("seed", 1, "seed of the synthetic records")
	data := fs.String("data", "", "folder of the outbox (default: a temporary folder, removed at the end)")
	rate := fs.Float64("rate", 5000, "records per second the client may send")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *hub != "" && *reqID == "" {
		fmt.Fprintln(stderr, f.Org+": -hub needs -requirement, the purpose the hub knows")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := runForce(ctx, f, forceOptions{*hub, *reqID, *records, *seed, *data, *rate}, stdout); err != nil {
		fmt.Fprintln(stderr, f.Org+":", err)
		return 1
	}
	return 0
}

type forceOptions struct {
	hub, requirement string
	records          int
	seed             uint64
	data             string
	rate             float64
}

func runForce(ctx context.Context, f Force, o forceOptions, w io.Writer) error {
	for _, k := range f.Kinds {
		if err := synth.Directory().Authorize(f.Org, k); err != nil {
			return err
		}
	}
	data, cleanup, err := DataDir(o.data, f.Org)
	if err != nil {
		return err
	}
	defer cleanup()
	s := NewScheme(data, o.rate)
	defer s.Close(context.Background())
	purpose := schema.Purpose{RequirementID: o.requirement}
	targets := []string{"hub"}
	if o.hub != "" {
		s.Remote("hub", o.hub)
	} else {
		if targets, err = s.Standalone(ctx, f.Org, &purpose); err != nil {
			return err
		}
		fmt.Fprintf(w, "standalone: hubs of %s on loopback, requirement %s announced\n", strings.Join(targets, ", "), purpose.RequirementID)
	}
	records, err := Records(f.Org, f.Kinds, o.records, o.seed, purpose, true)
	if err != nil {
		return err
	}
	to := "" // by the directory's routes
	if o.hub != "" {
		to = "hub"
	}
	st, err := f.Process(ctx, s, records, to)
	if err != nil {
		return err
	}
	if err := s.Flush(ctx, f.Org); err != nil {
		return err
	}
	PrintPipeline(w, f.Org, st)
	cs := s.Stats(f.Org)
	fmt.Fprintf(w, "receipts: accepted %d, duplicate %d, rejected %d (batches %d, retries %d, dead letters %d)\n",
		cs.Delivered, cs.Duplicate, cs.Rejected, cs.BatchesSent, cs.Retries, cs.DeadLettered)
	held := -1
	if o.hub == "" {
		held = 0
		for _, t := range targets {
			h, _ := s.Hub(t)
			n, err := h.PrintHeld(ctx, w)
			if err != nil {
				return err
			}
			held += n
		}
	}
	fmt.Fprintf(w, "summary: collected=%d dropped=%d submitted=%d accepted=%d duplicate=%d rejected=%d held=%d\n",
		st.Collected, sum(st.Dropped()), st.Delivered, cs.Delivered, cs.Duplicate, cs.Rejected, held)
	return nil
}

// Standalone starts the hubs the records of org go to and has the leading
// group announce a requirement to them; purpose gets its id.
func (s *Scheme) Standalone(ctx context.Context, org string, purpose *schema.Purpose) ([]string, error) {
	targets, err := Targets(s.Dir, org)
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		if _, err := s.StartHub(t, nil); err != nil {
			return nil, err
		}
	}
	req, err := Requirement(s.Dir, time.Now())
	if err != nil {
		return nil, err
	}
	purpose.RequirementID = req.ID
	return targets, s.Announce(ctx, req, targets...)
}

// DataDir returns dir, made if missing, or a temporary folder that
// cleanup removes.
func DataDir(dir, name string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, os.MkdirAll(dir, 0o755)
	}
	tmp, err := os.MkdirTemp("", "sicollab-"+name+"-")
	return tmp, func() { os.RemoveAll(tmp) }, err
}

// PrintPipeline writes a pipeline's counters: what came in, and what each
// step dropped and why.
func PrintPipeline(w io.Writer, who string, st stage.Stats) {
	fmt.Fprintf(w, "%s: collected %d records\n", who, st.Collected)
	for _, s := range st.Steps {
		fmt.Fprintf(w, "  %-10s in %6d  out %6d", s.Name, s.In, s.Out)
		for _, r := range slices.Sorted(mapKeys(s.Dropped)) {
			fmt.Fprintf(w, "  dropped %d (%s)", s.Dropped[r], r)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  delivered %d to the outbox\n", st.Delivered)
}

func sum(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}
