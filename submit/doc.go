// Package submit is the path every record travels: social force ->
// general business department -> specialized department. It holds the
// wire protocol, the client that submits with a durable outbox, the
// receiving handler a department embeds, its sinks, and the relay that
// forwards upward.
//
// (The client, handler and sinks arrive with issue #5; this file and
// protocol.go fix the protocol types they share. See docs/protocol.md.)
package submit
