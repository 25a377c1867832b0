// Command department is a specialized department's hub (public security
// by default): every source ends here. It aggregates what it holds, links
// sources across sectors by pseudonym into products for its catalog,
// decides whether its task needs an expert it lacks (secondment from a
// general business department, interaction 3, or hire, interaction 4),
// lists the escalations the ministries sent it (interaction 5) and
// queries its catalog.
//
//	go run ./examples/department [-org public-security|state-security] [-records N] [-seed S] [-in-house DOMAINS] [-data DIR]
//
// It runs standalone: the ministries' hubs, the social forces and the
// leading group's requirement and task run in-process on loopback, and
// the synthetic records carry one planted precursor pattern (a holder of
// a flagged account buying several explosives precursors).
package main
