package submit

import (
	"context"

	"github.com/sicollab/sicollab/schema"
)

// A record handled once per hop.
//
// The Handler validates each line once, and the validating pass also
// gives the payload digest (schema.Validator.ValidateDigest). The sinks
// of this package are given both with each envelope, so that the Store
// keeps the bytes as validated instead of encoding the envelope again,
// and the Relay stamps its hop with the digest already computed and
// forwards without validating again. A Sink of another package gets the
// envelopes through Put, as before.

// record is an envelope the Handler accepted, with the line it was
// validated from and its payload digest (schema.PayloadDigest's value).
type record struct {
	env    *schema.Envelope
	raw    []byte // the envelope's JSON as validated; nil to encode env
	digest string
}

// recordSink is a Sink that takes records: the same contract as Put.
type recordSink interface {
	Sink
	putRecords(ctx context.Context, recs []record) error
}

// putAccepted gives the accepted records of b to sink: as records to a
// recordSink, as envelopes to any other.
func putAccepted(ctx context.Context, sink Sink, b *inBatch) error {
	if rs, ok := sink.(recordSink); ok {
		return rs.putRecords(ctx, b.acceptedRecords())
	}
	return sink.Put(ctx, b.accepted())
}

// recordsOf wraps envs as records without bytes or digests.
func recordsOf(envs []schema.Envelope) []record {
	recs := make([]record, len(envs))
	for i := range envs {
		recs[i] = record{env: &envs[i]}
	}
	return recs
}
