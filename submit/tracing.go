package submit

import (
	"bytes"
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Tracing. A record carries its trace in each provenance hop
// (schema.Hop.TraceID); requests carry W3C trace context (traceparent)
// from the client to the hub, and through a Relay's client to the next
// hub. Spans are made with the TracerProvider of ClientConfig and
// HandlerConfig (default: otel.GetTracerProvider(), which is a no-op
// until the program installs one); nothing is exported by this package.

// TracerName is the instrumentation name of the package's spans.
const TracerName = "github.com/sicollab/sicollab/submit"

// Span names.
const (
	// SpanSubmit is the client's span of one Submit or SubmitMany call.
	SpanSubmit = "sicollab.submit"
	// SpanSendBatch is the client's span of one attempt to POST a batch.
	SpanSendBatch = "sicollab.submit.batch"
	// SpanHubSubmission is the hub's span of one POST /v1/submissions.
	SpanHubSubmission = "sicollab.hub.submission"
	// SpanHubSink is the hub's span of the Sink's Put of one submission's
	// accepted records, a child of SpanHubSubmission.
	SpanHubSink = "sicollab.hub.sink"
)

// tracing is the tracer and propagator of a client or a hub.
type tracing struct {
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
}

func newTracing(tp trace.TracerProvider, prop propagation.TextMapPropagator) tracing {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if prop == nil {
		prop = propagation.TraceContext{}
	}
	return tracing{tracer: tp.Tracer(TracerName), prop: prop}
}

// traceIDOf returns the trace id of ctx's span as a hop keeps it, or "".
func traceIDOf(ctx context.Context) string {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		return sc.TraceID().String()
	}
	return ""
}

// batchParent returns ctx with the trace of b's first record as the
// remote parent of the batch's span, so that the request joins that
// record's trace. A hop keeps only the trace id; the parent's span id is
// taken from the batch's idempotency key, the same on every attempt.
func batchParent(ctx context.Context, b *outBatch) context.Context {
	if len(b.seqs) == 0 || trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	tid, ok := recordTraceID(b.record(0))
	if !ok {
		return ctx
	}
	var sid trace.SpanID
	copy(sid[:], b.key[8:])
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, Remote: true})
	if !sc.IsValid() {
		return ctx
	}
	return trace.ContextWithRemoteSpanContext(ctx, sc)
}

var (
	traceIDKey = []byte(`"trace_id":"`)
	payloadKey = []byte(`,"payload":`)
)

// recordTraceID finds the trace id of the last hop of rec, a record as
// Envelope.AppendJSON writes it (provenance before the payload).
func recordTraceID(rec []byte) (trace.TraceID, bool) {
	head := rec
	if i := bytes.Index(rec, payloadKey); i >= 0 {
		head = rec[:i]
	}
	i := bytes.LastIndex(head, traceIDKey)
	if i < 0 || len(head) < i+len(traceIDKey)+32 {
		return trace.TraceID{}, false
	}
	s := head[i+len(traceIDKey) : i+len(traceIDKey)+32]
	tid, err := trace.TraceIDFromHex(string(s))
	return tid, err == nil
}
