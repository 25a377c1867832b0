package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/examples/internal/sector"
	"github.com/sicollab/sicollab/schema"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("leadinggroup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "folder of the journal and the hubs' stores (default: a temporary folder, removed)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := leadingGroup(ctx, *data, stdout); err != nil {
		fmt.Fprintln(stderr, "leadinggroup:", err)
		return 1
	}
	return 0
}

func leadingGroup(ctx context.Context, data string, w io.Writer) error {
	data, cleanup, err := sector.DataDir(data, "leading-group")
	if err != nil {
		return err
	}
	defer cleanup()
	journal, err := collab.OpenBoltJournal(filepath.Join(data, "journal.db"))
	if err != nil {
		return err
	}
	defer journal.Close()
	s := sector.NewScheme(data, 1e5)
	s.Journal = journal
	defer s.Close(context.Background())
	departments := append(s.Dir.ByTier(collab.SpecializedDepartment), s.Dir.ByTier(collab.GeneralBusinessDepartment)...)
	var hubs []string
	for _, d := range departments {
		if _, err := s.StartHub(d.ID, nil); err != nil {
			return err
		}
		hubs = append(hubs, d.ID)
	}
	lg := s.Dir.LeadingGroup().ID
	now := time.Now().UTC().Truncate(time.Second)

	// The requirement: task-specific, so it lapses on its own.
	until := now.AddDate(0, 3, 0)
	req := schema.Requirement{
		ID: sector.NewID(), Type: schema.RequirementTaskSpecific, Issuer: lg, IssuedAt: now,
		Title:       "Explosives precursors and flagged accounts",
		Description: "Find holders of flagged online accounts who buy explosives precursors, and follow their money and travel.",
		Scope: schema.Scope{
			Kinds:   []string{schema.KindCommerceHazmat, schema.KindFinanceTransaction, schema.KindTelecomAccountReport, schema.KindTransportPassenger},
			Sectors: []string{"commerce", "finance", "telecom", "transport"},
			Regions: []string{"CN-BJ", "CN-GD", "CN-SH", "CN-ZJ"},
			Window:  schema.Window{From: now.AddDate(0, 0, -30), To: until},
		},
		Priority: schema.PriorityHigh, LegalBasis: "synthetic demonstration basis",
		Status: schema.RequirementActive, ValidUntil: &until,
	}
	if err := collab.CheckRequirement(s.Dir, req); err != nil {
		return err
	}
	fmt.Fprintf(w, "requirement %q (%s): kinds %s until %s\n", req.Title, req.Type,
		strings.Join(req.Scope.Kinds, ", "), until.Format(time.DateOnly))

	// The macro plan: the whole scope, collected daily.
	macro := schema.Plan{
		ID: sector.NewID(), Level: schema.PlanMacro, RequirementID: req.ID, Owner: lg, Revision: 1, RevisedAt: now,
		Scope: req.Scope, Objectives: []string{"Link precursor purchases, flagged accounts, fund flows and travel by subject"},
	}
	for _, k := range req.Scope.Kinds {
		macro.Collection = append(macro.Collection, schema.PlanCollectionItem{Kind: k, Frequency: schema.FrequencyDaily})
	}
	if err := collab.CheckMacroPlan(s.Dir, req, macro); err != nil {
		return err
	}
	fmt.Fprintf(w, "macro plan: %d kinds, %d regions\n", len(macro.Scope.Kinds), len(macro.Scope.Regions))

	// Each department derives its plan: the kinds of the macro plan it
	// takes in, never more.
	plans := map[string]schema.Plan{}
	for _, d := range departments {
		p := macro
		p.ID, p.Level, p.ParentID, p.Owner = sector.NewID(), schema.PlanDepartment, macro.ID, d.ID
		p.Scope.Kinds = slices.DeleteFunc(slices.Clone(macro.Scope.Kinds), func(k string) bool { return !d.CanReceive(k) })
		if len(p.Scope.Kinds) == 0 {
			fmt.Fprintf(w, "plan of %s: none, it takes in no kind of the requirement\n", d.ID)
			continue
		}
		p.Objectives = []string{"Process and analyse " + strings.Join(p.Scope.Kinds, ", ")}
		p.Collection = slices.DeleteFunc(slices.Clone(macro.Collection), func(c schema.PlanCollectionItem) bool {
			return !slices.Contains(p.Scope.Kinds, c.Kind)
		})
		if err := collab.Derive(s.Dir, macro, p); err != nil {
			return fmt.Errorf("plan of %s: %w", d.ID, err)
		}
		plans[d.ID] = p
		fmt.Fprintf(w, "plan of %s: %s\n", d.ID, strings.Join(p.Scope.Kinds, ", "))
	}
	// Public security would like lodging too, and for a year: refused.
	wider := plans["public-security"]
	wider.Scope.Kinds = append(slices.Clone(wider.Scope.Kinds), schema.KindServicesLodging)
	wider.Scope.Window.To = now.AddDate(1, 0, 0)
	var scopeErr *collab.ScopeError
	if err := collab.Derive(s.Dir, macro, wider); !errors.As(err, &scopeErr) {
		return fmt.Errorf("a widened plan was not refused for its scope: %v", err)
	}
	fmt.Fprintf(w, "refused: public-security's wider plan: %s\n", scopeErr)
	var dims []string
	for _, x := range scopeErr.Widenings {
		dims = append(dims, string(x.Dimension))
	}
	fmt.Fprintf(w, "  widened dimensions: %s\n", strings.Join(dims, ", "))

	// Tasks (interaction 1): analysis to public security, collection to
	// the ministry supervising precursor sellers and platforms.
	tasks := []schema.Task{{
		Assignee: []string{"public-security"}, Stage: schema.StageAnalysis,
		Title:        "Link precursor purchases to flagged accounts",
		Instructions: "Link hazardous-substance purchases to flagged online accounts by subject; list what you find.",
		Kinds:        []string{schema.KindCommerceHazmat, schema.KindTelecomAccountReport},
	}, {
		Assignee: []string{"miit"}, Stage: schema.StageCollection,
		Title:        "Report precursor sales in full",
		Instructions: "Have the sellers and platforms you supervise report every precursor sale to a private buyer.",
		Kinds:        []string{schema.KindCommerceHazmat},
	}}
	for i := range tasks {
		t := &tasks[i]
		t.ID, t.PlanID, t.RequirementID, t.Issuer = sector.NewID(), macro.ID, req.ID, lg
		t.Priority, t.IssuedAt, t.Deadline = schema.PriorityHigh, now, now.AddDate(0, 0, 30)
		if err := collab.AssignTask(s.Dir, macro, *t); err != nil {
			return err
		}
		fmt.Fprintf(w, "task to %s: %q\n", t.Assignee[0], t.Title)
	}

	// Journal what was issued, and send it down to the hubs.
	entries := []func() (collab.Entry, error){
		func() (collab.Entry, error) { return collab.EntryOfRequirement(req) },
		func() (collab.Entry, error) { return collab.EntryOfPlan(macro) },
	}
	purpose := schema.Purpose{RequirementID: req.ID}
	send := s.Post(ctx, lg, schema.KindRequirement, purpose, req, hubs...)
	for _, id := range sortedKeys(plans) {
		p := plans[id]
		entries = append(entries, func() (collab.Entry, error) { return collab.EntryOfPlan(p) })
		send = errors.Join(send, s.Post(ctx, lg, schema.KindPlan, purpose, p, id))
	}
	for _, t := range tasks {
		entries = append(entries, func() (collab.Entry, error) { return collab.EntryOfTask(t) })
		send = errors.Join(send, s.Post(ctx, lg, schema.KindTask, purpose, t, t.Assignee...))
	}
	if err := errors.Join(send, s.Flush(ctx, lg)); err != nil {
		return err
	}
	for _, e := range entries {
		if err := appendEntry(ctx, journal, e); err != nil {
			return err
		}
	}
	cs := s.Stats(lg)
	fmt.Fprintf(w, "sent: requirement to %d hubs, %d plans, %d tasks; accepted %d, rejected %d\n",
		len(hubs), len(plans), len(tasks), cs.Delivered, cs.Rejected)

	// Public security works its task: accepted, in progress, done.
	task, state := tasks[0], schema.TaskIssued
	for _, next := range []schema.TaskState{schema.TaskAccepted, schema.TaskInProgress, schema.TaskDone} {
		st := schema.TaskStatus{TaskID: task.ID, State: next, PreviousState: state, By: "public-security", At: time.Now().UTC()}
		if err := collab.Transition(task, state, st); err != nil {
			return err
		}
		if err := appendEntry(ctx, journal, func() (collab.Entry, error) { return collab.EntryOfTaskStatus(st) }); err != nil {
			return err
		}
		fmt.Fprintf(w, "task %q: %s -> %s by %s\n", task.Title, state, next, st.By)
		state = next
	}

	// The monthly work report of public security, from the journal.
	rep, err := collab.MonthlyReport(ctx, journal, "public-security", now, time.Now())
	if err != nil {
		return err
	}
	c := rep.Counts
	fmt.Fprintf(w, "monthly report of %s, %s to %s: tasks done %d, late %d, failed %d; products %d, escalations %d, records submitted %d\n",
		rep.Reporter, rep.Period.From.Format(time.DateOnly), rep.Period.To.Format(time.DateOnly),
		c.TasksDone, c.TasksLate, c.TasksFailed, c.Products, c.Escalations, c.RecordsSubmitted)
	for _, f := range rep.Findings {
		fmt.Fprintln(w, "  finding:", f)
	}
	for _, r := range rep.Recommendations {
		fmt.Fprintf(w, "  recommendation: %+v\n", r)
	}
	raw, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "report:\n%s\n", raw)
	fmt.Fprintf(w, "summary: plans=%d refused=1 tasks=%d sent=%d done=%d\n", len(plans), len(tasks), cs.Delivered, c.TasksDone)
	return nil
}

func appendEntry(ctx context.Context, j collab.Journal, entry func() (collab.Entry, error)) error {
	e, err := entry()
	if err == nil {
		_, err = j.Append(ctx, e)
	}
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
