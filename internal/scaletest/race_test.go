//go:build race

package scaletest

// raceEnabled: the race detector slows the hubs about tenfold; the
// cluster tests use fewer records under it.
const raceEnabled = true
