package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("auditor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	hubsFile := fs.String("hubs", "", "file listing the hubs: \"<url> <verifier key>\" per line (required)")
	state := fs.String("state", "", "directory keeping the last checkpoint of each hub (required)")
	interval := fs.Duration("interval", time.Minute, "time between polls")
	polls := fs.Int("polls", 0, "polls to run, then exit; 0: until interrupted")
	sample := fs.Int("sample", 8, "inclusion proofs to check per hub and poll")
	seed := fs.Uint64("seed", 0, "seed of the leaf sampling; 0: from the clock")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	usage := func(msg string) int {
		fmt.Fprintln(stderr, "auditor:", msg)
		fs.Usage()
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return usage(fmt.Sprintf("unexpected arguments %q", fs.Args()))
	case *hubsFile == "":
		return usage("-hubs is required")
	case *state == "":
		return usage("-state is required")
	case *polls < 0:
		return usage(fmt.Sprintf("-polls %d: must not be negative", *polls))
	case *sample < 0:
		return usage(fmt.Sprintf("-sample %d: must not be negative", *sample))
	case *interval <= 0:
		return usage(fmt.Sprintf("-interval %v: must be positive", *interval))
	}
	f, err := os.Open(*hubsFile)
	if err != nil {
		fmt.Fprintln(stderr, "auditor:", err)
		return 1
	}
	hubs, err := ParseHubs(f)
	f.Close()
	if err != nil {
		fmt.Fprintln(stderr, "auditor:", err)
		return 1
	}
	if err := os.MkdirAll(*state, 0o700); err != nil {
		fmt.Fprintln(stderr, "auditor:", err)
		return 1
	}
	cfg := Config{Hubs: hubs, StateDir: *state, Sample: *sample}
	if *seed != 0 {
		cfg.Rand = rand.New(rand.NewPCG(*seed, 0))
	}
	a, err := New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "auditor:", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	found := false
	for n := 0; *polls == 0 || n < *polls; n++ {
		if n > 0 {
			t := time.NewTimer(*interval)
			select {
			case <-ctx.Done():
				t.Stop()
				return exitCode(found)
			case <-t.C:
			}
		}
		for _, r := range a.Poll(ctx) {
			if r.Status != StatusOK && r.Status != StatusError {
				found = true
			}
			if err := enc.Encode(r); err != nil {
				fmt.Fprintln(stderr, "auditor:", err)
				return 1
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	return exitCode(found)
}

func exitCode(found bool) int {
	if found {
		return 3
	}
	return 0
}
