package main

import (
	"fmt"
	"html/template"
	"slices"
	"strings"
)

// renderHTML writes the report as one self-contained page (no script,
// nothing loaded): the interaction graph, then for each round its plots
// (records per second at each hub, latency from collection to a
// specialized department, yield by source) and tables.
func renderHTML(rep *report) string {
	colors := interactionColors
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><meta charset="utf-8"><title>sicollab: the scheme in one process</title><style>
body{font-family:sans-serif;margin:2em;max-width:1200px} table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left} th{background:#eee} .key span{margin-right:1.5em}
</style></head><body><h1>The collaboration scheme, in one process</h1>`)
	fmt.Fprintf(&b, "<p>Started %s, seed %d, took %s. All data synthetic.</p>", rep.Started.Format("2006-01-02 15:04:05Z"), rep.Seed, rep.Took)
	b.WriteString(`<h2>Interactions that happened</h2><p class="key">`)
	for i, name := range []string{"", "1 task assignment", "2 submission", "3 expert secondment", "4 expert hire", "5 escalation"} {
		if i > 0 {
			fmt.Fprintf(&b, `<span style="color:%s">&#9644; %s</span>`, colors[i], name)
		}
	}
	b.WriteString("</p>" + svgInteractions(rep.Orgs, rep.Edges))
	if lf := rep.Loop; lf != nil {
		htmlChanges(&b, lf)
	}
	for _, r := range rep.Rounds {
		fmt.Fprintf(&b, "<h2>Round %d: %s records</h2>", r.Round, thousands(r.Records))
		if f := r.Flow; f != nil {
			b.WriteString(svgRates(f.Arrivals))
			b.WriteString(svgLatency(f.LatencyMs))
			fmt.Fprintf(&b, "<p>Median latency under %s ms, 95%% under %s ms.</p>", thousands(int(f.P50Ms)), thousands(int(f.P95Ms)))
		}
		if len(r.Yield) > 0 {
			b.WriteString(svgYield(r.Yield))
		}
		if t := r.Task; t != nil {
			htmlTask(&b, t)
		}
		if len(r.Read) > 0 {
			fmt.Fprintf(&b, "<h3>Ministries' lists read over TAXII</h3><table><tr><th>producer</th><th>list</th><th>entries</th></tr>")
			for _, p := range r.Read {
				fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%d</td></tr>", p.Producer, p.ListType, p.Entries)
			}
			fmt.Fprintf(&b, "</table><p>Verdicts sent back: %s.</p>", template.HTMLEscapeString(counts(r.Verdicts)))
		}
		fmt.Fprintf(&b, "<h3>Planted patterns</h3><table><tr><th>pattern</th><th>planted</th><th>found</th><th>findings</th><th>recall</th><th>precision</th></tr>")
		for _, s := range r.Scores {
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%.2f</td><td>%.2f</td></tr>", s.Pattern, s.Planted, s.Found, s.Findings, s.Recall, s.Precision)
		}
		b.WriteString("</table><h3>Products</h3><table><tr><th>producer</th><th>list</th><th>entries</th></tr>")
		for _, p := range r.Products {
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%d</td></tr>", p.Producer, p.ListType, p.Entries)
		}
		fmt.Fprintf(&b, "</table><h3>Submissions in round %d</h3>", r.Round)
		b.WriteString("<table><tr><th>organization</th><th>accepted</th><th>duplicate</th><th>rejected</th><th>retries</th></tr>")
		for _, org := range slices.Sorted(mapsKeys(r.Clients)) {
			s := r.Clients[org]
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td></tr>", org, s.Delivered, s.Duplicate, s.Rejected, s.Retries)
		}
		experts := "none"
		if len(r.Experts) > 0 {
			experts = strings.Join(r.Experts, "; ")
		}
		fmt.Fprintf(&b, "</table><p>Escalations: %s. Experts: %s.</p>", template.HTMLEscapeString(counts(r.Escalations)), template.HTMLEscapeString(experts))
	}
	b.WriteString("<h2>Journal</h2><table><tr><th>kind</th><th>entries</th></tr>")
	for _, k := range slices.Sorted(mapsKeys(rep.Journal)) {
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%d</td></tr>", k, rep.Journal[k])
	}
	b.WriteString("</table></body></html>\n")
	return b.String()
}

// htmlChanges writes what feedback changed for round 2, and why.
func htmlChanges(b *strings.Builder, lf *loopFeedback) {
	b.WriteString(`<h2>What feedback changed for round 2</h2><table id="changes"><tr><th>change</th><th>plan (revision)</th><th>source</th><th>kind</th><th>frequency</th><th>records round 1</th><th>records round 2</th><th>why</th></tr>`)
	for _, c := range lf.Changes {
		freq := ""
		if c.From != "" || c.To != "" {
			freq = orDash(c.From) + " &rarr; " + orDash(c.To)
		}
		fmt.Fprintf(b, "<tr><td>%s</td><td>%s (%d)</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
			c.Change, c.Plan, c.Revision, orDash(c.Source), c.Kind, freq, thousands(c.Round1), thousands(c.Round2), template.HTMLEscapeString(c.Why))
	}
	b.WriteString("</table>")
	for _, r := range lf.Reports {
		fmt.Fprintf(b, "<h3>%s report of %s</h3><ul>", r.Type, template.HTMLEscapeString(r.Reporter))
		for _, f := range r.Findings {
			fmt.Fprintf(b, "<li>%s</li>", template.HTMLEscapeString(f))
		}
		b.WriteString("</ul>")
	}
}

// htmlTask writes how a task-oriented round was planned.
func htmlTask(b *strings.Builder, t *taskRound) {
	fmt.Fprintf(b, "<h3>Task-oriented: %s</h3><ul>", template.HTMLEscapeString(t.Requirement))
	for _, c := range t.Cases {
		fmt.Fprintf(b, "<li>Case offered: %s (%s, similarity %.2f): %s</li>", template.HTMLEscapeString(c.Requirement), c.Outcome, c.Similarity, template.HTMLEscapeString(c.Lesson))
	}
	met := "met"
	if !t.Met {
		met = "not met; missing " + strings.Join(t.Missing, ", ")
	}
	fmt.Fprintf(b, "<li>Existing products queried before tasking (own catalog and the ministries' over TAXII): %d; requirement %s.</li>", len(t.Existing), met)
	for _, task := range t.Tasks {
		fmt.Fprintf(b, "<li>Task: %s</li>", template.HTMLEscapeString(task))
	}
	b.WriteString("</ul>")
}
