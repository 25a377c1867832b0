// Command carrier is a rail carrier's integration with the scheme: it
// collects its passenger and freight manifests, processes them
// (normalize, drop the records its export repeats) and submits them to
// the transport ministry through a rate-limited client with a durable
// outbox, which validates each as it stamps it.
//
//	go run ./examples/carrier [-hub URL -requirement ID] [-records N] [-seed S] [-data DIR]
//
// Without -hub it starts the transport ministry's hub in-process.
package main
