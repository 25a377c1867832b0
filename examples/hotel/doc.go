// Command hotel is a hotel chain's integration with the scheme: it
// collects its guests' real-name registrations, processes them
// (normalize, drop repeated exports) and submits them through a
// rate-limited client with a durable outbox, which validates each as it
// stamps it. Hotels have no supervising
// ministry in the scheme: the directory routes lodging straight to public
// security, whose hub this program starts in-process without -hub.
//
//	go run ./examples/hotel [-hub URL -requirement ID] [-records N] [-seed S] [-data DIR]
package main
