package collab_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// printJournal is a collab.Journal for the examples: it prints each entry
// it is given and keeps none.
type printJournal struct {
	mu  sync.Mutex
	seq uint64
}

func (j *printJournal) Append(_ context.Context, e collab.Entry) (uint64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	to := e.Counterpart
	if to == "" {
		to = "-"
	}
	fmt.Printf("journal %d: %s, interaction %d, %s -> %s\n", j.seq, e.Kind, e.Interaction, e.Org, to)
	return j.seq, nil
}

func (j *printJournal) Entries(context.Context, uint64) iter.Seq2[collab.Entry, error] {
	return func(func(collab.Entry, error) bool) {}
}

// exampleTask is an analysis task of public security's on fund flows.
func exampleTask() schema.Task {
	return schema.Task{
		ID: "01950000-0000-7000-8000-000000000900", PlanID: "01950000-0000-7000-8000-000000000901",
		RequirementID: "01950000-0000-7000-8000-000000000902",
		Issuer:        "leading-group", Assignee: []string{"public-security"},
		Title: "Analyse fund flows", Instructions: "Analyse the flagged fund flows.",
		Stage: schema.StageAnalysis, Kinds: []string{schema.KindFinanceTransaction},
		Priority: schema.PriorityHigh,
		IssuedAt: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), Deadline: time.Date(2026, 4, 20, 0, 0, 0, 0, time.UTC),
	}
}

func ExampleKindExpertPolicy_NeedsExpert() {
	policy := collab.DefaultExpertPolicy()
	task := exampleTask()
	task.Kinds = []string{schema.KindTransportFreight, schema.KindCommerceHazmat}
	// Public security analyses transport in-house, but not chemistry.
	need, _ := policy.NeedsExpert(context.Background(), task, []schema.ExpertDomain{schema.ExpertDomainTransport})
	fmt.Println(need.Need, need.Domain)
	fmt.Println(need.Reason)
	// Output:
	// true chemistry
	// task 01950000-0000-7000-8000-000000000900 needs chemistry expertise (for commerce.hazmat_purchase), which is not in-house
}

func ExampleNewExpertRequest() {
	dir := mustLoad()
	period := schema.Window{From: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 11, 0, 0, 0, 0, time.UTC)}

	// Secondment asks general business departments, hire asks social
	// forces, in the sectors of the domain.
	_, to, _ := collab.NewExpertRequest(dir, "public-security", exampleTask(), schema.ExpertDomainFinance, schema.ExpertSecondment, period)
	fmt.Println(to)
	_, to, _ = collab.NewExpertRequest(dir, "public-security", exampleTask(), schema.ExpertDomainFinance, schema.ExpertHire, period)
	fmt.Println(to)

	// No general business department supervises lodging.
	_, _, err := collab.NewExpertRequest(dir, "public-security", exampleTask(), schema.ExpertDomainServices, schema.ExpertSecondment, period)
	fmt.Println(errors.Is(err, collab.ErrNoAddressee))
	// Only a specialized department asks for experts.
	_, _, err = collab.NewExpertRequest(dir, "central-bank", exampleTask(), schema.ExpertDomainFinance, schema.ExpertSecondment, period)
	fmt.Println(err)
	// Output:
	// [central-bank]
	// [bank-north-01 bank-south-02 payment-east-01]
	// true
	// collab: wrong party: "central-bank" (general_business_department) may not request experts; only a specialized_department may
}

func ExampleExpertDesk() {
	ctx := context.Background()
	var n int
	desk, err := collab.NewExpertDesk(collab.ExpertDeskConfig{
		Directory: mustLoad(),
		Journal:   &printJournal{},
		Now:       func() time.Time { return time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC) },
		NewID:     func() string { n++; return fmt.Sprintf("01950000-0000-7000-8000-%012d", n) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	period := schema.Window{From: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 11, 0, 0, 0, 0, time.UTC)}

	// Public security needs a financial analyst: interaction 3.
	req, to, err := desk.Request(ctx, "public-security", exampleTask(), schema.ExpertDomainFinance, schema.ExpertSecondment, period)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("asked:", to)

	// The central bank offers an analyst for the second half of the period.
	err = desk.Offer(ctx, schema.ExpertOffer{
		ID: "01950000-0000-7000-8000-000000000100", RequestID: req.ID, OfferedBy: "central-bank",
		Domain:         schema.ExpertDomainFinance,
		Expert:         schema.Subject{Pseudonym: "5f1c9a0e8b7d6c4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a", IDType: schema.IDNationalID, KeyID: "key-2026"},
		Available:      schema.Window{From: time.Date(2026, 4, 6, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)},
		Qualifications: []string{"anti-money-laundering supervision"},
		OfferedAt:      time.Date(2026, 4, 1, 15, 0, 0, 0, time.UTC),
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	as, err := desk.Assign(ctx, req.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	a := as[0]
	fmt.Println(a.Outcome, "from", a.FromOrg, "for", a.Period.From.Format(time.DateOnly), "to", a.Period.To.Format(time.DateOnly))
	fmt.Println(a.Reason)
	// Output:
	// journal 1: collab.expert_request, interaction 3, public-security -> central-bank
	// asked: [central-bank]
	// journal 2: collab.expert_offer, interaction 3, central-bank -> public-security
	// journal 3: collab.expert_assignment, interaction 3, public-security -> central-bank
	// assigned from central-bank for 2026-04-06 to 2026-04-11
	// finance expert available for 50% of the period; chosen among 1 matching offers
}

func ExampleMatch() {
	req := schema.ExpertRequest{
		ID: "01950000-0000-7000-8000-000000000001", Requester: "public-security",
		TaskID: "01950000-0000-7000-8000-000000000900", Domain: schema.ExpertDomainChemistry,
		Channel: schema.ExpertHire, NeededCount: 1,
		Period: schema.Window{From: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 11, 0, 0, 0, 0, time.UTC)},
	}
	// The only offer is a finance expert: nobody can be assigned.
	offers := []schema.ExpertOffer{{
		ID: "01950000-0000-7000-8000-000000000100", RequestID: req.ID, OfferedBy: "bank-north-01",
		Domain: schema.ExpertDomainFinance, Available: req.Period,
	}}
	a := collab.Match(req, offers, time.Date(2026, 4, 3, 0, 0, 0, 0, time.UTC))
	fmt.Println(a.Outcome)
	fmt.Println(a.Reason)
	fmt.Println(a.Expert == nil, a.Period == nil)
	// Output:
	// no_expert_available
	// none of 1 offers can meet the request: 1 offer another domain than chemistry
	// true true
}

func ExampleDecide() {
	ctx := context.Background()
	dir := mustLoad()
	now := time.Date(2026, 4, 2, 10, 30, 0, 0, time.UTC)
	c := collab.Case{
		EvidenceIDs:   []string{"01950000-0000-7000-8000-000000000500"},
		EvidenceKinds: []string{schema.KindFinanceTransaction},
		Score:         0.55,
	}
	// Below the threshold and within its sector, the central bank acts itself.
	e, _ := collab.Decide(ctx, dir, "central-bank", nil, c, now)
	fmt.Println(e.Decision, e.Action, e.Urgency, "->", e.To)

	// A high score goes to a specialized department (interaction 5).
	c.Score = 0.93
	e, _ = collab.Decide(ctx, dir, "central-bank", nil, c, now)
	fmt.Println(e.Decision, e.Urgency, "->", e.To)
	fmt.Println(e.Reason)

	// So does evidence beyond its sectors, whatever the score.
	c.Score, c.EvidenceKinds = 0.2, []string{schema.KindFinanceTransaction, schema.KindTransportPassenger}
	e, _ = collab.Decide(ctx, dir, "central-bank", nil, c, now)
	fmt.Println(e.Decision, e.Urgency, "->", e.To)
	fmt.Println(e.Reason)
	// Output:
	// handle_here recommend_freeze_funds medium -> public-security
	// escalate critical -> public-security
	// score 0.93 is at or above the escalation threshold 0.80
	// escalate low -> public-security
	// cross-sector case: evidence transport.passenger (transport) lies outside the sectors central-bank supervises (finance)
}

func ExampleEscalator() {
	ctx := context.Background()
	esc, err := collab.NewEscalator(collab.EscalatorConfig{Directory: mustLoad(), Journal: &printJournal{}})
	if err != nil {
		fmt.Println(err)
		return
	}
	evidence := []string{"01950000-0000-7000-8000-000000000500"}
	// Customs puts an infectious source on its inspection list...
	e, _ := esc.Decide(ctx, "customs", collab.Case{EvidenceIDs: evidence, EvidenceKinds: []string{schema.KindHealthInfectious}, Score: 0.3})
	fmt.Println(e.Decision, e.Action)
	// ...and escalates a suspect's abnormal entry-exit.
	e, _ = esc.Decide(ctx, "customs", collab.Case{EvidenceIDs: evidence, EvidenceKinds: []string{schema.KindCustomsEntryExit}, Score: 0.85})
	fmt.Println(e.Decision, e.Urgency)
	// Output:
	// journal 1: collab.escalation, interaction 0, customs -> public-security
	// journal 2: journal.action, interaction 0, customs -> -
	// handle_here add_inspection_list
	// journal 3: collab.escalation, interaction 5, customs -> public-security
	// escalate high
}
