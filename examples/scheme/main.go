package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/examples/internal/synth"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scheme", flag.ContinueOnError)
	fs.SetOutput(stderr)
	records := fs.Int("records", 20000, "synthetic records in the first round (the second has half)")
	seed := fs.Uint64("seed", 1, "seed of the synthetic data")
	days := fs.Int("days", 30, "days of data per round")
	rate := fs.Float64("rate", 50000, "records per second each client may send")
	out := fs.String("out", "", "keep the stores here and write report.json and report.html (default: a temporary folder, removed)")
	verbose := fs.Bool("v", false, "log what the hubs and clients do")
	withNATS := fs.Bool("nats", false, "run the hubs over an embedded 3-node NATS JetStream cluster on loopback: ledgers and purposes in its buckets, records in its stream (nats.go)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *records < 1000 || *days < 21 {
		fmt.Fprintln(stderr, "scheme: -records must be at least 1000 and -days at least 21 (the patterns need room)")
		return 2
	}
	data := *out
	if data == "" {
		tmp, err := os.MkdirTemp("", "sicollab-scheme-")
		if err != nil {
			fmt.Fprintln(stderr, "scheme:", err)
			return 1
		}
		defer os.RemoveAll(tmp)
		data = tmp
	} else if err := os.MkdirAll(data, 0o755); err != nil {
		fmt.Fprintln(stderr, "scheme:", err)
		return 1
	}
	log := slog.New(slog.DiscardHandler)
	if *verbose {
		log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	say := func(format string, a ...any) { fmt.Fprintf(stdout, "  "+format+"\n", a...) }
	var cluster *natsCluster
	if *withNATS {
		var hubs []string
		for _, o := range departments(synth.Directory()) {
			hubs = append(hubs, o.ID)
		}
		c, err := startNATS(ctx, data, hubs)
		if err != nil {
			fmt.Fprintln(stderr, "scheme:", err)
			return 1
		}
		defer c.close()
		cluster = c
	}
	rep, err := demo(ctx, options{records: *records, seed: *seed, days: *days, rate: *rate, data: data, say: say}, log)
	if err != nil {
		fmt.Fprintln(stderr, "scheme:", err)
		return 1
	}
	summary(stdout, rep)
	if cluster != nil {
		if err := cluster.report(ctx, stdout); err != nil {
			fmt.Fprintln(stderr, "scheme:", err)
			return 1
		}
	}
	if *out != "" {
		if err := writeReport(*out, rep); err != nil {
			fmt.Fprintln(stderr, "scheme:", err)
			return 1
		}
		fmt.Fprintf(stdout, "\nreport: %s, %s; stores kept in %s\n",
			filepath.Join(*out, "report.json"), filepath.Join(*out, "report.html"), *out)
	}
	for _, r := range rep.Rounds {
		for _, s := range r.Scores {
			if s.Recall < 1 {
				return 3 // a planted pattern was missed: CI fails on this
			}
		}
	}
	return 0
}

// report is everything the demo did, as summary and JSON.
type report struct {
	Started  time.Time             `json:"started"`
	Took     string                `json:"took"`
	Seed     uint64                `json:"seed"`
	Orgs     map[string]string     `json:"orgs"` // id -> tier
	Rounds   []*roundResult        `json:"rounds"`
	Feedback schema.FeedbackReport `json:"feedback_report"`
	Revision schema.Plan           `json:"plan_revision"`
	Loop     *loopFeedback         `json:"feedback_loop"` // what feedback changed between the rounds, and why
	Journal  map[string]int        `json:"journal"`       // kind -> entries
	Edges    []edge                `json:"interactions"`
	// Written is what the scheme's files wrote, by kind of file
	// (sector.Scheme.Written), from their opening to the end of the run.
	Written map[string]submit.WriteStats `json:"written"`
}

// edge is how often one organization dealt with another in one
// interaction of the scheme, as the journal recorded it.
type edge struct {
	From        string `json:"from"`
	To          string `json:"to"`
	Interaction int    `json:"interaction"`
	Count       int    `json:"count"`
}

func demo(ctx context.Context, o options, log *slog.Logger) (*report, error) {
	began := time.Now()
	w, err := newWorld(o.data, o.rate, log)
	if err != nil {
		return nil, err
	}
	defer w.close(context.Background())
	rep := &report{Started: began.UTC(), Seed: o.seed, Orgs: map[string]string{}, Journal: map[string]int{}}
	for _, org := range w.Dir.Orgs() {
		rep.Orgs[org.ID] = org.Tier.String()
	}
	fmt.Fprintf(os.Stdout, "sicollab: the scheme in one process (%d organizations, %d hubs on loopback)\n", len(rep.Orgs), len(departments(w.Dir)))

	start := synth.StartBefore(time.Now(), o.days)
	o.say("planning: requirement, macro plan, department plans, task to public security")
	p, err := w.plan(ctx, start.AddDate(0, 0, -o.days), o.days)
	if err != nil {
		return nil, fmt.Errorf("planning: %w", err)
	}
	if err := w.moveTask(ctx, p, "issued", "accepted"); err != nil {
		return nil, err
	}
	if err := w.moveTask(ctx, p, "accepted", "in_progress"); err != nil {
		return nil, err
	}
	r1, err := w.round(ctx, o.records, 1, o.seed, start, o.days, p, nil, func(string, string) bool { return true }, schema.ExpertSecondment, o.say)
	if err != nil {
		return nil, fmt.Errorf("round 1: %w", err)
	}
	rep.Rounds = append(rep.Rounds, r1)
	if err := w.moveTask(ctx, p, "in_progress", "done"); err != nil {
		return nil, err
	}

	o.say("feedback: monthly reports with each source's yield, plan revisions, the leading group's reading")
	fb, err := w.report(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("feedback: %w", err)
	}
	lf := &loopFeedback{}
	if err := w.ministryFeedback(ctx, p, lf); err != nil {
		return nil, fmt.Errorf("feedback of central-bank: %w", err)
	}
	if err := w.departmentFeedback(ctx, p, r1, fb, lf); err != nil {
		return nil, fmt.Errorf("feedback of public-security: %w", err)
	}
	if err := w.leadingGroupReading(ctx, p, fb, lf); err != nil {
		return nil, fmt.Errorf("feedback of the leading group: %w", err)
	}
	rep.Feedback, rep.Revision, rep.Loop = fb, p.plans["public-security"], lf

	o.say("planning round 2: a task-specific requirement, a case from the library, existing products read over TAXII, then tasks")
	start2 := start.AddDate(0, 0, -o.days)
	lesson := "Link cash deposits across banks, co-travel and precursor purchases by pseudonym; second a finance expert."
	p2, tr, err := w.taskOriented(ctx, p, start2, lesson)
	if err != nil {
		return nil, fmt.Errorf("planning round 2: %w", err)
	}
	for _, step := range [][2]schema.TaskState{{"issued", "accepted"}, {"accepted", "in_progress"}} {
		if err := w.moveTask(ctx, p2, step[0], step[1]); err != nil {
			return nil, err
		}
	}
	r2, err := w.round(ctx, max(o.records/2, 1000), 2, o.seed+1, start2, o.days, p2, r1.Truth, collects(w.Dir, p2.req, p.plans), schema.ExpertHire, o.say)
	if err != nil {
		return nil, fmt.Errorf("round 2 under requirement %s: %w", p2.req.Title, err)
	}
	r2.Task = tr
	rep.Rounds = append(rep.Rounds, r2)
	if err := w.moveTask(ctx, p2, "in_progress", "done"); err != nil {
		return nil, err
	}
	outcome := collab.CaseSucceeded
	for _, s := range r2.Scores {
		if s.Recall < 1 {
			outcome = collab.CasePartly
		}
	}
	if _, err := w.keepCase(ctx, p2.req.ID, outcome, "Feedback first: the stopped source's false positives did not return; "+lesson); err != nil {
		return nil, err
	}
	tr.Kept = string(outcome)
	for i := range lf.Changes {
		c := &lf.Changes[i]
		if c.Source != "" {
			c.Round1, c.Round2 = r1.BySource[c.Source][c.Kind], r2.BySource[c.Source][c.Kind]
		} else {
			c.Round2 = r2.kindTotal(c.Kind)
		}
	}
	edges := map[edge]int{}
	for e, err := range w.journal.Entries(ctx, 0) {
		if err != nil {
			return nil, err
		}
		rep.Journal[e.Kind]++
		if e.Counterpart != "" && e.Interaction != collab.InteractionNone {
			edges[edge{From: e.Org, To: e.Counterpart, Interaction: int(e.Interaction)}]++
		}
	}
	for e, n := range edges {
		e.Count = n
		rep.Edges = append(rep.Edges, e)
	}
	slices.SortFunc(rep.Edges, func(a, b edge) int {
		return cmp.Or(cmp.Compare(a.Interaction, b.Interaction), cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
	rep.Written = w.Written()
	rep.Took = time.Since(began).Round(time.Millisecond).String()
	return rep, nil
}

func writeReport(dir string, rep *report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), b, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "report.html"), []byte(renderHTML(rep)), 0o644)
}

func summary(w io.Writer, rep *report) {
	fmt.Fprintf(w, "\nsummary (took %s)\n", rep.Took)
	writtenSummary(w, rep)
	for _, r := range rep.Rounds {
		fmt.Fprintf(w, "\nround %d: %s records collected\n", r.Round, thousands(r.Records))
		if t := r.Task; t != nil {
			taskSummary(w, t)
		}
		for _, name := range slices.Sorted(mapsKeys(r.Pipeline)) {
			c := r.Pipeline[name]
			fmt.Fprintf(w, "  %-14s collected %s, submitted %s, dropped %s\n", name, thousands(int(c.Collected)), thousands(int(c.Delivered)), counts(c.Dropped))
		}
		fmt.Fprintf(w, "  submissions in round %d by organization (accepted / duplicate / rejected / retries):\n", r.Round)
		var commits, queued uint64
		for _, org := range slices.Sorted(mapsKeys(r.Clients)) {
			s := r.Clients[org]
			fmt.Fprintf(w, "    %-24s %7d / %d / %d / %d\n", org, s.Delivered, s.Duplicate, s.Rejected, s.Retries)
			commits, queued = commits+s.Commits, queued+s.Delivered+s.Duplicate+s.Rejected
		}
		fmt.Fprintf(w, "  outbox commits in round %d: %d, for %d records answered\n", r.Round, commits, queued)
		fmt.Fprintf(w, "  records held by each hub after round %d:\n", r.Round)
		for _, org := range slices.Sorted(mapsKeys(r.Stored)) {
			fmt.Fprintf(w, "    %-24s %7d\n", org, r.Stored[org])
		}
		if f := r.Flow; f != nil {
			fmt.Fprintf(w, "  latency from collection to a specialized department: median under %s ms, 95%% under %s ms\n",
				thousands(int(f.P50Ms)), thousands(int(f.P95Ms)))
		}
		fmt.Fprintln(w, "  products:")
		for _, p := range r.Products {
			fmt.Fprintf(w, "    %-24s %-28s %d entries\n", p.Producer, p.ListType, p.Entries)
		}
		fmt.Fprintf(w, "  escalations: %s\n", counts(r.Escalations))
		experts := "none"
		if len(r.Experts) > 0 {
			experts = strings.Join(r.Experts, "; ")
		}
		fmt.Fprintf(w, "  experts: %s\n", experts)
		if len(r.Yield) > 0 {
			fmt.Fprintln(w, "  yield by source (records collected -> cited as evidence -> list entries):")
			for _, y := range r.Yield {
				fmt.Fprintf(w, "    %-24s %7d -> %d -> %d\n", y.Org, y.Submitted, y.Evidence, y.Entries)
			}
		}
		if len(r.Read) > 0 {
			fmt.Fprintln(w, "  ministries' lists public security read over TAXII, and its verdicts sent back:")
			for _, p := range r.Read {
				fmt.Fprintf(w, "    %-24s %-28s %d entries\n", p.Producer, p.ListType, p.Entries)
			}
			fmt.Fprintf(w, "    verdicts: %s\n", counts(r.Verdicts))
		}
		if len(r.Withheld) > 0 {
			fmt.Fprintf(w, "  not collected under the plans in force: %s\n", counts(r.Withheld))
		}
		fmt.Fprintln(w, "  planted patterns found (recall, precision):")
		for _, s := range r.Scores {
			fmt.Fprintf(w, "    %-22s planted %d, found %d, findings %d: recall %.2f, precision %.2f\n",
				s.Pattern, s.Planted, s.Found, s.Findings, s.Recall, s.Precision)
		}
	}
	fb := rep.Feedback
	fmt.Fprintf(w, "\nfeedback: %s report of %s, %s to %s\n", fb.Type, fb.Reporter, fb.Period.From.Format(time.DateOnly), fb.Period.To.Format(time.DateOnly))
	c := fb.Counts
	fmt.Fprintf(w, "  records submitted %d (accepted %d, rejected %d, duplicate %d); products %d; escalations %d; actions %d; tasks done %d, late %d, failed %d; expert assignments %d\n",
		c.RecordsSubmitted, c.RecordsAccepted, c.RecordsRejected, c.RecordsDuplicate, c.Products, c.Escalations, c.Actions, c.TasksDone, c.TasksLate, c.TasksFailed, c.ExpertAssignments)
	for _, f := range fb.Findings {
		fmt.Fprintf(w, "  finding: %s\n", f)
	}
	if rep.Revision.Revision > 1 {
		fmt.Fprintf(w, "  plan %s of %s revised to revision %d: %s\n", rep.Revision.Level, rep.Revision.Owner, rep.Revision.Revision, rep.Revision.RevisionReason)
	}
	if lf := rep.Loop; lf != nil {
		loopSummary(w, lf)
	}
	byInteraction := map[int]int{}
	for _, e := range rep.Edges {
		byInteraction[e.Interaction] += e.Count
	}
	fmt.Fprintln(w, "\ninteractions (journal entries between two organizations):")
	for i, name := range []string{"", "task assignment", "submission", "expert secondment", "external expert hire", "escalation"} {
		if i > 0 {
			fmt.Fprintf(w, "  %d %-22s %7d\n", i, name, byInteraction[i])
		}
	}
	fmt.Fprintln(w, "\njournal (entries by kind):")
	for _, k := range slices.Sorted(mapsKeys(rep.Journal)) {
		fmt.Fprintf(w, "  %-28s %7d\n", k, rep.Journal[k])
	}
}

// counts writes a map of counts as "a 1, b 2" in key order, "none" if empty.
func counts[N int | uint64](m map[string]N) string {
	if len(m) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(mapsKeys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// taskSummary says how a task-oriented round was planned.
func taskSummary(w io.Writer, t *taskRound) {
	fmt.Fprintf(w, "  task-oriented under the task-specific requirement %q (%d kinds)\n", t.Requirement, len(t.Kinds))
	if len(t.Cases) == 0 {
		fmt.Fprintln(w, "  cases offered from the library: none")
	}
	for _, c := range t.Cases {
		fmt.Fprintf(w, "  case offered: %q, %s, similarity %.2f (%s): %s\n", c.Requirement, c.Outcome, c.Similarity, strings.Join(c.Shared, "; "), c.Lesson)
	}
	entries := 0
	for _, p := range t.Existing {
		entries += p.Entries
	}
	met := "met"
	if !t.Met {
		met = "not met, missing " + strings.Join(t.Missing, ", ")
	}
	fmt.Fprintf(w, "  before tasking, public security queried existing products (its own, and the ministries' over TAXII): %d products, %d entries; requirement %s\n",
		len(t.Existing), entries, met)
	fmt.Fprintf(w, "  tasks issued (interaction 1): %s\n", strings.Join(t.Tasks, "; "))
	if t.Kept != "" {
		fmt.Fprintf(w, "  the operation is kept in the case library as %s\n", t.Kept)
	}
}

// loopSummary says what feedback changed for round 2, and why.
func loopSummary(w io.Writer, lf *loopFeedback) {
	for _, r := range lf.Reports {
		fmt.Fprintf(w, "  %s report of %s: %d findings, %d recommendations\n", r.Type, r.Reporter, len(r.Findings), len(r.Recommendations))
		for _, f := range r.Findings {
			if strings.HasPrefix(f, "Yield of ") || strings.HasPrefix(f, "Work report of ") {
				fmt.Fprintf(w, "    %s\n", f)
			}
		}
	}
	fmt.Fprintln(w, "\nwhat feedback changed for round 2 (records collected: round 1 -> round 2):")
	if len(lf.Changes) == 0 {
		fmt.Fprintln(w, "  nothing")
	}
	for _, c := range lf.Changes {
		what := c.Kind
		if c.Source != "" {
			what = c.Source + " " + c.Kind
		}
		freq := ""
		if c.From != "" || c.To != "" {
			freq = fmt.Sprintf(" %s -> %s,", orDash(c.From), orDash(c.To))
		}
		fmt.Fprintf(w, "  %-5s %s (plan of %s, revision %d):%s records %s -> %s\n    why: %s\n",
			c.Change, what, c.Plan, c.Revision, freq, thousands(c.Round1), thousands(c.Round2), c.Why)
	}
}

// writtenSummary says what the files wrote per record collected in all
// rounds, by kind of file (bbolt's pages and a meta page per commit).
func writtenSummary(w io.Writer, rep *report) {
	collected := 0
	for _, r := range rep.Rounds {
		collected += r.Records
	}
	if collected == 0 || len(rep.Written) == 0 {
		return
	}
	var all uint64
	for _, x := range rep.Written {
		all += x.Bytes
	}
	perRecord := func(b uint64) string { return fmt.Sprintf("%.1f KB", float64(b)/float64(collected)/1024) }
	fmt.Fprintf(w, "written to the stores' files: %s per collected record (%s MB)\n", perRecord(all), thousands(int(all>>20)))
	for _, kind := range slices.Sorted(mapsKeys(rep.Written)) {
		x := rep.Written[kind]
		fmt.Fprintf(w, "  %-10s %s in %s commits\n", kind, perRecord(x.Bytes), thousands(int(x.Commits)))
	}
}
