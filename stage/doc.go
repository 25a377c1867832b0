// Package stage runs an organization's part of the intelligence cycle:
// typed interfaces for the six stages, a pipeline runner that wires them
// with backpressure, and the processing steps the scheme names.
//
// A bank's integration is "implement Collector, pick processors, hand the
// result to the submit client": the pipeline's sink step (Config.Sink) is a
// Submitter, a one-method interface the submit client satisfies (package stage never imports
// package submit; programs wire the two).
//
// # The six stages
//
//   - Planning (Planner): a requirement and the feedback since the last
//     revision become a plan and its tasks (interaction 1). Feedback
//     re-enters here.
//   - Collection (Collector): records from the organization's own systems,
//     emitted one by one as envelopes; emit blocks while the pipeline is
//     full.
//   - Processing (Processor): verifying authenticity (NewVerify), assessing
//     value (NewAssessor), removing duplicates (NewDedupe), structuring
//     (Normalize, Validate), protecting identity (NewPseudonymize) and
//     integrating submissions from different regions and enterprises
//     (NewIntegrate); Stamp adds the organization's provenance hop.
//
// One constructor style: a step that takes a configuration is built by
// NewT(cfg TConfig) (*T, error), which validates cfg and names every bad
// field (NewVerify, NewAssessor, NewDedupe, NewPseudonymize, NewIntegrate,
// NewLinker, NewWindows, NewWindowAnalyzer); a step with nothing to
// configure wrong is an adapter that returns a Processor and cannot fail
// (Normalize, Validate, Stamp, Map).
//   - Analysis (Analyzer): records become products, the domain lists of
//     the scheme. Windows aggregates per subject pseudonym on event time;
//     NewWindowAnalyzer and NewLinker (cross-kind linkage by pseudonym)
//     emit schema.Product values.
//   - Application (Applier): a product supports a decision: escalate or
//     handle here, freeze, blacklist, inspect.
//   - Feedback (Feedbacker): the journal of a period becomes a work report.
//
// The flow is not fixed: a department may skip analysis and forward, a
// social force goes from processing to feedback.
//
// # The pipeline
//
// Config names a collector, steps (a processor each, with its concurrency
// and error policy), a sink, optional analyzers and a dead-letter sink;
// Validate reports every mistake at once. Start runs it; Wait, Close and
// cancelling the context end it (see Pipeline for the order). Channels of
// Config.Buffer records join the stages, so a slow sink stalls the
// collector instead of filling memory; records move through them in small
// chunks that never wait for more while a step is idle. Ordered mode keeps collection order
// through every step with a reorder buffer bounded by the step's
// concurrency.
//
// Nothing is dropped silently. A processor drops a record on purpose with
// Drop(reason); a failure goes to the step's Policy: PolicyDrop (counted
// under a reason), PolicyQuarantine (to the dead-letter sink) or
// PolicyStop (the pipeline fails with the error). Stats, readable while the
// pipeline runs, count per step what came in, went out, passed, was
// dropped (by reason), quarantined, failed or abandoned, with latency;
// Stats.Unaccounted is 0 when every record reached an end.
//
// # Order of processors
//
// At a hub: Verify (before anything changes the payload), Validate,
// Normalize, Dedupe, Assess, Integrate, Stamp. At a social force:
// Pseudonymize (clear identity never leaves), Normalize, Validate, Dedupe,
// Assess, Stamp. The conformance kit in package stagetest checks
// partners' own collectors and processors against the contracts here.
package stage
