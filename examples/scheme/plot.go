package main

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"
)

// palette colours the series of a plot, in order.
var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"}

const plotW, plotH, plotPad = 720.0, 260.0, 50.0

// svgFrame starts a plot: the frame, axis labels and y ticks up to maxY.
func svgFrame(b *strings.Builder, title, xLabel, yLabel string, maxY float64, extraH float64) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="11" role="img"><title>%s</title>`,
		plotW+2*plotPad, plotH+2*plotPad+extraH, template.HTMLEscapeString(title))
	fmt.Fprintf(b, `<text x="%.0f" y="18" font-size="13" font-weight="bold">%s</text>`, plotPad, template.HTMLEscapeString(title))
	fmt.Fprintf(b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" fill="none" stroke="#999"/>`, plotPad, plotPad, plotW, plotH)
	for i := 0; i <= 4; i++ {
		y := plotPad + plotH - float64(i)/4*plotH
		fmt.Fprintf(b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#eee"/><text x="%.0f" y="%.1f" text-anchor="end">%s</text>`,
			plotPad, y, plotPad+plotW, y, plotPad-4, y+4, thousands(int(math.Round(maxY*float64(i)/4))))
	}
	fmt.Fprintf(b, `<text x="%.0f" y="%.0f" text-anchor="middle">%s</text>`, plotPad+plotW/2, plotPad+plotH+32, template.HTMLEscapeString(xLabel))
	fmt.Fprintf(b, `<text x="14" y="%.0f" transform="rotate(-90 14 %.0f)" text-anchor="middle">%s</text>`, plotPad+plotH/2, plotPad+plotH/2, template.HTMLEscapeString(yLabel))
}

// niceMax rounds v up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// svgRates plots records per second arriving at each hub over the
// round's seconds, one line per hub.
func svgRates(arrivals map[string][]int) string {
	hubs := slices.Sorted(mapsKeys(arrivals))
	secs, peak := 1, 1
	for _, a := range arrivals {
		secs = max(secs, len(a))
		for _, n := range a {
			peak = max(peak, n)
		}
	}
	maxY := niceMax(float64(peak))
	var b strings.Builder
	svgFrame(&b, "Records per second arriving at each hub", "seconds since the round began", "records / s", maxY, 18*float64((len(hubs)+2)/3))
	for s := 0; s <= secs; s += max(1, secs/10) {
		x := plotPad + float64(s)/float64(secs)*plotW
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle">%d</text>`, x, plotPad+plotH+14, s)
	}
	for i, hub := range hubs {
		var pts []string
		for s, n := range arrivals[hub] {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", plotPad+(float64(s)+0.5)/float64(secs)*plotW, plotPad+plotH-float64(n)/maxY*plotH))
		}
		c := palette[i%len(palette)]
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.8" points="%s"><title>%s</title></polyline>`, c, strings.Join(pts, " "), template.HTMLEscapeString(hub))
		lx, ly := plotPad+float64(i%3)*240, plotPad+plotH+50+float64(i/3)*18
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="14" height="4" fill="%s"/><text x="%.0f" y="%.0f">%s</text>`, lx, ly-4, c, lx+20, ly, template.HTMLEscapeString(hub))
	}
	b.WriteString("</svg>")
	return b.String()
}

// svgLatency plots the histogram of latencies from collection to a
// specialized department.
func svgLatency(h []int) string {
	peak := 1
	last := 0
	for i, n := range h {
		peak = max(peak, n)
		if n > 0 {
			last = i
		}
	}
	maxY := niceMax(float64(peak))
	n := last + 1
	var b strings.Builder
	svgFrame(&b, "Latency from collection to a specialized department", "milliseconds (at most)", "records", maxY, 0)
	bw := plotW / float64(n)
	for i := 0; i < n; i++ {
		x := plotPad + float64(i)*bw
		hgt := float64(h[i]) / maxY * plotH
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#1f77b4"><title>%s records under %s ms</title></rect>`,
			x+1, plotPad+plotH-hgt, bw-2, hgt, thousands(h[i]), thousands(int(math.Exp2(float64(i)))))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle">%s</text>`, x+bw/2, plotPad+plotH+14, thousands(int(math.Exp2(float64(i)))))
	}
	b.WriteString("</svg>")
	return b.String()
}

// svgYield draws, for each source, records collected and those cited as
// evidence, as horizontal bars on a log scale (evidence is rare).
func svgYield(ys []sourceYield) string {
	rowH := 22.0
	h := float64(len(ys))*rowH + 60
	peak := uint64(1)
	for _, y := range ys {
		peak = max(peak, y.Submitted)
	}
	scale := func(v float64) float64 {
		if v <= 0 {
			return 0
		}
		return math.Log10(v+1) / math.Log10(float64(peak)+1) * 420
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="820" height="%.0f" font-family="sans-serif" font-size="11" role="img"><title>Yield by source</title>`, h)
	b.WriteString(`<text x="10" y="18" font-size="13" font-weight="bold">Yield by source: records collected and cited as evidence (log scale)</text>`)
	b.WriteString(`<rect x="200" y="28" width="14" height="8" fill="#c6dbef"/><text x="220" y="36">collected</text><rect x="300" y="28" width="14" height="8" fill="#d62728"/><text x="320" y="36">cited as evidence</text>`)
	for i, y := range ys {
		top := 48 + float64(i)*rowH
		fmt.Fprintf(&b, `<text x="190" y="%.0f" text-anchor="end">%s</text>`, top+13, template.HTMLEscapeString(y.Org))
		fmt.Fprintf(&b, `<rect x="200" y="%.0f" width="%.1f" height="16" fill="#c6dbef"/>`, top, scale(float64(y.Submitted)))
		fmt.Fprintf(&b, `<rect x="200" y="%.0f" width="%.1f" height="8" fill="#d62728"/>`, top+4, scale(float64(y.Evidence)))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f">%s -> %s (%s entries)</text>`, 206+scale(float64(y.Submitted)), top+13,
			thousands(int(y.Submitted)), thousands(y.Evidence), thousands(y.Entries))
	}
	b.WriteString("</svg>")
	return b.String()
}
