// Package natstest starts real NATS servers with JetStream in the test's
// own process, on loopback, for the packages of this module that run on
// JetStream (submit/jetstream, stage/jetstream) and the tests that wire
// them.
//
// StartServer starts one server; StartCluster starts a cluster of n
// (three for replicated streams). Every port is chosen by the system and
// every server keeps its store in t.TempDir(), so tests run in parallel
// and leave nothing behind; t.Cleanup stops what a test started. Kill and
// Restart stop and start one server of a cluster (its store is kept), so
// a test can take a stream's leader away while it works. Run starts the
// same for a program or an Example, which has no testing.TB: the stores
// go under the directory it is given, and the caller calls Shutdown.
//
// No service is assumed to be running: the servers are the ones the tests
// start, and they listen on 127.0.0.1 only.
package natstest
