package stage

import (
	"context"
	"errors"
	"fmt"

	"github.com/sicollab/sicollab/schema"
)

// PseudonymizeConfig configures NewPseudonymize.
type PseudonymizeConfig struct {
	// Pseudonymizer makes the pseudonyms; required.
	Pseudonymizer *schema.Pseudonymizer
	// KeepIdentity keeps the clear identity beside the pseudonym when the
	// record's handling allows it (AMBER+STRICT or RED); otherwise it is
	// always removed.
	KeepIdentity bool
}

// Validate reports what is wrong with c.
func (c PseudonymizeConfig) Validate() error {
	if c.Pseudonymizer == nil {
		return errors.New("stage: pseudonymize config: Pseudonymizer: required, got nil")
	}
	return nil
}

// Pseudonymize is the processor that turns clear identifiers into
// subject pseudonyms, so that no raw identity number leaves the
// organization.
//
// A collector hands over a person as a schema.Subject with IDType set,
// Identity set (Identity.Identifier in clear, in any spelling
// schema.Normalize accepts) and an empty Pseudonym. For every subject in
// the payload, Pseudonymize:
//   - with an empty Pseudonym and an Identity: sets Pseudonym and KeyID
//     from IDType and Identity.Identifier with the Pseudonymizer;
//   - with a Pseudonym under the Pseudonymizer's key id and an Identity:
//     checks that the pseudonym is the identity's, or fails the record;
//   - with neither: fails the record with ErrNoSubject;
//   - then removes the Identity, unless KeepIdentity is set and the
//     handling allows it, in which case Identity.Identifier is replaced by
//     its normalized spelling.
//
// Subjects with a pseudonym and no identity pass unchanged. A bad
// identifier fails the record with an error wrapping
// schema.ErrBadIdentifier, which never holds the identifier. The payload is
// encoded again only if a subject changed. It is safe for concurrent use.
type Pseudonymize struct {
	cfg PseudonymizeConfig
}

// NewPseudonymize returns a Pseudonymize, or an error naming what is wrong
// with cfg.
func NewPseudonymize(cfg PseudonymizeConfig) (*Pseudonymize, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Pseudonymize{cfg: cfg}, nil
}

// Process pseudonymizes the subjects of env and emits it.
func (pz *Pseudonymize) Process(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error {
	cfg := pz.cfg
	ps := cfg.Pseudonymizer
	d, err := decodePayload(&env)
	if err != nil {
		return fmt.Errorf("stage: pseudonymize %s: %w", env.ID, err)
	}
	defer d.release()
	p := d.p
	keep := cfg.KeepIdentity && env.Handling.AllowsIdentity()
	changed := false
	err = subjects(p, func(field string, s *schema.Subject) error {
		switch {
		case s.Identity == nil && s.Pseudonym == "":
			return fmt.Errorf("%w (field %s)", ErrNoSubject, field)
		case s.Identity == nil:
			return nil
		}
		made, err := ps.Pseudonym(s.IDType, s.Identity.Identifier)
		if err != nil {
			return fmt.Errorf("field %s: %w", field, err)
		}
		switch {
		case s.Pseudonym == "":
			s.Pseudonym, s.KeyID = made.Pseudonym, made.KeyID
		case s.KeyID == made.KeyID && s.Pseudonym != made.Pseudonym:
			return fmt.Errorf("field %s: pseudonym under key %s is not the identity's", field, s.KeyID)
		}
		if keep {
			norm, _ := schema.Normalize(s.IDType, s.Identity.Identifier) // Pseudonym accepted it
			s.Identity.Identifier = norm
		} else {
			s.Identity = nil
		}
		changed = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("stage: pseudonymize %s: %w", env.ID, err)
	}
	if changed {
		if err := env.SetPayload(p); err != nil {
			return fmt.Errorf("stage: pseudonymize %s: %w", env.ID, err)
		}
	}
	emit(env)
	return nil
}
