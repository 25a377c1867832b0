package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/sicollab/sicollab/examples/internal/sector"
	"github.com/sicollab/sicollab/schema"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ministry", flag.ContinueOnError)
	fs.SetOutput(stderr)
	org := fs.String("org", "central-bank", "the general business department to run")
	records := fs.Int("records", 3000, "synthetic records its sector collects")
	seed := fs.Uint64("seed", 1, "seed of the synthetic records")
	data := fs.String("data", "", "folder of the stores and outboxes (default: a temporary folder, removed)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if _, ok := sector.Lists[*org]; !ok {
		fmt.Fprintf(stderr, "ministry: -org must be one of central-bank, transport-ministry, miit, customs; got %q\n", *org)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := ministry(ctx, *org, *records, *seed, *data, stdout); err != nil {
		fmt.Fprintln(stderr, "ministry:", err)
		return 1
	}
	return 0
}

func ministry(ctx context.Context, org string, records int, seed uint64, data string, w io.Writer) error {
	data, cleanup, err := sector.DataDir(data, org)
	if err != nil {
		return err
	}
	defer cleanup()
	s := sector.NewScheme(data, 1e5)
	defer s.Close(context.Background())

	// Upward: the specialized departments, as hubs of their own.
	hubs, err := s.StartDepartments()
	if err != nil {
		return err
	}
	req, err := sector.Requirement(s.Dir, time.Now())
	if err != nil {
		return err
	}
	m, err := s.StartMinistry(ctx, org, req)
	if err != nil {
		return err
	}
	if err := s.Announce(ctx, req, append(hubs, org)...); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: hub on %s; specialized departments in-process: %v\n", org, m.Hub.URL, hubs)

	// Downward: the social forces it supervises collect and submit.
	sources := sector.Supervised(s.Dir, org)
	recs, _, err := sector.Generate(records, seed, schema.Purpose{RequirementID: req.ID}, sources)
	if err != nil {
		return err
	}
	fed, err := s.Feed(ctx, recs)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "sector %v: %d records collected, %d submitted\n", sources, fed.Collected, fed.Delivered)

	res, err := m.Finish(ctx)
	if err != nil {
		return err
	}
	sector.PrintPipeline(w, org, res.Pipeline)
	fmt.Fprintf(w, "  merged %d records about the same event; %d of value\n", res.Merged, res.OfValue)
	fmt.Fprintf(w, "%s list: %d real-time products, %d daily\n", sector.Lists[org],
		res.Products[schema.FrequencyRealTime], res.Products[schema.FrequencyDaily])
	fmt.Fprintf(w, "decisions: %d escalated, %d handled here\n",
		res.Decisions[schema.EscalationEscalate], res.Decisions[schema.EscalationHandleHere])
	ps, _ := s.Hub("public-security")
	held, err := ps.PrintHeld(ctx, w)
	if err != nil {
		return err
	}
	cs := s.Stats(org)
	fmt.Fprintf(w, "summary: received=%d relayed=%d dropped=%d accepted=%d rejected=%d realtime=%d daily=%d escalated=%d handled=%d held=%d\n",
		res.Pipeline.Collected, res.Pipeline.Delivered, sector.Total(res.Pipeline.Dropped()), cs.Delivered, cs.Rejected,
		res.Products[schema.FrequencyRealTime], res.Products[schema.FrequencyDaily],
		res.Decisions[schema.EscalationEscalate], res.Decisions[schema.EscalationHandleHere], held)
	return nil
}
