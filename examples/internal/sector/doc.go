// Package sector is what the example programs under examples/ share: a
// small in-process slice of the scheme (hubs on loopback, submit clients,
// the leading group's requirement) so that each program runs standalone,
// the first processing of a social force, and the work of a general
// business department (process, list, escalate, relay).
//
// It is built only on the public packages (schema, collab, stage,
// submit) and examples/internal/synth. A partner's own integration would
// hold the same calls; the programs keep their own part (which
// organization, which rules, what to print) in their main package.
package sector
