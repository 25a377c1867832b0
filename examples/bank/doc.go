// Command bank is a bank's integration with the scheme: it collects its
// fund flows, processes them (normalize, drop duplicates, assess their
// value for the early-warning requirement) and submits what is worth
// reporting to the central bank through a rate-limited client with a
// durable outbox, which validates each record as it stamps it.
//
//	go run ./examples/bank [-hub URL -requirement ID] [-records N] [-seed S] [-data DIR]
//
// Without -hub it starts the central bank's hub in-process on loopback.
package main
