//go:build race

package submit

// clientRace: the race detector slows the outbox tenfold; tests that
// only measure size run smaller under it.
const clientRace = true
