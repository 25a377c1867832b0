// Command auditor watches the transparency logs of a list of hubs: it
// polls each hub's signed checkpoint, proves it consistent with the last
// one it saw (kept in a state directory, so a restart does not forget),
// checks a random sample of leaves and their inclusion proofs, and
// reports any fork or rollback with the two signed checkpoints that
// prove it.
//
//	auditor -hubs hubs.txt -state /var/lib/auditor -interval 1m
//
// The hubs file lists one hub a line: "<url> <verifier key>", the key in
// note's format as translog.GenerateKey makes it. Each poll writes one
// JSON line per hub to standard output (see Report). The exit status is
// 0 when every poll found every hub sound or merely unreachable, 3 when
// a fork, a rollback, a bad proof or a bad signature was found, 1 on a
// runtime failure and 2 on bad usage.
package main
