package stage

import (
	"context"
	"errors"
	"fmt"

	"github.com/sicollab/sicollab/schema"
)

// VerifyConfig configures NewVerify.
type VerifyConfig struct {
	// Directory says who may submit what; required.
	Directory Authorizer
}

// Validate reports what is wrong with c.
func (c VerifyConfig) Validate() error {
	if c.Directory == nil {
		return errors.New("stage: verify config: Directory: required, got nil")
	}
	return nil
}

// Verify is the processor that checks each record's authenticity (the
// scheme's "verifying authenticity"), in this order:
//   - the source is in the directory and may submit the kind;
//   - the record has provenance, and its first hop is the source's;
//   - the digest of its last hop is the digest of its payload
//     (schema.PayloadDigest), so the payload is what the last hop sent.
//
// A record that fails is an error wrapping ErrUnverified and the cause (for
// the directory, collab.ErrUnknownOrg or collab.ErrKindNotAllowed): usually
// quarantined. Verify changes nothing; run it before any processor that
// changes payloads. It is safe for concurrent use.
type Verify struct {
	dir Authorizer
}

// NewVerify returns a Verify, or an error naming what is wrong with cfg.
func NewVerify(cfg VerifyConfig) (*Verify, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Verify{dir: cfg.Directory}, nil
}

// Process passes env if it is authentic, and fails it otherwise.
func (v *Verify) Process(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error {
	if err := verify(v.dir, &env); err != nil {
		return err
	}
	emit(env)
	return nil
}

func verify(dir Authorizer, env *schema.Envelope) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s %s from %q: "+format, append([]any{ErrUnverified, env.Kind, env.ID, env.Source}, args...)...)
	}
	if err := dir.Authorize(env.Source, env.Kind); err != nil {
		return fail("%w", err)
	}
	n := len(env.Provenance)
	if n == 0 {
		return fail("no provenance")
	}
	if first := env.Provenance[0].Org; first != env.Source {
		return fail("first provenance hop is %q, not the source", first)
	}
	d, err := env.Digest()
	if err != nil {
		return fail("%w", err)
	}
	if last := env.Provenance[n-1]; last.Digest != d {
		return fail("payload digest %s does not match %s of the last hop (%s, %s)", d, last.Digest, last.Org, last.Stage)
	}
	return nil
}
