// Command hazmat is a hazardous-substance seller's integration with the
// scheme: it collects its precursor and hazmat sales, processes them
// (normalize, drop repeated exports, assess) and submits them to the
// industry & IT ministry through a rate-limited client with a durable
// outbox, which validates each as it stamps it. A sale the seller found suspicious (an indicator) or
// of dangerous goods to a private buyer is reported; routine
// business sales of other substances are not.
//
//	go run ./examples/hazmat [-hub URL -requirement ID] [-records N] [-seed S] [-data DIR]
//
// Without -hub it starts the ministry's hub in-process on loopback.
package main
