// Command platform is a telecom platform's integration with the scheme:
// it collects the accounts its moderation flagged and the hazardous
// goods sold on its marketplace, processes them (normalize, drop
// repeated exports, assess) and submits them to the industry & IT
// ministry through a rate-limited client with a durable outbox, which
// validates each as it stamps it.
// Flagged accounts travel with content digests, never the content.
//
//	go run ./examples/platform [-hub URL -requirement ID] [-records N] [-seed S] [-data DIR]
//
// Without -hub it starts the ministry's hub in-process on loopback.
package main
