// Package scaletest holds the tests that run the scheme beyond one
// machine: real submit.Handler hubs whose sink is a JetStream stream
// (package submit/jetstream), the analysis side reading it through a
// durable consumer (package stage/jetstream), and a 3-node cluster on
// loopback that the tests start and stop themselves (internal/natstest).
//
// It has no code of its own: it is where a test may import both submit
// and stage, which import neither the other.
package scaletest
