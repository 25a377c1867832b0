// Command ministry is a general business department's hub: it receives
// the records of the social forces it supervises, processes them (verify,
// validate, normalize, dedupe, integrate submissions about one event from
// several enterprises and regions, assess), relays them to the
// specialized departments, produces its domain list in real time and
// daily, and for every entry decides to handle the case itself or to
// escalate it (interaction 5).
//
//	go run ./examples/ministry [-org central-bank|transport-ministry|miit|customs] [-records N] [-seed S] [-data DIR]
//
// It runs standalone: its sector's social forces and the specialized
// departments it reports to run in-process on loopback.
package main
