package main

import (
	"fmt"
	"html/template"
	"slices"
	"strings"
)

// interactionColors are the colours of the scheme's five interactions.
var interactionColors = map[int]string{1: "#1f77b4", 2: "#2ca02c", 3: "#9467bd", 4: "#8c564b", 5: "#d62728"}

// Layout of the interaction graph: organizations in a column per tier,
// boxes on a shared row grid, so the gaps between rows run straight
// across every column and the gutters between columns run straight down.
const (
	graphColW = 270.0 // column pitch
	graphBoxW = 150.0
	graphBoxH = 22.0
	graphRowH = 36.0 // row pitch: a 14 px gap between boxes
	graphTop  = 56.0
	graphLeft = 30.0
)

var graphTiers = []string{"leading_group", "specialized_department", "general_business_department", "social_force"}

// svgInteractions draws who dealt with whom in which interaction: each
// edge an arrow from sender to receiver with its count, routed along the
// gutters between columns and the gaps between rows so that it never
// crosses a box.
func svgInteractions(orgs map[string]string, edges []edge) string {
	type cell struct{ col, row int }
	at := map[string]cell{}
	rows := 0
	for c, t := range graphTiers {
		var ids []string
		for id, tier := range orgs {
			if tier == t {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		for r, id := range ids {
			at[id] = cell{c, r}
		}
		rows = max(rows, len(ids))
	}
	x := func(c int) float64 { return graphLeft + float64(c)*graphColW }
	y := func(r int) float64 { return graphTop + float64(r)*graphRowH + graphBoxH/2 } // a box's middle
	gapBelow := func(r int) float64 { return y(r) + graphRowH/2 }
	width := x(len(graphTiers)-1) + graphBoxW + 40
	height := graphTop + float64(rows)*graphRowH + 20

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12" role="img"><title>Interactions that happened</title><defs>`, width, height)
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&b, `<marker id="arrow%d" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="%s"/></marker>`, i, interactionColors[i])
	}
	b.WriteString("</defs>")
	for c, t := range graphTiers {
		fmt.Fprintf(&b, `<text x="%.0f" y="30" font-weight="bold">%s</text>`, x(c), strings.ReplaceAll(t, "_", " "))
	}
	// Lanes: each edge gets its own vertical lane in the gutters it uses
	// and its own height in the row gap it crosses, so edges stay apart.
	gutter := graphColW - graphBoxW
	lanes := map[int]int{} // gutter index (column to its right) -> lanes taken
	lane := func(g int) float64 {
		n := lanes[g]
		lanes[g]++
		return 10 + float64((n*7)%int(gutter-20))
	}
	for i, e := range edges {
		from, okF := at[e.From]
		to, okT := at[e.To]
		if !okF || !okT {
			continue
		}
		var pts [][2]float64
		yf, yt := y(from.row), y(to.row)
		dy := float64(i%5-2) * 2 // spread horizontal runs inside a row gap
		switch {
		case from.col < to.col:
			gx := x(from.col) + graphBoxW + lane(from.col+1)
			pts = append(pts, [2]float64{x(from.col) + graphBoxW, yf}, [2]float64{gx, yf})
			if to.col > from.col+1 {
				gy := gapBelow(to.row) + dy
				gx2 := x(to.col) - lane(to.col)
				pts = append(pts, [2]float64{gx, gy}, [2]float64{gx2, gy}, [2]float64{gx2, yt})
			} else {
				pts = append(pts, [2]float64{gx, yt})
			}
			pts = append(pts, [2]float64{x(to.col), yt})
		case from.col > to.col:
			gx := x(from.col) - lane(from.col)
			pts = append(pts, [2]float64{x(from.col), yf}, [2]float64{gx, yf})
			if to.col < from.col-1 {
				gy := gapBelow(to.row) + dy
				gx2 := x(to.col) + graphBoxW + lane(to.col+1)
				pts = append(pts, [2]float64{gx, gy}, [2]float64{gx2, gy}, [2]float64{gx2, yt})
			} else {
				pts = append(pts, [2]float64{gx, yt})
			}
			pts = append(pts, [2]float64{x(to.col) + graphBoxW, yt})
		default: // same tier: out and back in on the right
			gx := x(from.col) + graphBoxW + lane(from.col+1)
			pts = append(pts, [2]float64{x(from.col) + graphBoxW, yf - 4}, [2]float64{gx, yf - 4}, [2]float64{gx, yt + 4}, [2]float64{x(to.col) + graphBoxW, yt + 4})
		}
		var d []string
		for _, p := range pts {
			d = append(d, fmt.Sprintf("%.1f,%.1f", p[0], p[1]))
		}
		c := interactionColors[e.Interaction]
		fmt.Fprintf(&b, `<polyline class="edge" fill="none" stroke="%s" stroke-opacity="0.75" stroke-width="1.6" marker-end="url(#arrow%d)" points="%s"><title>%s to %s: interaction %d, %d times</title></polyline>`,
			c, e.Interaction, strings.Join(d, " "), template.HTMLEscapeString(e.From), template.HTMLEscapeString(e.To), e.Interaction, e.Count)
		// The count sits on the way out of the sender's box, where edges
		// from different rows cannot overlap.
		lx, ly := (pts[0][0]+pts[1][0])/2, pts[0][1]-3
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" fill="%s" text-anchor="middle">%d</text>`, lx, ly, c, e.Count)
	}
	for id, p := range at {
		fmt.Fprintf(&b, `<rect class="org" x="%.0f" y="%.0f" width="%.0f" height="%.0f" rx="4" fill="#f4f4f4" stroke="#999"/><text x="%.0f" y="%.0f">%s</text>`,
			x(p.col), y(p.row)-graphBoxH/2, graphBoxW, graphBoxH, x(p.col)+6, y(p.row)+4, template.HTMLEscapeString(id))
	}
	b.WriteString(`</svg>`)
	return b.String()
}
