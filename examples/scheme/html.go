package main

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"
)

// renderHTML writes the report as one self-contained page: the summary
// tables and an SVG diagram of the interactions that happened, the
// organizations in columns by tier.
func renderHTML(rep *report) string {
	tiers := []string{"leading_group", "specialized_department", "general_business_department", "social_force"}
	pos := map[string][2]float64{}
	const colW, rowH, top = 260.0, 34.0, 50.0
	height := 0.0
	for c, t := range tiers {
		var ids []string
		for id, tier := range rep.Orgs {
			if tier == t {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		for r, id := range ids {
			pos[id] = [2]float64{40 + float64(c)*colW, top + float64(r)*rowH}
			height = math.Max(height, top+float64(r+1)*rowH)
		}
	}
	colors := map[int]string{1: "#1f77b4", 2: "#2ca02c", 3: "#9467bd", 4: "#8c564b", 5: "#d62728"}
	var svg strings.Builder
	fmt.Fprintf(&svg, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`, int(40+4*colW), int(height+20))
	for c, t := range tiers {
		fmt.Fprintf(&svg, `<text x="%.0f" y="24" font-weight="bold">%s</text>`, 40+float64(c)*colW, strings.ReplaceAll(t, "_", " "))
	}
	for _, e := range rep.Edges {
		a, okA := pos[e.From]
		b, okB := pos[e.To]
		if !okA || !okB {
			continue
		}
		w := 1 + math.Log10(float64(e.Count))
		fmt.Fprintf(&svg, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="%s" stroke-opacity="0.55" stroke-width="%.1f"><title>%s -> %s: interaction %d, %d</title></line>`,
			a[0]+150, a[1]-4, b[0], b[1]-4, colors[e.Interaction], w, e.From, e.To, e.Interaction, e.Count)
	}
	for id, p := range pos {
		fmt.Fprintf(&svg, `<rect x="%.0f" y="%.0f" width="150" height="22" rx="4" fill="#f4f4f4" stroke="#999"/><text x="%.0f" y="%.0f">%s</text>`,
			p[0], p[1]-16, p[0]+6, p[1]-1, template.HTMLEscapeString(id))
	}
	svg.WriteString(`</svg>`)

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
	b.WriteString("</p>" + svg.String())
	for _, r := range rep.Rounds {
		fmt.Fprintf(&b, "<h2>Round %d: %d records</h2><h3>Planted patterns</h3><table><tr><th>pattern</th><th>planted</th><th>found</th><th>findings</th><th>recall</th><th>precision</th></tr>", r.Round, r.Records)
		for _, s := range r.Scores {
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%.2f</td><td>%.2f</td></tr>", s.Pattern, s.Planted, s.Found, s.Findings, s.Recall, s.Precision)
		}
		b.WriteString("</table><h3>Products</h3><table><tr><th>producer</th><th>list</th><th>entries</th></tr>")
		for _, p := range r.Products {
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%d</td></tr>", p.Producer, p.ListType, p.Entries)
		}
		b.WriteString("</table><h3>Submissions</h3><table><tr><th>organization</th><th>accepted</th><th>duplicate</th><th>rejected</th><th>retries</th></tr>")
		for _, org := range slices.Sorted(mapsKeys(r.Clients)) {
			s := r.Clients[org]
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td></tr>", org, s.Delivered, s.Duplicate, s.Rejected, s.Retries)
		}
		fmt.Fprintf(&b, "</table><p>Escalations: %s. Experts: %s.</p>", template.HTMLEscapeString(fmt.Sprint(r.Escalations)), template.HTMLEscapeString(strings.Join(r.Experts, "; ")))
	}
	b.WriteString("<h2>Journal</h2><table><tr><th>kind</th><th>entries</th></tr>")
	for _, k := range slices.Sorted(mapsKeys(rep.Journal)) {
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%d</td></tr>", k, rep.Journal[k])
	}
	b.WriteString("</table></body></html>\n")
	return b.String()
}
