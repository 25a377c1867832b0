//go:build !race

package submit

const clientRace = false
