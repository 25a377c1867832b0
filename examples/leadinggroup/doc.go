// Command leadinggroup is the counter-terrorism leading group at work: it
// issues a requirement and a macro plan, has each department derive its
// plan (a plan that would widen the macro plan is refused), assigns tasks
// (interaction 1) to public security and to a ministry, sends all of it
// to the departments' hubs, follows a task to done, and reads the monthly
// work report the journal gives.
//
//	go run ./examples/leadinggroup [-data DIR]
//
// The departments' hubs run in-process on loopback; the journal is a
// bbolt file in the data folder, kept with -data.
package main
