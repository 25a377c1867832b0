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
// forwards without validating again. Any other Sink (one of another
// package, or a type embedding a *Store) gets the envelopes through Put,
// as before.

// record is an envelope the Handler accepted, with the line it was
// validated from and its payload digest (schema.PayloadDigest's value).
type record struct {
	env    *schema.Envelope
	raw    []byte // the envelope's JSON as validated; nil to encode env
	digest string
}

// putAccepted gives the accepted records of b to sink: as records to a
// *Store or a *Relay, as envelopes to any other Sink.
func putAccepted(ctx context.Context, sink Sink, b *inBatch) error {
	return putRecordsTo(ctx, sink, b.acceptedRecords())
}

// putRecordsTo gives recs to sink: as records when it is a *Store or a
// *Relay (exactly: a type that embeds one and has a Put of its own gets
// its Put), as envelopes otherwise.
func putRecordsTo(ctx context.Context, sink Sink, recs []record) error {
	switch s := sink.(type) {
	case *Store:
		return s.putRecords(ctx, recs)
	case *Relay:
		return s.putRecords(ctx, recs)
	}
	envs := make([]schema.Envelope, len(recs))
	for i, r := range recs {
		envs[i] = *r.env
	}
	return sink.Put(ctx, envs)
}

// recordsOf wraps envs as records without bytes or digests.
func recordsOf(envs []schema.Envelope) []record {
	recs := make([]record, len(envs))
	for i := range envs {
		recs[i] = record{env: &envs[i]}
	}
	return recs
}
