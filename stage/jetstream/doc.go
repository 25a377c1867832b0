// Package jetstream is the analysis side of hubs on NATS JetStream: a
// stage.Collector over a durable JetStream consumer, so that a
// department's analysis reads what its hubs accepted (package
// submit/jetstream publishes it) and scales by adding collectors.
//
// # Delivery
//
// At least once: a record is acknowledged to the stream only after the
// pipeline has handled it, meaning its sink took it, a step dropped it
// on purpose (or under PolicyDrop), or it went to the dead-letter sink.
// Config wires that: pass the pipeline's configuration through
// Collector.Pipeline, which installs the collector and wraps the steps,
// the sink and the dead-letter sink so that each acknowledges the
// records it ends. A record that has not reached an end when the process
// stops is delivered again to the next collector on the consumer.
//
// Redelivery is deduplicated by stream sequence: a message delivered
// again while its first delivery is still in the pipeline (its ack wait
// ran out) is not emitted twice, and the consumer is told the first is
// in progress; one delivered again after it was acknowledged (the ack
// was lost, in a leader election for instance) is acknowledged again and
// not emitted. That memory is per Collector; across collectors and
// restarts, a record whose acknowledgement was lost may be seen twice,
// which stage.NewDedupe removes by id.
//
// A message that is not an envelope is terminated (never delivered
// again), logged and counted in Stats.Malformed.
//
// # Placement
//
// This package imports stage and the NATS client, never package submit,
// so the rule that stage and submit do not import each other holds.
package jetstream
