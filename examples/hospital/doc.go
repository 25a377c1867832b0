// Command hospital is a hospital's integration with the scheme: it
// collects its infectious-source reports (case counts of a cluster and
// its suspected source, never a patient), processes them (normalize,
// validate, drop repeated exports) and submits them where the directory
// routes them: to customs, which supervises health reporting in the
// synthetic scheme and whose hub this program starts without -hub.
//
//	go run ./examples/hospital [-hub URL -requirement ID] [-records N] [-seed S] [-data DIR]
package main
