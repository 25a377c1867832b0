package submit

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/sicollab/sicollab/schema"
)

// traceChain is a collector's client, a general business department's
// hub relaying through its own client, and a specialized department's
// hub, all on loopback, tracing with tp (nil: none installed).
type traceChain struct {
	bank, relay *Client
	down, up    *fixture
}

func newTraceChain(t *testing.T, tp trace.TracerProvider) *traceChain {
	tc := &traceChain{}
	tc.up = newFixture(t, func(_ *fixture, c *HandlerConfig) {
		c.Org = "public-security"
		c.TracerProvider = tp
	})
	tc.down = newFixture(t, func(f *fixture, c *HandlerConfig) {
		tc.relay = clientNew(t, ClientConfig{
			Endpoint: tc.up.srv.URL, Org: testHub, Token: token(testHub), Relay: true,
			OutboxPath: filepath.Join(t.TempDir(), "relay.db"), Linger: time.Millisecond,
			Clock: f.clock.Now, TracerProvider: tp,
		})
		r, err := NewRelay(f.store, tc.relay, testHub, f.clock.Now)
		require.NoError(t, err)
		c.Sink = r
		c.TracerProvider = tp
	})
	// The leading group sends the same requirements to both hubs.
	require.Equal(t, 200, tc.up.send(post{org: testLeader, body: ndjson(tc.down.seedLines...)}).status)
	tc.bank = clientNew(t, ClientConfig{
		Endpoint: tc.down.srv.URL, Org: testBank, Token: token(testBank),
		OutboxPath: filepath.Join(t.TempDir(), "bank.db"), Linger: time.Millisecond,
		Clock: tc.down.clock.Now, TracerProvider: tp,
	})
	return tc
}

// TestTraceFollowsRecordThroughRelay: the trace a collector submits a
// record in is kept in every hop, from the bank's client through the
// relaying department's hub and client to the specialized department,
// whether or not a tracer provider is installed; with one, the hubs'
// spans continue the clients' requests (traceparent) in the same trace.
func TestTraceFollowsRecordThroughRelay(t *testing.T) {
	tests := []struct {
		name string
		sdk  bool
	}{
		{name: "sdk tracer provider", sdk: true},
		{name: "no tracer provider, trace context from the collector", sdk: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tp trace.TracerProvider
			rec := tracetest.NewSpanRecorder()
			ctx := t.Context()
			var traceID trace.TraceID
			if tt.sdk {
				sdk := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
				t.Cleanup(func() { sdk.Shutdown(context.Background()) })
				tp = sdk
				var span trace.Span
				ctx, span = sdk.Tracer("collector").Start(ctx, "collect")
				defer span.End()
				traceID = span.SpanContext().TraceID()
			} else {
				traceID = trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
				ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
					TraceID: traceID, SpanID: trace.SpanID{0, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}, TraceFlags: trace.FlagsSampled,
				}))
			}
			tc := newTraceChain(t, tp)
			env := tc.down.envelope(testBank, schema.KindFinanceTransaction)
			require.NoError(t, tc.bank.Submit(ctx, env))
			clientFlush(t, tc.bank)
			clientFlush(t, tc.relay)

			got, err := tc.up.store.Get(t.Context(), env.ID)
			require.NoError(t, err, "the record reached the specialized department")
			require.Len(t, got.Provenance, 2)
			for i, want := range []string{testBank, testHub} {
				assert.Equal(t, want, got.Provenance[i].Org)
				assert.Equal(t, traceID.String(), got.Provenance[i].TraceID, "hop %d keeps the collector's trace id", i)
			}
			mid, err := tc.down.store.Get(t.Context(), env.ID)
			require.NoError(t, err)
			assert.Equal(t, traceID.String(), mid.Provenance[0].TraceID, "the relaying hub stores it too")
			if !tt.sdk {
				return
			}
			// One trace: two client attempts (bank, relay) and two hub
			// spans, each the child of the attempt that reached it.
			sent := map[trace.SpanID]bool{}
			var hubs []sdktrace.ReadOnlySpan
			for _, s := range rec.Ended() {
				if s.SpanContext().TraceID() != traceID {
					continue
				}
				switch s.Name() {
				case SpanSendBatch:
					sent[s.SpanContext().SpanID()] = true
				case SpanHubSubmission:
					hubs = append(hubs, s)
				}
			}
			require.Len(t, sent, 2, "the bank's and the relay's requests are in the collector's trace")
			require.Len(t, hubs, 2, "both hubs continue the trace")
			hubIDs := map[trace.SpanID]bool{}
			for _, h := range hubs {
				assert.True(t, h.Parent().IsRemote(), "a hub's span has the request's trace context as parent")
				assert.True(t, sent[h.Parent().SpanID()], "the parent is a client's request span")
				hubIDs[h.SpanContext().SpanID()] = true
			}
			sinks := 0
			for _, s := range rec.Ended() {
				if s.Name() == SpanHubSink && s.SpanContext().TraceID() == traceID {
					sinks++
					assert.True(t, hubIDs[s.Parent().SpanID()], "the sink's span is a child of its hub's")
				}
			}
			assert.Equal(t, 2, sinks, "each hub's Put is a span of the trace")
		})
	}
}

// TestHubTakesTraceFromTraceparent: a record without a trace in its hops
// takes the request's traceparent into the hop the relaying hub stamps;
// a malformed traceparent is ignored.
func TestHubTakesTraceFromTraceparent(t *testing.T) {
	tests := []struct {
		name, traceparent, want string
	}{
		{"w3c traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "4bf92f3577b34da6a3ce929d0e0e4736"},
		{"all-zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", ""},
		{"malformed", "00-4bf92f35-01", ""},
		{"none", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := newTraceChain(t, nil)
			l, id := tc.down.validLine(testBank)
			p := post{body: ndjson(l)}
			if tt.traceparent != "" {
				p.add = [][2]string{{"Traceparent", tt.traceparent}}
			}
			require.Equal(t, 200, tc.down.send(p).status)
			clientFlush(t, tc.relay)
			got, err := tc.up.store.Get(t.Context(), id)
			require.NoError(t, err)
			hop := got.Provenance[len(got.Provenance)-1]
			require.Equal(t, testHub, hop.Org)
			assert.Equal(t, tt.want, hop.TraceID)
		})
	}
}

// TestClientSendsTraceparent: with no tracer provider installed, each
// attempt still carries the trace of its batch's first record, with the
// same parent id on a retry; a batch of untraced records sends none.
func TestClientSendsTraceparent(t *testing.T) {
	const tid = "4bf92f3577b34da6a3ce929d0e0e4736"
	traceID, err := trace.TraceIDFromHex(tid)
	require.NoError(t, err)
	traced := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: traceID, SpanID: trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}, TraceFlags: trace.FlagsSampled,
	}))
	tests := []struct {
		name   string
		ctx    context.Context
		traced bool
	}{
		{"traced record", traced, true},
		{"untraced record", context.Background(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := newClientHub(t)
			first := true
			hub.setFault(func(_ int, w http.ResponseWriter, _ *http.Request, _ int) bool {
				if first { // one 503, so the batch is sent twice
					first = false
					w.WriteHeader(http.StatusServiceUnavailable)
					return true
				}
				return false
			})
			c := clientNew(t, clientConfig(t, hub.srv.URL, t.TempDir()))
			require.NoError(t, c.Submit(tt.ctx, clientEnv(t, clientTestOrg, 0)))
			clientFlush(t, c)
			posts := hub.Posts()
			require.Len(t, posts, 2)
			for _, p := range posts {
				if !tt.traced {
					assert.Empty(t, p.Traceparent)
					continue
				}
				parts := strings.Split(p.Traceparent, "-")
				require.Len(t, parts, 4, "traceparent %q", p.Traceparent)
				assert.Equal(t, "00", parts[0])
				assert.Equal(t, tid, parts[1], "the record's trace")
				assert.Equal(t, posts[0].Traceparent, p.Traceparent, "the same on every attempt")
			}
		})
	}
}
