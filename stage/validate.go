package stage

import (
	"context"
	"errors"
	"fmt"
	"go.opentelemetry.io/otel/trace"
	"sync"
	"time"

	"github.com/sicollab/sicollab/schema"
)

var defaultValidator = sync.OnceValues(func() (*schema.Validator, error) { return schema.NewValidator() })

// Validate returns a processor that checks each record, envelope and
// payload, against the embedded schemas with v (nil means a validator with
// the default limits) and passes it on unchanged. A record that fails is
// an error wrapping ErrInvalid and the *schema.ValidationError, for the
// step's policy: quarantine keeps it for inspection, drop counts it.
//
// It is safe for concurrent use and gains from Concurrency above 1: it is
// the costliest of the built-in processors. A pipeline whose sink is a
// submit.Client needs no Validate step: the client validates each record
// as it stamps it, so the record is checked once on its way to the
// outbox; drop the client's *schema.ValidationError in the sink instead.
func Validate(v *schema.Validator) Processor {
	return ProcessorFunc(func(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error {
		val := v
		if val == nil {
			var err error
			if val, err = defaultValidator(); err != nil {
				return fmt.Errorf("stage: validate: %w", err)
			}
		}
		if err := val.ValidateEnvelope(env); err != nil {
			return fmt.Errorf("%w: %s %s: %w", ErrInvalid, env.Kind, env.ID, err)
		}
		emit(env)
		return nil
	})
}

// Stamp returns a processor that appends a provenance hop to each record:
// org, stage st, the time now returns (nil means time.Now) and the digest
// of the payload as it leaves, and the trace id of the previous hop or,
// if it has none, of ctx's span (see schema.Envelope.TraceLastHop). Put it after the last step that changes
// payloads, so that the next hop can verify the digest. It is safe for
// concurrent use.
func Stamp(org string, st schema.Stage, now func() time.Time) Processor {
	if now == nil {
		now = time.Now
	}
	return ProcessorFunc(func(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error {
		if org == "" {
			return errors.New("stage: stamp: no organization id")
		}
		if err := env.Stamp(org, st, now()); err != nil {
			return fmt.Errorf("stage: stamp %s: %w", env.ID, err)
		}
		env.TraceLastHop(traceID(ctx))
		emit(env)
		return nil
	})
}

// traceID returns the trace id of ctx's span as a hop keeps it, or "".
func traceID(ctx context.Context) string {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		return sc.TraceID().String()
	}
	return ""
}
