package sector

import (
	"context"
	"errors"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/stage"
)

// ReasonInvalid is the drop reason of a record the validator refused.
const ReasonInvalid = "invalid"

// ValidatedBySink returns sink (a submit.Client or Router) for a pipeline
// that has no validate step of its own: the client validates every
// record once, in the pass that stamps it, and a record it refuses
// (*schema.ValidationError) is dropped as ReasonInvalid, counted under
// the sink step, instead of stopping the pipeline. Every other error of
// sink is returned as it is.
func ValidatedBySink(sink stage.Submitter) stage.Submitter {
	return stage.SubmitterFunc(func(ctx context.Context, env schema.Envelope) error {
		err := sink.Submit(ctx, env)
		if verr, ok := errors.AsType[*schema.ValidationError](err); ok {
			return stage.DropWith(ReasonInvalid, verr)
		}
		return err
	})
}
