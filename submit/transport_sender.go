package submit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// transportSender is the innermost link of the send chain: one HTTP
// attempt per call, bounded by the request timeout, the answer read
// (within maxReceiptBytes) and classified. A 429 or 503 with Retry-After
// holds every sender at once, before the body is read. Once shut down,
// the request in progress is abandoned and every later one fails.
type transportSender struct {
	endpoint string
	token    string
	http     *http.Client
	timeout  time.Duration
	clock    func() time.Time
	hold     *hold
	batches  *atomic.Uint64 // HTTP attempts to send a batch
	log      *slog.Logger
	trace    tracing

	base   context.Context // canceled by shutdown
	cancel context.CancelFunc
}

func newTransportSender(endpoint string, cfg ClientConfig, h *hold, batches *atomic.Uint64, log *slog.Logger, tr tracing) *transportSender {
	base, cancel := context.WithCancel(context.Background())
	return &transportSender{
		endpoint: endpoint, token: cfg.Token, http: cfg.HTTPClient, timeout: cfg.RequestTimeout,
		clock: cfg.Clock, hold: h, batches: batches, log: log, trace: tr, base: base, cancel: cancel,
	}
}

// shutdown abandons the request in progress (step 3 of the shutdown
// order).
func (t *transportSender) shutdown() { t.cancel() }

// attemptContext bounds one request by the timeout, ctx and shutdown.
func (t *transportSender) attemptContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	stop := context.AfterFunc(t.base, cancel)
	return ctx, func() { stop(); cancel() }
}

func (t *transportSender) setAuth(req *http.Request) {
	if t.token != "" {
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	req.Header.Set("User-Agent", "sicollab-submit/1")
}

// newRequest builds the POST of b, every header set but the signature.
func (t *transportSender) newRequest(ctx context.Context, b *outBatch) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint+PathSubmissions, bytes.NewReader(b.wire))
	if err != nil {
		return nil, err
	}
	t.setAuth(req)
	req.Header.Set("Content-Type", MediaNDJSON)
	req.Header.Set("Accept", MediaJSON)
	req.Header.Set(HeaderIdempotencyKey, b.key.String())
	req.Header.Set(HeaderContentDigest, b.digest)
	if b.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	return req, nil
}

// send posts a's batch once.
func (t *transportSender) send(ctx context.Context, a *attempt) (*Receipt, error) {
	defer a.wrote()
	if t.base.Err() != nil {
		return nil, errSenderStopped
	}
	b := a.batch
	req, err := a.request(ctx)
	if err != nil {
		return nil, err
	}
	t.batches.Add(1)
	ctx, span := t.trace.tracer.Start(batchParent(ctx, b), SpanSendBatch, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("sicollab.idempotency_key", b.key.String()), attribute.Int("sicollab.records", len(b.seqs))))
	defer span.End()
	t.trace.prop.Inject(ctx, propagation.HeaderCarrier(req.Header)) // not covered by a signature
	ctx, cancel := t.attemptContext(ctx)
	defer cancel()
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteHeaders: a.wrote})
	resp, err := t.http.Do(req.WithContext(ctx))
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		return nil, &sendError{class: classRetry, err: fmt.Errorf("submit: POST %s: %w", PathSubmissions, err)}
	}
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode >= 300 {
		span.SetStatus(codes.Error, http.StatusText(resp.StatusCode))
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		// Hold the other senders at once, before the body is read.
		if d := parseRetryAfter(resp.Header.Get(HeaderRetryAfter), t.clock()); d > 0 {
			t.hold.until(t.clock().Add(d))
		}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReceiptBytes))
	if err != nil {
		return nil, &sendError{class: classRetry, status: resp.StatusCode, err: fmt.Errorf("submit: read answer to POST %s: %w", PathSubmissions, err)}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		var rc Receipt
		if err := json.Unmarshal(body, &rc); err != nil {
			return nil, &sendError{class: classRetry, status: resp.StatusCode, err: fmt.Errorf("submit: receipt for %s: %w", b.key, err)}
		}
		return &rc, nil
	}
	return nil, classify(resp, body, t.clock())
}

// limits asks the hub for its declared limits. A hub without the
// endpoint (404) is taken to have DefaultLimits.
func (t *transportSender) limits(ctx context.Context) (Limits, error) {
	ctx, cancel := t.attemptContext(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.endpoint+PathLimits, nil)
	if err != nil {
		return Limits{}, err
	}
	t.setAuth(req)
	req.Header.Set("Accept", MediaJSON)
	resp, err := t.http.Do(req)
	if err != nil {
		return Limits{}, &sendError{class: classRetry, err: fmt.Errorf("submit: GET %s: %w", PathLimits, err)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var l Limits
	switch {
	case resp.StatusCode == http.StatusOK:
		if err := json.Unmarshal(body, &l); err != nil {
			return Limits{}, &sendError{class: classRetry, status: resp.StatusCode, err: fmt.Errorf("submit: GET %s: %w", PathLimits, err)}
		}
	case resp.StatusCode == http.StatusNotFound:
		l = DefaultLimits()
		t.log.Warn("submit: hub declares no limits; assuming the defaults", "status", resp.StatusCode)
	default:
		return Limits{}, classify(resp, body, t.clock())
	}
	return l, nil
}
