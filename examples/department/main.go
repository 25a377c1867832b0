package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/examples/internal/sector"
	"github.com/sicollab/sicollab/examples/internal/synth"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// link is the department's cross-sector rule: a subject who bought a
// hazardous substance and was reported for a flagged account within 30
// days. Neither the seller nor the platform, nor the ministry that
// supervises both, sees the two together under one requirement; here
// every source meets.
var link = stage.LinkRule{
	Name:   "hazmat purchase and flagged account within 30 days",
	Kinds:  []string{schema.KindCommerceHazmat, schema.KindTelecomAccountReport},
	Within: 30 * 24 * time.Hour,
	Score:  0.9,
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	org     string
	records int
	seed    uint64
	data    string
	inHouse []schema.ExpertDomain
	decline bool
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("department", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.org, "org", "public-security", "the specialized department to run")
	fs.IntVar(&o.records, "records", 2000, "synthetic records the social forces collect")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the synthetic records")
	fs.StringVar(&o.data, "data", "", "folder of the stores, catalogs and outboxes (default: a temporary folder, removed)")
	inHouse := fs.String("in-house", "finance,transport,customs,telecom", "fields of expertise the department has in-house, comma-separated")
	fs.BoolVar(&o.decline, "decline", false, "the addressees of an expert request offer nobody")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if d, ok := synth.Directory().Org(o.org); !ok || d.Tier != collab.SpecializedDepartment {
		fmt.Fprintf(stderr, "department: -org must be a specialized department of the directory; got %q\n", o.org)
		return 2
	}
	for _, d := range strings.Split(*inHouse, ",") {
		if d = strings.TrimSpace(d); d != "" {
			o.inHouse = append(o.inHouse, schema.ExpertDomain(d))
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := department(ctx, o, stdout); err != nil {
		fmt.Fprintln(stderr, "department:", err)
		return 1
	}
	return 0
}

func department(ctx context.Context, o options, w io.Writer) error {
	data, cleanup, err := sector.DataDir(o.data, o.org)
	if err != nil {
		return err
	}
	defer cleanup()
	s := sector.NewScheme(data, 1e5)
	defer s.Close(context.Background())

	// Standalone: the specialized departments' hubs (this one among them),
	// the ministries below, and the leading group's requirement and task.
	hubs, err := s.StartDepartments()
	if err != nil {
		return err
	}
	req, err := sector.Requirement(s.Dir, time.Now())
	if err != nil {
		return err
	}
	var ministries []*sector.Ministry
	for _, org := range slices.Sorted(maps.Keys(sector.Lists)) {
		m, err := s.StartMinistry(ctx, org, req)
		if err != nil {
			return err
		}
		ministries = append(ministries, m)
		hubs = append(hubs, org)
	}
	if err := s.Announce(ctx, req, hubs...); err != nil {
		return err
	}
	task, err := assigned(ctx, s, req, o.org)
	if err != nil {
		return err
	}
	hub, _ := s.Hub(o.org)
	fmt.Fprintf(w, "%s: hub on %s; task %q from the leading group\n", o.org, hub.URL, task.Title)

	purpose := schema.Purpose{RequirementID: req.ID}
	records, truth, err := sector.Generate(o.records, o.seed, purpose, nil, synth.PatternPrecursor)
	if err != nil {
		return err
	}
	fed, err := s.Feed(ctx, records)
	if err != nil {
		return err
	}
	for _, m := range ministries {
		if _, err := m.Finish(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "sources: %d records collected by the social forces, %d submitted; the ministries processed and relayed them\n",
		fed.Collected, fed.Delivered)

	// 1. Aggregation: every source it holds, by kind.
	held, err := hub.PrintHeld(ctx, w)
	if err != nil {
		return err
	}
	// The ministries' products join the catalog, beside its own.
	received := 0
	err = hub.Scan(ctx, schema.KindProduct, func(env schema.Envelope) error {
		var p schema.Product
		if err := env.DecodePayload(&p); err != nil {
			return err
		}
		received++
		return hub.Catalog.Put(ctx, p)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "catalog: %d products of the ministries' lists kept\n", received)
	// 2. Analysis: link sources across sectors by pseudonym.
	products, err := analyse(ctx, s, hub, task)
	if err != nil {
		return err
	}
	var linked []schema.Subject
	for _, p := range products {
		for _, e := range p.Entries {
			fmt.Fprintf(w, "linked: %s (%s), evidence %s\n", e.Subject.Pseudonym, strings.Join(e.Reasons, "; "), strings.Join(e.EvidenceIDs, ", "))
			linked = append(linked, e.Subject)
		}
	}
	fmt.Fprintf(w, "analysis: %d products (%s) in the catalog, %d subjects linked\n", len(products), schema.ListCrossSectorLink, len(linked))
	// 3. An expert the task needs and the department lacks.
	assignment, err := expert(ctx, s, hub, o, task, w)
	if err != nil {
		return err
	}
	// 4. What the ministries escalated, or handled and sent for information.
	escalations, escalated, err := listEscalations(ctx, hub, w)
	if err != nil {
		return err
	}
	// 5. The application stage looks in the catalog first.
	found := 0
	if len(linked) > 0 {
		page, err := hub.Catalog.Query(ctx, collab.ProductQuery{Subject: linked[0].Pseudonym})
		if err != nil {
			return err
		}
		found = len(page.Products)
		fmt.Fprintf(w, "catalog: %d products name %s\n", found, linked[0].Pseudonym)
		for _, p := range page.Products {
			fmt.Fprintf(w, "  %s  %-16s %-18s %-9s %3d entries\n",
				p.ProducedAt.Format(time.RFC3339), p.Producer, p.ListType, p.Frequency, len(p.Entries))
		}
	}

	// The generator's ground truth, kept aside until now.
	hits := 0
	for _, t := range truth {
		ok := slices.ContainsFunc(linked, func(s schema.Subject) bool { return s.Pseudonym == t.Subjects[0].Pseudonym })
		if ok {
			hits++
		}
		fmt.Fprintf(w, "truth: %s by %s: linked=%t\n", t.Pattern, t.Subjects[0].Pseudonym, ok)
	}
	fmt.Fprintf(w, "summary: held=%d products=%d linked=%d planted=%d found=%d expert_assigned=%d escalations=%d escalated=%d catalog=%d\n",
		held, len(products), len(linked), len(truth), hits, b2i(assignment.Outcome == schema.AssignmentAssigned),
		escalations, escalated, found)
	return nil
}

// assigned is the leading group assigning this department the analysis
// task under the macro plan (interaction 1), as its hub receives it.
func assigned(ctx context.Context, s *sector.Scheme, req schema.Requirement, org string) (schema.Task, error) {
	macro, err := sector.MacroPlan(s.Dir, req)
	if err != nil {
		return schema.Task{}, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	t := schema.Task{
		ID: sector.NewID(), PlanID: macro.ID, RequirementID: req.ID, Issuer: macro.Owner, Assignee: []string{org},
		Title:        "Link precursor purchases to flagged accounts",
		Instructions: "Link hazardous-substance purchases to flagged online accounts by subject; list what you find.",
		Stage:        schema.StageAnalysis, Kinds: link.Kinds, Priority: schema.PriorityHigh,
		IssuedAt: now, Deadline: now.AddDate(0, 0, 30),
	}
	if err := collab.AssignTask(s.Dir, macro, t); err != nil {
		return t, err
	}
	e, err := collab.EntryOfTask(t)
	if err == nil {
		_, err = s.Journal.Append(ctx, e)
	}
	if err == nil {
		err = s.Post(ctx, macro.Owner, schema.KindTask, schema.Purpose{RequirementID: req.ID}, t, org)
	}
	if err == nil {
		err = s.Flush(ctx, macro.Owner)
	}
	return t, err
}

// analyse reads the records of the rule's kinds from the hub's store
// through a stage.Linker; each product it makes goes to the catalog and
// the journal.
func analyse(ctx context.Context, s *sector.Scheme, hub *sector.Hub, task schema.Task) ([]schema.Product, error) {
	linker, err := stage.NewLinker(stage.LinkConfig{
		Rules: []stage.LinkRule{link},
		Product: stage.ProductConfig{
			Frequency: schema.FrequencyTask, Producer: hub.Org, RequirementID: task.RequirementID, TaskID: task.ID,
		},
	})
	if err != nil {
		return nil, err
	}
	var products []schema.Product // one analyzer: Publish is not called concurrently
	_, err = stage.Run(ctx, stage.Config{
		Collector: stage.CollectorFunc(func(ctx context.Context, emit func(schema.Envelope) error) error {
			for _, k := range link.Kinds {
				if err := hub.Scan(ctx, k, emit); err != nil {
					return err
				}
			}
			return nil
		}),
		Sink:      stage.SubmitterFunc(func(context.Context, schema.Envelope) error { return nil }),
		Analyzers: []stage.Analyzer{linker},
		Products: stage.PublisherFunc(func(ctx context.Context, p schema.Product) error {
			if err := hub.Catalog.Put(ctx, p); err != nil {
				return err
			}
			entry, err := collab.EntryOfProduct(p)
			if err != nil {
				return err
			}
			products = append(products, p)
			_, err = s.Journal.Append(ctx, entry)
			return err
		}),
	})
	return products, err
}

// expert decides whether the task needs a field of expertise the
// department lacks; if so it asks the general business departments of
// the field for a secondment (interaction 3) or, when none supervises
// it, the social forces working in it for a hire (interaction 4). The
// request goes to the addressees' hubs that run here; their offers come
// back to the department's hub, and the desk matches them.
func expert(ctx context.Context, s *sector.Scheme, hub *sector.Hub, o options, task schema.Task, w io.Writer) (schema.ExpertAssignment, error) {
	need, err := collab.DefaultExpertPolicy().NeedsExpert(ctx, task, o.inHouse)
	if err != nil || !need.Need {
		fmt.Fprintf(w, "expert: none sought: %s\n", need.Reason)
		return schema.ExpertAssignment{}, err
	}
	desk, err := collab.NewExpertDesk(collab.ExpertDeskConfig{Directory: s.Dir, Journal: s.Journal})
	if err != nil {
		return schema.ExpertAssignment{}, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	period := schema.Window{From: now, To: now.AddDate(0, 0, 14)}
	channel := schema.ExpertSecondment
	req, to, err := desk.Request(ctx, o.org, task, need.Domain, channel, period)
	if errors.Is(err, collab.ErrNoAddressee) {
		channel = schema.ExpertHire
		req, to, err = desk.Request(ctx, o.org, task, need.Domain, channel, period)
	}
	if err != nil {
		return schema.ExpertAssignment{}, err
	}
	fmt.Fprintf(w, "expert: %s; %s requested from %s\n", need.Reason, channel, strings.Join(to, ", "))
	purpose := schema.Purpose{RequirementID: task.RequirementID}
	if err := s.Post(ctx, o.org, schema.KindExpertRequest, purpose, req, reachable(s, to)...); err != nil {
		return schema.ExpertAssignment{}, err
	}
	if !o.decline {
		if err := answer(ctx, s, req, to, o.org, purpose); err != nil {
			return schema.ExpertAssignment{}, err
		}
	}
	if err := s.Flush(ctx, append(to, o.org)...); err != nil {
		return schema.ExpertAssignment{}, err
	}
	// The offers, as the department's hub received them.
	err = hub.Scan(ctx, schema.KindExpertOffer, func(env schema.Envelope) error {
		var offer schema.ExpertOffer
		if err := env.DecodePayload(&offer); err != nil || offer.RequestID != req.ID {
			return err
		}
		return desk.Offer(ctx, offer)
	})
	if err != nil {
		return schema.ExpertAssignment{}, err
	}
	assigned, err := desk.Assign(ctx, req.ID)
	if err != nil {
		return schema.ExpertAssignment{}, err
	}
	a := assigned[0]
	if a.Outcome == schema.AssignmentAssigned {
		fmt.Fprintf(w, "expert: assigned, %s expert from %s for %s to %s\n", req.Domain, a.FromOrg,
			a.Period.From.Format(time.DateOnly), a.Period.To.Format(time.DateOnly))
	} else {
		fmt.Fprintf(w, "expert: %s: %s\n", a.Outcome, a.Reason)
	}
	if err := s.Post(ctx, o.org, schema.KindExpertAssignment, purpose, a, reachable(s, to)...); err != nil {
		return a, err
	}
	return a, s.Flush(ctx, o.org)
}

// answer is what the addressees' own systems do with the request: each
// offers one expert of the domain, for the whole period, to the hub of
// the department that asked.
func answer(ctx context.Context, s *sector.Scheme, req schema.ExpertRequest, addressees []string, to string, purpose schema.Purpose) error {
	ps, err := schema.NewPseudonymizer(synth.DefaultKeyID, synth.DefaultKey())
	if err != nil {
		return err
	}
	for i, org := range addressees {
		expert, err := ps.Pseudonym(schema.IDNationalID, fmt.Sprintf("SNEXPERT%04d", i))
		if err != nil {
			return err
		}
		offer := schema.ExpertOffer{
			ID: sector.NewID(), RequestID: req.ID, OfferedBy: org, Domain: req.Domain, Expert: expert,
			Available: req.Period, Qualifications: []string{string(req.Domain) + " analysis"},
			OfferedAt: time.Now().UTC().Truncate(time.Second),
		}
		if err := s.Post(ctx, org, schema.KindExpertOffer, purpose, offer, to); err != nil {
			return err
		}
	}
	return nil
}

// listEscalations lists the escalations the ministries sent the hub
// (interaction 5), by ministry: the cases they escalated, and those they
// handled themselves and sent for information; then the first escalated
// case in full.
func listEscalations(ctx context.Context, hub *sector.Hub, w io.Writer) (total, escalated int, err error) {
	byFrom := map[string]map[schema.EscalationDecision]int{}
	var first *schema.Escalation
	err = hub.Scan(ctx, schema.KindEscalation, func(env schema.Envelope) error {
		var e schema.Escalation
		if err := env.DecodePayload(&e); err != nil {
			return err
		}
		if byFrom[e.From] == nil {
			byFrom[e.From] = map[schema.EscalationDecision]int{}
		}
		byFrom[e.From][e.Decision]++
		total++
		if e.Decision == schema.EscalationEscalate {
			if escalated++; first == nil {
				first = &e
			}
		}
		return nil
	})
	fmt.Fprintf(w, "escalations received: %d\n", total)
	for _, from := range slices.Sorted(maps.Keys(byFrom)) {
		fmt.Fprintf(w, "  from %-18s escalated %4d  handled there %4d\n", from,
			byFrom[from][schema.EscalationEscalate], byFrom[from][schema.EscalationHandleHere])
	}
	if first != nil {
		fmt.Fprintf(w, "  first escalated: %s about %s, %s urgency, %d pieces of evidence: %s\n",
			first.From, first.Subjects[0].Pseudonym, first.Urgency, len(first.EvidenceIDs), first.Reason)
	}
	return total, escalated, err
}

// reachable keeps the organizations whose hub this process reaches.
func reachable(s *sector.Scheme, orgs []string) []string {
	return slices.DeleteFunc(slices.Clone(orgs), func(o string) bool { return !s.Reaches(o) })
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
