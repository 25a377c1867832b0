//go:build race

package synth_test

// raceEnabled scales the tests down under the race detector, which makes
// generation and validation about ten times slower; the full sizes run
// without it.
const raceEnabled = true
